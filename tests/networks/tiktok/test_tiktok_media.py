"""An ad's files uploaded to the advertiser's asset library (media.py), against the v1.3
contract fixtures: multipart uploads with the bytes' MD5, the ids they answer used in the
ad, once per file, and a lost answer found by its reference instead of uploaded again."""

from __future__ import annotations

import dataclasses

import pytest

from adline.delivery.adapter import InvalidSpec, TransientError
from adline.networks.base import MediaFile
from adline.networks.tiktok.media import file_name

from .builders import AD_NETWORK_ID, IMAGE, KNOWN_GROUP, VIDEO, Known, Shelf, media_ad, wire
from .replay import Replay

VIDEO_ID = "v10033g50000ctb3example"
IMAGE_ID = "ad-site-i18n-sg/202612060d4c2a0b"
COVER_ID = "ad-site-i18n-sg/20261206cover0001"
CREATE_AD = ("ad_get_none", "ad_create_uploaded_media", "ad_status_enable")
UPLOAD_VIDEO = ("video_search_none", "video_upload_ok")
UPLOAD_IMAGE = ("image_search_none", "image_upload_ok")


class TestUpload:
    async def test_an_ads_files_are_uploaded_and_their_ids_shown(self) -> None:
        shelf = Shelf(VIDEO, IMAGE)
        with Replay(*UPLOAD_VIDEO, *UPLOAD_IMAGE, *CREATE_AD) as replay:
            wired = await wire(replay, KNOWN_GROUP, media=shelf)
            result = await wired.adapter.upsert_ad(media_ad(VIDEO, IMAGE), idempotency_key="a1")
        assert result.network_id == AD_NETWORK_ID
        assert await wired.directory.network_id("video", VIDEO.id) == VIDEO_ID
        assert await wired.directory.network_id("image", IMAGE.id) == IMAGE_ID
        assert shelf.reads == [VIDEO.id, IMAGE.id]

    async def test_a_video_alone_gets_its_own_cover_frame_uploaded_once(self) -> None:
        cover = ("image_search_none", "video_info_cover", "image_upload_cover_by_url")
        create = ("ad_get_none", "ad_create_video_cover", "ad_status_enable")
        with Replay(*UPLOAD_VIDEO, *cover, *create) as replay:
            wired = await wire(replay, KNOWN_GROUP, media=Shelf(VIDEO))
            await wired.adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        assert await wired.directory.network_id("video_cover", VIDEO.id) == COVER_ID
        # A second ad showing the video sends nothing but the ad's own calls.
        known: tuple[Known, ...] = (
            ("video", VIDEO.id, VIDEO_ID),
            ("video_cover", VIDEO.id, COVER_ID),
        )
        with Replay(*create) as replay:
            wired = await wire(replay, KNOWN_GROUP, *known, media=Shelf(VIDEO))
            await wired.adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        assert replay.served == list(create)

    async def test_a_file_already_uploaded_is_not_read_nor_uploaded_again(self) -> None:
        shelf = Shelf(VIDEO, IMAGE)
        known: tuple[Known, ...] = (("video", VIDEO.id, VIDEO_ID), ("image", IMAGE.id, IMAGE_ID))
        with Replay(*CREATE_AD) as replay:
            wired = await wire(replay, KNOWN_GROUP, *known, media=shelf)
            await wired.adapter.upsert_ad(media_ad(VIDEO, IMAGE), idempotency_key="a1")
        assert replay.served == list(CREATE_AD)
        assert shelf.reads == []

    async def test_a_lost_upload_answer_is_found_by_its_reference_not_uploaded_twice(
        self,
    ) -> None:
        shelf = Shelf(VIDEO, IMAGE)
        names = (
            "video_search_none",
            "video_upload_lost_504",
            "video_search_found",
            *UPLOAD_IMAGE,
            *CREATE_AD,
        )
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_GROUP, media=shelf)
            await wired.adapter.upsert_ad(media_ad(VIDEO, IMAGE), idempotency_key="a1")
        assert replay.served == list(names)
        assert await wired.directory.network_id("video", VIDEO.id) == VIDEO_ID
        assert wired.sleeps == []  # the upload was not resent after a back-off

    async def test_an_earlier_upload_is_found_before_uploading(self) -> None:
        # A crash after TikTok's answer, before the id was recorded: the next pass finds it.
        with Replay("video_search_found", *UPLOAD_IMAGE, *CREATE_AD) as replay:
            wired = await wire(replay, KNOWN_GROUP, media=Shelf(VIDEO, IMAGE))
            await wired.adapter.upsert_ad(media_ad(VIDEO, IMAGE), idempotency_key="a1")
        assert await wired.directory.network_id("video", VIDEO.id) == VIDEO_ID

    async def test_a_lost_upload_not_found_fails_the_write_and_records_nothing(self) -> None:
        names = ("video_search_none", "video_upload_lost_504", "video_search_none")
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_GROUP, media=Shelf(VIDEO, IMAGE))
            with pytest.raises(TransientError):
                await wired.adapter.upsert_ad(media_ad(VIDEO, IMAGE), idempotency_key="a1")
        assert await wired.directory.network_id("video", VIDEO.id) is None

    async def test_a_file_that_is_neither_image_nor_video_is_refused_without_a_call(
        self,
    ) -> None:
        song = MediaFile("file_MMMMMMMMMMMMMM", "jingle.mp3", "audio/mpeg", b"ID3")
        with Replay() as replay:
            wired = await wire(replay, KNOWN_GROUP, media=Shelf(song))
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_ad(media_ad(song), idempotency_key="a1")
        assert refused.value.param == "creatives"

    async def test_a_carousel_with_a_video_is_refused(self) -> None:
        known: tuple[Known, ...] = (("video", VIDEO.id, VIDEO_ID), ("image", IMAGE.id, IMAGE_ID))
        spec = media_ad(IMAGE, VIDEO)
        carousel = dataclasses.replace(
            spec, creative=dataclasses.replace(spec.creative, format="carousel")
        )
        with Replay() as replay:
            wired = await wire(replay, KNOWN_GROUP, *known, media=Shelf())
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_ad(carousel, idempotency_key="a1")
        assert refused.value.param == "creatives"


class TestFileName:
    def test_the_reference_ends_the_name_and_is_never_cut(self) -> None:
        name = file_name("x" * 300 + ".png", "file_IIIIIIIIIIIIII")
        assert len(name) == 100
        assert name.endswith(" [adline:file_IIIIIIIIIIIIII]")
