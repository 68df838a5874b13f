"""An ad's media uploaded to the ad account before its creative (docs/networks-meta.md#media):
images to `adimages`, videos to `advideos` and waited for, each file once per account
(the directory's `image` and `video` kinds), against the contract fixtures and the fake."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    AdSpec,
    CreativeSummary,
    InvalidSpec,
    RateLimited,
    TransientError,
)
from adline.networks.base import MediaFile, MemoryDirectory, NetworkCredentials
from adline.networks.fakes.meta import FakeMeta
from adline.networks.meta.adapter import MetaAdapter, create_meta_adapter
from adline.networks.meta.client import VideoPolling
from adline.networks.meta.mapping import MetaMedia, creative_payload

from .conftest import NOW, PAGE_ID
from .contracts import Replay
from .specs import AD_GROUP, META_AD, META_AD_SET, ad, ad_group, campaign

Contract = Callable[..., Replay]

IMAGE_FILE, VIDEO_FILE = "file_springImage0001", "file_springVideo0001"
IMAGE = MediaFile(IMAGE_FILE, "spring.png", "image/png", b"\x89PNG\r\n\x1a\nAdline spring image")
VIDEO = MediaFile(
    VIDEO_FILE, "spring.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42Adline spring video"
)
HASH, VIDEO_ID = "8a6f0d2c1b7e4e39a0c5d4f1e2b3c4d5", "120200000000050"
SECOND_AD = "ad_z9y8x7w6v5u4t3"


class Files:
    """A `MediaReader` over a few files, counting reads."""

    def __init__(self, *files: MediaFile) -> None:
        self.files = {file.id: file for file in files}
        self.reads: list[str] = []

    async def __call__(self, file_id: str) -> MediaFile:
        self.reads.append(file_id)
        if file_id not in self.files:
            raise InvalidSpec(f"The file {file_id} is not an uploaded file", "creatives")
        return self.files[file_id]


@pytest.fixture
def files() -> Files:
    return Files(IMAGE, VIDEO)


@pytest.fixture
def uploading(adapter: MetaAdapter, files: Files) -> MetaAdapter:
    adapter.media = files
    return adapter


def image_ad(ad_id: str | None = None) -> AdSpec:
    creative = dataclasses.replace(ad().creative, media_ids=(IMAGE_FILE,))
    spec = ad(creative=creative)
    return spec if ad_id is None else dataclasses.replace(spec, id=ad_id)


class TestImages:
    async def test_the_creative_shows_the_uploaded_hash(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_group", AD_GROUP, META_AD_SET)
        contract("ad_create_uploaded_image")
        result = await uploading.upsert_ad(image_ad(), idempotency_key="k1")
        assert result.network_id == META_AD
        assert await directory.network_id("image", IMAGE_FILE) == HASH

    async def test_a_second_ad_with_the_same_file_uploads_nothing(
        self,
        contract: Contract,
        uploading: MetaAdapter,
        directory: MemoryDirectory,
        files: Files,
    ) -> None:
        await directory.remember("ad_group", AD_GROUP, META_AD_SET)
        contract("ad_create_uploaded_image", "ad_create_same_image")
        await uploading.upsert_ad(image_ad(), idempotency_key="k1")
        second = await uploading.upsert_ad(image_ad(SECOND_AD), idempotency_key="k2")
        assert second.network_id == "120200000000013"
        assert files.reads == [IMAGE_FILE]

    async def test_a_recorded_hash_is_used_without_reading_the_file(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory, files: Files
    ) -> None:
        await directory.remember("image", IMAGE_FILE, HASH)
        assert await uploading.uploaded(IMAGE_FILE) == MetaMedia("image", HASH)
        assert files.reads == []

    async def test_a_transient_error_is_retried(
        self, contract: Contract, uploading: MetaAdapter, sleeps: list[float]
    ) -> None:
        contract("image_upload_transient")
        assert await uploading.uploaded(IMAGE_FILE) == MetaMedia("image", HASH)
        assert sleeps == [1.0]

    async def test_a_throttle_raises_rate_limited_and_records_nothing(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("image_upload_rate_limited")
        with pytest.raises(RateLimited) as raised:
            await uploading.uploaded(IMAGE_FILE)
        assert raised.value.retry_after >= timedelta(minutes=5)
        assert await directory.network_id("image", IMAGE_FILE) is None

    async def test_same_bytes_under_another_file_keep_the_first_files_record(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory, files: Files
    ) -> None:
        contract("image_upload")
        await directory.remember("image", "file_sameBytesEarlier1", HASH)
        assert await uploading.uploaded(IMAGE_FILE) == MetaMedia("image", HASH)
        assert await directory.local_id("image", HASH) == "file_sameBytesEarlier1"


class TestVideos:
    async def test_uploaded_then_waited_for_until_ready(
        self,
        contract: Contract,
        uploading: MetaAdapter,
        directory: MemoryDirectory,
        sleeps: list[float],
    ) -> None:
        contract("video_upload_ready")
        assert await uploading.uploaded(VIDEO_FILE) == MetaMedia("video", VIDEO_ID)
        assert await directory.network_id("video", VIDEO_FILE) == VIDEO_ID
        assert sleeps == [uploading.client.video_polling.interval]

    async def test_a_processing_error_refuses_the_file(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("video_upload_error")
        with pytest.raises(InvalidSpec, match="format that we don't support") as raised:
            await uploading.uploaded(VIDEO_FILE)
        assert raised.value.param == "creatives"
        # Recorded all the same: the same file is not uploaded again to fail again.
        assert await directory.network_id("video", VIDEO_FILE) == VIDEO_ID

    async def test_a_video_uploaded_before_a_crash_is_found_not_uploaded_again(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("video_found_after_crash")
        assert await uploading.uploaded(VIDEO_FILE) == MetaMedia("video", VIDEO_ID)
        assert await directory.network_id("video", VIDEO_FILE) == VIDEO_ID

    def test_the_creative_shows_a_video_file_as_video_data(self) -> None:
        creative = CreativeSummary(
            "image", (VIDEO_FILE,), "Watch", "Spring", None, "shop_now", "https://x.example"
        )
        spec = dataclasses.replace(ad(), creative=creative)
        plain = creative_payload(spec, page_id=PAGE_ID)
        uploaded = creative_payload(
            spec, page_id=PAGE_ID, media={VIDEO_FILE: MetaMedia("video", VIDEO_ID)}
        )
        video = uploaded["object_story_spec"]["video_data"]
        assert video["video_id"] == VIDEO_ID
        assert "link_data" not in uploaded["object_story_spec"]
        # Named by Adline's file ids: an unchanged creative is told without an upload.
        assert uploaded["name"] == plain["name"]


def adapter_on(fake: FakeMeta, files: Files) -> MetaAdapter:
    """A Meta adapter reaching the fake, uploading `files`, never waiting."""

    async def no_wait(seconds: float) -> None:
        return None

    adapter = create_meta_adapter(
        NetworkCredentials("meta", "act_1234", "EAAfake", page_id=PAGE_ID),
        MemoryDirectory(),
        clock=ManualClock(NOW),
        transport=httpx.ASGITransport(app=fake),
        sleep=no_wait,
        media=files,
    )
    adapter.client.video_polling = VideoPolling(interval=1.0, max_wait=10.0)
    return adapter


class TestOnTheFake:
    """The uploads against the stateful fake: what the e2e runs go through."""

    @pytest.fixture
    def fake(self) -> FakeMeta:
        return FakeMeta(ManualClock(NOW), access_token="EAAfake", video_processing_polls=2)

    def adapter_on(self, fake: FakeMeta, files: Files) -> MetaAdapter:
        return adapter_on(fake, files)

    async def test_each_file_is_uploaded_once(self, fake: FakeMeta, files: Files) -> None:
        adapter = self.adapter_on(fake, files)
        image = await adapter.uploaded(IMAGE_FILE)
        video = await adapter.uploaded(VIDEO_FILE)
        assert image.id in fake.images and fake.images[image.id] == IMAGE.data
        assert video.id in fake.videos and fake.videos[video.id].data == VIDEO.data
        assert await adapter.uploaded(IMAGE_FILE) == image
        assert await adapter.uploaded(VIDEO_FILE) == video
        uploads = [c.path for c in fake.calls if c.method == "POST"]
        assert uploads == ["act_1234/adimages", "act_1234/advideos"]

    async def test_a_lost_upload_answer_makes_no_second_video(
        self, fake: FakeMeta, files: Files
    ) -> None:
        adapter = self.adapter_on(fake, files)
        fake.lose_answer("POST", "advideos")
        video = await adapter.uploaded(VIDEO_FILE)
        assert list(fake.videos) == [video.id]

    async def test_a_video_meta_cannot_process_is_refused(
        self, fake: FakeMeta, files: Files
    ) -> None:
        adapter = self.adapter_on(fake, files)
        fake.fail_videos("Video too short")
        with pytest.raises(InvalidSpec, match="Video too short"):
            await adapter.uploaded(VIDEO_FILE)

    async def test_a_video_still_processing_fails_retryably(
        self, fake: FakeMeta, files: Files
    ) -> None:
        fake.video_processing_polls = 100
        adapter = self.adapter_on(fake, files)
        with pytest.raises(TransientError, match="still processing"):
            await adapter.uploaded(VIDEO_FILE)
        fake.videos[next(iter(fake.videos))].processing_polls = 0
        assert (await adapter.uploaded(VIDEO_FILE)).kind == "video"
        assert len(fake.videos) == 1


def video_ad(*media_ids: str) -> AdSpec:
    creative = dataclasses.replace(ad().creative, format="video", media_ids=media_ids)
    return ad(creative=creative)


class TestVideoThumbnails:
    """Meta's `video_data` needs a thumbnail: the ad's own image file when it has one, else
    the preferred thumbnail Meta made of the processed video."""

    async def test_the_creative_shows_the_videos_preferred_thumbnail(
        self, contract: Contract, uploading: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_group", AD_GROUP, META_AD_SET)
        contract("ad_create_uploaded_video")
        result = await uploading.upsert_ad(video_ad(VIDEO_FILE), idempotency_key="k1")
        assert result.network_id == META_AD

    async def test_an_image_file_of_the_ad_is_the_thumbnail_and_no_thumbnail_is_read(
        self,
        contract: Contract,
        uploading: MetaAdapter,
        directory: MemoryDirectory,
        files: Files,
    ) -> None:
        await directory.remember("ad_group", AD_GROUP, META_AD_SET)
        contract("ad_create_video_with_image")
        spec = video_ad(VIDEO_FILE, IMAGE_FILE)
        assert (await uploading.upsert_ad(spec, idempotency_key="k1")).network_id == META_AD
        assert files.reads == [VIDEO_FILE, IMAGE_FILE]

    async def test_the_preferred_thumbnail_is_taken_over_the_first(
        self, contract: Contract, uploading: MetaAdapter
    ) -> None:
        contract("video_thumbnails")
        uri = await uploading.video_thumbnail(VIDEO_ID)
        assert uri.endswith("spring_2.jpg")

    async def test_no_thumbnail_yet_fails_retryably(
        self, contract: Contract, uploading: MetaAdapter
    ) -> None:
        contract("video_thumbnails_none")
        with pytest.raises(TransientError, match="no thumbnail"):
            await uploading.video_thumbnail(VIDEO_ID)

    def test_the_thumbnail_does_not_name_the_creative(self) -> None:
        # A thumbnail URL Meta changes must not read as a changed creative (back to review).
        spec = video_ad(VIDEO_FILE)
        first = MetaMedia("video", VIDEO_ID, "https://cdn.example/a.jpg")
        second = MetaMedia("video", VIDEO_ID, "https://cdn.example/b.jpg")
        one = creative_payload(spec, page_id=PAGE_ID, media={VIDEO_FILE: first})
        two = creative_payload(spec, page_id=PAGE_ID, media={VIDEO_FILE: second})
        assert one["name"] == two["name"]
        assert one["object_story_spec"]["video_data"]["image_url"] == "https://cdn.example/a.jpg"


class TestVideoAdsOnTheFake:
    """A video ad end to end on the fake, which refuses `video_data` without a thumbnail
    as Meta does."""

    async def test_a_video_ad_is_created_with_metas_thumbnail(self, files: Files) -> None:
        fake = FakeMeta(ManualClock(NOW), access_token="EAAfake", video_processing_polls=1)
        adapter = adapter_on(fake, files)
        await adapter.upsert_campaign(campaign(), idempotency_key="c")
        await adapter.upsert_ad_group(ad_group(), idempotency_key="g")
        result = await adapter.upsert_ad(video_ad(VIDEO_FILE), idempotency_key="a")
        assert result.state == "pending"
        creative = next(o for o in fake.objects.values() if o.kind == "adcreative")
        video_data = creative.fields["object_story_spec"]["video_data"]
        assert video_data["image_url"].endswith("thumb_2.jpg")

    async def test_the_fake_refuses_video_data_without_a_thumbnail(self, files: Files) -> None:
        fake = FakeMeta(ManualClock(NOW), access_token="EAAfake", video_processing_polls=0)
        adapter = adapter_on(fake, files)
        video = await adapter.uploaded(VIDEO_FILE)
        story = {"page_id": PAGE_ID, "video_data": {"video_id": video.id, "message": "Hi"}}
        with pytest.raises(InvalidSpec, match="thumbnail"):
            await adapter.client.create(
                "act_1234/adcreatives", {"name": "x", "object_story_spec": story}
            )
