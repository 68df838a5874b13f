"""Every table, imported in one place so Alembic and tests see the whole schema."""

from __future__ import annotations

from adline.auth.models import ApiKey
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company, User
from adline.core.db import Base

metadata = Base.metadata

__all__ = ["AdCampaign", "ApiKey", "Company", "User", "metadata"]
