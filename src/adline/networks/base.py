"""What every real-network adapter is built from: the connection's credentials and the
directory that pairs Adline's ids with the network's.

The simulated network knows objects by Adline's ids; Meta and TikTok assign their own ids
on create. An adapter therefore records each id it learns in an `ObjectDirectory` (the
store's table in production, a dict in tests) and reads it back to update, delete, and to
turn reported network ids into Adline's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

# What a directory pairs: Adline's objects, the files uploaded to the network as an
# image or a video (keyed by the Adline file id; docs/networks-meta.md#media; a video's
# cover image on TikTok as `video_cover`), and saved audiences uploaded as the network's
# own (`audience`; `audience_rows` keeps how many people the upload held, as
# `<network id>:<rows>`: docs/networks-tiktok.md#audiences).
DirectoryKind = Literal[
    "ad_campaign",
    "ad_group",
    "ad",
    "image",
    "video",
    "video_cover",
    "audience",
    "audience_rows",
]


@dataclass(frozen=True)
class NetworkCredentials:
    """One company's connection to one network account.

    `account_id` is Meta's ad account id (`act_<digits>`) or TikTok's advertiser id;
    `page_id` the Meta page (or TikTok identity) ads run under, when the company named one.
    """

    platform: str
    account_id: str
    access_token: str
    page_id: str | None = None


@dataclass(frozen=True)
class MediaFile:
    """An Adline file's bytes, as an adapter uploads them to the network."""

    id: str
    filename: str
    content_type: str
    data: bytes

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


# The connection's company's file, by Adline file id (`adline.connections.adapters`
# reads it from the file store); raises `InvalidSpec` for a file that is missing or not
# ready.
MediaReader = Callable[[str], Awaitable[MediaFile]]


def reference(local_id: str) -> str:
    """What marks a network object or upload as Adline's: the end of its name carries the
    Adline id, so a create whose answer was lost is found again by name."""
    return f"[adline:{local_id}]"


def name_with_reference(title: str, mark: str, max_length: int) -> str:
    """`<title> <mark>` within `max_length`: the title is cut, never the mark."""
    room = max_length - len(mark) - 1
    title = title.strip()[:room].strip() if room > 0 else ""
    return f"{title} {mark}" if title else mark


def audience_rows_record(network_id: str, people: int) -> str:
    """The `audience_rows` directory value: the network's list and how many people the
    last upload to it held (`<network id>:<people>`)."""
    return f"{network_id}:{people}"


@dataclass(frozen=True)
class AudiencePeople:
    """A saved audience as an adapter uploads it to the network: its name and the hashed
    identifiers of its people (`ad_audience_members`: per person the lowercase hex SHA-256
    of the email, else of the phone; which one is not stored). `hashes` are sorted."""

    id: str
    name: str
    hashes: tuple[str, ...]


# The connection's company's live saved audience, by Adline id (`adline.connections.
# adapters` reads it from the store); raises `InvalidSpec` for one that is gone.
AudienceReader = Callable[[str], Awaitable[AudiencePeople]]


class ObjectDirectory(Protocol):
    """Adline id <-> network id, per kind (objects, uploaded files), for one connection."""

    async def network_id(self, kind: DirectoryKind, local_id: str) -> str | None: ...

    async def local_id(self, kind: DirectoryKind, network_id: str) -> str | None: ...

    async def remember(self, kind: DirectoryKind, local_id: str, network_id: str) -> None: ...


class MemoryDirectory:
    """An `ObjectDirectory` in a dict: tests, and the first moments of a connection."""

    def __init__(self) -> None:
        self._network: dict[tuple[str, str], str] = {}
        self._local: dict[tuple[str, str], str] = {}

    async def network_id(self, kind: DirectoryKind, local_id: str) -> str | None:
        return self._network.get((kind, local_id))

    async def local_id(self, kind: DirectoryKind, network_id: str) -> str | None:
        return self._local.get((kind, network_id))

    async def remember(self, kind: DirectoryKind, local_id: str, network_id: str) -> None:
        self._network[(kind, local_id)] = network_id
        self._local[(kind, network_id)] = local_id
