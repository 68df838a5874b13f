"""What the pages show, computed from the API's own objects (the service layer's
newest-shape dicts), never recomputed: a page's number is the API's number. Here only the
human formatting of those values, the stats window and the campaigns table's order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from adline.core.errors import InvalidRequest
from adline.core.money import micros_to_dollars
from adline.metrics.window import StatsWindow, parse_stats_window

DEFAULT_DAYS = 7
PER_PAGE = 20
MAX_PER_PAGE = 100

# The campaigns table's metric columns: (name in the page, key in the API's object, heading).
METRICS: tuple[tuple[str, str, str], ...] = (
    ("status", "status", "Status"),
    ("delivery_status", "delivery_status", "Delivery"),
    ("budget", "budget_amount", "Budget"),
    ("spend", "spend", "Spend"),
    ("impressions", "impressions", "Impressions"),
    ("ctr", "click_through_rate", "CTR"),
    ("cpc", "cost_per_click", "CPC"),
    ("cpm", "cost_per_mille", "CPM"),
    ("results", "results", "Results"),
    ("roas", "return_on_ad_spend", "ROAS"),
)
SORTS = ("title", *(name for name, _, _ in METRICS))
API_KEY_OF = {name: key for name, key, _ in METRICS} | {"title": "title"}
MONEY_METRICS = frozenset({"budget", "spend", "cpc", "cpm"})


@dataclass(frozen=True)
class PageWindow:
    """The page's `from`/`to`/`tz` and the API's stats window they mean (the same window
    as `stats_from`/`stats_to`/`time_zone` on the API's entity reads)."""

    first: str
    last: str
    tz: str
    window: StatsWindow

    @property
    def days(self) -> int:
        return (date.fromisoformat(self.last) - date.fromisoformat(self.first)).days + 1

    def query(self) -> dict[str, str]:
        return {"from": self.first, "to": self.last, "tz": self.tz}


def _day(value: str, param: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidRequest(
            f"Invalid value for {param}: not a date (YYYY-MM-DD).", param=param
        ) from None


def page_window(
    first: str | None, last: str | None, tz: str | None, company_tz: str, now: datetime
) -> PageWindow:
    """The window the page asks for; by default the last 7 days (today included) in the
    company's time zone."""
    zone_name = tz or company_tz
    try:
        zone = ZoneInfo(zone_name)
    except (ValueError, KeyError):
        raise InvalidRequest(
            f"Invalid value for tz: {zone_name!r} is not an IANA time zone.", param="tz"
        ) from None
    today = now.astimezone(zone).date()
    last_day = _day(last, "to") if last else today.isoformat()
    first_day = (
        _day(first, "from")
        if first
        else (date.fromisoformat(last_day) - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    )
    try:
        window = parse_stats_window(first_day, last_day, zone_name, None)
    except InvalidRequest as error:
        raise InvalidRequest(
            str(error.message).replace("stats_to", "to").replace("stats_from", "from"),
            param={"stats_to": "to", "stats_from": "from", "time_zone": "tz"}.get(
                error.param or "", error.param
            ),
        ) from None
    return PageWindow(first_day, last_day, zone_name, window)


def raw(value: Any) -> str:
    """A value as `data-value` carries it: `str()` of the API's JSON value, "" for null."""
    return "" if value is None else str(value)


def money(value: float | None, currency: str | None) -> str:
    if value is None:
        return "—"
    code = (currency or "usd").upper()
    return f"${value:,.2f}" if code == "USD" else f"{value:,.2f} {code}"


def money_micro(amount: Mapping[str, str]) -> tuple[float, str]:
    """A spend cap's MoneyMicro in dollars, rounded by the API's one rule."""
    return micros_to_dollars(int(amount["amount_micro"])), amount["currency"]


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def label(value: str | None) -> str:
    return "—" if value is None else value.replace("_", " ").capitalize()


def human(metric: str, body: Mapping[str, Any]) -> str:
    value = body.get(API_KEY_OF[metric])
    if metric in ("status", "delivery_status"):
        return label(value)
    if metric == "budget":
        if value is None:
            return "Set per ad group"
        return f"{money(value, body.get('budget_currency'))} {label(body.get('budget_type'))}"
    if metric in MONEY_METRICS:
        return money(value, body.get("spend_currency"))
    if metric == "ctr":
        return "—" if value is None else f"{value * 100:.2f}%"
    if metric == "roas":
        return "—" if value is None else f"{value:.2f}x"
    return number(value)


def sort_key(metric: str, body: Mapping[str, Any]) -> tuple[int, Any]:
    value = body.get(API_KEY_OF[metric])
    if value is None:
        return (1, 0)
    if isinstance(value, str):
        return (0, value.casefold())
    return (0, value)


def sorted_campaigns(
    bodies: list[dict[str, Any]], sort: str | None, order: str
) -> list[dict[str, Any]]:
    """The API's order (newest first) unless a column is asked for; nulls always last."""
    if sort is None:
        return bodies
    present = [body for body in bodies if body.get(API_KEY_OF[sort]) is not None]
    missing = [body for body in bodies if body.get(API_KEY_OF[sort]) is None]
    present.sort(key=lambda body: (sort_key(sort, body), body["id"]), reverse=order == "desc")
    return present + missing


def href(path: str, params: Mapping[str, Any]) -> str:
    kept = {name: value for name, value in params.items() if value not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


ISSUE_WORDS = {
    "error": "This stops delivery until it is fixed.",
    "warning": "Delivery continues, but this may limit it.",
}


def explain_issue(issue: Mapping[str, Any]) -> str:
    """An open issue in words: what it is about, and what it means for delivery."""
    about = f"{label(issue.get('resource_type'))} {issue.get('resource_id')}"
    effect = ISSUE_WORDS.get(issue.get("category") or "", "")
    return f"{issue.get('title')}: {issue.get('message')} (on {about}). {effect}".strip()
