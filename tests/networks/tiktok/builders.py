"""Specs and an adapter wired to a `Replay`, shared by the TikTok tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    CreativeSummary,
    GeoSelection,
    InvalidSpec,
    ObjectKind,
    Targeting,
)
from adline.networks.base import (
    AudiencePeople,
    DirectoryKind,
    MediaFile,
    MemoryDirectory,
    NetworkCredentials,
)
from adline.networks.tiktok.adapter import TikTokAdapter
from adline.networks.tiktok.client import TikTokClient

from .replay import ADVERTISER_ID, BASE_URL, TOKEN, Replay

START = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
IDENTITY_ID = "7100000000000000001"
CREDENTIALS = NetworkCredentials("tiktok", ADVERTISER_ID, TOKEN, page_id=IDENTITY_ID)

CAMPAIGN_ID, CAMPAIGN_NETWORK_ID = "adcamp_AAAAAAAAAAAAAA", "1800000000000000001"
GROUP_ID, GROUP_NETWORK_ID = "adgrp_BBBBBBBBBBBBBB", "1810000000000000001"
GROUP2_ID, GROUP2_NETWORK_ID = "adgrp_DDDDDDDDDDDDDD", "1810000000000000002"
AD_ID, AD_NETWORK_ID = "ad_CCCCCCCCCCCCCC", "1820000000000000001"


# Adline files and saved audiences the tests' readers serve (the adapter uploads them).
VIDEO = MediaFile("file_VVVVVVVVVVVVVV", "socks.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42socks")
IMAGE = MediaFile("file_IIIIIIIIIIIIII", "socks.png", "image/png", b"\x89PNG\r\n\x1a\nsocks")
AUDIENCE = AudiencePeople(
    "adaud_PPPPPPPPPPPPPP",
    "Past buyers",
    tuple(sorted(f"{n:064x}" for n in (0xA1, 0xB2, 0xC3))),
)


class Shelf:
    """A `MediaReader` over `files` (by Adline id) that records each read."""

    def __init__(self, *files: MediaFile) -> None:
        self.files = {file.id: file for file in files}
        self.reads: list[str] = []

    async def __call__(self, file_id: str) -> MediaFile:
        self.reads.append(file_id)
        if file_id not in self.files:
            raise InvalidSpec(f"The file {file_id} is not an uploaded file", "creatives")
        return self.files[file_id]


class Audiences:
    """An `AudienceReader` over `audiences` (by Adline id); `add` adds people."""

    def __init__(self, *audiences: AudiencePeople) -> None:
        self.audiences = {audience.id: audience for audience in audiences}

    def add(self, audience_id: str, *hashes: str) -> None:
        audience = self.audiences[audience_id]
        people = tuple(sorted({*audience.hashes, *hashes}))
        self.audiences[audience_id] = dataclasses.replace(audience, hashes=people)

    async def __call__(self, audience_id: str) -> AudiencePeople:
        if audience_id not in self.audiences:
            raise InvalidSpec(f"The audience {audience_id} does not exist", "audiences")
        return self.audiences[audience_id]


def media_ad(*files: MediaFile, **changes: Any) -> AdSpec:
    """`ad()` showing Adline files (uploaded by the adapter through a `Shelf`)."""
    spec = ad(**changes)
    creative = dataclasses.replace(spec.creative, media_ids=tuple(file.id for file in files))
    return dataclasses.replace(spec, creative=creative)


class Sleeps(list[float]):
    """An injected `sleep` that records instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@dataclasses.dataclass
class Wired:
    adapter: TikTokAdapter
    directory: MemoryDirectory
    clock: ManualClock
    sleeps: Sleeps


# A directory entry a test starts with: (kind, Adline id, network id).
Known = tuple[DirectoryKind, str, str]


async def wire(
    replay: Replay,
    *known: Known,
    media: Shelf | None = None,
    audiences: Audiences | None = None,
) -> Wired:
    """An adapter over `replay`, its directory knowing `(kind, local id, network id)`, with
    the readers given."""
    clock, sleeps, directory = ManualClock(START), Sleeps(), MemoryDirectory()
    for kind, local_id, network_id in known:
        await directory.remember(kind, local_id, network_id)
    client = TikTokClient(BASE_URL, TOKEN, transport=replay.transport, sleep=sleeps, clock=clock)
    adapter = TikTokAdapter(
        CREDENTIALS, directory, clock=clock, client=client, media=media, audiences=audiences
    )
    return Wired(adapter, directory, clock, sleeps)


KNOWN_CAMPAIGN: tuple[ObjectKind, str, str] = ("ad_campaign", CAMPAIGN_ID, CAMPAIGN_NETWORK_ID)
KNOWN_GROUP: tuple[ObjectKind, str, str] = ("ad_group", GROUP_ID, GROUP_NETWORK_ID)
KNOWN_GROUP2: tuple[ObjectKind, str, str] = ("ad_group", GROUP2_ID, GROUP2_NETWORK_ID)
KNOWN_AD: tuple[ObjectKind, str, str] = ("ad", AD_ID, AD_NETWORK_ID)


def campaign(**changes: Any) -> CampaignSpec:
    spec = CampaignSpec(
        id=CAMPAIGN_ID,
        account_id=ADVERTISER_ID,
        status="active",
        objective="traffic",
        title="Winter sale",
        budget=Budget("daily", 12_345_000),
    )
    return dataclasses.replace(spec, **changes)


def ad_group(**changes: Any) -> AdGroupSpec:
    spec = AdGroupSpec(
        id=GROUP_ID,
        campaign_id=CAMPAIGN_ID,
        status="active",
        title="Prospecting",
        budget=Budget("daily", 20_000_000),
        bidding=Bidding("maximum_target", 1_505_000),
        optimization_goal="link_clicks",
        starts_at=datetime(2026, 12, 7, tzinfo=UTC),
        targeting=Targeting(
            include=GeoSelection(countries=("US",)),
            minimum_age=18,
            maximum_age=34,
            gender="female",
            languages=("en",),
        ),
    )
    return dataclasses.replace(spec, **changes)


def ad(**changes: Any) -> AdSpec:
    spec = AdSpec(
        id=AD_ID,
        ad_group_id=GROUP_ID,
        status="active",
        title="Video 1",
        creative=CreativeSummary(
            format="video",
            media_ids=("v10033g50000example",),
            primary_text="Warm socks, cold days.",
            call_to_action="shop_now",
            url="https://shop.example.com/socks",
        ),
    )
    return dataclasses.replace(spec, **changes)
