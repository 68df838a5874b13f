"""The real adapters behind companies' network connections, as the delivery worker uses them.

A company with an active connection on a platform is served there by that network's real
adapter (Meta or TikTok), built from the connection's credentials; every other company is
served by the simulated network, the default. Adapters are kept per connection and token:
they hold what a network told them (rate-limit pauses, what they last wrote), so they live
as long as the token does. docs/connections.md#delivery.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.audiences.repository import find_audience, member_hashes
from adline.config import Settings
from adline.connections.directory import DatabaseDirectory
from adline.connections.models import NetworkConnection
from adline.connections.service import credentials
from adline.core.clock import Clock
from adline.core.encryption import TokenCipher
from adline.delivery.adapter import (
    AdapterError,
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    ConnectionBroken,
    InvalidSpec,
    ItemError,
    LifetimeBudget,
    ObjectKind,
    ObjectRef,
    PixelCheck,
    PlatformAdapter,
    ReportedHour,
    ReviewOutcome,
    SpendAllowance,
    SpendingLimit,
    Targeting,
    TargetingOption,
    TargetingSearch,
    WriteResult,
)
from adline.files.repository import files_by_id
from adline.files.storage import FileStorage, storage_from_settings
from adline.networks.base import (
    AudiencePeople,
    DirectoryKind,
    MediaFile,
    NetworkCredentials,
    ObjectDirectory,
)
from adline.networks.meta.adapter import create_meta_adapter
from adline.networks.tiktok.adapter import create_tiktok_adapter

logger = logging.getLogger("adline.delivery")

# The network key of a connection's adapter in the worker's maps (a platform name is the
# simulated network's).
CONNECTION_KEY_PREFIX = "connection:"


def connection_key(connection_id: str) -> str:
    return f"{CONNECTION_KEY_PREFIX}{connection_id}"


class CommittingDirectory:
    """`DatabaseDirectory` in a short transaction of its own per call: a network id is
    committed the moment the network answers it, whatever becomes of the pass that asked
    (the crash-safe create of docs/connections.md#delivery)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        connection: NetworkConnection,
        clock: Clock,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._connection_id = connection.id
        self._company_id = connection.company_id
        self._clock = clock

    def _directory(self, session: AsyncSession, now: datetime) -> DatabaseDirectory:
        return DatabaseDirectory(session, self._connection_id, self._company_id, now)

    async def network_id(self, kind: DirectoryKind, local_id: str) -> str | None:
        async with self._sessionmaker() as session:
            return await self._directory(session, self._clock.now()).network_id(kind, local_id)

    async def local_id(self, kind: DirectoryKind, network_id: str) -> str | None:
        async with self._sessionmaker() as session:
            return await self._directory(session, self._clock.now()).local_id(kind, network_id)

    async def remember(self, kind: DirectoryKind, local_id: str, network_id: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            await self._directory(session, self._clock.now()).remember(kind, local_id, network_id)


class StoredMedia:
    """A company's uploaded files as an adapter reads them to upload them to a network
    (a `MediaReader`): the file row in a short read of its own, then its bytes from the
    file store. Only a `ready` file of the company is read."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        storage: Callable[[], FileStorage],
        company_id: str,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._storage = storage
        self._company_id = company_id

    async def __call__(self, file_id: str) -> MediaFile:
        async with self._sessionmaker() as session:
            found = (await files_by_id(session, self._company_id, [file_id])).get(file_id)
            if found is None or found.upload_status != "ready":
                raise InvalidSpec(f"The file {file_id} is not an uploaded file", "creatives")
            filename, content_type, key = found.filename, found.content_type, found.storage_key
        storage = self._storage()
        data = b"".join([chunk async for chunk in storage.stream(key)])
        return MediaFile(file_id, filename, content_type, data)


class StoredAudiences:
    """A company's saved audiences as an adapter reads them to upload them to a network
    (an `AudienceReader`): a live audience of the company and its people's hashes, in a
    short read of its own."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], company_id: str) -> None:
        self._sessionmaker = sessionmaker
        self._company_id = company_id

    async def __call__(self, audience_id: str) -> AudiencePeople:
        async with self._sessionmaker() as session:
            audience = await find_audience(session, self._company_id, audience_id)
            if audience is None:
                raise InvalidSpec(f"The audience {audience_id} does not exist", "audiences")
            hashes = await member_hashes(session, audience_id)
            return AudiencePeople(audience.id, audience.name, tuple(hashes))


AdapterBuilder = Callable[[NetworkCredentials, ObjectDirectory], PlatformAdapter]


class ConnectionAdapters:
    """Builds and keeps the real adapter of each connection (per connection and token).

    `transports` maps a platform to the httpx transport its clients use: none in
    production (the network's real API, at the settings' URLs); an in-process fake's in
    tests (`adline.networks.fakes`)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        cipher: TokenCipher,
        settings: Settings,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        *,
        pass_interval: timedelta = timedelta(minutes=1),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        storage: FileStorage | None = None,
    ) -> None:
        """`pass_interval`: how often the worker passes, so an adapter that enforces
        spending limits itself (TikTok's) knows how long its checks may be apart. `sleep`
        is how the clients wait (retries, report polls); tests on a manual clock pass one
        that returns at once. `storage` is where companies' uploaded files are, which
        adapters upload to their network (the settings' store unless given; opened on
        first use)."""
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._cipher = cipher
        self._settings = settings
        self._transports = dict(transports or {})
        self._pass_interval = pass_interval
        self._sleep = sleep
        self._adapters: dict[str, tuple[str, PlatformAdapter]] = {}
        self._storage = storage

    def file_storage(self) -> FileStorage:
        if self._storage is None:
            self._storage = storage_from_settings(self._settings)
        return self._storage

    def adapter(self, connection: NetworkConnection) -> PlatformAdapter:
        # A new token (a fixed connection) gets a fresh adapter: the old one's memory is of
        # a token the network refused.
        token = hashlib.sha256(connection.access_token_sealed.encode()).hexdigest()
        kept = self._adapters.get(connection.id)
        if kept is not None and kept[0] == token:
            return kept[1]
        directory = CommittingDirectory(self._sessionmaker, connection, self._clock)
        media = StoredMedia(self._sessionmaker, self.file_storage, connection.company_id)
        audiences = StoredAudiences(self._sessionmaker, connection.company_id)
        built = self._build(credentials(connection, self._cipher), directory, media, audiences)
        self._adapters[connection.id] = (token, built)
        return built

    def _build(
        self,
        wanted: NetworkCredentials,
        directory: ObjectDirectory,
        media: StoredMedia,
        audiences: StoredAudiences,
    ) -> PlatformAdapter:
        transport = self._transports.get(wanted.platform)
        if wanted.platform == "meta":
            return create_meta_adapter(
                wanted,
                directory,
                clock=self._clock,
                base_url=self._settings.meta_graph_url,
                api_version=self._settings.meta_api_version,
                transport=transport,
                sleep=self._sleep,
                media=media,
                audiences=audiences,
            )
        if wanted.platform == "tiktok":
            return create_tiktok_adapter(
                wanted,
                directory,
                clock=self._clock,
                base_url=self._settings.tiktok_api_url,
                transport=transport,
                check_interval=self._pass_interval,
                report_lag=timedelta(seconds=self._settings.tiktok_report_lag_seconds),
                sleep=self._sleep,
                media=media,
                audiences=audiences,
            )
        raise ValueError(f"No real adapter for platform {wanted.platform!r}")


class GuardedAdapter:
    """One connection's adapter as one pass of the worker calls it: a failure of this
    network stays this connection's. A refused token (`ConnectionBroken`, kept in
    `broken`) and a network that cannot answer now (a retryable error: unreachable, rate
    limited) stop the connection's calls for the rest of the pass: each later write fails
    (retried next pass) and each read answers nothing, at once, instead of every object
    waiting out the client's retries. Any other failure fails its own write only. The
    simulated network is never wrapped: it does not fail this way."""

    def __init__(self, adapter: PlatformAdapter, label: str) -> None:
        self.adapter = adapter
        self.label = label
        # What stopped this pass's calls to the network, if something did.
        self.stopped: AdapterError | None = None
        # How far back the network still revises its reports (Meta 28 days, TikTok's
        # attribution 7): the worker re-reads that window once a day.
        self.revision_window: timedelta | None = getattr(adapter, "revision_window", None)

    @property
    def platform(self) -> str:
        return self.adapter.platform

    def _failed(self, kind: ObjectKind, object_id: str, error: AdapterError) -> WriteResult:
        return WriteResult(
            kind,
            object_id,
            None,
            "failed",
            error=ItemError(type(error).__name__, str(error), retryable=error.retryable),
        )

    @property
    def broken(self) -> str | None:
        """Why the network refused the connection's token this pass, if it did."""
        return str(self.stopped) if isinstance(self.stopped, ConnectionBroken) else None

    def _note(self, error: AdapterError) -> None:
        if isinstance(error, ConnectionBroken) or error.retryable:
            self.stopped = error
        logger.warning("%s: %s", self.label, error)

    async def _write(
        self, kind: ObjectKind, object_id: str, call: Callable[[], Awaitable[WriteResult]]
    ) -> WriteResult:
        if self.stopped is not None:
            return self._failed(kind, object_id, self.stopped)
        try:
            return await call()
        except AdapterError as error:
            self._note(error)
            return self._failed(kind, object_id, error)

    async def upsert_campaign(self, spec: CampaignSpec, *, idempotency_key: str) -> WriteResult:
        return await self._write(
            "ad_campaign",
            spec.id,
            lambda: self.adapter.upsert_campaign(spec, idempotency_key=idempotency_key),
        )

    async def upsert_ad_group(self, spec: AdGroupSpec, *, idempotency_key: str) -> WriteResult:
        return await self._write(
            "ad_group",
            spec.id,
            lambda: self.adapter.upsert_ad_group(spec, idempotency_key=idempotency_key),
        )

    async def upsert_ad(self, spec: AdSpec, *, idempotency_key: str) -> WriteResult:
        return await self._write(
            "ad", spec.id, lambda: self.adapter.upsert_ad(spec, idempotency_key=idempotency_key)
        )

    async def delete_object(self, ref: ObjectRef, *, idempotency_key: str) -> WriteResult:
        return await self._write(
            ref.kind,
            ref.id,
            lambda: self.adapter.delete_object(ref, idempotency_key=idempotency_key),
        )

    def spending_limit_margin(
        self, daily_budget_micros: int, lifetime_budgets: Sequence[LifetimeBudget] = ()
    ) -> int:
        return self.adapter.spending_limit_margin(daily_budget_micros, lifetime_budgets)

    # Reads the API makes of the network (not the worker): passed through as they are.
    async def estimate_reach(self, targeting: Targeting) -> tuple[int | None, int | None]:
        return await self.adapter.estimate_reach(targeting)

    async def search_targeting_options(self, search: TargetingSearch) -> list[TargetingOption]:
        return await self.adapter.search_targeting_options(search)

    async def check_pixel_token(self, pixel_external_id: str, access_token: str) -> PixelCheck:
        return await self.adapter.check_pixel_token(pixel_external_id, access_token)

    async def _batch(
        self,
        kinds_ids: Sequence[tuple[ObjectKind, str]],
        call: Callable[[], Awaitable[list[WriteResult]]],
    ) -> list[WriteResult]:
        error: AdapterError
        if self.stopped is not None:
            error = self.stopped
        else:
            try:
                return await call()
            except AdapterError as raised:
                self._note(raised)
                error = raised
        return [self._failed(kind, object_id, error) for kind, object_id in kinds_ids]

    async def set_spend_allowances(
        self, allowances: Sequence[SpendAllowance], *, idempotency_key: str
    ) -> list[WriteResult]:
        return await self._batch(
            [(item.owner.kind, item.owner.id) for item in allowances],
            lambda: self.adapter.set_spend_allowances(allowances, idempotency_key=idempotency_key),
        )

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        return await self._batch(
            [("ad_campaign", item.campaign_id) for item in limits],
            lambda: self.adapter.set_spending_limits(limits, idempotency_key=idempotency_key),
        )

    async def pull_stats(self, since: datetime, until: datetime) -> list[ReportedHour]:
        if self.stopped is not None:
            return []
        try:
            return await self.adapter.pull_stats(since, until)
        except AdapterError as error:
            self._note(error)
            return []

    async def pull_review_outcomes(self, since: datetime | None = None) -> list[ReviewOutcome]:
        if self.stopped is not None:
            return []
        try:
            return await self.adapter.pull_review_outcomes(since)
        except AdapterError as error:
            self._note(error)
            return []
