"""Request and response models of `POST /conversions`, `POST /events`, `POST /events/batch`,
`GET /events` and `POST /events/validate_pixel`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from adline.core.schemas import PageInfoObject, RequestModel, Timestamp

EventName = Literal[
    "purchase",
    "lead",
    "submit_application",
    "contact",
    "complete_registration",
    "schedule",
    "custom",
    "view_content",
    "add_to_cart",
    "page",
]
ActionSource = Literal[
    "email",
    "website",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
]
Text = str | None
MAX_BATCH = 1000


class EventContext(RequestModel):
    """Where the event came from. The click ids (`fbclid`, `ttclid`, `gclid`) attribute it."""

    ad_campaign_id: Text = None
    ad_set_id: Text = None
    ad_id: Text = None
    fbclid: Text = None
    fbp: Text = None
    gclid: Text = None
    ga: Text = None
    ig_sid: Text = None
    ttclid: Text = None
    ttp: Text = None
    ip_address: Text = None
    user_agent: Text = None
    utm_source: Text = None
    utm_medium: Text = None
    utm_campaign: Text = None
    utm_content: Text = None
    utm_term: Text = None
    utm_id: Text = None


class EventUser(RequestModel):
    email: Text = None
    phone: Text = None
    first_name: Text = None
    last_name: Text = None
    name: Text = None
    username: Text = None
    external_id: Text = None
    anonymous_id: Text = None
    user_id: Text = None
    member_id: Text = None
    membership_id: Text = None
    birthdate: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    gender: Literal["male", "female"] | None = None
    city: Text = None
    state: Text = None
    postal_code: Text = None
    country: Text = None


class EventFields(RequestModel):
    """The fields `POST /conversions` and `POST /events` share (spec A.3)."""

    event_name: EventName
    action_source: ActionSource | None = None
    context: EventContext | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    custom_name: str | None = Field(default=None, min_length=1, max_length=35)
    event_id: str | None = Field(default=None, min_length=1, max_length=200)
    event_time: Timestamp | None = None
    plan_id: Text = None
    product_id: Text = None
    referrer_url: Text = None
    url: Text = None
    user: EventUser | None = None
    value: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    duration: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    resumed: bool | None = None
    source: Text = None
    title: Text = None


class ConversionCreate(EventFields):
    """`POST /conversions` (the older SDK's endpoint)."""

    company_id: str


class EventCreate(EventFields):
    """`POST /events`, the successor of `POST /conversions`: `account_id` names the company."""

    account_id: str


class EventBatch(RequestModel):
    """`POST /events/batch`: up to 1,000 events, each as `POST /events` takes it. Items are
    validated one by one, so a bad item fails alone."""

    events: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class EventRecorded(BaseModel):
    id: str


class BatchItemError(BaseModel):
    type: str
    message: str
    code: str | None
    param: str | None


class BatchItem(BaseModel):
    """One item's outcome: its event's `id`, or the `error` that refused it."""

    id: str | None = None
    error: BatchItemError | None = None


class EventBatchResult(BaseModel):
    data: list[BatchItem]


# --- reading events back (GET /events, POST /events/validate_pixel) ----------------------


class EventContextObject(BaseModel):
    ad_campaign_id: str | None
    ad_set_id: str | None
    ad_id: str | None
    ad_click_id: str | None
    ad_click_type: str | None
    source_type: Literal["ad_click", "lead_form", "external_ad_click", "referrer"] | None
    utm_campaign: str | None
    utm_content: str | None
    utm_medium: str | None
    utm_source: str | None
    utm_term: str | None


class EventUserObject(BaseModel):
    city: str | None
    country: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    name: str | None
    phone: str | None


class RelatedAdCampaign(BaseModel):
    id: str
    platform: str | None
    title: str | None


class RelatedAdGroup(BaseModel):
    id: str
    title: str | None


class RelatedAd(BaseModel):
    id: str
    title: str | None
    thumbnail_url: str | None


class EventRelated(BaseModel):
    """Only the keys that resolved are present."""

    ad_campaign: RelatedAdCampaign | None = None
    ad_group: RelatedAdGroup | None = None
    ad: RelatedAd | None = None


class EventObject(BaseModel):
    id: str
    event_id: str
    event_name: str
    custom_name: str | None
    event_time: str
    person_id: str
    context: EventContextObject
    user: EventUserObject
    currency: str | None
    value: float | None
    total_usd_amount: float | None
    url: str | None
    path: str | None
    referrer_url: str | None
    questions: list[dict[str, Any]] | None
    related: EventRelated | None


class EventList(BaseModel):
    data: list[EventObject]
    page_info: PageInfoObject


class ValidatePixelRequest(RequestModel):
    account_id: str | None = None
    url: str | None = Field(default=None, min_length=1, max_length=2048)


class PixelValidation(BaseModel):
    installed: bool
    last_seen_days: float | None
    last_fired_days: dict[str, int]
    host_events: list[str]
    page_events: list[str]
    firing_data_ok: bool
    native_tracking: bool
    affiliate_tracking_detected: bool
    reachable: bool | None
    url: str | None
