from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class Product(Base):
    """What a campaign promotes (seeds 002 and 003: `product {id, title, route}`)."""

    __tablename__ = "products"
    __table_args__ = (
        # Keyset pagination walks (company, created_at, id); routes are unique per company.
        Index("ix_products_company_created", "company_id", "created_at", "id"),
        Index("ix_products_company_route", "company_id", "route"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    title: Mapped[str] = mapped_column(String(100))
    # The product page's path segment, a slug such as `pickaxe-analytics`.
    route: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Deleted products are archived, as campaigns are: archived campaigns keep naming them.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
