"""Every table, imported in one place so Alembic and tests see the whole schema."""

from __future__ import annotations

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.models import ApiKey
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company, User
from adline.conversions.models import AdClick, ConversionEvent
from adline.core.db import Base
from adline.delivery.models import SimulatedNetworkState, SimulatedNetworkWrite
from adline.issues.models import PlatformIssue
from adline.products.models import Product
from adline.spend_caps.models import SpendCap, SpendCapGrant, SpendCapMembership, SpendCapRevision
from adline.stats.models import AdStatHour

metadata = Base.metadata

__all__ = [
    "Ad",
    "AdCampaign",
    "AdClick",
    "AdGroup",
    "AdStatHour",
    "ApiKey",
    "Company",
    "ConversionEvent",
    "PlatformIssue",
    "Product",
    "SimulatedNetworkState",
    "SimulatedNetworkWrite",
    "SpendCap",
    "SpendCapGrant",
    "SpendCapMembership",
    "SpendCapRevision",
    "User",
    "metadata",
]
