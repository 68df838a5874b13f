"""The simulated networks' durable state (adline.delivery.journal): a network is a function
of its seed, its birth and the writes it accepted, so those are what the store keeps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class SimulatedNetworkState(Base):
    """One simulated network (a platform and a seed) that a durable worker drives."""

    __tablename__ = "simulated_networks"

    # "<platform>:<seed>"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column(BigInteger)
    # The first hour the network simulates.
    born_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How many writes the journal holds; also the column a worker's lock rewrites.
    journal_length: Mapped[int] = mapped_column(Integer, default=0)
    # The clock of the last worker pass whose pulled reports were ingested (committed with
    # them); null before the first.
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SimulatedNetworkWrite(Base):
    """One write the network accepted, in the order it accepted them (`seq` from 1)."""

    __tablename__ = "simulated_network_writes"

    network_id: Mapped[str] = mapped_column(ForeignKey("simulated_networks.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The network's clock when it accepted the write.
    called_at: Mapped[datetime] = mapped_column(UTCDateTime())
    operation: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(Text)
    # The payload, as adline.delivery.journal encodes it (JSON).
    payload: Mapped[str] = mapped_column(Text)
