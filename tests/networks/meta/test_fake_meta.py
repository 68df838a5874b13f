"""The Meta adapter end to end against `FakeMeta`: a stateful Graph fake, reached through
`httpx.ASGITransport`, whose delivery is the simulated network's. A whole campaign's life,
the spending limit holding, and each failure switch (slow consistency, throttles, an
expired token, revised insights, a lost create answer)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    Budget,
    ConnectionBroken,
    GeoSelection,
    InvalidSpec,
    LimitBound,
    ObjectRef,
    RateLimited,
    ReportedHour,
    SpendingLimit,
    Targeting,
    TargetingSearch,
    TransientError,
)
from adline.networks.base import MemoryDirectory, NetworkCredentials, reference
from adline.networks.fakes import FakeMeta
from adline.networks.meta.adapter import MetaAdapter, create_meta_adapter
from adline.networks.meta.client import GraphError, ReportPolling, RetryPolicy

from .specs import AD, AD_GROUP, CAMPAIGN, DOLLAR, ad, ad_group, campaign

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, on the hour
TOKEN = "EAAfakeConnection0001"
PAGE_ID = "987654321"
PIXEL_ID = "555000111"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Connect = Callable[..., MetaAdapter]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def fake(clock: ManualClock) -> FakeMeta:
    return FakeMeta(
        clock,
        seed=7,
        access_token=TOKEN,
        timezone_name="America/New_York",
        pixels={PIXEL_ID: "Shop pixel"},
    )


@pytest.fixture
async def connect(clock: ManualClock) -> AsyncIterator[Connect]:
    """Adapters on a fake, as `create_meta_adapter` builds them; retries and report polls
    go at once (the policies are the client's public settings)."""
    opened: list[MetaAdapter] = []

    def make(fake: FakeMeta, directory: MemoryDirectory | None = None) -> MetaAdapter:
        adapter = create_meta_adapter(
            NetworkCredentials("meta", "act_1234", TOKEN, page_id=PAGE_ID),
            directory or MemoryDirectory(),
            clock=clock,
            transport=httpx.ASGITransport(app=fake),
        )
        adapter.client.retry = RetryPolicy(first_delay=0.0, max_delay=0.0)
        adapter.client.polling = ReportPolling(interval=0.0)
        opened.append(adapter)
        return adapter

    yield make
    for adapter in opened:
        await adapter.client.aclose()


@pytest.fixture
def adapter(connect: Connect, fake: FakeMeta) -> MetaAdapter:
    return connect(fake)


async def launch(adapter: MetaAdapter, status: str = "active") -> tuple[str, str, str]:
    """Campaign, ad set and ad (starting now), their Meta ids."""
    made = await adapter.upsert_campaign(campaign(status=status), idempotency_key="c1")
    group = await adapter.upsert_ad_group(
        ad_group(status=status, starts_at=None), idempotency_key="g1"
    )
    made_ad = await adapter.upsert_ad(ad(status=status), idempotency_key="a1")
    assert made.network_id and group.network_id and made_ad.network_id
    return made.network_id, group.network_id, made_ad.network_id


def cents(micros: int) -> int:
    """Micros rounded to the cent as Meta reports spend, back in micros."""
    rounded = (Decimal(micros) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(rounded) * 10_000


def assert_matches(reported: list[ReportedHour], published: list[ReportedHour]) -> None:
    """Every hour the adapter reports is the fake's published hour, spend to the cent."""
    by_hour = {(hour.ad_id, hour.hour_start): hour for hour in published}
    assert len(reported) == len(published) > 0
    for hour in reported:
        truth = by_hour[(hour.ad_id, hour.hour_start)]
        assert hour.impressions == truth.impressions
        assert hour.clicks == truth.clicks
        assert hour.link_clicks == truth.link_clicks
        assert hour.spend_micros == cents(truth.spend_micros)
        assert hour.event_counts == {k: v for k, v in truth.event_counts.items() if v}


def as_adline(hours: list[ReportedHour], ad_ids: dict[str, str]) -> list[ReportedHour]:
    """The fake's hours under Adline's ad ids."""
    return [dataclasses.replace(hour, ad_id=ad_ids[hour.ad_id]) for hour in hours]


class TestLifecycle:
    async def test_a_campaign_from_launch_to_delete(
        self, adapter: MetaAdapter, fake: FakeMeta, clock: ManualClock
    ) -> None:
        # Created PAUSED, then enabled by a second write.
        meta_campaign, meta_ad_set, meta_ad = await launch(adapter)
        creates = [c for c in fake.calls if c.method == "POST" and c.path == "act_1234/campaigns"]
        assert [call.params["status"] for call in creates] == ["PAUSED"]
        enable = [call for call in fake.calls if call.path == meta_campaign]
        assert [call.params for call in enable] == [{"status": "ACTIVE"}]
        for object_id, kind in ((meta_campaign, "campaign"), (meta_ad_set, "adset")):
            obj = fake.objects[object_id]
            assert (obj.kind, obj.status) == (kind, "ACTIVE")
        assert fake.objects[meta_ad].status == "ACTIVE"
        assert fake.objects[meta_campaign].name.endswith(reference(CAMPAIGN))
        assert fake.objects[meta_campaign].fields["daily_budget"] == "5000"

        # The budget changes; a pause and a resume reach every level's effective status.
        raised = campaign(network_id=meta_campaign, budget=Budget("daily", 80 * DOLLAR))
        await adapter.upsert_campaign(raised, idempotency_key="c2")
        assert fake.objects[meta_campaign].fields["daily_budget"] == "8000"
        await adapter.upsert_campaign(
            dataclasses.replace(raised, status="paused"), idempotency_key="c3"
        )
        ad_status = await adapter.client.get(meta_ad, {"fields": "effective_status"})
        assert ad_status == {"id": meta_ad, "effective_status": "CAMPAIGN_PAUSED"}
        await adapter.upsert_campaign(raised, idempotency_key="c4")
        assert fake.objects[meta_campaign].status == "ACTIVE"

        # Three simulated days: the adapter's hours are the fake's, to the cent.
        clock.advance(3 * DAY)
        fake.advance()
        reported = await adapter.pull_stats(START, clock.now())  # > 2 days: a report run
        assert any(
            call.path == "act_1234/insights" and call.method == "POST" for call in fake.calls
        )
        published = await fake.published_hours()
        assert_matches(reported, as_adline(published, {meta_ad: AD}))
        total = sum(hour.spend_micros for hour in reported)
        assert total > 0
        assert abs(total - sum(h.spend_micros for h in published)) <= 5_000 * len(published)

        # A day's window is read synchronously, and answers the same hours.
        day_two = await adapter.pull_stats(START + DAY, START + 2 * DAY)
        assert day_two == [
            hour for hour in reported if START + DAY <= hour.hour_start < START + 2 * DAY
        ]

        # The ad passed review: its verdict is read from its effective status.
        outcomes = await adapter.pull_review_outcomes()
        assert [(o.ad_id, o.network_id, o.status) for o in outcomes] == [(AD, meta_ad, "approved")]

        # Delete: the campaign and everything beneath it.
        ref = ObjectRef("ad_campaign", CAMPAIGN, meta_campaign)
        result = await adapter.delete_object(ref, idempotency_key="d1")
        assert result.state == "pending"
        assert {fake.objects[i].status for i in (meta_campaign, meta_ad_set, meta_ad)} == {
            "DELETED"
        }
        assert fake.live("campaign") == []
        assert await adapter.find_by_reference("ad_campaign", CAMPAIGN, "act_1234") is None
        # A repeated delete (after a crash) finds it gone and answers applied.
        again = await adapter.delete_object(ref, idempotency_key="d2")
        assert again.state == "applied"

    async def test_a_spending_limit_holds(self, connect: Connect, clock: ManualClock) -> None:
        # Spend written exactly: the cap's base is the billed spend, unreported spend aside
        # (the rounding case is TestRounding's).
        fake = FakeMeta(clock, seed=7, access_token=TOKEN, spend_decimals=6)
        adapter = connect(fake)
        meta_campaign, _, _ = await launch(adapter)
        clock.advance(DAY + 6 * HOUR)
        fake.advance()
        counted_from = clock.now() - 6 * HOUR
        assert fake.billed_since(meta_campaign, counted_from) > 0  # spend before the limit

        limit = 20 * DOLLAR
        [result] = await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, limit, counted_from)], idempotency_key="l1"
        )
        assert result.state == "pending"
        cap = int(fake.objects[meta_campaign].fields["spend_cap"])
        assert cap * 10_000 >= limit  # lifetime: what was spent before, plus the limit

        clock.advance(3 * DAY)
        fake.advance()
        spent = fake.billed_since(meta_campaign, counted_from)
        overspend = max(0, spent - limit)
        assert overspend == 0
        assert spent > limit * 0.8  # the limit stopped it, not the budget ($50 a day)
        # The reports agree: nothing after the cap was billed.
        published = await fake.published_hours(since=clock.now() - DAY)
        assert published == []

        # Removing the limit lets it spend again.
        await adapter.set_spending_limits([SpendingLimit(CAMPAIGN, None)], idempotency_key="l2")
        assert "spend_cap" in fake.objects[meta_campaign].fields
        clock.advance(DAY)
        fake.advance()
        assert fake.billed_since(meta_campaign, clock.now() - DAY) > 0

    @pytest.mark.parametrize("binding", ["earlier", "later"])
    async def test_of_two_bounds_the_tighter_holds_each_counted_from_its_own_start(
        self, connect: Connect, clock: ManualClock, binding: str
    ) -> None:
        """A capped campaign on limited funds: the funds counted from its creation, the cap
        from its period's start. Whichever leaves less holds, with the spend between the
        two starts counted by Meta itself, reported or not."""
        fake = FakeMeta(clock, seed=7, access_token=TOKEN, spend_decimals=6)
        adapter = connect(fake)
        meta_campaign, _, _ = await launch(adapter)
        created = clock.now()
        clock.advance(DAY + 6 * HOUR)
        fake.advance()
        earlier_spend = fake.billed_since(meta_campaign, created)
        assert earlier_spend > 5 * DOLLAR
        cap_from = clock.now() - 2 * HOUR
        tight, loose = 5 * DOLLAR, 500 * DOLLAR
        funds = earlier_spend + (tight if binding == "earlier" else loose)
        cap = loose if binding == "earlier" else tight
        await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, cap, cap_from, also=(LimitBound(funds, created),))],
            idempotency_key="l1",
        )
        clock.advance(3 * DAY)
        fake.advance()
        since_creation = fake.billed_since(meta_campaign, created)
        since_cap = fake.billed_since(meta_campaign, cap_from)
        assert since_creation <= funds and since_cap <= cap
        if binding == "earlier":
            assert since_creation > funds - DOLLAR  # the funds stopped it
        else:
            assert since_cap > cap - DOLLAR  # the cap stopped it


class TestRounding:
    async def test_a_limit_counted_from_the_past_holds_with_rounded_spend(
        self, adapter: MetaAdapter, fake: FakeMeta, clock: ManualClock
    ) -> None:
        meta_campaign, _, _ = await launch(adapter)
        clock.advance(DAY + 6 * HOUR)
        fake.advance()
        counted_from = clock.now() - 6 * HOUR
        limit = 20 * DOLLAR
        await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, limit, counted_from)], idempotency_key="l1"
        )
        clock.advance(3 * DAY)
        fake.advance()
        assert fake.billed_since(meta_campaign, counted_from) <= limit


class TestSwitches:
    async def test_slow_consistency_is_retried(self, connect: Connect, clock: ManualClock) -> None:
        fake = FakeMeta(clock, access_token=TOKEN, consistency_lag=2)
        adapter = connect(fake)
        result = await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        assert result.network_id is not None
        enables = [call for call in fake.calls if call.path == result.network_id]
        assert len(enables) == 3  # two 100/33 answers, then the write
        assert fake.objects[result.network_id].status == "ACTIVE"

    async def test_a_read_too_soon_is_not_found(self, connect: Connect, clock: ManualClock) -> None:
        fake = FakeMeta(clock, access_token=TOKEN, consistency_lag=1)
        adapter = connect(fake)
        result = await adapter.upsert_campaign(campaign(status="paused"), idempotency_key="c1")
        assert result.network_id is not None
        with pytest.raises(Exception) as caught:
            await adapter.client.get(result.network_id, {"fields": "name"})
        cause = caught.value.__cause__
        assert isinstance(cause, GraphError) and (cause.code, cause.subcode) == (100, 33)
        read = await adapter.client.get(result.network_id, {"fields": "name"})
        assert read["name"].endswith(reference(CAMPAIGN))

    @pytest.mark.parametrize("code", [17, 613, 80004])
    async def test_a_throttle_is_rate_limited(
        self, connect: Connect, fake: FakeMeta, code: int
    ) -> None:
        adapter = connect(fake)
        fake.throttle(code, calls=1, regain_minutes=5)
        with pytest.raises(RateLimited) as caught:
            await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        assert caught.value.retry_after == timedelta(minutes=5)
        cause = caught.value.__cause__
        assert isinstance(cause, GraphError) and cause.code == code
        # The client rests the bucket: the next call is not even sent.
        sent = len(fake.calls)
        with pytest.raises(RateLimited):
            await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        assert len(fake.calls) == sent
        # Once the cooldown is over (a new client), the call goes through.
        result = await connect(fake).upsert_campaign(campaign(), idempotency_key="c1")
        assert result.network_id in fake.objects

    async def test_an_expired_token_breaks_the_connection(
        self, adapter: MetaAdapter, fake: FakeMeta, clock: ManualClock
    ) -> None:
        await launch(adapter)
        fake.expire_token()
        with pytest.raises(ConnectionBroken) as caught:
            await adapter.upsert_campaign(campaign(), idempotency_key="c2")
        cause = caught.value.__cause__
        assert isinstance(cause, GraphError) and (cause.code, cause.subcode) == (190, 463)
        with pytest.raises(ConnectionBroken):
            await adapter.pull_stats(START, clock.now())
        with pytest.raises(ConnectionBroken):
            await adapter.pull_review_outcomes()

    async def test_a_reread_past_day_is_revised(self, connect: Connect, clock: ManualClock) -> None:
        fake = FakeMeta(clock, seed=3, access_token=TOKEN, correction_rate=1.0)
        adapter = connect(fake)
        await launch(adapter)
        clock.advance(DAY + HOUR)
        first = await adapter.pull_stats(START, START + DAY)
        assert first
        clock.advance(2 * DAY)  # every correction is out within 36 h
        second = await adapter.pull_stats(START, START + DAY)
        assert [(h.ad_id, h.hour_start) for h in second] == [(h.ad_id, h.hour_start) for h in first]
        assert all(
            later.revision > earlier.revision for earlier, later in zip(first, second, strict=True)
        )
        changed = [
            (earlier, later)
            for earlier, later in zip(first, second, strict=True)
            if (earlier.impressions, earlier.spend_micros, earlier.event_counts)
            != (later.impressions, later.spend_micros, later.event_counts)
        ]
        assert changed
        # Corrections refund invalid traffic: a revised hour never bills more.
        assert all(later.spend_micros <= earlier.spend_micros for earlier, later in changed)
        # And the re-read is the fake's latest revision of each hour.
        published = await fake.published_hours(START, START + DAY)
        meta_ad = fake.live("ad")[0].id
        assert_matches(second, as_adline(published, {meta_ad: AD}))


class TestCrashSafety:
    async def test_a_lost_create_answer_is_found_not_repeated(
        self, adapter: MetaAdapter, fake: FakeMeta
    ) -> None:
        fake.lose_answer("POST", "campaigns")
        result = await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        assert [o.id for o in fake.named(reference(CAMPAIGN))] == [result.network_id]
        creates = [c for c in fake.calls if c.method == "POST" and c.path == "act_1234/campaigns"]
        assert len(creates) == 1

    async def test_a_retried_upsert_after_a_lost_answer_updates(
        self, connect: Connect, fake: FakeMeta
    ) -> None:
        adapter = connect(fake)
        adapter.client.retry = RetryPolicy(max_attempts=1)
        fake.lose_answer("POST", "campaigns")
        with pytest.raises(TransientError):
            await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        [made] = fake.named(reference(CAMPAIGN))
        assert made.status == "PAUSED"  # created, never enabled: the answer was lost

        # The retry (here after a restart: a new adapter, an empty directory) finds it.
        directory = MemoryDirectory()
        retried = await connect(fake, directory).upsert_campaign(campaign(), idempotency_key="c1")
        assert retried.network_id == made.id
        assert await directory.network_id("ad_campaign", CAMPAIGN) == made.id
        assert [o.id for o in fake.named(reference(CAMPAIGN))] == [made.id]
        assert made.status == "ACTIVE"  # the retry updated it to the spec

        # The same holds one level down.
        fake.lose_answer("POST", "adsets")
        group = await connect(fake, directory).upsert_ad_group(ad_group(), idempotency_key="g1")
        assert [o.id for o in fake.named(reference(AD_GROUP))] == [group.network_id]


class TestReads:
    async def test_pixel_tokens(self, adapter: MetaAdapter) -> None:
        accepted = await adapter.check_pixel_token(PIXEL_ID, "EAAanotherToken123")
        assert (accepted.accepted, accepted.name) == (True, "Shop pixel")
        revoked = await adapter.check_pixel_token(PIXEL_ID, "EAAinvalidToken123")
        assert not revoked.accepted and "invalidated" in (revoked.error_message or "")
        unknown = await adapter.check_pixel_token("404404", TOKEN)
        assert not unknown.accepted

    async def test_reach_and_targeting_search(self, adapter: MetaAdapter, fake: FakeMeta) -> None:
        targeting = Targeting(include=GeoSelection(countries=("US",)), minimum_age=18)
        lower, upper = await adapter.estimate_reach(targeting)
        assert lower is not None and upper is not None and 0 < lower < upper
        assert (lower, upper) == await fake.network.estimate_reach(
            dataclasses.replace(targeting, maximum_age=None)
        )
        found = await adapter.search_targeting_options(
            TargetingSearch(("interests", "locations"), "yoga", limit=3)
        )
        expected = await fake.network.search_targeting_options(
            TargetingSearch(("interests",), "yoga", limit=3)
        )
        assert [o.name for o in found][: len(expected)] == [o.name for o in expected]


class TestGraphShapes:
    async def test_lists_page_by_cursor_and_filter_by_name(
        self, adapter: MetaAdapter, fake: FakeMeta
    ) -> None:
        first = await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        second = await adapter.upsert_campaign(campaign(id="adcamp_other"), idempotency_key="c2")
        pages_before = len(fake.calls)
        rows = [
            row
            async for row in adapter.client.paginate(
                "act_1234/campaigns", {"fields": "id,name,daily_budget", "limit": 1}
            )
        ]
        assert [row["id"] for row in rows] == [first.network_id, second.network_id]
        assert rows[0]["daily_budget"] == "5000"  # budgets read back as strings
        assert len(fake.calls) - pages_before == 2
        found = await adapter.find_by_reference("ad_campaign", "adcamp_other", "act_1234")
        assert found == second.network_id

    async def test_a_refused_parameter_is_blamed(self, adapter: MetaAdapter) -> None:
        made = await adapter.upsert_campaign(campaign(), idempotency_key="c1")
        assert made.network_id is not None
        with pytest.raises(InvalidSpec) as caught:
            await adapter.client.post(made.network_id, {"daily_budget": "12.50"})
        assert caught.value.param == "budget_amount"
        with pytest.raises(InvalidSpec):
            await adapter.client.post(made.network_id, {"objective": "OUTCOME_TRAFFIC"})
