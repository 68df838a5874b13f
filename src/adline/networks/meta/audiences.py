"""Saved audiences on Meta: each Adline audience uploaded to the ad account as a customer
list Custom Audience once, and kept up to date with its people.

An ad group names Adline's saved audiences (`adaud_…`, docs/audiences.md); a Meta ad set
names the account's Custom Audiences in `targeting.custom_audiences` /
`excluded_custom_audiences`. Before an ad set is written, `MetaAudiences.ids` turns each
into Meta's id (docs/networks-meta.md#saved-audiences):

1. the directory is asked (kind `audience`, keyed by the Adline id);
2. else the account's Custom Audiences are listed (`GET /act_{id}/customaudiences`) for a
   name ending with the audience's reference `[adline:<id>]`: one created before a crash,
   or whose answer was lost, is found and recorded, never made twice;
3. else it is created (`POST /act_{id}/customaudiences`, `subtype=CUSTOM`,
   `customer_file_source=USER_PROVIDED_ONLY`) and its id recorded the moment Meta answers.

Its people are then sent (`POST /{audience_id}/users`, at most 10,000 a request) unless the
directory says the list already holds as many as the audience does (kind `audience_rows`,
`<Meta id>:<people>`, as TikTok's adapter keeps it); people added later (add_people) send
the whole list again, which Meta deduplicates [verify].
"""

from __future__ import annotations

from typing import Any

from adline.delivery.adapter import InvalidSpec, Targeting
from adline.networks.base import (
    AudiencePeople,
    AudienceReader,
    ObjectDirectory,
    audience_rows_record,
    name_with_reference,
    reference,
)
from adline.networks.meta.client import MetaGraphClient
from adline.networks.meta.mapping import MAX_NAME_LENGTH, has_reference

# Meta takes at most 10,000 people per `users` request (Custom Audience Users reference).
MAX_USERS_PER_REQUEST = 10_000
# Adline keeps one hash per person, the email's or else the phone's, without saying which
# (docs/audiences.md#people). Each is sent in both columns of a two-key schema: a hash
# matches only the identifier it was made from, so an email's hash finds the person by
# email and a phone's by phone, and neither matches anyone in the other column. [verify]
USERS_SCHEMA = ("EMAIL", "PHONE")


def audience_name(name: str, audience_id: str) -> str:
    """The Custom Audience's name: the audience's name, cut, then its reference."""
    return name_with_reference(name, reference(audience_id), MAX_NAME_LENGTH)


def create_payload(people: AudiencePeople) -> dict[str, Any]:
    """A customer list Custom Audience whose people the advertiser gave (Adline's API)."""
    return {
        "name": audience_name(people.name, people.id),
        "subtype": "CUSTOM",
        "customer_file_source": "USER_PROVIDED_ONLY",
        "description": f"Adline saved audience {people.id}",
    }


def users_payload(hashes: list[str]) -> dict[str, Any]:
    """One `users` request's `payload`. The hashes are sent as Adline holds them: already
    normalised and SHA-256'd by the client (docs/audiences.md#people); hashing them again
    would match no one."""
    return {"schema": list(USERS_SCHEMA), "data": [[value, value] for value in hashes]}


class MetaAudiences:
    """One ad account's Custom Audiences, as the adapter uploads saved audiences to it.
    `reader` reads the company's audiences (None: only audiences already in the directory
    can be named; any other is refused)."""

    def __init__(
        self,
        client: MetaGraphClient,
        account_path: str,
        directory: ObjectDirectory,
        reader: AudienceReader | None,
    ) -> None:
        self.client = client
        self.account_path = account_path
        self.directory = directory
        self.reader = reader

    async def ids(self, targeting: Targeting, *, upload: bool = True) -> dict[str, str]:
        """Each saved audience of `targeting` as its Custom Audience id. Without `upload`
        (a reach estimate, a read) only audiences already on the account are answered."""
        wanted = dict.fromkeys((*targeting.audiences_include, *targeting.audiences_exclude))
        found: dict[str, str] = {}
        for audience_id in wanted:
            if upload:
                found[audience_id] = await self.network_id(audience_id)
            elif (known := await self.directory.network_id("audience", audience_id)) is not None:
                found[audience_id] = known
        return found

    async def network_id(self, audience_id: str) -> str:
        """The audience's Custom Audience id, created (or found) the first time and brought
        up to date with the audience's people."""
        known = await self.directory.network_id("audience", audience_id)
        if self.reader is None:
            if known is None:
                raise InvalidSpec(f"The audience {audience_id} cannot be read", "audiences")
            return known
        people = await self.reader(audience_id)
        if known is None:
            known = await self.find(audience_id)
            if known is None:
                known = await self.client.create(
                    f"{self.account_path}/customaudiences",
                    create_payload(people),
                    find_existing=lambda: self.find(audience_id),
                )
            # Recorded before the people are sent: a retry sends them, never a second list.
            await self.directory.remember("audience", audience_id, known)
        await self._send_people(known, people)
        return known

    async def find(self, audience_id: str) -> str | None:
        """The account's Custom Audience whose name carries the audience's reference. The
        list is read whole: no `filtering` on the name is documented for this edge. [verify]"""
        params = {"fields": "id,name", "limit": 100}
        async for row in self.client.paginate(f"{self.account_path}/customaudiences", params):
            if has_reference(row.get("name"), audience_id):
                return str(row["id"])
        return None

    async def _send_people(self, network_id: str, people: AudiencePeople) -> None:
        """Send the whole list unless Meta's already holds as many people. The count is
        recorded only after the last batch, so a failure part-way sends it all again."""
        mark = audience_rows_record(network_id, len(people.hashes))
        if await self.directory.network_id("audience_rows", people.id) == mark:
            return
        hashes = list(people.hashes)
        for start in range(0, len(hashes), MAX_USERS_PER_REQUEST):
            batch = hashes[start : start + MAX_USERS_PER_REQUEST]
            await self.client.post(f"{network_id}/users", {"payload": users_payload(batch)})
        await self.directory.remember("audience_rows", people.id, mark)
