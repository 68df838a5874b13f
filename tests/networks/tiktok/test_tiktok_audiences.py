"""Saved audiences uploaded as TikTok custom audiences (audiences.py), against the v1.3
contract fixtures: a file of hashes, the audience made from it and named by TikTok's id in
the ad group, once per audience; people added later appended; a lost create found by its
reference."""

from __future__ import annotations

import dataclasses

import pytest

from adline.delivery.adapter import AdGroupSpec, InvalidSpec, TransientError
from adline.networks.base import AudiencePeople
from adline.networks.tiktok.audiences import audience_name, people_file

from .builders import AUDIENCE, KNOWN_CAMPAIGN, Audiences, Known, ad_group, wire
from .replay import Replay

TIKTOK_AUDIENCE = "1830000000000000001"
CREATE_GROUP = ("adgroup_get_none", "adgroup_create_audiences", "adgroup_status_enable")
CREATE_AUDIENCE = (
    "custom_audience_list_none",
    "custom_audience_file_upload_ok",
    "custom_audience_create_ok",
)
ROWS = f"{TIKTOK_AUDIENCE}:3"


def targeting_audience() -> AdGroupSpec:
    spec = ad_group()
    return dataclasses.replace(
        spec, targeting=dataclasses.replace(spec.targeting, audiences_include=(AUDIENCE.id,))
    )


class TestUpload:
    async def test_an_audience_is_uploaded_once_and_named_by_tiktoks_id(self) -> None:
        names = (*CREATE_AUDIENCE, *CREATE_GROUP)
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, audiences=Audiences(AUDIENCE))
            await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        assert replay.served == list(names)
        assert await wired.directory.network_id("audience", AUDIENCE.id) == TIKTOK_AUDIENCE
        assert await wired.directory.network_id("audience_rows", AUDIENCE.id) == ROWS

    async def test_a_recorded_audience_with_the_same_people_sends_nothing_more(self) -> None:
        known: tuple[Known, ...] = (
            ("audience", AUDIENCE.id, TIKTOK_AUDIENCE),
            ("audience_rows", AUDIENCE.id, ROWS),
        )
        with Replay(*CREATE_GROUP) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, *known, audiences=Audiences(AUDIENCE))
            await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        assert replay.served == list(CREATE_GROUP)

    async def test_people_added_later_are_appended(self) -> None:
        readers = Audiences(AUDIENCE)
        readers.add(AUDIENCE.id, f"{0xD4:064x}")
        known: tuple[Known, ...] = (
            ("audience", AUDIENCE.id, TIKTOK_AUDIENCE),
            ("audience_rows", AUDIENCE.id, ROWS),
        )
        names = ("custom_audience_file_upload_grown", "custom_audience_update_append")
        with Replay(*names, *CREATE_GROUP) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, *known, audiences=readers)
            await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        rows = await wired.directory.network_id("audience_rows", AUDIENCE.id)
        assert rows == f"{TIKTOK_AUDIENCE}:4"

    async def test_a_lost_create_is_found_by_its_reference_and_appended_to(self) -> None:
        # What the lost create held is unknown: the list is appended once more.
        names = (
            "custom_audience_list_none",
            "custom_audience_file_upload_ok",
            "custom_audience_create_lost_504",
            "custom_audience_list_found",
            "custom_audience_file_upload_ok",
            "custom_audience_update_append_found",
        )
        with Replay(*names, *CREATE_GROUP) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, audiences=Audiences(AUDIENCE))
            await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        assert replay.served[: len(names)] == list(names)
        assert await wired.directory.network_id("audience", AUDIENCE.id) == TIKTOK_AUDIENCE
        assert await wired.directory.network_id("audience_rows", AUDIENCE.id) == ROWS

    async def test_a_lost_create_not_found_fails_the_write(self) -> None:
        names = (
            *CREATE_AUDIENCE[:2],
            "custom_audience_create_lost_504",
            "custom_audience_list_none",
        )
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, audiences=Audiences(AUDIENCE))
            with pytest.raises(TransientError):
                await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        assert await wired.directory.network_id("audience", AUDIENCE.id) is None

    async def test_an_empty_audience_is_refused_naming_audiences(self) -> None:
        empty = AudiencePeople(AUDIENCE.id, AUDIENCE.name, ())
        with Replay("custom_audience_list_none") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, audiences=Audiences(empty))
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        assert refused.value.param == "audiences"

    async def test_without_a_reader_an_unrecorded_audience_is_refused_not_sent(self) -> None:
        with Replay() as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_ad_group(targeting_audience(), idempotency_key="g1")
        assert refused.value.param == "audiences"

    async def test_a_location_exclusion_is_refused_before_anything_is_uploaded(self) -> None:
        spec = targeting_audience()
        excluded = dataclasses.replace(
            spec.targeting,
            exclude=dataclasses.replace(spec.targeting.exclude, countries=("CA",)),
        )
        with Replay() as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, audiences=Audiences(AUDIENCE))
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_ad_group(
                    dataclasses.replace(spec, targeting=excluded), idempotency_key="g1"
                )
        assert refused.value.param == "regions"


class TestFormat:
    def test_the_file_is_one_hash_a_line(self) -> None:
        assert people_file(AUDIENCE).decode().splitlines() == list(AUDIENCE.hashes)

    def test_the_name_keeps_its_reference_within_128_characters(self) -> None:
        name = audience_name("n" * 200, AUDIENCE.id)
        assert len(name) == 128
        assert name.endswith(f" [adline:{AUDIENCE.id}]")
