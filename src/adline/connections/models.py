"""Connections: network accounts with their sealed tokens, the ids the networks gave
Adline's objects, and the external accounts (pages, profiles) ads run under
(docs/connections.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class NetworkConnection(Base):
    """A company's connection to one real network account (Meta ad account `act_<digits>`,
    TikTok advertiser id), with the access token Adline acts with.

    One per company and platform, and one company per network account (the two unique
    constraints: two businesses must not steer, or read the stats of, one account). A
    company without one on a platform runs there on the simulated network, the default.
    The token is stored sealed (`adline.core.encryption`) and never leaves in an answer.
    """

    __tablename__ = "network_connections"
    __table_args__ = (
        UniqueConstraint("company_id", "platform", name="uq_network_connections_company"),
        UniqueConstraint("platform", "ad_account_id", name="uq_network_connections_account"),
        Index("ix_network_connections_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    # meta | tiktok
    platform: Mapped[str] = mapped_column(String(16))
    # Meta's `act_<digits>`, TikTok's advertiser id (digits).
    ad_account_id: Mapped[str] = mapped_column(String(64))
    # The Meta page (TikTok identity) ads run under, when the company named one.
    page_id: Mapped[str | None] = mapped_column(String(64))
    # The account's name, as the last token check answered it.
    name: Mapped[str | None] = mapped_column(String(255))
    # active | broken
    status: Mapped[str] = mapped_column(String(16))
    # Why the network refused the token; set only while `broken`.
    error_message: Mapped[str | None] = mapped_column(Text)
    broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access_token_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NetworkObject(Base):
    """One Adline object's id on a connection's network: unique both ways per connection and
    kind, so an id learnt twice is one row and a network id names one Adline object."""

    __tablename__ = "network_objects"
    __table_args__ = (
        UniqueConstraint(
            "connection_id", "kind", "network_id", name="uq_network_objects_network_id"
        ),
    )

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("network_connections.id", ondelete="CASCADE"), primary_key=True
    )
    # ad_campaign | ad_group | ad, or image | video: an Adline file (`local_id`) uploaded to
    # the account, with its image hash or video id.
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    network_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExternalAccount(Base):
    """A page or profile a company's ads run under (Whop's external account, `sacc_`), or a
    creator one of its Instagram accounts runs partnership ads with (a partner).

    `connected_to` is `account` for the company's own accounts and the `sacc_` id of the
    Instagram account for a partner; the unique constraint keeps one row per network
    account in each.
    """

    __tablename__ = "external_accounts"
    __table_args__ = (
        UniqueConstraint(
            "company_id",
            "connected_to",
            "platform",
            "external_id",
            name="uq_external_accounts_company_external",
        ),
        Index("ix_external_accounts_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    connected_to: Mapped[str] = mapped_column(String(32))
    # facebook | instagram | tiktok
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    # How it was linked: oauth (connect), authorized (made for the company by create),
    # claimed (a partner invited by username).
    trust_level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    profile_picture_url: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(default=False)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The account this one belongs to on the platform (the page owning an Instagram account).
    parent_id: Mapped[str | None] = mapped_column(String(32))
    # pending | approved | revoked, for partners only.
    partnership_status: Mapped[str | None] = mapped_column(String(16))
    # Why it cannot advertise now; cleared by a refresh that finds it healthy.
    error: Mapped[str | None] = mapped_column(Text)
    # Position in the company's list (order=display_order): the order they were linked.
    display_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
