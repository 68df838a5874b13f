"""Saved audiences on TikTok: each Adline audience uploaded as a TikTok custom audience once.

An ad group names Adline's saved audiences (`adaud_…`, docs/audiences.md); TikTok's ad
groups name its own custom audiences in `audience_ids` / `excluded_audience_ids`. Before an
ad group is written, `TikTokAudiences.targeting` turns each into TikTok's id
(docs/networks-tiktok.md#audiences):

1. the directory is asked (kind `audience`, keyed by the Adline id);
2. else the advertiser's custom audiences are listed (`GET /dmp/custom_audience/list/`)
   for a name ending with the audience's reference `[adline:<id>]`: one created before a
   crash, or whose answer was lost, is found and recorded, never made twice;
3. else the people are uploaded as a file (`POST /dmp/custom_audience/file/upload/`,
   multipart: one SHA-256 per line, its MD5 as `file_signature`) and the audience created
   from it (`POST /dmp/custom_audience/create/` with the answered `file_path`); its id is
   recorded the moment TikTok answers.

People added later (add_people) reach TikTok too: the directory keeps how many people the
last upload held (kind `audience_rows`, `<TikTok id>:<rows>`); when the audience holds
another number, its whole list is uploaded again and appended
(`POST /dmp/custom_audience/update/`, `action` `APPEND`). TikTok holds a person once, so
people sent twice change nothing [verify].
"""

from __future__ import annotations

import dataclasses
import hashlib

from adline.delivery.adapter import AdapterError, InvalidSpec, Targeting, TransientError
from adline.networks.base import (
    AudiencePeople,
    AudienceReader,
    ObjectDirectory,
    audience_rows_record,
    name_with_reference,
    reference,
)
from adline.networks.tiktok.client import TikTokAnswer, TikTokClient

# Adline keeps one hash per person: the email's, else the phone's, without saying which
# (docs/audiences.md#people). They are all sent as email hashes: a phone's hash matches no
# email, so a phone-only person is not found on TikTok (docs/networks-tiktok.md#audiences).
CALCULATE_TYPE = "EMAIL_SHA256"
# TikTok's custom audience names are at most 128 characters.
MAX_AUDIENCE_NAME = 128
LIST_PAGE_SIZE = 100


def audience_name(name: str, audience_id: str) -> str:
    """The custom audience's name: the audience's name, cut, then its reference."""
    return name_with_reference(name, reference(audience_id), MAX_AUDIENCE_NAME)


def people_file(people: AudiencePeople) -> bytes:
    """The upload: one lowercase hex SHA-256 per line, as Adline holds them (already
    normalised and hashed by the client: docs/audiences.md#people)."""
    return "".join(f"{value}\n" for value in people.hashes).encode("ascii")


class TikTokAudiences:
    """One advertiser's custom audiences, as the adapter uploads saved audiences to it.
    `reader` reads the company's audiences (None: only audiences already in the directory
    can be named; any other is refused)."""

    def __init__(
        self,
        client: TikTokClient,
        advertiser_id: str,
        directory: ObjectDirectory,
        reader: AudienceReader | None,
    ) -> None:
        self.client = client
        self.advertiser_id = advertiser_id
        self.directory = directory
        self.reader = reader

    async def targeting(self, targeting: Targeting) -> Targeting:
        """`targeting` with its saved audiences as TikTok's custom audience ids."""
        include, exclude = targeting.audiences_include, targeting.audiences_exclude
        if not include and not exclude:
            return targeting
        ids = {local: await self.network_id(local) for local in dict.fromkeys((*include, *exclude))}
        return dataclasses.replace(
            targeting,
            audiences_include=tuple(ids[local] for local in include),
            audiences_exclude=tuple(ids[local] for local in exclude),
        )

    async def network_id(self, audience_id: str) -> str:
        """The audience's custom audience id on TikTok, created (or found) the first time
        and brought up to date with the audience's people. What TikTok refuses of it is
        refused as the ad group's `audiences`."""
        try:
            return await self._network_id(audience_id)
        except InvalidSpec as refused:
            raise InvalidSpec(str(refused), "audiences") from refused

    async def _network_id(self, audience_id: str) -> str:
        known = await self.directory.network_id("audience", audience_id)
        if self.reader is None:
            if known is None:
                raise InvalidSpec(f"The audience {audience_id} cannot be read", "audiences")
            return known
        people = await self.reader(audience_id)
        if known is None:
            known = await self.find(audience_id)
            if known is None:
                return await self._create(people)
            await self.directory.remember("audience", audience_id, known)
        await self._bring_up_to_date(known, people)
        return known

    async def _create(self, people: AudiencePeople) -> str:
        file_path = await self._upload(people)
        body = {
            "advertiser_id": self.advertiser_id,
            "custom_audience_name": audience_name(people.name, people.id),
            "calculate_type": CALCULATE_TYPE,
            "file_paths": [file_path],
        }
        try:
            answer = await self.client.post("dmp/custom_audience/create/", body, replay_safe=False)
        except TransientError:
            # The create may have been made: look before anything is sent again. What the
            # audience found holds is unknown (an earlier create's people, perhaps): the
            # list is appended to it.
            found = await self.find(people.id)
            if found is None:
                raise
            await self.directory.remember("audience", people.id, found)
            await self._bring_up_to_date(found, people)
            return found
        network_id = _answered(answer, "custom_audience_id", people.id)
        await self.directory.remember("audience", people.id, network_id)
        await self._remember_rows(people, network_id)
        return network_id

    async def _bring_up_to_date(self, network_id: str, people: AudiencePeople) -> None:
        """Append the audience's list when it holds another number of people than the last
        upload did (or that number is unknown: found after a crash)."""
        recorded = await self.directory.network_id("audience_rows", people.id)
        if recorded == audience_rows_record(network_id, len(people.hashes)):
            return
        file_path = await self._upload(people)
        body = {
            "advertiser_id": self.advertiser_id,
            "custom_audience_id": network_id,
            "action": "APPEND",
            "file_paths": [file_path],
        }
        # Appending people TikTok already holds changes nothing: safe to resend.
        await self.client.post("dmp/custom_audience/update/", body)
        await self._remember_rows(people, network_id)

    async def _upload(self, people: AudiencePeople) -> str:
        """Upload the people as a file; TikTok answers a `file_path` to create from. A lost
        answer leaves an unused file, never an audience: the caller retries the upload."""
        if not people.hashes:
            raise InvalidSpec(
                f"The audience {people.id} holds no people yet: TikTok makes custom "
                "audiences from a file of people",
                "audiences",
            )
        content = people_file(people)
        fields = {
            "advertiser_id": self.advertiser_id,
            "calculate_type": CALCULATE_TYPE,
            "file_signature": hashlib.md5(content).hexdigest(),
            "file_name": f"{people.id}.txt",
        }
        answer = await self.client.upload(
            "dmp/custom_audience/file/upload/",
            fields,
            {"file": (f"{people.id}.txt", content, "text/plain")},
        )
        return _answered(answer, "file_path", people.id)

    async def _remember_rows(self, people: AudiencePeople, network_id: str) -> None:
        await self.directory.remember(
            "audience_rows", people.id, audience_rows_record(network_id, len(people.hashes))
        )

    async def find(self, audience_id: str) -> str | None:
        """The id of the advertiser's custom audience whose name carries the audience's
        reference. The list is read whole (no name filter is documented)."""
        tail = reference(audience_id)
        pages = self.client.iterate_pages(
            "dmp/custom_audience/list/",
            {"advertiser_id": self.advertiser_id},
            page_size=LIST_PAGE_SIZE,
        )
        async for rows in pages:
            for row in rows:
                name = row.get("name")
                if isinstance(name, str) and name.endswith(tail) and row.get("custom_audience_id"):
                    return str(row["custom_audience_id"])
        return None


def _answered(answer: TikTokAnswer, field: str, local_id: str) -> str:
    value = answer.data.get(field)
    if not value:
        raise AdapterError(f"TikTok answered no {field} for {local_id}")
    return str(value)
