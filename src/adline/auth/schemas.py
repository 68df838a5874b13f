"""Request and response shapes of `/api_keys`, as the newest official client (whop-sdk 2.6.0)
defines them (`whop_sdk/api_keys/`, `whop_sdk/types/api_key*.py`)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from adline.auth.scopes import ALL_SCOPES
from adline.core.schemas import PageInfoObject, RequestModel, Timestamp, not_blank

ResourceType = Literal["account", "app"]
SystemRole = Literal["owner", "admin", "moderator", "sales_manager", "advertiser"]
KeyOrder = Literal["created_at"]

MAX_IP_ALLOWLIST = 100


def _known_action(value: str) -> str:
    if value not in ALL_SCOPES:
        raise ValueError(f"unknown permission action {value!r} (see docs/scopes.md)")
    return value


def _network(value: str) -> str:
    """An IP address or CIDR range, in canonical form (`10.0.0.0/8`, `203.0.113.7/32`)."""
    text = value.strip()
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("must be an IP address or a CIDR range such as 203.0.113.0/24") from None
    try:
        return str(ipaddress.ip_network(text))
    except ValueError:
        raise ValueError(f"{text} has host bits set; did you mean {loose}?") from None


KeyName = Annotated[str, BeforeValidator(not_blank), Field(min_length=1, max_length=200)]
Action = Annotated[str, AfterValidator(_known_action)]
IpNetwork = Annotated[str, AfterValidator(_network)]


class PermissionStatement(RequestModel):
    """Grants (`grant: true`) or denies (`false`) actions; a denial wins over a grant."""

    actions: Annotated[list[Action], Field(min_length=1)]
    grant: bool
    # Adline grants on the whole owning account: omitted, or that account's id.
    resources: list[str] | None = None


class Permissions(RequestModel):
    statements: Annotated[list[PermissionStatement], Field(min_length=1)] | None = None
    # Known to the client; Adline has no system roles and refuses one (400).
    system_role: SystemRole | None = None


class ApiKeyCreate(RequestModel):
    name: KeyName
    permissions: Permissions
    # The owning account; both default to the caller's (the client always sends them).
    resource_id: str | None = None
    resource_type: ResourceType | None = None
    # Omitted: pinned to the newest version. `null`: unpinned (follows the server default).
    api_version_date: str | None = None
    expires_at: Timestamp | None = None
    ip_allowlist: Annotated[list[IpNetwork], Field(max_length=MAX_IP_ALLOWLIST)] | None = None


class ApiKeyUpdate(RequestModel):
    """`PATCH /api_keys/{id}`: an omitted field keeps its value."""

    name: KeyName | None = None
    # Replaces the key's scopes (the same statements as on create).
    permissions: Permissions | None = None
    # `null`: unpinned (follows the server default).
    api_version_date: str | None = None
    # `null`: never expires.
    expires_at: Timestamp | None = None
    # `null` or empty: any address.
    ip_allowlist: Annotated[list[IpNetwork], Field(max_length=MAX_IP_ALLOWLIST)] | None = None


# A rotated key's old secret works at most this long (a week) whatever the request asks.
MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 60 * 60


class ApiKeyRotate(RequestModel):
    """`POST /api_keys/{id}/rotate`'s optional body (the client sends none): Adline's own."""

    # Seconds the old secret keeps working; omitted: the server's setting (24 h unless
    # configured), 0: the old secret stops at once (a leaked key).
    grace_period_seconds: Annotated[int, Field(ge=0, le=MAX_ROTATION_GRACE_SECONDS)] | None = None


# -- responses (for the OpenAPI document; bodies are built as dicts and rendered per version)


class ApiKeyGrantActionObject(BaseModel):
    action: str
    granted: bool


class ApiKeyGrantObject(BaseModel):
    resource_id: str
    resource_type: str
    actions: list[ApiKeyGrantActionObject]


class ApiKeyObject(BaseModel):
    """The newest ApiKey: every key is always present (nullable ones as null)."""

    id: str
    name: str | None
    obfuscated_secret_key: str
    secret_key: str | None = Field(description="Only in the create response; null elsewhere.")
    api_version_date: str | None
    expires_at: str | None
    ip_allowlist: list[str] | None
    grants: list[ApiKeyGrantObject]
    system_role: SystemRole | None
    is_default_for_resource: bool
    created_at: str
    updated_at: str


class ApiKeyList(BaseModel):
    data: list[ApiKeyObject]
    page_info: PageInfoObject


class PermissionObject(BaseModel):
    """One entry of the permission catalogue, in the client's `Permission` shape."""

    action: str
    name: str
    description: str
    category: str | None
    allowed_on_api_key: bool
    allowed_on_app: bool
    allowed_on_user: bool
    granted_to_system_roles: list[SystemRole]
    operations: list[str] = Field(
        description="Adline's own: the operations (`METHOD /path`) that need this action."
    )


class PermissionList(BaseModel):
    data: list[PermissionObject]
    page_info: PageInfoObject


class DeletedApiKey(BaseModel):
    id: str
    deleted: bool
