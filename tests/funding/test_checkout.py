"""Top-ups through Adline's checkout page and the simulated processor's test cards."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.funding import service
from adline.funding.errors import CheckoutExpired
from adline.funding.models import LedgerTransaction, PaymentMethod
from adline.funding.processor import ATTACHES_THEN_FAILS, DECLINED, SUCCEEDS
from tests.conftest import Tenant
from tests.funding.helpers import balance, checkout, reconciled
from tests.helpers import assert_error
from tests.hierarchy.builders import ok


async def methods(engine: AsyncEngine, company_id: str) -> list[PaymentMethod]:
    async with create_sessionmaker(engine)() as session:
        return list(
            await session.scalars(
                select(PaymentMethod)
                .where(PaymentMethod.company_id == company_id)
                .order_by(PaymentMethod.created_at, PaymentMethod.id)
            )
        )


class TestCreate:
    async def test_answers_an_adline_page_to_pay_on(self, poor_client: httpx.AsyncClient) -> None:
        created = await ok(await poor_client.post("/checkout_sessions", json={"amount": 100}))

        assert created["id"].startswith("cs_")
        assert created["url"] == f"http://adline.test/checkout/{created['id']}"
        assert (created["status"], created["amount"], created["currency"]) == (
            "open",
            100.0,
            "usd",
        )
        assert created["save_payment_method"] is True
        assert await ok(await poor_client.get(f"/checkout_sessions/{created['id']}")) == created

    async def test_the_page_is_a_form_without_script(
        self, poor_client: httpx.AsyncClient, pages: httpx.AsyncClient
    ) -> None:
        created = await ok(await poor_client.post("/checkout_sessions", json={"amount": 12.5}))

        page = await pages.get(created["url"])

        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp
        assert "<script" not in page.text and "style=" not in page.text
        assert f'action="/checkout/{created["id"]}"' in page.text
        assert "$12.50" in page.text

    async def test_amounts_follow_the_money_rule(self, poor_client: httpx.AsyncClient) -> None:
        for amount in (0.001, -5, 0.5, 100_000.01, "10", True):
            response = await poor_client.post("/checkout_sessions", json={"amount": amount})
            assert_error(response, 400, "parameter_invalid", "amount")
        response = await poor_client.post(
            "/checkout_sessions", json={"amount": 0, "save_payment_method": False}
        )
        assert_error(response, 400, "parameter_invalid", "save_payment_method")

    async def test_another_companys_session_is_not_found(
        self, poor_client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        created = await ok(await poor_client.post("/checkout_sessions", json={"amount": 10}))
        response = await other_client.get(f"/checkout_sessions/{created['id']}")
        assert_error(response, 404, "resource_not_found", "id")

    async def test_needs_the_credit_scope(self, make_key, poor: Tenant, app) -> None:  # type: ignore[no-untyped-def]
        key = await make_key(poor, ["ad_campaign:basic:read", "ad_campaign:update"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://adline.test/api/v1",
            headers={"Authorization": f"Bearer {key}"},
        ) as limited:
            response = await limited.post("/checkout_sessions", json={"amount": 10})
        assert_error(response, 403, "missing_scope", None)


class TestPay:
    async def test_a_good_card_credits_the_balance_once(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        paid = await checkout(poor_client, pages, 100)

        assert paid["status"] == "complete"
        assert paid["completed_at"] is not None and paid["last_error"] is None
        assert paid["payment_method_id"].startswith("payt_")
        assert await balance(engine, poor.company_id) == 100_000_000

        # The payer submits again (a reload, a double click): nothing is charged twice.
        again = await pages.post(
            paid["url"],
            content=f"card_number={SUCCEEDS}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert again.status_code == 200 and "Checkout complete" in again.text
        assert await balance(engine, poor.company_id) == 100_000_000
        async with create_sessionmaker(engine)() as session:
            topups = list(
                await session.scalars(
                    select(LedgerTransaction).where(
                        LedgerTransaction.company_id == poor.company_id,
                        LedgerTransaction.kind == "topup",
                    )
                )
            )
        assert [t.reference for t in topups] == [f"checkout:{paid['id']}"]
        [card] = await methods(engine, poor.company_id)
        assert (card.id, card.status, card.last4) == (paid["payment_method_id"], "active", "4242")
        assert await reconciled(engine, poor.company_id) == []

    async def test_a_declined_card_leaves_it_open(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        declined = await checkout(poor_client, pages, 40, card=DECLINED)

        assert declined["status"] == "open"
        assert "declined" in declined["last_error"]
        assert await balance(engine, poor.company_id) == 0
        assert await methods(engine, poor.company_id) == []

        # The same session, paid with a good card.
        page = await pages.post(
            declined["url"],
            content="card_number=4242+4242+4242+4242",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert "Checkout complete" in page.text
        assert await balance(engine, poor.company_id) == 40_000_000

    async def test_the_0341_card_attaches_but_cannot_be_charged(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        charged = await checkout(poor_client, pages, 40, card=ATTACHES_THEN_FAILS)
        assert (charged["status"], charged["payment_method_id"]) == ("open", None)
        assert await balance(engine, poor.company_id) == 0

        # Saving it without a payment (amount 0) succeeds: the failure comes later.
        saved = await checkout(poor_client, pages, 0, card=ATTACHES_THEN_FAILS)
        assert saved["status"] == "complete"
        [card] = await methods(engine, poor.company_id)
        assert (card.id, card.status, card.last4) == (saved["payment_method_id"], "active", "0341")

    async def test_a_newer_card_replaces_the_older(
        self,
        clock: ManualClock,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        await checkout(poor_client, pages, 0, card=ATTACHES_THEN_FAILS)
        clock.advance(timedelta(minutes=1))
        await checkout(poor_client, pages, 5)
        older, newer = await methods(engine, poor.company_id)
        assert (older.status, older.last4, newer.status, newer.last4) == (
            "replaced",
            "0341",
            "active",
            "4242",
        )

    async def test_an_unknown_session_page_is_a_404(self, pages: httpx.AsyncClient) -> None:
        response = await pages.get("/checkout/cs_00000000000000")
        assert response.status_code == 404


class TestDepositPage:
    async def test_the_deposit_url_pays_and_saves_the_card(
        self, pages: httpx.AsyncClient, engine: AsyncEngine, poor: Tenant
    ) -> None:
        form = await pages.get(f"/checkout?account_id={poor.company_id}")
        assert form.status_code == 200 and 'action="/checkout"' in form.text
        assert "<script" not in form.text

        paid = await pages.post(
            "/checkout",
            content=f"account_id={poor.company_id}&amount=25.50&card_number={SUCCEEDS}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

        assert paid.status_code == 303
        assert paid.headers["location"].startswith("/checkout/cs_")
        done = await pages.get(paid.headers["location"])
        assert "Checkout complete" in done.text
        assert await balance(engine, poor.company_id) == 25_500_000
        [card] = await methods(engine, poor.company_id)
        assert card.status == "active"

    async def test_an_unknown_account_is_refused(self, pages: httpx.AsyncClient) -> None:
        response = await pages.get("/checkout?account_id=biz_00000000000000")
        assert response.status_code == 400


class TestExpiry:
    async def test_an_unpaid_checkout_expires_after_24_hours(
        self,
        clock: ManualClock,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        created = await ok(await poor_client.post("/checkout_sessions", json={"amount": 30}))
        assert created["expires_at"] == "2026-03-03T09:00:00.000000Z"  # created 2026-03-02 09:00
        clock.advance(timedelta(hours=23, minutes=59, seconds=59))
        assert (await ok(await poor_client.get(f"/checkout_sessions/{created['id']}")))[
            "status"
        ] == "open"

        clock.advance(timedelta(seconds=1))

        expired = await ok(await poor_client.get(f"/checkout_sessions/{created['id']}"))
        assert (expired["status"], expired["expires_at"]) == ("expired", created["expires_at"])
        page = await pages.get(created["url"])
        assert page.status_code == 200
        assert "Checkout expired" in page.text and "<form" not in page.text
        paid = await pages.post(
            created["url"],
            content=f"card_number={SUCCEEDS}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert paid.status_code == 409
        assert "Checkout expired" in paid.text and "can no longer be paid" in paid.text
        assert paid.headers["content-security-policy"].startswith("default-src 'none'")
        assert await balance(engine, poor.company_id) == 0
        assert await methods(engine, poor.company_id) == []
        again = await ok(await poor_client.get(f"/checkout_sessions/{created['id']}"))
        assert again["status"] == "expired" and again["completed_at"] is None

    async def test_the_service_refuses_it_in_the_error_shape(
        self, clock: ManualClock, engine: AsyncEngine, poor: Tenant
    ) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            made = await service.create_checkout_session(
                session, clock, poor.company_id, 5_000_000, save=True
            )
        clock.advance(service.CHECKOUT_LIFETIME)

        with pytest.raises(CheckoutExpired) as refused:
            async with create_sessionmaker(engine)() as session, session.begin():
                await service.pay_checkout(session, clock, made.id, SUCCEEDS)

        assert refused.value.body() == {
            "error": {
                "type": "conflict",
                "message": f"Checkout {made.id} expired at 2026-03-03T09:00:00.000000Z: it can no "
                "longer be paid; start a new checkout.",
                "code": "checkout_expired",
                "param": "id",
            }
        }
        assert refused.value.status_code == 409
        assert await balance(engine, poor.company_id) == 0

    async def test_a_paid_checkout_stays_complete(
        self,
        clock: ManualClock,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
    ) -> None:
        paid = await checkout(poor_client, pages, 10)
        clock.advance(timedelta(days=2))

        later = await ok(await poor_client.get(f"/checkout_sessions/{paid['id']}"))

        assert later["status"] == "complete" and later == paid
        page = await pages.get(paid["url"])
        assert "Checkout complete" in page.text
