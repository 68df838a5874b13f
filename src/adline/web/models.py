"""The browser ads manager's signed-in sessions (docs/web.md#the-security-model)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class WebSession(Base):
    """One browser's sign-in. The API key's secret never lands here (nor in the browser):
    only the key's id, re-checked on every page. The cookie carries `id`, signed."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    # Every POST's hidden `csrf_token` must equal it (compared in constant time).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
