"""HTTP of funding: campaign credits and checkout sessions under /api/v1, and the
checkout pages (`/checkout`, `/checkout/{id}`) the payer's browser opens."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from adline.auth.dependencies import CanCreditCampaigns, ClockDep, SessionDep
from adline.auth.service import ensure_own_account
from adline.campaigns import service as campaign_service
from adline.campaigns.schemas import AdCampaignObject
from adline.companies.models import Company
from adline.core.errors import InvalidRequest
from adline.core.http import facts_needed, json_body, render
from adline.core.ids import is_well_formed_id
from adline.core.money import micros_to_dollars
from adline.core.timestamps import format_timestamp
from adline.funding import service
from adline.funding.errors import CheckoutExpired
from adline.funding.models import CheckoutSession
from adline.funding.schemas import CheckoutSessionCreate, CheckoutSessionObject, CreditCreate
from adline.metrics.window import LIFETIME

router = APIRouter(tags=["funding"])
pages = APIRouter(include_in_schema=False)

# The pages carry no script and no style: a form posting to this origin.
PAGE_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
MAX_FORM_BYTES = 4096


@router.post(
    "/ad_campaigns/{campaign_id}/credits",
    response_model=AdCampaignObject,
    summary="Add credits to a campaign from the company balance",
)
async def add_campaign_credits(
    request: Request,
    campaign_id: str,
    principal: CanCreditCampaigns,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[CreditCreate, Depends(json_body(CreditCreate, "ad_campaign_credit.create"))],
) -> JSONResponse:
    micros = service.amount_micros(body.amount)
    campaign = await service.add_credits(session, clock, principal, campaign_id, micros)
    [payload] = await campaign_service.present_campaigns(
        session, principal, [campaign], LIFETIME, clock.now(), facts_needed(request)
    )
    return render(request, "ad_campaign", payload)


@router.post(
    "/checkout_sessions",
    response_model=CheckoutSessionObject,
    summary="Start a checkout that tops up the company balance",
)
async def create_checkout_session(
    request: Request,
    principal: CanCreditCampaigns,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        CheckoutSessionCreate,
        Depends(json_body(CheckoutSessionCreate, "checkout_session.create")),
    ],
) -> JSONResponse:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    checkout = await service.create_checkout_session(
        session,
        clock,
        company_id,
        service.amount_micros(body.amount),
        body.save_payment_method,
    )
    return render(
        request,
        "checkout_session",
        service.checkout_object(checkout, str(request.base_url), clock.now()),
    )


@router.get(
    "/checkout_sessions/{checkout_session_id}",
    response_model=CheckoutSessionObject,
    summary="Retrieve a checkout session",
)
async def retrieve_checkout_session(
    request: Request,
    checkout_session_id: str,
    principal: CanCreditCampaigns,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    checkout = await service.get_checkout_session(
        session, principal.company_id, checkout_session_id
    )
    return render(
        request,
        "checkout_session",
        service.checkout_object(checkout, str(request.base_url), clock.now()),
    )


# ----------------------------------------------------------------------- pages


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · Adline</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>\n"
    )
    return HTMLResponse(
        page,
        status_code=status_code,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )


CARD_FIELDS = (
    '<p><label>Card number <input name="card_number" inputmode="numeric" '
    'autocomplete="cc-number" required maxlength="23"></label></p>'
    "<p>Test cards: 4242 4242 4242 4242 (succeeds), 4000 0000 0000 0002 (declined), "
    "4000 0000 0000 0341 (saved, later charges fail).</p>"
)


def _expired_page(checkout: CheckoutSession, status_code: int) -> HTMLResponse:
    expired_at = format_timestamp(service.checkout_expires_at(checkout))
    return _page(
        "Checkout expired",
        f"<p>This checkout expired at {html.escape(expired_at)} and can no longer be paid. "
        "Nothing was charged; ask for a new checkout.</p>",
        status_code,
    )


def _checkout_page(checkout: CheckoutSession, now: datetime) -> HTMLResponse:
    amount = f"${micros_to_dollars(checkout.amount_micros):,.2f}"
    if service.checkout_status(checkout, now) == "expired":
        return _expired_page(checkout, 200)
    if checkout.status == "complete":
        done = (
            f"<p>Paid: {amount} added to the company balance.</p>"
            if checkout.amount_micros
            else "<p>Card saved.</p>"
        )
        if checkout.payment_method_id:
            done += f"<p>Saved as payment method {html.escape(checkout.payment_method_id)}.</p>"
        return _page("Checkout complete", done)
    error = f'<p role="alert">{html.escape(checkout.last_error)}</p>' if checkout.last_error else ""
    what = f"Add {amount} to the company balance" if checkout.amount_micros else "Save a card"
    form = (
        f"<p>{what}.</p>{error}"
        f'<form method="post" action="/checkout/{html.escape(checkout.id)}">{CARD_FIELDS}'
        f'<p><button type="submit">{"Pay " + amount if checkout.amount_micros else "Save"}'
        "</button></p></form>"
    )
    return _page("Checkout", form)


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidRequest("The form is too large.")
    try:
        parsed = parse_qs(raw.decode("utf-8"), max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The form could not be read.") from None
    return {key: values[0] for key, values in parsed.items() if values}


def _checkout_id(checkout_id: str) -> str:
    if not is_well_formed_id(checkout_id) or not checkout_id.startswith("cs_"):
        raise InvalidRequest("No such checkout.", param="id")
    return checkout_id


@pages.get("/checkout/{checkout_id}")
async def checkout_page(checkout_id: str, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    checkout = await service.get_checkout_session(session, None, _checkout_id(checkout_id))
    return _checkout_page(checkout, clock.now())


@pages.post("/checkout/{checkout_id}")
async def pay_checkout(
    request: Request, checkout_id: str, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    form = await _form(request)
    try:
        checkout = await service.pay_checkout(
            session, clock, _checkout_id(checkout_id), form.get("card_number", "")
        )
    except CheckoutExpired as expired:
        # The payer's browser reads a page, with the refusal's status (409, as the error).
        return _expired_page(
            await service.get_checkout_session(session, None, checkout_id), expired.status_code
        )
    return _checkout_page(checkout, clock.now())


async def _company(session: SessionDep, account_id: str) -> Company:
    company = None
    if is_well_formed_id(account_id):
        company = (await session.scalars(select(Company).where(Company.id == account_id))).first()
    if company is None:
        raise InvalidRequest("No such account.", param="account_id")
    return company


@pages.get("/checkout")
async def deposit_page(session: SessionDep, account_id: str = "") -> HTMLResponse:
    """The `deposit_url` of a 402: any amount, paid and saved as the payment method."""
    company = await _company(session, account_id)
    form = (
        "<p>Add funds to this Adline account's balance; the card is saved to pay for spend "
        "beyond the campaigns' credits.</p>"
        '<form method="post" action="/checkout">'
        f'<input type="hidden" name="account_id" value="{html.escape(company.id)}">'
        '<p><label>Amount in dollars (0 to only save the card) <input name="amount" '
        'inputmode="decimal" required value="100.00"></label></p>'
        f'{CARD_FIELDS}<p><button type="submit">Pay</button></p></form>'
    )
    return _page("Add funds", form)


@pages.post("/checkout")
async def deposit(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    form = await _form(request)
    company = await _company(session, form.get("account_id", ""))
    try:
        amount = float(form.get("amount", ""))
    except ValueError:
        raise InvalidRequest(
            "Invalid value for amount: must be a number.", param="amount"
        ) from None
    checkout = await service.create_checkout_session(
        session, clock, company.id, service.amount_micros(amount), save=True
    )
    checkout = await service.pay_checkout(session, clock, checkout.id, form.get("card_number", ""))
    # The session's own page from now on: reloading it does not pay again.
    return RedirectResponse(f"/checkout/{checkout.id}", status_code=303)
