"""Permission scopes: Whop's names (spec section F). The one list of every scope Adline knows.

docs/scopes.md lists the same names with the endpoints that need them; a test keeps the two
in step.
"""

from __future__ import annotations

from dataclasses import dataclass

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
# whop-sdk 2.6.0's names for the pages and profiles ads run under (`/external_accounts`);
# Adline's `/network_connections` use them too (docs/connections.md).
SOCIAL_ACCOUNT_READ = "social_account:read"
SOCIAL_ACCOUNT_CREATE = "social_account:create"
SOCIAL_ACCOUNT_DELETE = "social_account:delete"
# Adline's own: a demo server's clock (`/demo`, docs/demo.md). The clock is the server's,
# not a company's: a key with this scope moves time for every company on it.
DEMO_CONTROL = "demo:control"

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
    SOCIAL_ACCOUNT_READ,
    SOCIAL_ACCOUNT_CREATE,
    SOCIAL_ACCOUNT_DELETE,
    DEMO_CONTROL,
)


@dataclass(frozen=True)
class ScopeDetail:
    """How `GET /api_keys/permissions` describes a scope (the operations it grants are read
    from the routes themselves, `adline.auth.catalogue`)."""

    name: str
    category: str
    description: str


ADS = "Ads"
DEVELOPER = "Developer"
EVENTS = "Events"
SPEND_CAPS = "Spend caps"
PRODUCTS = "Products"
WEBHOOKS = "Webhooks"
CONNECTIONS = "Connections"
DEMO = "Demo"

DETAILS: dict[str, ScopeDetail] = {
    AD_CAMPAIGN_BASIC_READ: ScopeDetail(
        "Read ad campaigns", ADS, "Read ad campaigns, ad groups and ads, with their stats."
    ),
    AD_CAMPAIGN_READ: ScopeDetail(
        "Read ad campaigns (full)", ADS, "Whop's fuller campaign read; no endpoint needs it yet."
    ),
    AD_CAMPAIGN_BASIC_EXPORT: ScopeDetail(
        "Export ad campaigns", ADS, "Export campaign data; no endpoint needs it yet."
    ),
    AD_CAMPAIGN_CREATE: ScopeDetail(
        "Create ad campaigns", ADS, "Create and duplicate ad campaigns, ad groups and ads."
    ),
    AD_CAMPAIGN_UPDATE: ScopeDetail(
        "Update ad campaigns", ADS, "Update, pause and unpause ad campaigns, ad groups and ads."
    ),
    AD_CAMPAIGN_DELETE: ScopeDetail(
        "Delete ad campaigns", ADS, "Delete ad campaigns, ad groups and ads."
    ),
    AD_CAMPAIGN_STATS_READ: ScopeDetail(
        "Read ad reports",
        ADS,
        "Read ad reports, stats time series and recorded events (GET /events, validate_pixel).",
    ),
    AD_CAMPAIGN_CREDIT_CREATE: ScopeDetail(
        "Add ad credit", ADS, "Add credit to the ads balance; no endpoint needs it yet."
    ),
    AD_CAMPAIGN_CONVERSION_CREATE: ScopeDetail(
        "Record ad conversions", ADS, "Whop's conversion scope; events need event:create."
    ),
    AD_PIXEL_MANAGE: ScopeDetail(
        "Manage ad pixels",
        ADS,
        "Add, list, read and remove ad pixels and replace their access tokens.",
    ),
    AD_PUBLISHER_READ: ScopeDetail(
        "Read ad publishers", ADS, "Read ad publishers; no endpoint needs it yet."
    ),
    EVENT_CREATE: ScopeDetail(
        "Send events", EVENTS, "Send conversion events (purchases, leads, custom events)."
    ),
    WEBHOOK_RECEIVE_AD_CAMPAIGNS: ScopeDetail(
        "Receive ad campaign webhooks", WEBHOOKS, "Whop's app webhook scope; not used yet."
    ),
    WEBHOOK_RECEIVE_AD_GROUPS: ScopeDetail(
        "Receive ad group webhooks", WEBHOOKS, "Whop's app webhook scope; not used yet."
    ),
    WEBHOOK_RECEIVE_ADS: ScopeDetail(
        "Receive ad webhooks", WEBHOOKS, "Whop's app webhook scope; not used yet."
    ),
    DEVELOPER_MANAGE_API_KEY: ScopeDetail(
        "Manage API keys",
        DEVELOPER,
        "Create, update, rotate and revoke the account's API keys, granting at most the "
        "caller's own scopes.",
    ),
    SPEND_CAP_READ: ScopeDetail("Read spend caps", SPEND_CAPS, "Read spend caps and their usage."),
    SPEND_CAP_WRITE: ScopeDetail("Manage spend caps", SPEND_CAPS, "Create and update spend caps."),
    PRODUCT_READ: ScopeDetail("Read products", PRODUCTS, "Read the products campaigns promote."),
    PRODUCT_WRITE: ScopeDetail(
        "Manage products", PRODUCTS, "Create, update and delete the products campaigns promote."
    ),
    WEBHOOK_READ: ScopeDetail(
        "Read webhooks", WEBHOOKS, "Read webhook endpoints and their deliveries."
    ),
    WEBHOOK_WRITE: ScopeDetail(
        "Manage webhooks", WEBHOOKS, "Create, update, delete, test and replay webhook endpoints."
    ),
    SOCIAL_ACCOUNT_READ: ScopeDetail(
        "Read external accounts",
        CONNECTIONS,
        "Read the pages and profiles ads run under, their posts, lead forms and partners, "
        "and the account's network connections (never their tokens).",
    ),
    SOCIAL_ACCOUNT_CREATE: ScopeDetail(
        "Connect external accounts",
        CONNECTIONS,
        "Connect, create and refresh external accounts, invite partners, and add network "
        "connections or replace their tokens.",
    ),
    SOCIAL_ACCOUNT_DELETE: ScopeDetail(
        "Disconnect external accounts",
        CONNECTIONS,
        "Disconnect external accounts, remove partners and network connections.",
    ),
    DEMO_CONTROL: ScopeDetail(
        "Control the demo clock",
        DEMO,
        "On a demo server: read its simulated time, step it forward, run and stop it "
        "(the clock is the server's: every company's time moves).",
    ),
}


def parse_scopes(text: str) -> list[str]:
    """`"a,b"` -> `["a", "b"]`; raises ValueError naming an unknown scope."""
    scopes = [part.strip() for part in text.split(",") if part.strip()]
    if not scopes:
        raise ValueError("no scopes given")
    for scope in scopes:
        if scope not in ALL_SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
    return list(dict.fromkeys(scopes))
