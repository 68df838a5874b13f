"""Ad request bodies and the response shape, newest version (spec A.2 POST /ads, B.4, C.12-C.14).

Request models check what one value can tell on its own (types, enums, id prefixes, URLs,
language codes, blank strings, null on a field that has no null), so pydantic's error
location names the exact parameter (`creatives[0].id`). Rules that need other fields, the
ad group or the platform live in `adline.ads.content.check_ad`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator

from adline.ad_groups.iso_codes import LANGUAGES
from adline.campaigns.schemas import PlatformIssue
from adline.core.schemas import RequestModel, Title, not_blank
from adline.metrics.schemas import MetricFields

# --- enums ------------------------------------------------------------------------------

# C.12: the 25 values a request may send.
CallToAction = Literal[
    "apply_now",
    "book_now",
    "call_now",
    "contact_us",
    "donate_now",
    "download",
    "get_directions",
    "get_offer",
    "get_quote",
    "learn_more",
    "listen_now",
    "message_page",
    "no_button",
    "open_link",
    "order_now",
    "request_time",
    "see_details",
    "see_menu",
    "see_more",
    "send_updates",
    "shop_now",
    "sign_up",
    "subscribe",
    "visit_site",
    "watch_more",
]
# C.12: a response may also carry the 9 values the networks set on their own.
CallToActionResponse = Literal[
    "apply_now",
    "book_now",
    "call_now",
    "contact_us",
    "donate_now",
    "download",
    "get_directions",
    "get_offer",
    "get_quote",
    "learn_more",
    "listen_now",
    "message_page",
    "no_button",
    "open_link",
    "order_now",
    "request_time",
    "see_details",
    "see_menu",
    "see_more",
    "send_updates",
    "shop_now",
    "sign_up",
    "subscribe",
    "visit_site",
    "watch_more",
    "get_started",
    "buy_now",
    "whatsapp_message",
    "instagram_message",
    "play_game",
    "get_offer_view",
    "get_event_tickets",
    "event_rsvp",
    "view_instagram_profile",
]
CreativeFormat = Literal["square", "vertical", "horizontal"]
PostSource = Literal["facebook", "instagram"]
AdRequestStatus = Literal["active", "paused"]
AdStatus = Literal["active", "paused", "in_review", "rejected"]
AdDeliveryStatus = Literal[
    "in_appeal",
    "rejected",
    "in_review",
    "draft",
    "campaign_paused",
    "ad_group_paused",
    "paused",
    "processing",
    "issues",
    "scheduled",
    "learning_limited",
    "learning",
    "active",
]
AdPlatform = Literal["meta", "tiktok", "google"]
# C.13
LeadFormType = Literal["more_volume", "higher_intent"]
LeadQuestionType = Literal[
    "email",
    "phone",
    "full_name",
    "first_name",
    "last_name",
    "city",
    "state",
    "zip",
    "country",
    "street_address",
    "job_title",
    "company_name",
    "work_email",
    "work_phone_number",
    "dob",
    "gender",
    "marital_status",
    "relationship_status",
    "military_status",
    "date_time",
    "custom",
]
LeadQuestionFormat = Literal["short_answer", "multiple_choice", "appointment"]
LeadLogicAction = Literal["go_to_question", "submit_form", "close_form"]
LeadButtonType = Literal["website", "call", "download"]

# --- scalar types -----------------------------------------------------------------------

MAX_URL_LENGTH = 2048

# ISO 639-1, plus `fil` (Filipino, ISO 639-2), which Meta's automatic translation offers and
# which has no two-letter code.
LANGUAGE_CODES = LANGUAGES | {"fil"}

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _prefixed(prefix: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.startswith(prefix) or len(value) == len(prefix) or value != value.strip():
            raise ValueError(f"must be an id starting with {prefix}")
        return value

    return AfterValidator(check)


def _token(value: str) -> str:
    if not value or any(character.isspace() for character in value):
        raise ValueError("must be a non-empty id without spaces")
    return value


def _language(value: str) -> str:
    code = value.lower()
    if code not in LANGUAGE_CODES:
        raise ValueError("must be an ISO 639-1 language code such as en or es")
    return code


def http_url_error(value: str) -> str | None:
    """Why `value` is not an absolute http(s) URL, or None when it is one."""
    if any(character.isspace() or ord(character) < 32 for character in value):
        return "must be an absolute http or https URL without spaces"
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        _ = parts.port  # raises ValueError on a port that is not a number
    except ValueError:
        return "must be an absolute http or https URL"
    if parts.scheme not in {"http", "https"} or not hostname:
        return "must be an absolute http or https URL"
    return None


def _http_url(value: str) -> str:
    error = http_url_error(value)
    if error is not None:
        raise ValueError(error)
    return value


def _phone(value: str) -> str:
    if not _E164.fullmatch(value):
        raise ValueError("must be a phone number in E.164 form, such as +14155550100")
    return value


def _pixels(value: float) -> float:
    # Whole numbers are kept as ints, so `{"x": 10}` renders back as `10`.
    return int(value) if value.is_integer() else value


def _url_parameter_value(value: Any) -> Any:
    def scalar(item: Any) -> bool:
        if isinstance(item, float):
            return math.isfinite(item)
        return isinstance(item, str | int | bool)

    if scalar(value):
        return value
    if isinstance(value, list) and value and all(scalar(item) for item in value):
        return value
    raise ValueError(
        "must be a string, number or boolean (or a non-empty list of them, for a parameter "
        "repeated in the query string)"
    )


Text = Annotated[str, AfterValidator(not_blank)]
FileId = Annotated[str, _prefixed("file_")]
SocialAccountId = Annotated[str, _prefixed("sacc_")]
PlatformId = Annotated[str, AfterValidator(_token), Field(max_length=200)]
Language = Annotated[str, AfterValidator(_language)]
HttpUrl = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(_http_url)]
PhoneNumber = Annotated[str, AfterValidator(_phone)]
Pixels = Annotated[float, Field(ge=0, allow_inf_nan=False), AfterValidator(_pixels)]
PositivePixels = Annotated[float, Field(gt=0, allow_inf_nan=False), AfterValidator(_pixels)]
UrlParameterValue = Annotated[Any, AfterValidator(_url_parameter_value)]
Index = Annotated[int, Field(ge=0)]

# --- request models ---------------------------------------------------------------------


class Crop(RequestModel):
    """A crop window in source-image pixels: the top-left corner and a positive size."""

    x: Pixels
    y: Pixels
    width: PositivePixels
    height: PositivePixels


class Creative(RequestModel):
    id: FileId
    format: CreativeFormat | None = None
    crop: Crop | None = None
    language: Language | None = None

    @field_validator("crop")
    @classmethod
    def _crop_needs_format(cls, crop: Crop | None, info: ValidationInfo) -> Crop | None:
        # "format" is absent from info.data when it failed validation: that error comes first.
        if crop is not None and "format" in info.data and info.data["format"] is None:
            raise ValueError(
                "a crop belongs to a placement format (square, vertical or horizontal); "
                "the original asset (no format) is not cropped"
            )
        return crop


class TextVariant(RequestModel):
    text: Text
    language: Language | None = None


class ExternalAccountRef(RequestModel):
    id: SocialAccountId


class LeadFormIntro(RequestModel):
    headline: Text | None = None
    description: Text | None = None


class LeadFormPrivacyPolicy(RequestModel):
    url: HttpUrl
    link_text: Text | None = None


class LeadFormCheckbox(RequestModel):
    text: Text
    key: PlatformId | None = None
    required: bool | None = None
    checked_by_default: bool | None = None


class LeadFormDisclaimer(RequestModel):
    title: Text | None = None
    body: Text | None = None
    checkboxes: list[LeadFormCheckbox] | None = None


class LeadFormCompletion(RequestModel):
    headline: Text | None = None
    description: Text | None = None
    button_type: LeadButtonType | None = None
    button_text: Text | None = None
    url: HttpUrl | None = None
    phone_number: PhoneNumber | None = None
    file_url: HttpUrl | None = None


class LeadFormLogic(RequestModel):
    action: LeadLogicAction
    target_question_index: Index | None = None
    target_end_page_index: Index | None = None


class LeadFormOption(RequestModel):
    value: Text
    key: PlatformId | None = None
    logic: LeadFormLogic | None = None


class LeadFormQuestion(RequestModel):
    type: LeadQuestionType
    label: Text | None = None
    format: LeadQuestionFormat | None = None
    options: list[LeadFormOption] | None = None


class LeadForm(RequestModel):
    name: Text | None = None
    form_type: LeadFormType | None = None
    phone_verification: bool | None = None
    intro: LeadFormIntro | None = None
    privacy_policy: LeadFormPrivacyPolicy | None = None
    disclaimer: LeadFormDisclaimer | None = None
    completion: LeadFormCompletion | None = None
    questions: list[LeadFormQuestion] | None = None


class MessagingConfig(RequestModel):
    message: Text | None = None
    keyword: Text | None = None


class Music(RequestModel):
    id: FileId


class Translations(RequestModel):
    source_language: Language
    automatic_languages: list[Language] | None = None


# Fields whose response value is never null: sending null is refused (send [] or {}).
NOT_NULL_FIELDS = (
    "status",
    "url_parameters",
    "creatives",
    "primary_texts",
    "headlines",
    "descriptions",
    "external_accounts",
)


class AdFields(RequestModel):
    """The content fields POST /ads and PATCH /ads/{id} share; every key optional.

    Only the keys sent are applied (`model_fields_set`). null clears a nullable field
    (`multi_advertiser_ads: null` restores its default, true); null on a field in
    NOT_NULL_FIELDS is refused.
    """

    title: Title | None = None
    status: AdRequestStatus | None = None
    url: HttpUrl | None = None
    url_parameters: dict[str, UrlParameterValue] | None = None
    call_to_action: CallToAction | None = None
    creatives: list[Creative] | None = None
    primary_texts: list[TextVariant] | None = None
    headlines: list[TextVariant] | None = None
    descriptions: list[TextVariant] | None = None
    existing_post_id: PlatformId | None = None
    post_source: PostSource | None = None
    external_accounts: list[ExternalAccountRef] | None = None
    lead_form: LeadForm | None = None
    lead_form_id: PlatformId | None = None
    messaging_config: MessagingConfig | None = None
    multi_advertiser_ads: bool | None = None
    music: Music | None = None
    translations: Translations | None = None

    @field_validator(*NOT_NULL_FIELDS)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value

    @field_validator("url_parameters")
    @classmethod
    def _parameter_names(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and any(not key.strip() for key in value):
            raise ValueError("parameter names must not be blank")
        return value

    @field_validator("lead_form_id")
    @classmethod
    def _one_lead_form(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("lead_form") is not None:
            raise ValueError(
                "send lead_form (a new form) or lead_form_id (an existing one), not both"
            )
        return value


class AdCreate(AdFields):
    """POST /ads. Exactly one of ad_group_id / ad_group (checked by the service)."""

    ad_group_id: str | None = None
    ad_group: dict[str, Any] | None = None


class AdUpdate(AdFields):
    """PATCH /ads/{id}: the content fields; ad_group / ad_group_id are unknown here (400)."""


# --- response models --------------------------------------------------------------------


class EntityReference(BaseModel):
    id: str


class CropObject(BaseModel):
    x: float
    y: float
    width: float
    height: float


class CreativeObject(BaseModel):
    id: str
    format: CreativeFormat | None
    crop: CropObject | None
    language: str | None
    media_type: str | None
    url: str | None


class TextObject(BaseModel):
    text: str
    language: str | None


class LeadFormIntroObject(BaseModel):
    headline: str | None
    description: str | None


class LeadFormPrivacyPolicyObject(BaseModel):
    url: str
    link_text: str | None


class LeadFormCheckboxObject(BaseModel):
    text: str
    key: str | None
    required: bool
    checked_by_default: bool


class LeadFormDisclaimerObject(BaseModel):
    title: str | None
    body: str | None
    checkboxes: list[LeadFormCheckboxObject]


class LeadFormCompletionObject(BaseModel):
    headline: str | None
    description: str | None
    button_type: LeadButtonType | None
    button_text: str | None
    url: str | None
    phone_number: str | None
    file_url: str | None


class LeadFormLogicObject(BaseModel):
    action: LeadLogicAction
    target_question_index: int | None
    target_end_page_index: int | None


class LeadFormOptionObject(BaseModel):
    value: str
    key: str | None
    logic: LeadFormLogicObject | None


class LeadFormQuestionObject(BaseModel):
    type: str
    label: str | None
    format: str | None
    options: list[LeadFormOptionObject] | None


class LeadFormObject(BaseModel):
    name: str | None
    form_type: LeadFormType
    phone_verification: bool
    intro: LeadFormIntroObject | None
    privacy_policy: LeadFormPrivacyPolicyObject | None
    disclaimer: LeadFormDisclaimerObject | None
    completion: LeadFormCompletionObject | None
    questions: list[LeadFormQuestionObject]


class MessagingConfigObject(BaseModel):
    message: str | None
    keyword: str | None


class MusicObject(BaseModel):
    id: str
    name: str | None
    url: str | None


class TranslationsObject(BaseModel):
    source_language: str
    automatic_languages: list[str]


class AdObject(MetricFields):
    """The newest Ad (whop-sdk 2.6.0): every key always present, nullable ones as null."""

    id: str
    ad_group: EntityReference
    ad_campaign: EntityReference
    title: str | None
    status: AdStatus
    delivery_status: AdDeliveryStatus
    platform: AdPlatform
    created_at: str
    updated_at: str
    issues: list[PlatformIssue]
    # content
    url: str | None
    url_parameters: dict[str, Any]
    call_to_action: CallToActionResponse | None
    creatives: list[CreativeObject]
    primary_texts: list[TextObject]
    headlines: list[TextObject]
    descriptions: list[TextObject]
    existing_post_id: str | None
    post_source: PostSource | None
    post_id: str | None
    post_thumbnail_url: str | None
    external_accounts: list[EntityReference]
    lead_form: LeadFormObject | None
    lead_form_id: str | None
    messaging_config: MessagingConfigObject | None
    multi_advertiser_ads: bool | None
    music: MusicObject | None
    translations: TranslationsObject | None
    # metrics (the same set and rules as a campaign's)
