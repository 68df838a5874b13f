"""Permission scopes: Whop's names (spec section F). The one list of every scope Adline knows.

docs/scopes.md lists the same names with the endpoints that need them; a test keeps the two
in step.
"""

from __future__ import annotations

AD_CAMPAIGN_BASIC_READ = "ad_campaign:basic:read"
AD_CAMPAIGN_READ = "ad_campaign:read"
AD_CAMPAIGN_BASIC_EXPORT = "ad_campaign:basic:export"
AD_CAMPAIGN_CREATE = "ad_campaign:create"
AD_CAMPAIGN_UPDATE = "ad_campaign:update"
AD_CAMPAIGN_DELETE = "ad_campaign:delete"
AD_CAMPAIGN_STATS_READ = "ad_campaign:stats:read"
AD_CAMPAIGN_CREDIT_CREATE = "ad_campaign:credit:create"
AD_CAMPAIGN_CONVERSION_CREATE = "ad_campaign:conversion:create"
AD_PIXEL_MANAGE = "ad_pixel:manage"
AD_PUBLISHER_READ = "ad_publisher:read"
EVENT_CREATE = "event:create"
WEBHOOK_RECEIVE_AD_CAMPAIGNS = "webhook_receive:ad_campaigns"
WEBHOOK_RECEIVE_AD_GROUPS = "webhook_receive:ad_groups"
WEBHOOK_RECEIVE_ADS = "webhook_receive:ads"
DEVELOPER_MANAGE_API_KEY = "developer:manage_api_key"
# Adline's own: spend caps are its extension of the Whop surface (seed 004).
SPEND_CAP_READ = "spend_cap:read"
SPEND_CAP_WRITE = "spend_cap:write"
# Adline's own: the products campaigns promote (seeds 002 and 003).
PRODUCT_READ = "product:read"
PRODUCT_WRITE = "product:write"
# Adline's own: managing webhook endpoints (Whop's dashboard does it there).
WEBHOOK_READ = "webhook:read"
WEBHOOK_WRITE = "webhook:write"

ALL_SCOPES: tuple[str, ...] = (
    AD_CAMPAIGN_BASIC_READ,
    AD_CAMPAIGN_READ,
    AD_CAMPAIGN_BASIC_EXPORT,
    AD_CAMPAIGN_CREATE,
    AD_CAMPAIGN_UPDATE,
    AD_CAMPAIGN_DELETE,
    AD_CAMPAIGN_STATS_READ,
    AD_CAMPAIGN_CREDIT_CREATE,
    AD_CAMPAIGN_CONVERSION_CREATE,
    AD_PIXEL_MANAGE,
    AD_PUBLISHER_READ,
    EVENT_CREATE,
    WEBHOOK_RECEIVE_AD_CAMPAIGNS,
    WEBHOOK_RECEIVE_AD_GROUPS,
    WEBHOOK_RECEIVE_ADS,
    DEVELOPER_MANAGE_API_KEY,
    SPEND_CAP_READ,
    SPEND_CAP_WRITE,
    PRODUCT_READ,
    PRODUCT_WRITE,
    WEBHOOK_READ,
    WEBHOOK_WRITE,
)


def parse_scopes(text: str) -> list[str]:
    """`"a,b"` -> `["a", "b"]`; raises ValueError naming an unknown scope."""
    scopes = [part.strip() for part in text.split(",") if part.strip()]
    if not scopes:
        raise ValueError("no scopes given")
    for scope in scopes:
        if scope not in ALL_SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
    return list(dict.fromkeys(scopes))
