"""Media and saved audiences through `FakeTikTok` end to end: what the adapter uploads is in
the fake's asset library and custom audiences, ads and ad groups name TikTok's ids (the fake
refuses any other), each file and audience is uploaded once, and a lost answer is found
again instead of uploaded twice."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

import httpx
import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import AdGroupSpec, InvalidSpec
from adline.networks.base import MemoryDirectory, NetworkCredentials
from adline.networks.fakes.tiktok import AD, AD_GROUP, FakeTikTok
from adline.networks.tiktok import create_tiktok_adapter
from adline.networks.tiktok.adapter import TikTokAdapter

from .builders import (
    AUDIENCE,
    IMAGE,
    VIDEO,
    Audiences,
    Shelf,
    Sleeps,
    ad,
    ad_group,
    campaign,
    media_ad,
)

BASE_URL = "https://business-api.tiktok.com/open_api/v1.3"
START = datetime(2026, 12, 7, 0, 20, tzinfo=UTC)


@dataclasses.dataclass
class World:
    fake: FakeTikTok
    clock: ManualClock
    audiences: Audiences

    def adapter(
        self, directory: MemoryDirectory | None = None, *, readers: bool = True
    ) -> TikTokAdapter:
        """An adapter (a process) over the fake; `readers` False: none of the company's
        files or audiences can be read."""
        fake = self.fake
        return create_tiktok_adapter(
            NetworkCredentials("tiktok", fake.advertiser_id, fake.access_token, page_id="71001"),
            directory or MemoryDirectory(),
            clock=self.clock,
            base_url=BASE_URL,
            transport=httpx.ASGITransport(app=fake),
            sleep=Sleeps(),
            media=Shelf(VIDEO, IMAGE) if readers else None,
            audiences=self.audiences if readers else None,
        )


def world() -> World:
    clock = ManualClock(START)
    return World(FakeTikTok(clock), clock, Audiences(AUDIENCE))


def calls(w: World, path: str) -> int:
    return [call.path for call in w.fake.calls].count(path)


def with_audience(title: str = "Prospecting") -> AdGroupSpec:
    spec = ad_group(budget=None, bidding=None, title=title)
    targeting = dataclasses.replace(spec.targeting, audiences_include=(AUDIENCE.id,))
    return dataclasses.replace(spec, targeting=targeting)


async def a_group(adapter: TikTokAdapter, spec: AdGroupSpec | None = None) -> None:
    await adapter.upsert_campaign(campaign(), idempotency_key="c1")
    await adapter.upsert_ad_group(spec or ad_group(budget=None, bidding=None), idempotency_key="g1")


class TestMedia:
    async def test_an_ads_files_are_uploaded_once_and_shown_by_their_ids(self) -> None:
        w = world()
        adapter = w.adapter()
        await a_group(adapter)
        await adapter.upsert_ad(media_ad(VIDEO, IMAGE), idempotency_key="a1")
        second = media_ad(VIDEO, IMAGE, id="ad_EEEEEEEEEEEEEE", title="Video 2")
        await adapter.upsert_ad(second, idempotency_key="a2")
        assets = {asset.kind: asset for asset in w.fake.assets.values()}
        assert len(w.fake.assets) == 2
        assert assets["video"].data == VIDEO.data
        assert assets["image"].file_name == f"socks.png [adline:{IMAGE.id}]"
        for shown in w.fake.live(AD):
            assert shown.fields["video_id"] == assets["video"].id
            assert shown.fields["image_ids"] == [assets["image"].id]
            assert shown.fields["ad_format"] == "SINGLE_VIDEO"
        assert calls(w, "file/video/ad/upload/") == calls(w, "file/image/ad/upload/") == 1

    async def test_a_lost_upload_answer_is_found_and_not_uploaded_again(self) -> None:
        w = world()
        adapter = w.adapter()
        await a_group(adapter)
        w.fake.lose_next_upload_answer()
        await adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        assets = {asset.kind: asset for asset in w.fake.assets.values()}
        [shown] = w.fake.live(AD)
        assert shown.fields["video_id"] == assets["video"].id
        assert calls(w, "file/video/ad/upload/") == 1
        # The video shown alone has its own cover frame as its cover image.
        assert shown.fields["image_ids"] == [assets["image"].id]
        assert assets["image"].file_name == f"cover [adline:{VIDEO.id}:cover]"
        assert len(w.fake.assets) == 2

    async def test_a_lost_cover_upload_is_found_and_not_uploaded_again(self) -> None:
        w = world()
        adapter = w.adapter()
        await a_group(adapter)
        await adapter.media.uploaded(VIDEO.id)
        w.fake.lose_next_upload_answer()  # the cover's, uploaded by URL
        await adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        [cover] = [asset for asset in w.fake.assets.values() if asset.kind == "image"]
        [shown] = w.fake.live(AD)
        assert shown.fields["image_ids"] == [cover.id]
        assert calls(w, "file/image/ad/upload/") == 1

    async def test_another_process_finds_the_upload_instead_of_repeating_it(self) -> None:
        w = world()
        await a_group(w.adapter())
        # The first process uploaded the file, then died before recording its id.
        await w.adapter().media.uploaded(VIDEO.id)
        fresh = w.adapter()
        await a_group(fresh)
        await fresh.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        assert calls(w, "file/video/ad/upload/") == 1

    async def test_the_fake_refuses_an_ad_naming_an_id_not_in_its_library(self) -> None:
        w = world()
        adapter = w.adapter(readers=False)
        await a_group(adapter)
        with pytest.raises(InvalidSpec) as refused:
            await adapter.upsert_ad(ad(), idempotency_key="a1")  # an id TikTok never made
        assert "does not exist" in str(refused.value)
        assert w.fake.live(AD) == []

    async def test_the_fake_refuses_an_upload_whose_signature_is_not_the_bytes_md5(
        self,
    ) -> None:
        w = world()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=w.fake)) as client:
            answer = await client.post(
                f"{BASE_URL}/file/image/ad/upload/",
                headers={"Access-Token": w.fake.access_token},
                data={
                    "advertiser_id": w.fake.advertiser_id,
                    "upload_type": "UPLOAD_BY_FILE",
                    "image_signature": hashlib.md5(b"other bytes").hexdigest(),
                },
                files={"image_file": ("a.png", IMAGE.data, "image/png")},
            )
        assert answer.status_code == 200
        assert answer.json()["code"] == 40002
        assert w.fake.assets == {}


class TestAudiences:
    async def test_an_audience_is_uploaded_once_and_its_people_reach_tiktok(self) -> None:
        w = world()
        adapter = w.adapter()
        await a_group(adapter, with_audience())
        [audience] = w.fake.audiences.values()
        assert audience.hashes == set(AUDIENCE.hashes)
        assert audience.name == f"Past buyers [adline:{AUDIENCE.id}]"
        [group] = w.fake.live(AD_GROUP)
        assert group.fields["audience_ids"] == [audience.id]

        w.audiences.add(AUDIENCE.id, f"{0xD4:064x}")
        await adapter.upsert_ad_group(with_audience(title="Renamed"), idempotency_key="g2")
        assert len(audience.hashes) == 4
        assert calls(w, "dmp/custom_audience/create/") == 1
        assert calls(w, "dmp/custom_audience/update/") == 1

    async def test_a_lost_create_answer_is_found_not_made_twice(self) -> None:
        w = world()
        w.fake.lose_next_upload_answer()  # the custom audience create's answer
        await a_group(w.adapter(), with_audience())
        [audience] = w.fake.audiences.values()
        [group] = w.fake.live(AD_GROUP)
        assert group.fields["audience_ids"] == [audience.id]
        assert calls(w, "dmp/custom_audience/create/") == 1
        # What the lost create held is unknown to the adapter: the list was appended once.
        assert calls(w, "dmp/custom_audience/update/") == 1
        assert audience.hashes == set(AUDIENCE.hashes)

    async def test_another_process_finds_the_audience_by_its_reference(self) -> None:
        w = world()
        await a_group(w.adapter(), with_audience())
        await a_group(w.adapter(), with_audience())  # an empty directory: a new process
        assert len(w.fake.audiences) == 1
        assert calls(w, "dmp/custom_audience/create/") == 1

    async def test_the_fake_refuses_a_group_naming_an_audience_it_does_not_have(self) -> None:
        w = world()
        directory = MemoryDirectory()
        await directory.remember("audience", AUDIENCE.id, "1830000000000999999")
        adapter = w.adapter(directory, readers=False)
        with pytest.raises(InvalidSpec) as refused:
            await a_group(adapter, with_audience())
        assert refused.value.param == "audiences"
        assert w.fake.live(AD_GROUP) == []
