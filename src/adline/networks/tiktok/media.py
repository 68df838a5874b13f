"""An ad's files on TikTok: each Adline file uploaded to the advertiser's asset library once.

TikTok's ads name images by `image_id` and videos by `video_id`, ids of its asset library.
Before an ad is created or updated, `TikTokMedia.files` makes sure each of the creative's
files is there (docs/networks-tiktok.md#media):

- `POST /file/image/ad/upload/` or `/file/video/ad/upload/`, multipart, `upload_type`
  `UPLOAD_BY_FILE`, the bytes as `image_file` / `video_file`, their MD5 as
  `image_signature` / `video_signature`, and `file_name` ending with the file's reference
  `[adline:<file id>]`;
- what each file became is recorded in the connection's directory (kinds `image` and
  `video`, keyed by the Adline file id) the moment TikTok answers, so a file is uploaded
  once per advertiser;
- an upload is never resent blindly: before uploading, and when an upload's answer is lost
  (a timeout, a 5xx), the asset library is searched (`/file/image/ad/search/`,
  `/file/video/ad/search/`) for a `file_name` carrying the reference, and what is found is
  recorded instead. A crash between TikTok's answer and the record finds it the same way;
- a video shown without an image of the creative gets TikTok's own cover frame as its
  cover: `video_cover_url` from `/file/video/ad/info/`, uploaded `UPLOAD_BY_URL` as an image
  named `… [adline:<file id>:cover]` (kind `video_cover`), found again the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from adline.delivery.adapter import AdapterError, CreativeSummary, InvalidSpec, TransientError
from adline.networks.base import (
    MediaFile,
    MediaReader,
    ObjectDirectory,
    name_with_reference,
    reference,
)
from adline.networks.tiktok.client import TikTokAnswer, TikTokClient
from adline.networks.tiktok.mapping import MediaKind, TikTokFile

# The asset library's search pages (its documented page size is 1 to 100 [verify]).
SEARCH_PAGE_SIZE = 100
# TikTok's file names are 1 to 100 characters [verify]: the title is cut, never the
# reference.
MAX_FILE_NAME = 100


def cover_reference(file_id: str) -> str:
    """What the `file_name` of a video's cover image ends with."""
    return reference(f"{file_id}:cover")


def file_name(filename: str, file_id: str) -> str:
    """`<the file's name> [adline:<file id>]`, within TikTok's length."""
    return name_with_reference(filename, reference(file_id), MAX_FILE_NAME)


class TikTokMedia:
    """One advertiser's asset library, as the adapter uploads an ad's files to it. `reader`
    reads the company's files (None: a creative's media ids are sent as TikTok's own, as
    they are)."""

    def __init__(
        self,
        client: TikTokClient,
        advertiser_id: str,
        directory: ObjectDirectory,
        reader: MediaReader | None,
    ) -> None:
        self.client = client
        self.advertiser_id = advertiser_id
        self.directory = directory
        self.reader = reader

    async def files(self, creative: CreativeSummary) -> dict[str, TikTokFile] | None:
        """What each of the creative's files is in the asset library, uploading those that
        are not there yet; None without a reader, or for a Spark ad (a TikTok post). A
        video shown without an image gets its cover frame (`cover`)."""
        if self.reader is None or creative.format == "existing_post":
            return None
        files = {
            file_id: await self.uploaded(file_id) for file_id in dict.fromkeys(creative.media_ids)
        }
        shown = list(files.items())
        if creative.format != "carousel" and not any(f.kind == "image" for _, f in shown):
            for file_id, file in shown[:1]:
                if file.kind == "video":
                    files[file_id] = TikTokFile("video", file.id, await self.cover(file_id, file))
        return files

    async def cover(self, file_id: str, video: TikTokFile) -> str | None:
        """The image id of the video's cover: its own frame (`video_cover_url`), uploaded
        by URL once; None when TikTok names no cover frame."""
        known = await self.directory.network_id("video_cover", file_id)
        if known is not None:
            return known
        tail = cover_reference(file_id)
        image_id = await self.find("image", tail)
        if image_id is None:
            answer = await self.client.get(
                "file/video/ad/info/",
                {"advertiser_id": self.advertiser_id, "video_ids": [video.id]},
            )
            rows = answer.data.get("list") or []
            url = next(
                (row.get("video_cover_url") for row in rows if row.get("video_cover_url")), None
            )
            if url is None:
                return None
            body = {
                "advertiser_id": self.advertiser_id,
                "upload_type": "UPLOAD_BY_URL",
                "image_url": str(url),
                "file_name": name_with_reference("cover", tail, MAX_FILE_NAME),
            }
            try:
                uploaded = await self.client.post("file/image/ad/upload/", body, replay_safe=False)
            except InvalidSpec as refused:
                raise InvalidSpec(str(refused), "creatives") from refused
            except TransientError:
                image_id = await self.find("image", tail)
                if image_id is None:
                    raise
            else:
                image_id = _uploaded_id("image", uploaded, file_id)
        await self.directory.remember("video_cover", file_id, image_id)
        return image_id

    async def uploaded(self, file_id: str) -> TikTokFile:
        """The file's image or video id in the asset library, uploading it the first time
        (the directory is asked first)."""
        kinds: tuple[MediaKind, ...] = ("image", "video")
        for known_kind in kinds:
            known = await self.directory.network_id(known_kind, file_id)
            if known is not None:
                return TikTokFile(known_kind, known)
        if self.reader is None:
            raise InvalidSpec(f"The file {file_id} cannot be read", "creatives")
        file = await self.reader(file_id)
        if file.is_image:
            kind: MediaKind = "image"
        elif file.is_video:
            kind = "video"
        else:
            raise InvalidSpec(
                f"TikTok ads show images and videos, not {file.content_type}", "creatives"
            )
        return TikTokFile(kind, await self._upload(kind, file))

    async def _upload(self, kind: MediaKind, file: MediaFile) -> str:
        """Find the file's earlier upload by its reference, else upload it; record the id."""
        network_id = await self.find(kind, reference(file.id))
        if network_id is None:
            fields = {
                "advertiser_id": self.advertiser_id,
                "upload_type": "UPLOAD_BY_FILE",
                f"{kind}_signature": hashlib.md5(file.data).hexdigest(),
                "file_name": file_name(file.filename, file.id),
            }
            parts = {f"{kind}_file": (file.filename, file.data, file.content_type)}
            try:
                answer = await self.client.upload(f"file/{kind}/ad/upload/", fields, parts)
            except InvalidSpec as refused:
                # TikTok refused the file (its format, size, name): the ad's creatives.
                raise InvalidSpec(str(refused), "creatives") from refused
            except TransientError:
                # The upload may have been made: look before anything is sent again.
                network_id = await self.find(kind, reference(file.id))
                if network_id is None:
                    raise
            else:
                network_id = _uploaded_id(kind, answer, file.id)
        holder = await self.directory.local_id(kind, network_id)
        if holder is None:
            await self.directory.remember(kind, file.id, network_id)
        # else: another Adline file with the same bytes holds that id (a network id names
        # one file in the directory); this one is looked up again when used.
        return network_id

    async def find(self, kind: MediaKind, tail: str) -> str | None:
        """The id of the library's image or video whose `file_name` ends with `tail` (a
        reference). The search is read whole (no filter on `file_name` is documented)."""
        pages = self.client.iterate_pages(
            f"file/{kind}/ad/search/",
            {"advertiser_id": self.advertiser_id},
            page_size=SEARCH_PAGE_SIZE,
        )
        async for rows in pages:
            for row in rows:
                name = row.get("file_name")
                if isinstance(name, str) and name.endswith(tail) and row.get(f"{kind}_id"):
                    return str(row[f"{kind}_id"])
        return None


def _uploaded_id(kind: MediaKind, answer: TikTokAnswer, file_id: str) -> str:
    """`data.image_id` / `data.video_id`; a video upload may answer a list of videos
    (`data.list[0].video_id`) [verify]."""
    field = f"{kind}_id"
    rows: list[Mapping[str, object]] = [answer.data, *(answer.data.get("list") or [])]
    for row in rows:
        value = row.get(field)
        if value:
            return str(value)
    raise AdapterError(f"TikTok answered no {field} for the file {file_id}")
