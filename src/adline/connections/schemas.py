"""Request bodies and response shapes: Adline's `network_connections` (its extension; the
access token is write-only) and `/external_accounts` as whop-sdk 2.6.0 sends and reads
them (the same in every API version)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from adline.core.schemas import AccessToken, PageInfoObject, RequestModel

# --- network connections (Adline's own) ----------------------------------------------------

NetworkPlatform = Literal["meta", "tiktok"]
ConnectionStatus = Literal["active", "broken"]
# Checked per platform by the service (Meta `act_<digits>`, TikTok digits).
AdAccountId = Annotated[str, Field(min_length=1, max_length=64)]
PageId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class NetworkConnectionCreate(RequestModel):
    access_token: AccessToken
    account_id: str | None = None
    external_id: AdAccountId
    page_id: PageId | None = None
    platform: NetworkPlatform


class NetworkConnectionUpdate(RequestModel):
    access_token: AccessToken | None = None
    page_id: PageId | None = None


class NetworkConnectionObject(BaseModel):
    id: str
    account_id: str
    platform: NetworkPlatform
    external_id: str
    page_id: str | None
    name: str | None
    status: ConnectionStatus
    error_message: str | None
    broken_at: str | None
    created_at: str
    updated_at: str


class NetworkConnectionList(BaseModel):
    data: list[NetworkConnectionObject]
    page_info: PageInfoObject


class DeletedObject(BaseModel):
    id: str
    deleted: bool


# --- external accounts (whop-sdk 2.6.0) -----------------------------------------------------

AccountPlatform = Literal["x", "instagram", "youtube", "tiktok", "facebook", "linkedin", "snapchat"]
ListPlatform = Literal[
    "x", "instagram", "youtube", "tiktok", "facebook", "discord", "telegram", "linkedin", "snapchat"
]
TrustLevel = Literal["oauth", "verified", "authorized", "claimed", "scraped"]
ConnectPlatform = Literal["meta_business", "tiktok", "linkedin", "youtube", "x", "snapchat"]
Scope = Literal["advertise"]


class ExternalAccountCreate(RequestModel):
    account_id: str | None = None
    platform: Literal["facebook", "tiktok"]


class ExternalAccountConnect(RequestModel):
    account_id: str | None = None
    platform: ConnectPlatform
    redirect_url: Annotated[str, Field(min_length=1, max_length=2048)]
    scopes: list[Scope] | None = None


class ExternalAccountRefresh(RequestModel):
    account_id: str | None = None


class PartnerCreate(RequestModel):
    account_id: str | None = None
    username: Annotated[str, Field(min_length=1, max_length=64)]


class ParentObject(BaseModel):
    id: str
    external_id: str | None
    name: str | None
    platform: AccountPlatform
    profile_picture_url: str | None
    username: str | None
    verified: bool


class ExternalAccountObject(BaseModel):
    id: str
    error: str | None
    external_id: str | None
    name: str | None
    parent_external_account: ParentObject | None
    partnership_status: Literal["pending", "approved", "revoked"] | None
    platform: AccountPlatform
    profile_picture_url: str | None
    scopes: list[str]
    url: str | None
    username: str | None
    verified: bool


class ExternalAccountList(BaseModel):
    data: list[ExternalAccountObject]
    page_info: PageInfoObject


class ConnectAnswer(BaseModel):
    authorize_url: str


class PostObject(BaseModel):
    id: str
    call_to_action: str | None
    caption: str | None
    destination_url: str | None
    embed_url: str | None
    media_url: str | None
    restrictions: list[str]
    thumbnail_url: str | None
    video_id: str | None


class PostList(BaseModel):
    data: list[PostObject]
    page_info: PageInfoObject


class LeadFormObject(BaseModel):
    id: str
    completion: dict[str, Any] | None
    created_at: str | None
    disclaimer: dict[str, Any] | None
    form_type: Literal["more_volume", "higher_intent"]
    intro: dict[str, Any] | None
    locale: str | None
    name: str | None
    privacy_policy_link_text: str | None
    privacy_policy_url: str | None
    question_labels: list[str]
    questions: list[dict[str, Any]]


class LeadFormList(BaseModel):
    data: list[LeadFormObject]
