"""The ads manager in the browser: server-rendered pages over the API's own services.

Mounted at the root, outside `/api/v1` (`create_app`). Handlers are thin, as the API's
are: each checks the signed-in session (`session.signed_in`), calls the same service
functions the API's routers call, and renders a template. docs/web.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from adline.auth import scopes
from adline.auth.dependencies import ClockDep, SessionDep
from adline.auth.service import authenticate
from adline.campaigns import service as campaigns
from adline.campaigns import tree
from adline.campaigns.duplication import finish_in_new_session
from adline.campaigns.models import AdCampaign
from adline.core.errors import AdlineError, Forbidden, InvalidRequest, NotFound, Unauthorized
from adline.core.pagination import PageRequest
from adline.core.timestamps import format_timestamp
from adline.reports import service as reports
from adline.spend_caps import service as spend_caps
from adline.spend_caps import summary
from adline.web import charts, views
from adline.web.session import (
    COOKIE,
    SIGN_IN_COOKIE,
    SignedIn,
    clear_cookie,
    end_session,
    form_fields,
    same_origin,
    set_cookie,
    signed_in,
    start_session,
    tokens_match,
    unsign,
)

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["views"] = views

# The pages' own policy: everything from this origin only, nothing inline (scripts and
# styles are files under /web/static), no framing, forms post only here.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# `same-origin`, not the API's `no-referrer`: under `no-referrer` browsers send
# `Origin: null` with a form's POST, and the POSTs' Origin check needs the real one.
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "same-origin"}
STATIC_TYPES = {
    "web.css": "text/css; charset=utf-8",
    "web.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
HOUR_WINDOW_DAYS = 2
# Waits this long for a demo step before answering; a longer step shows its progress.
DEMO_STEP_WAIT = 2.0

router = APIRouter(include_in_schema=False)


# -- plumbing -------------------------------------------------------------------------------


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    user: SignedIn | None = None,
) -> Response:
    principal = user.principal if user is not None else None
    demo = getattr(request.app.state, "demo", None)
    base = {
        "user": user,
        "csrf_token": user.csrf_token if user is not None else None,
        "can_read_caps": principal is not None and scopes.SPEND_CAP_READ in principal.scopes,
        "demo_on": demo is not None
        and principal is not None
        and scopes.DEMO_CONTROL in principal.scopes,
    }
    return templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code, headers=PAGE_HEADERS
    )


def error_page(request: Request, error: AdlineError, user: SignedIn | None) -> Response:
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 409: "Not possible"}
    return page(
        request,
        "error.html",
        {
            "title": titles.get(error.status_code, "Something went wrong"),
            "message": error.message,
        },
        status_code=error.status_code,
        user=user,
    )


def to_sign_in() -> Response:
    return RedirectResponse("/sign-in", status_code=303)


def back_to(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


async def _user(request: Request, session: SessionDep, clock: ClockDep) -> SignedIn | None:
    return await signed_in(request, session, clock)


def _require(user: SignedIn, scope: str) -> None:
    if scope not in user.principal.scopes:
        raise Forbidden(f"This API key lacks the scope this page needs: {scope}.")


async def _checked_post(
    request: Request, user: SignedIn | None
) -> tuple[dict[str, str], Response | None]:
    """The form of a signed-in POST, or the answer refusing it: 403 from another site or
    without the session's CSRF token (nothing is changed)."""
    if user is None:
        return {}, to_sign_in()
    fields = await form_fields(request)
    if not same_origin(request) or not tokens_match(fields.get("csrf_token"), user.csrf_token):
        error = Forbidden("This form was not sent from this site's own page; nothing changed.")
        return fields, error_page(request, error, user)
    return fields, None


Handler = Callable[[SignedIn], Awaitable[Response]]


async def _guarded(request: Request, user: SignedIn | None, handler: Handler) -> Response:
    if user is None:
        return to_sign_in()
    try:
        return await handler(user)
    except AdlineError as error:
        return error_page(request, error, user)


# -- static files -----------------------------------------------------------------------


@router.get("/web/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(
        (HERE / "static" / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "no-cache"},
    )


# -- sign-in and out ----------------------------------------------------------------------


@router.get("/")
async def home(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)
    return back_to("/campaigns") if user is not None else to_sign_in()


def _sign_in_page(
    request: Request, token: str, message: str | None = None, status_code: int = 200
) -> Response:
    response = page(
        request, "sign_in.html", {"sign_in_token": token, "message": message}, status_code
    )
    set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response


def _sign_in_token(request: Request) -> str:
    """The browser's sign-in token: the one its cookie holds (so sign-in forms open in
    several tabs all work), else a new one."""
    return unsign(request, request.cookies.get(SIGN_IN_COOKIE)) or secrets.token_urlsafe(32)


@router.get("/sign-in")
async def sign_in_form(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    if await _user(request, session, clock) is not None:
        return back_to("/campaigns")
    return _sign_in_page(request, _sign_in_token(request))


@router.post("/sign-in")
async def sign_in(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    fields = await form_fields(request)
    expected = unsign(request, request.cookies.get(SIGN_IN_COOKIE))
    fresh = _sign_in_token(request)
    if (
        not same_origin(request)
        or expected is None
        or not tokens_match(fields.get("csrf_token"), expected)
    ):
        return _sign_in_page(
            request, fresh, "This form expired or came from another site; try again.", 403
        )
    secret = fields.get("api_key", "").strip()
    client_host = request.client.host if request.client is not None else None
    try:
        if not secret:
            raise Unauthorized("Enter an API key.")
        principal = await authenticate(session, clock, secret, client_host=client_host)
    except (Unauthorized, Forbidden) as error:
        return _sign_in_page(request, fresh, error.message, 401)
    row = await start_session(session, clock, principal)
    response = back_to("/campaigns")
    set_cookie(request, response, COOKIE, row.id)
    clear_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)
    _, refused = await _checked_post(request, user)
    if refused is not None:
        return refused
    assert user is not None
    await end_session(session, user.session_id)
    response = to_sign_in()
    clear_cookie(request, response, COOKIE)
    return response


# -- campaigns -------------------------------------------------------------------------


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        number = default
    return min(max(number, low), high)


async def _all_campaigns(
    session: SessionDep, user: SignedIn, query: str | None, window: Any, now: datetime
) -> list[dict[str, Any]]:
    """Every campaign the API lists for `query` (its `query` filter), in the API's order,
    presented over `window` as the API presents them."""
    filters = campaigns.CampaignFilters(query=query or None)
    bodies: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        result = await campaigns.list_campaigns(
            session, user.principal, filters, PageRequest(first=100, after=after),
            window=window, now=now,
        )  # fmt: skip
        bodies += await campaigns.present_campaigns(
            session, user.principal, result.items, window, now
        )
        if not result.page_info.has_next_page:
            return bodies
        after = result.page_info.end_cursor


@router.get("/campaigns")
async def campaigns_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.AD_CAMPAIGN_BASIC_READ)
        params = request.query_params
        now = clock.now()
        window = views.page_window(
            params.get("from"), params.get("to"), params.get("tz"), user.principal.timezone, now
        )
        sort = params.get("sort") if params.get("sort") in views.SORTS else None
        order = "asc" if params.get("order") == "asc" else "desc"
        per_page = _int(params.get("per_page"), views.PER_PAGE, 1, views.MAX_PER_PAGE)
        query = (params.get("q") or "").strip()
        bodies = views.sorted_campaigns(
            await _all_campaigns(session, user, query, window.window, now), sort, order
        )
        pages = max(1, -(-len(bodies) // per_page))
        number = _int(params.get("page"), 1, 1, pages)
        shown = bodies[(number - 1) * per_page : number * per_page]
        keep = {**window.query(), "q": query, "per_page": per_page}
        if per_page == views.PER_PAGE:
            keep["per_page"] = None
        sorted_by = {"sort": sort, "order": order if sort else None}

        def sort_href(name: str) -> str:
            flip = "asc" if sort == name and order == "desc" else "desc"
            return views.href("/campaigns", {**keep, "sort": name, "order": flip})

        def page_href(to: int) -> str:
            return views.href("/campaigns", {**keep, **sorted_by, "page": to})

        return page(
            request,
            "campaigns.html",
            {
                "window": window,
                "campaigns": shown,
                "total": len(bodies),
                "query": query,
                "sort": sort,
                "order": order,
                "per_page": per_page,
                "page_number": number,
                "pages": pages,
                "sort_href": sort_href,
                "prev_href": page_href(number - 1) if number > 1 else None,
                "next_href": page_href(number + 1) if number < pages else None,
                "window_query": views.href("", window.query()),
            },
            user=user,
        )

    return await _guarded(request, user, handle)


def _spend_bars(series: dict[str, Any], tz: str, hourly: bool) -> list[charts.Bar]:
    zone = ZoneInfo(tz)
    bars = []
    for point in series["data"]["points"]:
        start = datetime.fromtimestamp(point["timestamp"], zone)
        name = start.strftime("%H:00") if hourly else start.strftime("%b %d")
        when = start.strftime("%Y-%m-%d %H:00") if hourly else start.strftime("%Y-%m-%d")
        bars.append(charts.Bar(name, float(point["value"]), f"{when}: {point['value']:.2f}"))
    return bars


@router.get("/campaigns/{cid}")
async def campaign_page(
    request: Request, cid: str, session: SessionDep, clock: ClockDep
) -> Response:
    user = await _user(request, session, clock)

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.AD_CAMPAIGN_BASIC_READ)
        params = request.query_params
        now = clock.now()
        principal = user.principal
        window = views.page_window(
            params.get("from"), params.get("to"), params.get("tz"), principal.timezone, now
        )
        body = await campaigns.read_campaign(session, principal, cid, window.window, now)
        asked = params.get("granularity")
        granularity: Literal["day", "hour"] = (
            asked if asked in ("day", "hour") else  # type: ignore[assignment]
            "hour" if window.days <= HOUR_WINDOW_DAYS else "day"
        )  # fmt: skip
        chart = None
        if scopes.AD_CAMPAIGN_STATS_READ in principal.scopes:
            series = await reports.time_series(
                session,
                principal,
                reports.SeriesRequest(
                    metric="ad_spend",
                    from_=window.first,
                    to=window.last,
                    interval=granularity,
                    time_zone=window.tz,
                    ad_campaign_ids=[cid],
                ),
            )
            hourly = granularity == "hour"
            budget = body.get("budget_amount")
            budget_line: float | None = None
            budget_label = ""
            if budget is not None and body.get("budget_type") == "daily":
                budget_line = budget / 24 if hourly else budget
                budget_label = f"Daily budget {views.money(budget, body['budget_currency'])}" + (
                    " (per hour, evenly)" if hourly else ""
                )
            chart = charts.spend_chart(
                _spend_bars(series, window.tz, hourly),
                label=(
                    f"Spend per {granularity} from {window.first} to {window.last} ({window.tz})"
                    f": {views.money(body['spend'], body['spend_currency'])} in all"
                ),
                budget=budget_line,
                budget_label=budget_label,
                money="{:,.2f}",
            )
        # The campaign is the company's and live (read above): its live groups, titled.
        groups = (await tree.live_groups_of(session, [cid]))[cid]
        ads = await tree.live_ads_of_campaign(session, cid)
        duplicate = params.get("duplicate")
        copy = None
        if duplicate:
            found = await tree.campaigns_by_id(session, [duplicate])
            if duplicate in found and found[duplicate].company_id == principal.company_id:
                copy = found[duplicate]
        return page(
            request,
            "campaign.html",
            {
                "window": window,
                "campaign": body,
                "granularity": granularity,
                "chart": chart,
                "groups": groups,
                "ads": ads,
                "issues": [(issue, views.explain_issue(issue)) for issue in body["issues"]],
                "can_update": scopes.AD_CAMPAIGN_UPDATE in principal.scopes,
                "can_create": scopes.AD_CAMPAIGN_CREATE in principal.scopes,
                "copy": copy,
                "window_query": views.href("", window.query()),
            },
            user=user,
        )

    return await _guarded(request, user, handle)


async def _campaign_action(
    request: Request,
    cid: str,
    session: SessionDep,
    clock: ClockDep,
    action: Literal["pause", "unpause"],
) -> Response:
    user = await _user(request, session, clock)
    _, refused = await _checked_post(request, user)
    if refused is not None:
        return refused

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.AD_CAMPAIGN_UPDATE)
        await campaigns.act_on_campaign(session, clock, user.principal, cid, action)
        return back_to(f"/campaigns/{cid}")

    return await _guarded(request, user, handle)


@router.post("/campaigns/{cid}/pause")
async def pause_campaign(
    request: Request, cid: str, session: SessionDep, clock: ClockDep
) -> Response:
    return await _campaign_action(request, cid, session, clock, "pause")


@router.post("/campaigns/{cid}/unpause")
async def unpause_campaign(
    request: Request, cid: str, session: SessionDep, clock: ClockDep
) -> Response:
    return await _campaign_action(request, cid, session, clock, "unpause")


@router.post("/campaigns/{cid}/duplicate")
async def duplicate_campaign(
    request: Request,
    cid: str,
    session: SessionDep,
    clock: ClockDep,
    background: BackgroundTasks,
) -> Response:
    user = await _user(request, session, clock)
    _, refused = await _checked_post(request, user)
    if refused is not None:
        return refused

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.AD_CAMPAIGN_CREATE)
        copies = await campaigns.duplicate_campaign(
            session, clock, user.principal, cid, count=1, preserve_engagement=False
        )
        # As the API does: the copies are finished after this request commits.
        background.add_task(
            finish_in_new_session,
            request.app.state.sessionmaker,
            clock,
            [copy.id for copy in copies],
        )
        return back_to(f"/campaigns/{cid}?duplicate={copies[0].id}")

    return await _guarded(request, user, handle)


@router.get("/campaigns/{cid}/status.json")
async def campaign_status(
    request: Request, cid: str, session: SessionDep, clock: ClockDep
) -> Response:
    """A campaign's status, for the page's script to follow a duplicate's progress."""
    user = await _user(request, session, clock)
    if user is None:
        return JSONResponse({"error": "signed_out"}, status_code=401)
    if scopes.AD_CAMPAIGN_BASIC_READ not in user.principal.scopes:
        return JSONResponse({"error": "forbidden"}, status_code=403)
    statement = select(AdCampaign.status).where(
        AdCampaign.id == cid,
        AdCampaign.company_id == user.principal.company_id,
        AdCampaign.deleted_at.is_(None),
    )
    status = (await session.scalars(statement)).first()
    if status is None:
        return JSONResponse({"id": cid, "status": None, "done": True, "gone": True})
    return JSONResponse({"id": cid, "status": status, "done": status != "duplicating"})


# -- spend caps --------------------------------------------------------------------------


def _cap_view(body: dict[str, Any]) -> dict[str, Any]:
    applied, currency = views.money_micro(body["applied_ad_spending"])
    amount, _ = views.money_micro(body["budget"]["amount"])
    remaining, _ = views.money_micro(body["remaining"])
    fraction = applied / amount if amount else (1.0 if applied else 0.0)
    return {
        "body": body,
        "applied": applied,
        "amount": amount,
        "remaining": remaining,
        "currency": currency,
        "percent": round(fraction * 100),
        "bar": charts.cap_bar(fraction),
    }


@router.get("/spend_caps")
async def spend_caps_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.SPEND_CAP_READ)
        now = clock.now()
        caps = []
        after: str | None = None
        while True:
            result = await spend_caps.list_spend_caps(
                session, user.principal, statuses=None,
                page=PageRequest(first=100, after=after), direction="desc", now=now,
            )  # fmt: skip
            caps += await spend_caps.present_spend_caps(session, user.principal, result.items, now)
            if not result.page_info.has_next_page:
                break
            after = result.page_info.end_cursor
        return page(
            request, "spend_caps.html", {"caps": [_cap_view(cap) for cap in caps]}, user=user
        )

    return await _guarded(request, user, handle)


@router.get("/spend_caps/{cap}")
async def spend_cap_page(
    request: Request, cap: str, session: SessionDep, clock: ClockDep
) -> Response:
    user = await _user(request, session, clock)

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.SPEND_CAP_READ)
        now = clock.now()
        principal = user.principal
        row = await spend_caps.get_spend_cap(session, principal.company_id, cap)
        body = await spend_caps.present_spend_cap(session, principal, row, now)
        # The API needs both days; the page defaults to the last 7 in the company's zone.
        shown = views.page_window(
            request.query_params.get("from") or None,
            request.query_params.get("to") or None,
            None,
            principal.timezone,
            now,
        )
        first, last = shown.first, shown.last
        days = summary.to_json(await summary.daily_summary(session, principal, cap, first, last))
        linked = (
            await session.scalars(
                select(AdCampaign)
                .where(
                    AdCampaign.company_id == principal.company_id,
                    AdCampaign.spend_cap_id == row.id,
                    AdCampaign.deleted_at.is_(None),
                )
                .order_by(AdCampaign.created_at, AdCampaign.id)
            )
        ).all()
        rows = [
            {
                **day,
                "spend_dollars": views.money_micro(day["spend"])[0],
                "applied_dollars": views.money_micro(day["applied_ad_spending"])[0],
                "remaining_dollars": views.money_micro(day["remaining"])[0],
                "amount_dollars": views.money_micro(day["amount"])[0],
            }
            for day in days["daily_summary"]
        ]
        return page(
            request,
            "spend_cap.html",
            {
                "cap": _cap_view(body),
                "linked": linked,
                "days": rows,
                "summary": days,
                "first": first or "",
                "last": last or "",
                "csv_href": views.href(f"/spend_caps/{row.id}/daily_summary.csv",
                                       {"from": first, "to": last}),
            },
            user=user,
        )  # fmt: skip

    return await _guarded(request, user, handle)


@router.get("/spend_caps/{cap}/daily_summary.csv")
async def spend_cap_csv(
    request: Request, cap: str, session: SessionDep, clock: ClockDep
) -> Response:
    """The bytes `GET /api/v1/spend_caps/{id}/daily_summary` answers with `Accept: text/csv`."""
    user = await _user(request, session, clock)

    async def handle(user: SignedIn) -> Response:
        _require(user, scopes.SPEND_CAP_READ)
        first = request.query_params.get("from") or None
        last = request.query_params.get("to") or None
        result = await summary.daily_summary(session, user.principal, cap, first, last)
        return Response(
            summary.to_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{cap}-daily-summary.csv"'},
        )

    return await _guarded(request, user, handle)


# -- demo ------------------------------------------------------------------------------------

SPEEDS = (1.0, 6.0, 24.0, 168.0)
# Steps running in the background, held so that they are not collected mid-way.
_DEMO_TASKS: set[asyncio.Future[None]] = set()


def _demo(request: Request, user: SignedIn) -> Any:
    demo = getattr(request.app.state, "demo", None)
    if demo is None:
        raise NotFound("Demo mode is off: start the server with the demo to use this page.")
    # The clock is the server's: moving it needs the API's own scope for it.
    _require(user, scopes.DEMO_CONTROL)
    return demo


def _demo_state(demo: Any) -> dict[str, Any]:
    progress = demo.progress
    return {
        "now": format_timestamp(demo.now()),
        "progress": None if progress is None else {"done": progress[0], "asked": progress[1]},
        "running_speed": demo.running_speed,
    }


@router.get("/demo")
async def demo_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)

    async def handle(user: SignedIn) -> Response:
        demo = _demo(request, user)
        return page(request, "demo.html", {"state": _demo_state(demo), "speeds": SPEEDS}, user=user)

    return await _guarded(request, user, handle)


@router.get("/demo/status")
async def demo_status(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)
    if user is None:
        return JSONResponse({"error": "signed_out"}, status_code=401)
    demo = getattr(request.app.state, "demo", None)
    if demo is None:
        return JSONResponse({"error": "demo_off"}, status_code=404)
    if scopes.DEMO_CONTROL not in user.principal.scopes:
        return JSONResponse({"error": "forbidden"}, status_code=403)
    return JSONResponse(_demo_state(demo))


def _log_failure(task: asyncio.Future[None]) -> None:
    """A step that failed after its page was answered (a refusal is shown, not logged)."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None and not isinstance(error, AdlineError):
        logger.error("demo step failed", exc_info=error)


@router.post("/demo/step")
async def demo_step(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)
    fields, refused = await _checked_post(request, user)
    if refused is not None:
        return refused

    async def handle(user: SignedIn) -> Response:
        demo = _demo(request, user)
        hours = fields.get("hours")
        if hours not in ("1", "24"):
            raise InvalidRequest("Invalid value for hours: step 1 or 24 hours.", param="hours")
        # In the background: the page shows its progress; a short step is waited for. A
        # refusal (another step or a run going) comes at once and shows as its own page.
        task = asyncio.ensure_future(demo.step(int(hours)))
        _DEMO_TASKS.add(task)
        task.add_done_callback(_DEMO_TASKS.discard)
        task.add_done_callback(_log_failure)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), DEMO_STEP_WAIT)
        return back_to("/demo")

    return await _guarded(request, user, handle)


@router.post("/demo/run")
async def demo_run(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)
    fields, refused = await _checked_post(request, user)
    if refused is not None:
        return refused

    async def handle(user: SignedIn) -> Response:
        demo = _demo(request, user)
        try:
            speed = float(fields.get("speed", ""))
        except ValueError:
            speed = 0.0
        if speed not in SPEEDS:
            raise InvalidRequest("Invalid value for speed: choose one of the listed speeds.",
                                 param="speed")  # fmt: skip
        await demo.run(speed)
        return back_to("/demo")

    return await _guarded(request, user, handle)


@router.post("/demo/stop")
async def demo_stop(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    user = await _user(request, session, clock)
    _, refused = await _checked_post(request, user)
    if refused is not None:
        return refused

    async def handle(user: SignedIn) -> Response:
        await _demo(request, user).stop()
        return back_to("/demo")

    return await _guarded(request, user, handle)
