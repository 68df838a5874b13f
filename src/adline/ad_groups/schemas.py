"""Ad group request bodies and the response shape, newest version (spec A.2, B.3, C.8-C.11).

Rules on one value live here as types and field validators, so pydantic's error location is
the exact `param` (`keywords[0].text`, `regions.include.countries[1]`). Rules that need
several fields, the campaign, or a list position found by comparing entries live in
`adline.ad_groups.settings.check_ad_group`, which names the param itself.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from adline.ad_groups.iso_codes import COUNTRIES, LANGUAGES, US_STATES
from adline.campaigns.schemas import BidType, BudgetType, PlatformIssue
from adline.core.schemas import Dollars, RequestModel, Timestamp, Title, not_blank
from adline.delivery.adapter import DetailedTargetingOptionType, LocationType
from adline.metrics.schemas import MetricFields

# --- Enums -------------------------------------------------------------------------------

AdGroupPlatform = Literal["meta", "tiktok", "google"]
AdGroupStatus = Literal["active", "paused", "rejected", "duplicating"]
# What create and update accept (C.4).
AdGroupRequestStatus = Literal["active", "paused"]
AdGroupDeliveryStatus = Literal[
    "in_appeal",
    "all_ads_rejected",
    "rejected",
    "draft",
    "no_ads",
    "campaign_paused",
    "paused",
    "processing",
    "issues",
    "scheduled",
    "completed",
    "ads_off",
    "learning_limited",
    "learning",
    "active",
]
OptimizationGoal = Literal[
    "conversions",
    "link_clicks",
    "landing_page_views",
    "reach",
    "impressions",
    "engagement",
    "conversations",
    "video_views",
    "two_second_views",
    "page_likes",
    "social_profile",
    "ad_recall_lift",
    "event_responses",
    "reminders_set",
    "lead_generation",
    "quality_lead",
    "value",
    "profile_and_page_engagement",
]
ConversionLocation = Literal[
    "website",
    "profile",
    "instagram_and_facebook",
    "instagram_profile",
    "messaging",
    "on_ad",
    "instant_forms",
    "instant_forms_and_messenger",
    "website_and_instant_forms",
]
# C.15: the standard names; any other non-blank string is a custom event.
StandardConversionEvent = Literal[
    "purchase",
    "add_to_cart",
    "initiated_checkout",
    "add_payment_info",
    "complete_registration",
    "lead",
    "content_view",
    "search",
    "contact",
    "customize_product",
    "donate",
    "find_location",
    "schedule",
    "start_trial",
    "submit_application",
    "subscribe",
]
STANDARD_CONVERSION_EVENTS: frozenset[str] = frozenset(get_args(StandardConversionEvent))
MessageApp = Literal["messenger", "instagram", "whatsapp"]
PlacementPlatform = Literal[
    "facebook", "instagram", "messenger", "audience_network", "threads", "whatsapp"
]
# C.10, in the SDK's order: the positions each placement platform offers.
PLACEMENT_POSITIONS: dict[str, tuple[str, ...]] = {
    "facebook": (
        "feed",
        "right_hand_column",
        "marketplace",
        "search",
        "profile_feed",
        "notification",
        "story",
        "instream_video",
        "facebook_reels",
        "facebook_reels_overlay",
        "biz_disco_feed",
    ),
    "instagram": (
        "stream",
        "story",
        "explore",
        "explore_home",
        "reels",
        "profile_feed",
        "profile_reels",
        "ig_search",
    ),
    "messenger": ("story",),
    "audience_network": ("classic", "rewarded_video"),
    "threads": ("threads_stream",),
    "whatsapp": ("status",),
}
PlacementPosition = Literal[
    "feed",
    "right_hand_column",
    "marketplace",
    "search",
    "profile_feed",
    "notification",
    "story",
    "instream_video",
    "facebook_reels",
    "facebook_reels_overlay",
    "biz_disco_feed",
    "stream",
    "explore",
    "explore_home",
    "reels",
    "profile_reels",
    "ig_search",
    "classic",
    "rewarded_video",
    "threads_stream",
    "status",
]
Gender = Literal["all", "male", "female"]
DevicePlatform = Literal["mobile", "desktop"]
OperatingSystem = Literal["ios", "android"]
KeywordMatchType = Literal["broad", "phrase", "exact"]
DistanceUnit = Literal["mile", "kilometer"]
BehaviorType = Literal["video", "creator", "hashtag"]
DemographicCategoryType = Literal[
    "life_events",
    "industries",
    "income",
    "family_statuses",
    "work_employers",
    "work_positions",
    "education_schools",
    "education_majors",
]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# --- Limits --------------------------------------------------------------------------------

KEYWORD_MAX_CHARS = 80
KEYWORD_MAX_WORDS = 10
# Symbols a search term may not hold (match_type says how it matches instead): the SDK's
# list, with straight and curly double quotes.
KEYWORD_FORBIDDEN = frozenset('!@%,*=^;~|<>?(){}"\u201c\u201d')
MINIMUM_AGE = 13
MAXIMUM_AGE = 65
DETAILED_TARGETING_MAX_ENTRIES = 100
CONVERSION_EVENT_MAX_CHARS = 200
MAX_RADIUS = {"mile": 50.0, "kilometer": 80.0}
MIN_RADIUS = 1.0

# --- Scalar types ----------------------------------------------------------------------------

_HOUR = re.compile(r"^([01][0-9]|2[0-4]):00$")
_OS_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,2}$")
_AUDIENCE_ID = re.compile(r"^adaud_[A-Za-z0-9]+$")
_COUNTRY_GROUP = re.compile(r"^[a-z][a-z0-9_]*$")


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code, such as 'US'")
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"{value!r} is not an ISO 639-1 language code, such as 'en'")
    return value


def _us_state(value: str) -> str:
    if not (value.startswith("US-") and value[3:] in US_STATES):
        raise ValueError(
            f"{value!r} is not a US state or DC as an ISO 3166-2 code, such as 'US-CA'; "
            "target US territories and other countries through countries"
        )
    return value


def _audience_id(value: str) -> str:
    if not _AUDIENCE_ID.match(value):
        raise ValueError("must be a saved audience id, prefixed adaud_")
    return value


def _country_group(value: str) -> str:
    if not _COUNTRY_GROUP.match(value):
        raise ValueError("must be a country group name such as 'worldwide' or 'europe'")
    return value


def _os_version(value: str) -> str:
    if not _OS_VERSION.match(value):
        raise ValueError("must be a version number such as '18.0'")
    return value


def _zip_key(value: Any) -> Any:
    """A zip arrives as a bare string or as `{"key": ...}`; both are stored as the string."""
    if isinstance(value, dict):
        if set(value) != {"key"}:
            raise ValueError('must be a string or an object {"key": string}')
        return value["key"]
    return value


def _conversion_event(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if len(value) > CONVERSION_EVENT_MAX_CHARS:
        raise ValueError(f"must be at most {CONVERSION_EVENT_MAX_CHARS} characters")
    return value


def _keyword_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if len(value) > KEYWORD_MAX_CHARS:
        raise ValueError(f"must be at most {KEYWORD_MAX_CHARS} characters")
    if len(value.split()) > KEYWORD_MAX_WORDS:
        raise ValueError(f"must be at most {KEYWORD_MAX_WORDS} words")
    bad = sorted(set(value) & KEYWORD_FORBIDDEN)
    if bad:
        raise ValueError(
            f"must not contain {' '.join(bad)}; set how it matches with match_type instead"
        )
    return value


def _placements(value: Any) -> Any:
    """`"automatic"` becomes the empty list; an explicit empty list is refused."""
    if isinstance(value, str):
        if value != "automatic":
            raise ValueError('must be "automatic" or a list of {platform, positions}')
        return []
    if isinstance(value, list) and not value:
        raise ValueError('must not be empty; send "automatic" to let the platform choose')
    return value


class _AlsoAccepts:
    """OpenAPI only: the value may also take `alternative`'s shape, which a before-validator
    turns into the annotated type (`"automatic"` placements, `{"key"}` zips)."""

    def __init__(self, alternative: JsonSchemaValue) -> None:
        self.alternative = alternative

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [self.alternative, handler(core_schema)]}


Country = Annotated[str, AfterValidator(_country)]
Language = Annotated[str, AfterValidator(_language)]
UsState = Annotated[str, AfterValidator(_us_state)]
AudienceId = Annotated[str, AfterValidator(_audience_id)]
CountryGroup = Annotated[str, AfterValidator(_country_group)]
Zip = Annotated[
    str,
    BeforeValidator(_zip_key),
    AfterValidator(not_blank),
    Field(max_length=64),
    _AlsoAccepts(
        {
            "type": "object",
            "properties": {"key": {"type": "string"}},
            "required": ["key"],
            "additionalProperties": False,
        }
    ),
]
TaxonomyId = Annotated[str, AfterValidator(not_blank), Field(max_length=200)]
Label = Annotated[str, Field(max_length=200)]
ConversionEvent = Annotated[str, AfterValidator(_conversion_event)]
KeywordText = Annotated[str, AfterValidator(_keyword_text)]
Age = Annotated[int, Field(ge=MINIMUM_AGE, le=MAXIMUM_AGE)]
PositiveInt = Annotated[int, Field(ge=1)]

# --- Nested request models -------------------------------------------------------------------


class TimeWindow(RequestModel):
    """One delivery window on one day: `HH:00` to `HH:00`, `24:00` being midnight."""

    start: str
    end: str

    @field_validator("start")
    @classmethod
    def _start_on_the_hour(cls, value: str) -> str:
        if not _HOUR.match(value) or value == "24:00":
            raise ValueError("must be an hour from '00:00' to '23:00'")
        return value

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: str, info: ValidationInfo) -> str:
        if not _HOUR.match(value) or value == "00:00":
            raise ValueError("must be an hour from '01:00' to '24:00'")
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must be later than start")
        return value


class DeliverySchedule(RequestModel):
    """Windows per weekday; a day left out (or empty) does not deliver."""

    monday: list[TimeWindow] | None = None
    tuesday: list[TimeWindow] | None = None
    wednesday: list[TimeWindow] | None = None
    thursday: list[TimeWindow] | None = None
    friday: list[TimeWindow] | None = None
    saturday: list[TimeWindow] | None = None
    sunday: list[TimeWindow] | None = None


class FrequencyCap(RequestModel):
    maximum_impressions: PositiveInt
    # Left out or null: the cap counts over the ad group's whole run.
    per_days: PositiveInt | None = None


class Keyword(RequestModel):
    text: KeywordText
    match_type: KeywordMatchType = "broad"
    negative: bool = False


class Placement(RequestModel):
    platform: PlacementPlatform
    # Left out: every position of the platform. Which positions fit which platform is
    # checked by settings.check_ad_group, which can name the offending entry.
    positions: Annotated[list[PlacementPosition], Field(min_length=1)] | None = None


class Demographics(RequestModel):
    automatic: bool = False
    gender: Gender = "all"
    minimum_age: Age | None = None
    maximum_age: Age | None = None

    @field_validator("maximum_age")
    @classmethod
    def _not_below_minimum(cls, value: int | None, info: ValidationInfo) -> int | None:
        minimum = info.data.get("minimum_age")
        if value is not None and minimum is not None and value < minimum:
            raise ValueError(f"must be at least minimum_age ({minimum})")
        return value


class InterestCategory(RequestModel):
    id: TaxonomyId
    name: Label | None = None


class BehaviorCategory(RequestModel):
    id: TaxonomyId
    name: Label | None = None
    behavior_type: BehaviorType | None = None
    period: PositiveInt | None = None


class DemographicCategory(RequestModel):
    id: TaxonomyId
    name: Label | None = None
    type: DemographicCategoryType


_Section = Field(max_length=DETAILED_TARGETING_MAX_ENTRIES)


class DetailedTargeting(RequestModel):
    """Entries are OR'd; at most 100 per section; a section left out is cleared."""

    interests: Annotated[list[InterestCategory], _Section] | None = None
    behaviors: Annotated[list[BehaviorCategory], _Section] | None = None
    demographics: Annotated[list[DemographicCategory], _Section] | None = None


class Audiences(RequestModel):
    include: list[AudienceId] | None = None
    exclude: list[AudienceId] | None = None


class OperatingSystemTarget(RequestModel):
    os: OperatingSystem
    minimum_version: Annotated[str, AfterValidator(_os_version)] | None = None


class Devices(RequestModel):
    platforms: list[DevicePlatform] | None = None
    operating_systems: list[OperatingSystemTarget] | None = None


class City(RequestModel):
    key: TaxonomyId
    name: Label | None = None


class CustomLocation(RequestModel):
    latitude: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    longitude: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    distance_unit: DistanceUnit = "mile"
    radius: Annotated[float, Field(allow_inf_nan=False)]
    name: Label | None = None
    country_code: Country | None = None

    @field_validator("radius")
    @classmethod
    def _radius_in_range(cls, value: float, info: ValidationInfo) -> float:
        unit = info.data.get("distance_unit")
        if unit is None:  # the unit itself was invalid; that error is reported first
            return value
        maximum = MAX_RADIUS[unit]
        if not MIN_RADIUS <= value <= maximum:
            raise ValueError(f"must be from {MIN_RADIUS:g} to {maximum:g} {unit}s")
        return value


class _Places(RequestModel):
    countries: list[Country] | None = None
    regions: list[UsState] | None = None
    cities: list[City] | None = None
    zips: list[Zip] | None = None
    custom_locations: list[CustomLocation] | None = None


class GeoLocations(_Places):
    """Places the ad group targets."""

    country_groups: list[CountryGroup] | None = None


class ExcludedGeoLocations(_Places):
    """Places excluded from targeting. Country groups can only be included: `[]` is taken
    (a client may send back what it read), anything else is refused."""

    country_groups: list[str] | None = None

    @field_validator("country_groups")
    @classmethod
    def _include_only(cls, value: list[str] | None) -> list[str] | None:
        if value:
            raise ValueError("country groups can only be included, not excluded")
        return value


class Regions(RequestModel):
    include: GeoLocations | None = None
    exclude: ExcludedGeoLocations | None = None


Placements = Annotated[
    list[Placement],
    BeforeValidator(_placements),
    _AlsoAccepts({"type": "string", "const": "automatic"}),
]

# --- Request bodies ----------------------------------------------------------------------------


class AdGroupFields(RequestModel):
    """The settings POST and PATCH share. Every key is optional; null clears a nullable one."""

    title: Title | None = None
    status: AdGroupRequestStatus | None = None
    budget_amount: Dollars | None = None
    budget_amount_local: Dollars | None = None
    budget_type: BudgetType | None = None
    bid_type: BidType | None = None
    desired_cost_per_result: Annotated[Dollars, Field(gt=0)] | None = None
    minimum_daily_spend: Dollars | None = None
    optimization_goal: OptimizationGoal | None = None
    conversion_location: ConversionLocation | None = None
    conversion_event: ConversionEvent | None = None
    message_apps: Annotated[list[MessageApp], Field(min_length=1)] | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    delivery_schedule: DeliverySchedule | None = None
    frequency_cap: FrequencyCap | None = None
    keywords: list[Keyword] | None = None
    languages: list[Language] | None = None
    # "automatic" arrives here as [] (see _placements).
    placements: Placements | None = None
    demographics: Demographics | None = None
    detailed_targeting: DetailedTargeting | None = None
    audiences: Audiences | None = None
    devices: Devices | None = None
    regions: Regions | None = None


class ReachEstimateRequest(RequestModel):
    """`POST /ad_groups/estimate_reach`: a draft targeting spec; nothing is saved."""

    platform: Literal["meta", "tiktok"]
    account_id: str | None = None
    regions: Regions | None = None
    demographics: Demographics | None = None
    languages: list[Language] | None = None
    devices: Devices | None = None
    detailed_targeting: DetailedTargeting | None = None
    audiences: Audiences | None = None


class ReachEstimate(BaseModel):
    users_lower_bound: int | None
    users_upper_bound: int | None


class DetailedTargetingOptionObject(BaseModel):
    """An interest, behavior or demographic category; its `id` (and for demographic kinds
    its `type`) goes in the ad group's `detailed_targeting` as-is."""

    type: DetailedTargetingOptionType
    id: str
    name: str
    description: str | None
    behavior_type: BehaviorType | None
    audience_size_lower_bound: int | None
    audience_size_upper_bound: int | None


class LanguageTargetingOptionObject(BaseModel):
    type: Literal["languages"]
    code: str
    name: str


class LocationTargetingOptionObject(BaseModel):
    """`code` is what `regions` countries / regions take (null for places without an ISO
    code); `key` is what `regions` cities and zips take."""

    type: Literal["locations"]
    key: str
    name: str
    location_type: LocationType
    code: str | None
    country_code: str | None
    country_name: str | None
    region: str | None


TargetingOptionObject = Annotated[
    DetailedTargetingOptionObject | LanguageTargetingOptionObject | LocationTargetingOptionObject,
    Field(discriminator="type"),
]


class TargetingOptionList(BaseModel):
    """`GET /ad_groups/targeting_options`: options grouped by type, in the order asked."""

    data: list[TargetingOptionObject]


class AdGroupCreate(AdGroupFields):
    ad_campaign_id: str
    dynamic_creative: bool | None = None


class AdGroupUpdate(AdGroupFields):
    """PATCH: only the keys sent change (`model_fields_set`)."""


# --- Response shape --------------------------------------------------------------------------


class AdEntityReference(BaseModel):
    id: str


class TimeWindowObject(BaseModel):
    start: str
    end: str


class DeliveryScheduleObject(BaseModel):
    """Days that don't deliver are left out."""

    monday: list[TimeWindowObject] | None = None
    tuesday: list[TimeWindowObject] | None = None
    wednesday: list[TimeWindowObject] | None = None
    thursday: list[TimeWindowObject] | None = None
    friday: list[TimeWindowObject] | None = None
    saturday: list[TimeWindowObject] | None = None
    sunday: list[TimeWindowObject] | None = None


class FrequencyCapObject(BaseModel):
    maximum_impressions: int
    per_days: int | None


class KeywordObject(BaseModel):
    text: str
    match_type: KeywordMatchType
    negative: bool


class PlacementObject(BaseModel):
    platform: PlacementPlatform
    positions: list[str]


class DemographicsObject(BaseModel):
    automatic: bool
    gender: Gender
    minimum_age: int | None
    maximum_age: int | None


class InterestCategoryObject(BaseModel):
    id: str
    name: str | None = None


class BehaviorCategoryObject(BaseModel):
    id: str
    name: str | None = None
    behavior_type: BehaviorType | None = None
    period: int | None = None


class DemographicCategoryObject(BaseModel):
    id: str
    name: str | None = None
    type: DemographicCategoryType


class DetailedTargetingObject(BaseModel):
    interests: list[InterestCategoryObject]
    behaviors: list[BehaviorCategoryObject]
    demographics: list[DemographicCategoryObject]


class AudiencesObject(BaseModel):
    include: list[str]
    exclude: list[str]


class OperatingSystemObject(BaseModel):
    os: OperatingSystem
    minimum_version: str | None = None


class DevicesObject(BaseModel):
    platforms: list[DevicePlatform]
    operating_systems: list[OperatingSystemObject]


class CityObject(BaseModel):
    key: str
    name: str | None = None


class CustomLocationObject(BaseModel):
    latitude: float
    longitude: float
    radius: float
    distance_unit: DistanceUnit
    name: str | None = None
    country_code: str | None = None


class GeoLocationsObject(BaseModel):
    countries: list[str]
    regions: list[str]
    cities: list[CityObject]
    zips: list[str]
    country_groups: list[str]
    custom_locations: list[CustomLocationObject]


class RegionsObject(BaseModel):
    include: GeoLocationsObject
    exclude: GeoLocationsObject


class LearningProgressObject(BaseModel):
    conversion_threshold: int
    conversions: int
    progress_percent: float


class AdGroupObject(MetricFields):
    """The newest AdGroup (whop-sdk 2.6.0): every key is always present, nullable ones as null."""

    id: str
    title: str | None
    ad_campaign: AdEntityReference
    status: AdGroupStatus
    delivery_status: AdGroupDeliveryStatus
    platform: AdGroupPlatform
    budget_amount: float | None
    budget_amount_local: float | None
    budget_currency: str
    budget_type: BudgetType | None
    bid_type: BidType | None
    desired_cost_per_result: float | None
    minimum_daily_spend: float | None
    optimization_goal: OptimizationGoal | None
    conversion_location: ConversionLocation | None
    conversion_event: str | None
    message_apps: list[MessageApp] | None
    starts_at: str | None
    ends_at: str | None
    delivery_schedule: DeliveryScheduleObject | None
    frequency_cap: FrequencyCapObject | None
    keywords: list[KeywordObject] | None
    languages: list[str]
    placements: list[PlacementObject]
    demographics: DemographicsObject
    detailed_targeting: DetailedTargetingObject
    audiences: AudiencesObject
    devices: DevicesObject
    regions: RegionsObject
    dynamic_creative: bool | None
    learning_progress: LearningProgressObject | None
    created_at: str
    updated_at: str
    issues: list[PlatformIssue]
