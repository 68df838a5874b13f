"""A campaign's `spend_cap_id`: set on create, set, changed and cleared on update, shown
from the first client release's version on (the seeds' versions print no link), checked
(the company's cap, in the campaign's currency, room left), followed by the cap's
`campaign_count`, carried over to duplicates, and only the spend reported while the
campaign was under the cap counts toward it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth import scopes
from adline.auth.service import Principal
from adline.campaigns import service as campaigns
from adline.campaigns.duplication import finish_duplicates
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.versioning import token_order
from adline.spend_caps import service as spend_caps
from adline.spend_caps.models import SpendCapMembership
from adline.versions.shapes import RESPONSE_SHAPES
from tests.campaigns.payloads import abo_campaign
from tests.helpers import assert_error
from tests.hierarchy.builders import build_tree, ok
from tests.spend_caps.payloads import cap_body
from tests.stats.helpers import hour, store
from tests.versions.requests import NEWEST, VERSIONS, Dialect

USD = 1_000_000  # micros


async def new_cap(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/spend_caps", json=cap_body(**overrides))
    cap: dict[str, Any] = (await ok(response))["spend_cap"]
    assert cap["id"].startswith("sc_")
    return cap


async def read_cap(client: httpx.AsyncClient, cap_id: str) -> dict[str, Any]:
    cap: dict[str, Any] = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
    return cap


async def count_of(client: httpx.AsyncClient, cap_id: str) -> int:
    count: int = (await read_cap(client, cap_id))["campaign_count"]
    return count


async def applied(client: httpx.AsyncClient, cap_id: str) -> int:
    return int((await read_cap(client, cap_id))["applied_ad_spending"]["amount_micro"])


async def create_campaign(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await ok(await client.post("/ad_campaigns", json=abo_campaign(**overrides)))


async def read_campaign(client: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    return await ok(await client.get(f"/ad_campaigns/{campaign_id}"))


async def patch(client: httpx.AsyncClient, campaign_id: str, **body: Any) -> httpx.Response:
    return await client.patch(f"/ad_campaigns/{campaign_id}", json=body)


async def memberships(engine: AsyncEngine, campaign_id: str) -> list[SpendCapMembership]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(SpendCapMembership)
            .where(SpendCapMembership.ad_campaign_id == campaign_id)
            .order_by(SpendCapMembership.joined_at, SpendCapMembership.id)
        )
        return list(rows)


def principal_of(tenant: Any) -> Principal:
    return Principal(tenant.key_id, tenant.company_id, tenant.user_id, frozenset(), None)


class TestCreate:
    async def test_a_campaign_created_under_a_cap(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        cap = await new_cap(client)
        campaign = await create_campaign(client, spend_cap_id=cap["id"])
        assert campaign["spend_cap_id"] == cap["id"]
        assert (await read_campaign(client, campaign["id"]))["spend_cap_id"] == cap["id"]
        assert await count_of(client, cap["id"]) == 1
        [membership] = await memberships(engine, campaign["id"])
        assert (membership.spend_cap_id, membership.joined_at) == (cap["id"], clock.now())
        assert membership.left_at is None

    async def test_without_a_cap_or_with_null(
        self, client: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        for body in (abo_campaign(), abo_campaign(spend_cap_id=None)):
            campaign = await ok(await client.post("/ad_campaigns", json=body))
            assert campaign["spend_cap_id"] is None
            assert await memberships(engine, campaign["id"]) == []

    async def test_linking_needs_only_the_campaign_scopes(
        self,
        client: httpx.AsyncClient,
        anonymous: httpx.AsyncClient,
        make_key,  # type: ignore[no-untyped-def]
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        cap = await new_cap(client)
        key = await make_key(
            tenant,
            [scopes.AD_CAMPAIGN_BASIC_READ, scopes.AD_CAMPAIGN_CREATE, scopes.AD_CAMPAIGN_UPDATE],
        )
        headers = {**anonymous.headers, "Authorization": f"Bearer {key}"}
        created = await ok(
            await anonymous.post(
                "/ad_campaigns", json=abo_campaign(spend_cap_id=cap["id"]), headers=headers
            )
        )
        assert created["spend_cap_id"] == cap["id"]
        cleared = await ok(
            await anonymous.patch(
                f"/ad_campaigns/{created['id']}", json={"spend_cap_id": None}, headers=headers
            )
        )
        assert cleared["spend_cap_id"] is None


class TestUpdate:
    async def test_set_change_and_clear(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        first, second = await new_cap(client), await new_cap(client, title="Second IO")
        campaign = await create_campaign(client)
        assert campaign["spend_cap_id"] is None

        clock.advance(timedelta(minutes=5))
        joined = clock.now()
        updated = await ok(await patch(client, campaign["id"], spend_cap_id=first["id"]))
        assert updated["spend_cap_id"] == first["id"]
        assert updated["updated_at"] != campaign["updated_at"]
        assert (await count_of(client, first["id"]), await count_of(client, second["id"])) == (1, 0)

        # Other changes leave the cap alone; sending the same cap changes nothing.
        renamed = await ok(await patch(client, campaign["id"], title="Renamed"))
        assert renamed["spend_cap_id"] == first["id"]
        clock.advance(timedelta(minutes=5))
        same = await ok(await patch(client, campaign["id"], spend_cap_id=first["id"]))
        assert same["updated_at"] == renamed["updated_at"]

        clock.advance(timedelta(minutes=5))
        moved_at = clock.now()
        moved = await ok(await patch(client, campaign["id"], spend_cap_id=second["id"]))
        assert moved["spend_cap_id"] == second["id"]
        assert (await count_of(client, first["id"]), await count_of(client, second["id"])) == (0, 1)

        clock.advance(timedelta(minutes=5))
        left_at = clock.now()
        cleared = await ok(await patch(client, campaign["id"], spend_cap_id=None))
        assert cleared["spend_cap_id"] is None
        assert (await read_campaign(client, campaign["id"]))["spend_cap_id"] is None
        assert (await count_of(client, first["id"]), await count_of(client, second["id"])) == (0, 0)

        history = [
            (row.spend_cap_id, row.joined_at, row.left_at)
            for row in await memberships(engine, campaign["id"])
        ]
        assert history == [(first["id"], joined, moved_at), (second["id"], moved_at, left_at)]

    async def test_a_failed_launch_links_nothing(self, client: httpx.AsyncClient) -> None:
        cap = await new_cap(client)
        campaign = await create_campaign(client)
        response = await patch(client, campaign["id"], status="active", spend_cap_id=cap["id"])
        assert_error(response, 400, "campaign_incomplete", "status")
        assert (await read_campaign(client, campaign["id"]))["spend_cap_id"] is None
        assert await count_of(client, cap["id"]) == 0


class TestRefusals:
    async def test_another_companys_cap_is_not_found(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        engine: AsyncEngine,
    ) -> None:
        theirs = await new_cap(other_client)
        response = await client.post("/ad_campaigns", json=abo_campaign(spend_cap_id=theirs["id"]))
        assert_error(response, 404, "resource_not_found", "spend_cap_id")
        assert (await ok(await client.get("/ad_campaigns")))["data"] == []

        mine = await new_cap(client)
        campaign = await create_campaign(client, spend_cap_id=mine["id"])
        for cap_id in (theirs["id"], "sc_AAAAAAAAAAAAAA"):
            response = await patch(client, campaign["id"], title="Changed", spend_cap_id=cap_id)
            assert_error(response, 404, "resource_not_found", "spend_cap_id")
        assert await read_campaign(client, campaign["id"]) == campaign
        assert await count_of(client, mine["id"]) == 1
        assert await count_of(other_client, theirs["id"]) == 0
        assert len(await memberships(engine, campaign["id"])) == 1

    async def test_a_cap_in_another_currency(
        self, client: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        euros = await new_cap(client, currency="EUR")
        response = await client.post("/ad_campaigns", json=abo_campaign(spend_cap_id=euros["id"]))
        error = assert_error(response, 400, "spend_cap_currency_mismatch", "spend_cap_id")
        assert "EUR" in error["message"] and "USD" in error["message"]
        assert (await ok(await client.get("/ad_campaigns")))["data"] == []

        dollars = await new_cap(client)
        campaign = await create_campaign(client, spend_cap_id=dollars["id"])
        response = await patch(client, campaign["id"], title="Changed", spend_cap_id=euros["id"])
        assert_error(response, 400, "spend_cap_currency_mismatch", "spend_cap_id")
        assert await read_campaign(client, campaign["id"]) == campaign
        assert (await count_of(client, dollars["id"]), await count_of(client, euros["id"])) == (
            1,
            0,
        )
        [membership] = await memberships(engine, campaign["id"])
        assert membership.left_at is None

    async def test_a_full_cap(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(spend_caps, "MAX_CAMPAIGNS_PER_SPEND_CAP", 1)
        cap = await new_cap(client)
        first = await create_campaign(client, spend_cap_id=cap["id"])
        response = await client.post("/ad_campaigns", json=abo_campaign(spend_cap_id=cap["id"]))
        assert_error(response, 400, "max_campaigns_count_per_spend_cap_reached", "spend_cap_id")
        other = await create_campaign(client)
        response = await patch(client, other["id"], spend_cap_id=cap["id"])
        assert_error(response, 400, "max_campaigns_count_per_spend_cap_reached", "spend_cap_id")
        # A copy would join the full cap too: refused, nothing copied.
        response = await client.post(f"/ad_campaigns/{first['id']}/duplicate", json={})
        assert_error(response, 400, "max_campaigns_count_per_spend_cap_reached", "spend_cap_id")
        listed = (await ok(await client.get("/ad_campaigns")))["data"]
        assert {item["id"] for item in listed} == {first["id"], other["id"]}
        assert await count_of(client, cap["id"]) == 1

    async def test_concurrent_joins_do_not_pass_the_limit_together(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(spend_caps, "MAX_CAMPAIGNS_PER_SPEND_CAP", 2)
        cap = await new_cap(client)
        campaigns = [await create_campaign(client) for _ in range(5)]
        answers = await asyncio.gather(
            *(patch(client, campaign["id"], spend_cap_id=cap["id"]) for campaign in campaigns)
        )
        assert sorted(answer.status_code for answer in answers) == [200, 200, 400, 400, 400]
        assert await count_of(client, cap["id"]) == 2

    async def test_the_id_is_a_string(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/ad_campaigns", json=abo_campaign(spend_cap_id=12))
        assert_error(response, 400, "parameter_invalid", "spend_cap_id")


class TestEveryVersion:
    @pytest.mark.parametrize("version", VERSIONS)
    async def test_written_in_each_version_and_shown_where_it_exists(
        self,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
        version: str,
    ) -> None:
        cap = await new_cap(client)
        dialect = Dialect(version)
        headers = dialect.headers

        def check(body: Any) -> None:
            model = RESPONSE_SHAPES[version]["ad_campaign"]
            if version == NEWEST:
                model.model_validate(body)
                assert set(body) == set(model.model_fields)
            else:
                model.model_validate(body, strict=True)

        # The seeds' versions print their campaigns without the link: read it in the newest.
        shown = token_order(version) >= token_order("2026-07-08-1")

        async def link(body: dict[str, Any]) -> str | None:
            newest = await ok(await client.get(f"/ad_campaigns/{body['id']}"))
            if shown:
                assert body["spend_cap_id"] == newest["spend_cap_id"]
            else:
                assert "spend_cap_id" not in body
            cap_id: str | None = newest["spend_cap_id"]
            return cap_id

        created = await ok(
            await client.post(
                "/ad_campaigns",
                json={**dialect.campaign(tenant.company_id), "spend_cap_id": cap["id"]},
                headers=headers,
            )
        )
        check(created)
        assert await link(created) == cap["id"]
        without = await ok(
            await client.post(
                "/ad_campaigns", json=dialect.campaign(tenant.company_id), headers=headers
            )
        )
        check(without)
        assert await link(without) is None

        read = await ok(await client.get(f"/ad_campaigns/{created['id']}", headers=headers))
        check(read)
        assert await link(read) == cap["id"]
        listed = await ok(await client.get("/ad_campaigns", headers=headers))
        for item in listed["data"]:
            check(item)
        assert {item["id"]: await link(item) for item in listed["data"]} == {
            created["id"]: cap["id"],
            without["id"]: None,
        }

        copies = await ok(
            await client.post(f"/ad_campaigns/{created['id']}/duplicate", json={}, headers=headers)
        )
        for copy in copies["data"]:
            check(copy)
            assert await link(copy) == cap["id"]

        moved = await ok(
            await client.patch(
                f"/ad_campaigns/{without['id']}",
                json={**dialect.campaign_update("Moved"), "spend_cap_id": cap["id"]},
                headers=headers,
            )
        )
        check(moved)
        assert (moved["title"], await link(moved)) == ("Moved", cap["id"])
        cleared = await ok(
            await client.patch(
                f"/ad_campaigns/{created['id']}", json={"spend_cap_id": None}, headers=headers
            )
        )
        check(cleared)
        assert await link(cleared) is None
        # The copy and the moved campaign remain under the cap.
        assert await count_of(client, cap["id"]) == 2


class TestCampaignCount:
    async def test_deleted_campaigns_do_not_count(self, client: httpx.AsyncClient) -> None:
        cap = await new_cap(client)
        kept = await create_campaign(client, spend_cap_id=cap["id"])
        gone = await create_campaign(client, spend_cap_id=cap["id"])
        await create_campaign(client)
        assert await count_of(client, cap["id"]) == 2
        await ok(await client.delete(f"/ad_campaigns/{gone['id']}"))
        assert await count_of(client, cap["id"]) == 1
        listed = (await ok(await client.get("/spend_caps")))["spend_caps"]
        assert [(item["id"], item["campaign_count"]) for item in listed] == [(cap["id"], 1)]
        assert (await read_campaign(client, kept["id"]))["spend_cap_id"] == cap["id"]


class TestAppliedSpend:
    async def test_only_spend_while_under_the_cap_counts(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        first, second = await new_cap(client), await new_cap(client, title="Second IO")
        tree = await build_tree(client)
        ad_id = tree.ad["id"]
        day = datetime(2026, 3, 2, tzinfo=UTC)

        # Reported before the campaign joins: never the cap's.
        await store(engine, clock, [hour(ad_id, day.replace(hour=8), spend_micros=3 * USD)])
        clock.set(day.replace(hour=10))
        await ok(await patch(client, tree.campaign["id"], spend_cap_id=first["id"]))
        await store(
            engine,
            clock,
            [
                # A late report of an hour that started before joining: still not the cap's.
                hour(ad_id, day.replace(hour=9), spend_micros=5 * USD),
                # The hour that starts at the instant of joining, and the next: the cap's.
                hour(ad_id, day.replace(hour=10), spend_micros=7 * USD),
                hour(ad_id, day.replace(hour=11), spend_micros=11 * USD),
            ],
        )
        clock.set(day.replace(hour=12, minute=30))
        assert await applied(client, first["id"]) == 18 * USD
        assert await applied(client, second["id"]) == 0

        # Moving at 12:30: the 12:00 hour started under the first cap and stays the first's
        # (the second was joined after it started); from 13:00 on, hours are the second's.
        await ok(await patch(client, tree.campaign["id"], spend_cap_id=second["id"]))
        await store(
            engine,
            clock,
            [
                hour(ad_id, day.replace(hour=12), spend_micros=13 * USD),
                hour(ad_id, day.replace(hour=13), spend_micros=17 * USD),
            ],
        )
        clock.set(day.replace(hour=14))
        assert await applied(client, first["id"]) == 18 * USD + 13 * USD
        assert await applied(client, second["id"]) == 17 * USD

        # Leaving: later hours count toward no cap.
        await ok(await patch(client, tree.campaign["id"], spend_cap_id=None))
        await store(engine, clock, [hour(ad_id, day.replace(hour=14), spend_micros=19 * USD)])
        clock.set(day.replace(hour=15))
        assert await applied(client, first["id"]) == 31 * USD
        assert await applied(client, second["id"]) == 17 * USD


class TestDuplicates:
    async def test_a_copy_joins_its_sources_cap(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        cap = await new_cap(client)
        tree = await build_tree(client, spend_cap_id=cap["id"])
        clock.advance(timedelta(hours=1))
        copies = (
            await ok(
                await client.post(
                    f"/ad_campaigns/{tree.campaign['id']}/duplicate", json={"count": 2}
                )
            )
        )["data"]
        assert [copy["spend_cap_id"] for copy in copies] == [cap["id"], cap["id"]]
        for copy in copies:
            finished = await read_campaign(client, copy["id"])
            assert (finished["status"], finished["spend_cap_id"]) == ("draft", cap["id"])
            [membership] = await memberships(engine, copy["id"])
            assert (membership.spend_cap_id, membership.joined_at) == (cap["id"], clock.now())
        assert await count_of(client, cap["id"]) == 3

    async def test_a_copy_of_a_campaign_without_a_cap(
        self, client: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        tree = await build_tree(client)
        [copy] = (
            await ok(await client.post(f"/ad_campaigns/{tree.campaign['id']}/duplicate", json={}))
        )["data"]
        assert copy["spend_cap_id"] is None
        assert await memberships(engine, copy["id"]) == []

    async def test_a_failed_copy_leaves_the_cap(
        self,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        clock: ManualClock,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        cap = await new_cap(client)
        tree = await build_tree(client, spend_cap_id=cap["id"])
        async with create_sessionmaker(engine)() as session, session.begin():
            [copy] = await campaigns.duplicate_campaign(
                session,
                clock,
                principal_of(tenant),
                tree.campaign["id"],
                count=1,
                preserve_engagement=False,
            )
        assert len(await memberships(engine, copy.id)) == 1
        # The source is deleted before the copy is finished: the copy is removed whole.
        await ok(await client.delete(f"/ad_campaigns/{tree.campaign['id']}"))
        async with create_sessionmaker(engine)() as session, session.begin():
            await finish_duplicates(session, clock, [copy.id])
        assert_error(await client.get(f"/ad_campaigns/{copy.id}"), 404, "resource_not_found", "id")
        assert await memberships(engine, copy.id) == []
        assert await count_of(client, cap["id"]) == 0
