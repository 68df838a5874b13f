"""Every table, imported in one place so Alembic and tests see the whole schema."""

from __future__ import annotations

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.audiences.models import Audience, AudienceMember
from adline.auth.models import ApiKey
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company, User
from adline.connections.models import ExternalAccount, NetworkConnection, NetworkObject
from adline.conversions.models import AdClick, ConversionEvent
from adline.core.db import Base
from adline.delivery.models import SimulatedNetworkState, SimulatedNetworkWrite
from adline.demo.models import DemoClockState
from adline.files.models import File
from adline.funding.models import (
    CheckoutSession,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentMethod,
)
from adline.idempotency.models import IdempotencyRecord
from adline.issues.models import PlatformIssue
from adline.jobs.models import Job
from adline.pixels.models import AdPixel
from adline.products.models import Product
from adline.rate_limits.models import RateLimitBucket
from adline.spend_caps.models import SpendCap, SpendCapGrant, SpendCapMembership, SpendCapRevision
from adline.stats.models import AdStatHour
from adline.value_rules.models import (
    ConversionValueRule,
    ConversionValueRuleSelection,
    ConversionValueRuleTarget,
)
from adline.web.models import WebSession
from adline.webhooks.models import Webhook, WebhookDelivery, WebhookEvent

metadata = Base.metadata

__all__ = [
    "Ad",
    "AdCampaign",
    "AdClick",
    "AdGroup",
    "AdPixel",
    "AdStatHour",
    "ApiKey",
    "Audience",
    "AudienceMember",
    "CheckoutSession",
    "Company",
    "ConversionEvent",
    "ConversionValueRule",
    "ConversionValueRuleSelection",
    "ConversionValueRuleTarget",
    "DemoClockState",
    "ExternalAccount",
    "File",
    "IdempotencyRecord",
    "Job",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "NetworkConnection",
    "NetworkObject",
    "PaymentMethod",
    "PlatformIssue",
    "Product",
    "RateLimitBucket",
    "SimulatedNetworkState",
    "SimulatedNetworkWrite",
    "SpendCap",
    "SpendCapGrant",
    "SpendCapMembership",
    "SpendCapRevision",
    "User",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "metadata",
]
