"""Durable simulated networks: what survives a worker killed at any instant.

A real network keeps its own state; the simulated one lives in the worker's memory. A
`SimulatedNetwork` is deterministic: everything it delivers, bills and reports is a function
of its seed, its options, the hour it was born and the writes it accepted, each with the
instant it was made (every random draw is seeded by the object and the hour, and a write
only takes effect after the instant it was made, so hours already simulated never depend on
it). So the store keeps exactly those facts, in two tables (`adline.delivery.models`):

- `simulated_networks`: one row per network (platform and seed): its birth hour, how many
  writes its journal holds, and the clock of the last pass whose reports were ingested;
- `simulated_network_writes`: the journal, every accepted write in order (operation,
  idempotency key, JSON payload, the clock at the call).

A worker appends a pass's writes in the same transaction as the rest of that step, and
takes each network's row lock first, so workers take turns and each one's copy (replica)
is brought up to date with the others' writes before it writes or reads. A new process
rebuilds each replica from the journal; the hours simulated since its birth are simulated
again, identically, and re-reported: ingestion keeps one row per ad-hour and revision, so
every hour is reported exactly once, however often a worker dies (docs/delivery.md,
"Durable state").
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    CreativeSummary,
    CustomLocation,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    LimitBound,
    ObjectRef,
    OperatingSystem,
    PlacementSelection,
    ScheduleWindow,
    SpendAllowance,
    SpendingLimit,
    Targeting,
)
from adline.delivery.models import SimulatedNetworkState, SimulatedNetworkWrite
from adline.delivery.pacing import floor_hour
from adline.delivery.registry import AdapterRegistry
from adline.delivery.simulator import JournalEntry, SimulatedNetwork

# --- Payloads as JSON ----------------------------------------------------------------------------

# Everything a write carries. Decoding builds only these (no arbitrary classes).
PAYLOAD_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        AdGroupSpec,
        AdSpec,
        Bidding,
        Budget,
        CampaignSpec,
        CreativeSummary,
        CustomLocation,
        DeliverySchedule,
        FrequencyCap,
        GeoSelection,
        ObjectRef,
        OperatingSystem,
        LimitBound,
        PlacementSelection,
        ScheduleWindow,
        SpendAllowance,
        SpendingLimit,
        Targeting,
    )
}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value  # json writes the shortest repr: read back to the same float
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, datetime):
        # The wall time and the zone itself, so the decoded value is equal *and* has the
        # same repr (the network's idempotency fingerprint is the payload's repr).
        tz = value.tzinfo
        encoded: dict[str, Any] = {"$datetime": value.replace(tzinfo=None).isoformat()}
        if value.fold:
            encoded["fold"] = 1
        offset = value.utcoffset()
        if isinstance(tz, ZoneInfo):
            encoded["zone"] = tz.key
        elif offset is not None and repr(tz) == repr(timezone(offset)):
            encoded["offset"] = offset.total_seconds()
        else:
            raise TypeError(f"Cannot journal a datetime in {tz!r}")
        return encoded
    cls = type(value)
    if dataclasses.is_dataclass(value) and PAYLOAD_CLASSES.get(cls.__name__) is cls:
        fields = {
            field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
        return {"$": cls.__name__, **fields}
    raise TypeError(f"Cannot journal a {cls.__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if isinstance(value, dict):
        if "$datetime" in value:
            wall = datetime.fromisoformat(value["$datetime"])
            zone = (
                ZoneInfo(value["zone"])
                if "zone" in value
                else timezone(timedelta(seconds=value["offset"]))
            )
            return wall.replace(tzinfo=zone, fold=value.get("fold", 0))
        cls = PAYLOAD_CLASSES[value["$"]]
        return cls(**{name: _decode(item) for name, item in value.items() if name != "$"})
    return value


def encode_payload(payload: object) -> str:
    return json.dumps(_encode(payload), separators=(",", ":"), allow_nan=False)


def decode_payload(text: str) -> object:
    return _decode(json.loads(text))


# --- The networks of a worker ----------------------------------------------------------------


def network_id(network: SimulatedNetwork) -> str:
    return f"{network.platform}:{network.seed}"


class DurableNetworks:
    """Keeps a worker's simulated networks (its registry's) in the store.

    Call `attach` at the start of every transaction in which the worker uses a network (it
    takes the networks' row locks and brings each replica up to date), `record` before that
    transaction commits (it appends the writes the networks accepted), and `invalidate`
    when a transaction failed (the replicas are rebuilt from the store at the next attach).
    """

    def __init__(self, registry: AdapterRegistry) -> None:
        self.registry = registry
        # Network id -> how many journal entries its replica holds; absent: rebuild first.
        self._applied: dict[str, int] = {}

    def networks(self) -> list[tuple[str, SimulatedNetwork]]:
        found = []
        for platform in self.registry.platforms:
            adapter = self.registry.adapter(platform)
            if isinstance(adapter, SimulatedNetwork):
                found.append((network_id(adapter), adapter))
        return sorted(found, key=lambda pair: pair[0])

    async def attach(self, session: AsyncSession) -> set[str]:
        """Take each network's row lock for the rest of the transaction (in id order; the
        rows are created on first use), then bring every replica up to the journal: the
        journal cannot grow under the worker until it commits. Answers the platforms whose
        networks took writes this worker did not make (another worker's) since it last
        attached."""
        networks = self.networks()
        states = await self._lock(session, networks)
        written_by_others: set[str] = set()
        for name, network in networks:
            state = states[name]
            applied = self._applied.get(name)
            if network.journal is None or network.journal or applied is None:
                # Never restored in this process, or it holds writes the store does not
                # (a failed transaction): start again from the store.
                network.journal = []
                network.rebuild(state.born_at)
                applied = 0
            if state.journal_length < applied:
                raise RuntimeError(f"The journal of network {name} is shorter than its replica")
            if state.journal_length > applied:
                written_by_others.add(network.platform)
                entries = await self._entries(session, name, after=applied)
                if not all(network.replay(entry) for entry in entries):
                    # Another worker's write takes effect in an hour this replica already
                    # simulated: simulate again from the network's birth.
                    network.rebuild(state.born_at)
                    for entry in await self._entries(session, name, after=0):
                        if not network.replay(entry):
                            raise RuntimeError(f"Network {name}: a write before its birth")
            self._applied[name] = state.journal_length
        return written_by_others

    async def record(self, session: AsyncSession) -> None:
        """Append the writes each network accepted since the last `attach` or `record`."""
        for name, network in self.networks():
            pending = network.journal
            if not pending:
                continue
            applied = self._applied[name]
            await session.execute(
                insert(SimulatedNetworkWrite),
                [
                    {
                        "network_id": name,
                        "seq": applied + number,
                        "called_at": entry.called_at,
                        "operation": entry.operation,
                        "idempotency_key": entry.idempotency_key,
                        "payload": encode_payload(entry.payload),
                    }
                    for number, entry in enumerate(pending, start=1)
                ],
            )
            await session.execute(
                update(SimulatedNetworkState)
                .where(SimulatedNetworkState.id == name)
                .values(journal_length=applied + len(pending))
                .execution_options(synchronize_session=False)
            )
            self._applied[name] = applied + len(pending)
            pending.clear()

    async def mark_pulled(self, session: AsyncSession, at: datetime) -> None:
        """Record that the pass at `at` ingested what the networks reported (in the
        transaction that ingests it)."""
        names = [name for name, _ in self.networks()]
        await session.execute(
            update(SimulatedNetworkState)
            .where(SimulatedNetworkState.id.in_(names))
            .values(pulled_at=at)
            .execution_options(synchronize_session=False)
        )

    async def last_pull(self, session: AsyncSession) -> datetime | None:
        """The clock of the last pass that ingested every network's reports (None: no
        pass yet)."""
        names = [name for name, _ in self.networks()]
        pulled = dict(
            (
                await session.execute(
                    select(SimulatedNetworkState.id, SimulatedNetworkState.pulled_at).where(
                        SimulatedNetworkState.id.in_(names)
                    )
                )
            ).all()
        )
        instants = [pulled.get(name) for name in names]
        if not instants or any(instant is None for instant in instants):
            return None
        return min(instant for instant in instants if instant is not None)

    def invalidate(self) -> None:
        """A transaction failed: the replicas may hold what the store does not."""
        self._applied.clear()
        for _, network in self.networks():
            network.journal = None

    async def _lock(
        self, session: AsyncSession, networks: list[tuple[str, SimulatedNetwork]]
    ) -> dict[str, SimulatedNetworkState]:
        for name, network in networks:
            for attempt in range(2):
                # A no-op write takes the row lock (PostgreSQL), the write lock (SQLite).
                locked = await session.execute(
                    update(SimulatedNetworkState)
                    .where(SimulatedNetworkState.id == name)
                    .values(journal_length=SimulatedNetworkState.journal_length)
                    .execution_options(synchronize_session=False)
                )
                if getattr(locked, "rowcount", 0) > 0:
                    break
                if attempt:
                    raise RuntimeError(f"Network {name} could not be stored")
                dialect = session.get_bind().dialect.name
                statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
                    SimulatedNetworkState
                )
                await session.execute(
                    statement.values(
                        id=name,
                        platform=network.platform,
                        seed=network.seed,
                        born_at=floor_hour(network.clock.now()),
                        journal_length=0,
                    ).on_conflict_do_nothing(index_elements=["id"])
                )
        rows = await session.scalars(
            select(SimulatedNetworkState)
            .where(SimulatedNetworkState.id.in_([name for name, _ in networks]))
            .execution_options(populate_existing=True)
        )
        return {row.id: row for row in rows}

    async def _entries(self, session: AsyncSession, name: str, *, after: int) -> list[JournalEntry]:
        rows = await session.scalars(
            select(SimulatedNetworkWrite)
            .where(SimulatedNetworkWrite.network_id == name, SimulatedNetworkWrite.seq > after)
            .order_by(SimulatedNetworkWrite.seq)
        )
        return [
            JournalEntry(
                row.operation, row.idempotency_key, decode_payload(row.payload), row.called_at
            )
            for row in rows
        ]
