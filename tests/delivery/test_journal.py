"""A simulated network is a function of its seed, its birth and the writes it accepted:
replaying its journal (through the store's JSON) rebuilds it exactly, every report, bill
and frequency window, however the writes and the hours were interleaved."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adline.delivery.adapter import (
    AdGroupSpec,
    Budget,
    CreativeSummary,
    CustomLocation,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    ObjectRef,
    PlacementSelection,
    ScheduleWindow,
    SpendAllowance,
    SpendingLimit,
    Targeting,
)
from adline.delivery.journal import decode_payload, encode_payload
from adline.delivery.simulator import JournalEntry, SimulatedNetwork
from tests.delivery.builders import DOLLAR, START, clock_of, launch, network, published_rows, run

BERLIN = ZoneInfo("Europe/Berlin")


async def _story(sim: SimulatedNetwork) -> None:
    """Writes of every kind between hours of delivery, some in the middle of an hour."""
    clock = clock_of(sim)
    cbo, _, cbo_ads = await launch(sim, "c1", ads=3)
    _, abo_group, _ = await launch(
        sim,
        "c2",
        cbo=False,
        budget=Budget("daily", 80 * DOLLAR),
        campaign={"time_zone": "Europe/Berlin"},
        group={
            "frequency_cap": FrequencyCap(3, per_days=1),
            "schedule": DeliverySchedule(
                tuple(ScheduleWindow(day, 6, 23) for day in ("monday", "tuesday", "wednesday"))
            ),
            "targeting": Targeting(
                include=GeoSelection(
                    countries=("DE",),
                    custom_locations=(CustomLocation(52.52, 13.405, 12.5, "kilometer"),),
                ),
                placements=(PlacementSelection("instagram", ("feed", "story")),),
            ),
        },
    )
    run(sim, 5.5)
    # An allowance counted from a local midnight (a ZoneInfo datetime), set mid-hour.
    await sim.set_spend_allowances(
        [
            SpendAllowance(
                ObjectRef("ad_group", abo_group.id),
                30 * DOLLAR,
                counted_from=datetime(2026, 3, 2, tzinfo=BERLIN),
            )
        ],
        idempotency_key="allowances-1",
    )
    await sim.set_spending_limits(
        [SpendingLimit("c1", 20 * DOLLAR, counted_from=START)], idempotency_key="limits-1"
    )
    run(sim, 7.25)
    await sim.upsert_ad(
        dataclasses.replace(cbo_ads[0], creative=CreativeSummary("video", ("file_x",))),
        idempotency_key="c1_a0:creative",
    )
    await sim.upsert_campaign(
        dataclasses.replace(cbo, budget=Budget("daily", 120 * DOLLAR)), idempotency_key="c1:raise"
    )
    run(sim, 3)
    await sim.delete_object(ObjectRef("ad", cbo_ads[2].id), idempotency_key="c1_a2:delete")
    await sim.set_spending_limits(
        [SpendingLimit("c1", 45 * DOLLAR, counted_from=START)], idempotency_key="limits-2"
    )
    run(sim, 30)
    clock.advance(timedelta(hours=100))  # publish every correction


async def _snapshot(sim: SimulatedNetwork) -> dict[str, object]:
    return {
        "rows": await published_rows(sim),
        "reviews": await sim.pull_review_outcomes(),
        "billed": {campaign: sim.billed_by_hour(campaign) for campaign in ("c1", "c2")},
        "owners": {owner: sim.billed_spend_micros(owner) for owner in ("c1", "c2_g")},
        "windows": sim.frequency_windows("c2_g"),
        "until": sim.simulated_until,
    }


async def test_replaying_the_journal_rebuilds_the_network_exactly() -> None:
    original = network(9, correction_rate=0.3)
    original.journal = []
    await _story(original)
    assert {entry.operation for entry in original.journal} == {
        "upsert_campaign",
        "upsert_ad_group",
        "upsert_ad",
        "delete_object",
        "set_spend_allowances",
        "set_spending_limits",
    }
    expected = await _snapshot(original)
    assert any(row.revision > 1 for row in expected["rows"])  # type: ignore[attr-defined]

    # Another process: a network born at the same hour, fed the journal through JSON.
    rebuilt = network(9, correction_rate=0.3)
    rebuilt.rebuild(START)
    for entry in original.journal:
        stored = JournalEntry(
            entry.operation,
            entry.idempotency_key,
            decode_payload(encode_payload(entry.payload)),
            entry.called_at,
        )
        assert repr(stored.payload) == repr(entry.payload)
        assert rebuilt.replay(stored)
    clock_of(rebuilt).set(clock_of(original).now())
    rebuilt.advance_to(original.simulated_until)
    assert await _snapshot(rebuilt) == expected
    # The rebuilt network knows every idempotency key, with the payload as first sent.
    repeat = original.journal[-1]
    assert isinstance(repeat.payload, tuple)
    again = await rebuilt.set_spending_limits(
        repeat.payload, idempotency_key=repeat.idempotency_key
    )
    assert again[0].effective_at == repeat.called_at + rebuilt.propagation_delay
    assert await _snapshot(rebuilt) == expected


async def test_a_write_that_would_change_simulated_hours_is_not_replayed() -> None:
    sim = network(3)
    sim.journal = []
    await launch(sim, "c1")
    run(sim, 5)
    late = JournalEntry(
        "set_spending_limits",
        "late",
        (SpendingLimit("c1", 0, counted_from=START),),
        START + timedelta(hours=2),
    )
    assert not sim.replay(late)
    assert sim.simulated_until == START + timedelta(hours=5)
    # Rebuilt from its birth, the same write is in time (it then takes effect at 02:00:30).
    assert sim.journal is not None
    entries = [*sim.journal, late]
    sim.rebuild(START)
    assert all(sim.replay(entry) for entry in entries)


def test_payloads_keep_their_exact_values_and_types() -> None:
    group = AdGroupSpec(
        id="g",
        campaign_id="c",
        status="active",
        budget=Budget("lifetime", 5),
        frequency_cap=FrequencyCap(2),
        starts_at=datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1),
        ends_at=datetime(2026, 11, 1, tzinfo=UTC),
        targeting=Targeting(
            include=GeoSelection(custom_locations=(CustomLocation(0.1 + 0.2, -1e-7, 3.0),)),
            minimum_age=21,
            automatic=True,
        ),
    )
    for payload in (group, (SpendAllowance(ObjectRef("ad_group", "g"), None),), ()):
        decoded = decode_payload(encode_payload(payload))
        assert decoded == payload and repr(decoded) == repr(payload)


def test_only_the_adapter_payload_classes_are_journaled() -> None:
    with pytest.raises(TypeError):
        encode_payload({"a": 1})
    with pytest.raises(TypeError):
        encode_payload(datetime(2026, 1, 1))  # naive
    with pytest.raises(KeyError):
        decode_payload('{"$": "SimulatedNetwork"}')
