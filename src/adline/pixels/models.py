from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class AdPixel(Base):
    """A company's pixel on an ad network, and the access token that sends it events.

    One pixel per company and one company per network pixel (the two unique constraints:
    spec A.2). The token is stored sealed (`adline.core.encryption`), never in the clear,
    and never leaves in an answer. A deleted pixel's row is removed, token and all.
    """

    __tablename__ = "ad_pixels"
    __table_args__ = (
        UniqueConstraint("company_id", name="uq_ad_pixels_company"),
        UniqueConstraint("platform", "external_id", name="uq_ad_pixels_platform_external"),
        # Keyset pagination walks (company, created_at, id).
        Index("ix_ad_pixels_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    platform: Mapped[str] = mapped_column(String(16))
    # The pixel's id on the network.
    external_id: Mapped[str] = mapped_column(String(64))
    # The pixel's name on the network, as its last token check answered it.
    name: Mapped[str | None] = mapped_column(String(255))
    # active | errored | disabled
    status: Mapped[str] = mapped_column(String(16))
    # Why the network refused the token; set only while `errored`.
    error_message: Mapped[str | None] = mapped_column(Text)
    # The access token, sealed under the deployment's secret key.
    access_token_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
