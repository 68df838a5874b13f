"""The `ObjectDirectory` of a connection in the store (`network_objects`): which network id
each of Adline's campaigns, ad groups and ads has on the connection's account, and which
image hash or video id each Adline file uploaded there has (kinds `image`, `video`).

A real adapter records each id it learns (`remember`) and reads them back to update,
delete, and to turn reported network ids into Adline's. Rows belong to one connection and
are removed with it. Both directions are unique per connection and kind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.connections.models import NetworkObject
from adline.networks.base import DirectoryKind


class DirectoryConflict(ValueError):
    """The network id is already another object's on this connection."""


class DatabaseDirectory:
    """Backed by `network_objects`, in the caller's session (it only flushes)."""

    def __init__(self, session: AsyncSession, connection_id: str, company_id: str, now: datetime):
        self._session = session
        self._connection_id = connection_id
        self._company_id = company_id
        self._now = now

    async def _row(self, kind: DirectoryKind, local_id: str) -> NetworkObject | None:
        return await self._session.get(NetworkObject, (self._connection_id, kind, local_id))

    async def network_id(self, kind: DirectoryKind, local_id: str) -> str | None:
        row = await self._row(kind, local_id)
        return None if row is None else row.network_id

    async def local_id(self, kind: DirectoryKind, network_id: str) -> str | None:
        found: str | None = await self._session.scalar(
            select(NetworkObject.local_id).where(
                NetworkObject.connection_id == self._connection_id,
                NetworkObject.kind == kind,
                NetworkObject.network_id == network_id,
            )
        )
        return found

    async def remember(self, kind: DirectoryKind, local_id: str, network_id: str) -> None:
        """Record (or correct) the object's network id. A network id already held by
        another object of the same kind raises `DirectoryConflict`, storing nothing."""
        holder = await self.local_id(kind, network_id)
        if holder is not None and holder != local_id:
            raise DirectoryConflict(
                f"{kind} {network_id} is already {holder}'s on connection {self._connection_id}"
            )
        row = await self._row(kind, local_id)
        if row is None:
            self._session.add(
                NetworkObject(
                    connection_id=self._connection_id,
                    kind=kind,
                    local_id=local_id,
                    company_id=self._company_id,
                    network_id=network_id,
                    created_at=self._now,
                )
            )
        else:
            row.network_id = network_id
        await self._session.flush()
