"""Ad group rules beyond a group's own settings: its campaign, its siblings, its state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast, get_args

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups import repository
from adline.ad_groups.iso_codes import COUNTRIES
from adline.ad_groups.models import AdGroup
from adline.ad_groups.schemas import (
    AdGroupCreate,
    AdGroupFields,
    AdGroupUpdate,
    ReachEstimateRequest,
)
from adline.ad_groups.settings import apply_fields, check_ad_group, settings_object
from adline.ads.models import Ad
from adline.audiences import service as audiences
from adline.auth.service import Principal, ensure_own_account
from adline.campaigns import duplication, tree
from adline.campaigns import repository as campaigns
from adline.campaigns.delivery_status import AdGroupChildren, ad_group_delivery_status
from adline.campaigns.models import AdCampaign
from adline.campaigns.state_machine import AD_GROUP, Action
from adline.core.clock import Clock
from adline.core.db import column_values
from adline.core.errors import AdlineError, Conflict, InvalidRequest, ParameterMissing
from adline.core.ids import new_id
from adline.core.listing import id_scope
from adline.core.pagination import Direction, Page, PageRequest
from adline.core.platforms import check_platform_header
from adline.core.timestamps import format_timestamp
from adline.delivery.adapter import (
    DetailedTargetingOption,
    LanguageOption,
    LocationType,
    Targeting,
    TargetingOption,
    TargetingOptionType,
    TargetingSearch,
)
from adline.delivery.registry import AdapterRegistry
from adline.issues.models import PlatformIssue
from adline.issues.service import issue_object, open_issues_by_campaign
from adline.metrics.formulas import StatTotals, ad_group_goal, combined_goal, compute_metrics
from adline.metrics.window import LIFETIME, StatsWindow
from adline.stats import service as stats
from adline.stats.ordering import paginate_list
from adline.versions.mappings import status_filter
from adline.webhooks import events as webhook_events

# Keys of the body that are not settings: the service handles them itself.
NOT_SETTINGS = {"ad_campaign_id", "status", "dynamic_creative"}


def _refuse_while_copying(group: AdGroup) -> None:
    if group.status == "duplicating":
        raise Conflict("The ad group is still being duplicated; wait until the copy is done.")


async def _check_siblings(session: AsyncSession, group: AdGroup, campaign: AdCampaign) -> None:
    """Under a campaign budget (CBO) every group shares one frequency cap."""
    if campaign.budget_optimization != "ad_campaign":
        return
    siblings = await session.scalars(
        select(AdGroup.frequency_cap).where(
            AdGroup.ad_campaign_id == campaign.id,
            AdGroup.id != group.id,
            AdGroup.deleted_at.is_(None),
        )
    )
    for cap in siblings:
        if cap != group.frequency_cap:
            raise InvalidRequest(
                "Invalid value for frequency_cap: under a campaign budget every ad group of "
                "the campaign has the same frequency cap.",
                param="frequency_cap",
            )


def new_ad_group(
    group_id: str, campaign: AdCampaign, body: AdGroupCreate, now: datetime
) -> AdGroup:
    """The row a create stores for `body` under `campaign`, its settings applied and
    checked (the rules between siblings aside): `create_ad_group` and `adline simulate`."""
    group = AdGroup(
        id=group_id,
        company_id=campaign.company_id,
        ad_campaign_id=campaign.id,
        status=body.status or "active",
        platform=campaign.platform,
        languages=[],
        demographics={},
        detailed_targeting={},
        audiences={},
        devices={},
        regions={},
        dynamic_creative=body.dynamic_creative,
        created_at=now,
        updated_at=now,
    )
    # On create `status` is a plain setting (active or paused); later it is an action.
    apply_fields(group, body, body.model_fields_set - {"ad_campaign_id", "dynamic_creative"})
    check_ad_group(group, campaign, now)
    return group


async def create_ad_group(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    body: AdGroupCreate,
    platform_header: str | None = None,
    *,
    param_prefix: str = "",
) -> AdGroup:
    """Create a group; `param_prefix` names where the body sits (`ad_group.` when inline)."""
    campaign = await campaigns.get_campaign(
        session, principal.company_id, body.ad_campaign_id, param=f"{param_prefix}ad_campaign_id"
    )
    check_platform_header(platform_header, campaign.platform)
    if campaign.status == "duplicating":
        raise Conflict("The campaign is still being duplicated; wait until the copy is done.")
    now = clock.now()
    try:
        group = new_ad_group(new_id("adgrp"), campaign, body, now)
        await _check_siblings(session, group, campaign)
        await audiences.check_named_audiences(
            session, campaign.company_id, group.audiences, for_group=True
        )
    except AdlineError as error:
        if param_prefix and error.param:
            error.param = param_prefix + error.param
        raise
    session.add(group)
    await session.flush()
    await webhook_events.announce_created(
        session,
        clock,
        group.company_id,
        "ad_group.created",
        webhook_presenter(session, principal, group, clock),
    )
    return group


def webhook_presenter(
    session: AsyncSession, principal: Principal, group: AdGroup, clock: Clock
) -> webhook_events.Presenter:
    """The ad group as a webhook event snapshots it (newest shape)."""

    async def present() -> dict[str, Any]:
        [body] = await present_ad_groups(session, principal, [group], LIFETIME, clock.now())
        return body

    return present


async def watch_ad_group(
    session: AsyncSession, principal: Principal, group: AdGroup, clock: Clock
) -> webhook_events.ChangeWatch:
    return await webhook_events.ChangeWatch.start(
        session,
        group.company_id,
        "ad_group.updated",
        webhook_presenter(session, principal, group, clock),
    )


async def update_ad_group(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    group_id: str,
    body: AdGroupUpdate,
    platform_header: str | None = None,
) -> AdGroup:
    group = await repository.get_ad_group(session, principal.company_id, group_id, for_update=True)
    check_platform_header(platform_header, group.platform)
    _refuse_while_copying(group)
    campaign = await campaigns.get_campaign(session, principal.company_id, group.ad_campaign_id)
    watch = await watch_ad_group(session, principal, group, clock)
    now = clock.now()
    sent = body.model_fields_set
    before = column_values(group)
    apply_fields(group, body, sent - NOT_SETTINGS)
    if group.frequency_cap != before["frequency_cap"] and campaign.status != "draft":
        raise Conflict("The frequency cap is fixed once the campaign has launched.")
    if "ends_at" in sent and group.ends_at is not None and group.ends_at <= now:
        raise InvalidRequest("Invalid value for ends_at: must be in the future.", param="ends_at")
    # Without starts_at a group could run from its creation: that is its start.
    check_ad_group(group, campaign, group.created_at)
    await _check_siblings(session, group, campaign)
    if "audiences" in sent:
        await audiences.check_named_audiences(
            session, group.company_id, group.audiences, for_group=True
        )
    if "status" in sent:
        if body.status is None:
            raise InvalidRequest("Invalid value for status: must not be null.", param="status")
        group.status = AD_GROUP.next_status(
            group.status, "pause" if body.status == "paused" else "unpause"
        )
    if column_values(group) != before:
        group.updated_at = now
    await session.flush()
    await watch.finish(session, clock)
    return group


async def act_on_ad_group(
    session: AsyncSession, clock: Clock, principal: Principal, group_id: str, action: Action
) -> AdGroup:
    group = await repository.get_ad_group(session, principal.company_id, group_id, for_update=True)
    status = AD_GROUP.next_status(group.status, action)
    if status != group.status:
        watch = await watch_ad_group(session, principal, group, clock)
        group.status = status
        group.updated_at = clock.now()
        await session.flush()
        await watch.finish(session, clock)
    return group


async def delete_ad_group(
    session: AsyncSession, clock: Clock, principal: Principal, group_id: str
) -> str:
    group = await repository.get_ad_group(session, principal.company_id, group_id, for_update=True)
    AD_GROUP.next_status(group.status, "delete")
    now = clock.now()
    group.deleted_at = now
    group.updated_at = now
    await session.execute(
        update(Ad)
        .where(Ad.ad_group_id == group.id, Ad.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now)
    )
    await session.flush()
    return group.id


async def duplicate_ad_group(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    group_id: str,
    *,
    count: int,
    target_ad_campaign_id: str | None,
    preserve_engagement: bool,
) -> list[AdGroup]:
    duplication.check_count(count)
    source = await repository.get_ad_group(session, principal.company_id, group_id)
    _refuse_while_copying(source)
    target = await campaigns.get_campaign(
        session,
        principal.company_id,
        target_ad_campaign_id or source.ad_campaign_id,
        param="target_ad_campaign_id",
    )
    if target.status == "duplicating":
        raise Conflict("The target campaign is still being duplicated.")
    if target.platform != source.platform:
        raise InvalidRequest(
            f"Invalid value for target_ad_campaign_id: the campaign runs on {target.platform}, "
            f"the ad group on {source.platform}.",
            param="target_ad_campaign_id",
        )
    now = clock.now()
    try:
        check_ad_group(source, target, source.created_at)
    except InvalidRequest as error:
        raise InvalidRequest(
            f"Invalid value for target_ad_campaign_id: the ad group does not fit that "
            f"campaign ({error.message})",
            param="target_ad_campaign_id",
        ) from None
    return [
        await duplication.copy_ad_group(session, source, target, now, preserve_engagement)
        for _ in range(count)
    ]


async def retrieve_ad_group(session: AsyncSession, principal: Principal, group_id: str) -> AdGroup:
    return await repository.get_ad_group(session, principal.company_id, group_id)


@dataclass(frozen=True)
class AdGroupFilters:
    account_id: str | None = None
    ad_campaign_id: str | None = None
    ad_campaign_ids: list[str] | None = None
    status: str | None = None
    query: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    order: str = "created_at"
    direction: Direction = "desc"


async def list_ad_groups(
    session: AsyncSession,
    principal: Principal,
    filters: AdGroupFilters,
    page: PageRequest,
    *,
    window: StatsWindow,
    now: datetime,
) -> Page[AdGroup]:
    """One page; a stat `order` ranks the whole list over `window` (as of `now`)."""
    company_id = ensure_own_account(principal, filters.account_id, "account_id")
    statement = repository.filtered_ad_groups(
        company_id,
        campaign_ids=id_scope(filters.ad_campaign_id, filters.ad_campaign_ids, "ad_campaign_ids"),
        statuses=status_filter("ad_group", filters.status),
        query=filters.query,
        created_before=filters.created_before,
        created_after=filters.created_after,
    )
    return await paginate_list(
        session,
        statement,
        model=AdGroup,
        level="ad_group",
        company_id=company_id,
        order=filters.order,
        direction=filters.direction,
        page=page,
        window=window,
        now=now,
    )


async def present_ad_groups(
    session: AsyncSession,
    principal: Principal,
    groups: list[AdGroup],
    window: StatsWindow,
    now: datetime,
) -> list[dict[str, Any]]:
    campaign_rows = await tree.campaigns_by_id(session, [g.ad_campaign_id for g in groups])
    children = await tree.ad_group_children(session, [g.id for g in groups])
    issues = await open_issues_by_campaign(session, campaign_rows.keys())
    ads_of = await tree.ad_ids_by_group(session, [g.id for g in groups]) if issues else {}
    group_totals = await stats.totals(session, "ad_group", [g.id for g in groups], window)
    objects = []
    for group in groups:
        own, facts = tree.issue_facts(
            issues[group.ad_campaign_id], {group.id, *ads_of.get(group.id, ())}
        )
        objects.append(
            ad_group_object(
                group,
                campaign_rows[group.ad_campaign_id],
                children[group.id],
                own,
                group_totals[group.id],
                principal.currency,
                now,
                ad_group_delivery_status(
                    group, campaign_rows[group.ad_campaign_id], children[group.id], now, facts
                ),
            )
        )
    return objects


TARGETING_FIELDS = (
    "regions",
    "demographics",
    "languages",
    "devices",
    "detailed_targeting",
    "audiences",
)


async def estimate_reach(
    session: AsyncSession,
    principal: Principal,
    body: ReachEstimateRequest,
    registry: AdapterRegistry,
) -> dict[str, int | None]:
    """The network's audience estimate for a draft targeting spec, saved audiences at their
    current sizes; nothing is saved."""
    ensure_own_account(principal, body.account_id, "account_id")
    # The settings layer turns the request into the stored shape the adapters read.
    draft = AdGroup(
        languages=[], demographics={}, detailed_targeting={}, audiences={}, devices={}, regions={}
    )
    sent = body.model_fields_set & set(TARGETING_FIELDS)
    apply_fields(
        draft, AdGroupFields.model_construct(**{name: getattr(body, name) for name in sent}), sent
    )
    targeting = Targeting.from_api(
        regions=draft.regions,
        demographics=draft.demographics,
        languages=draft.languages or (),
        devices=draft.devices,
        detailed_targeting=draft.detailed_targeting,
        audiences=draft.audiences,
        audience_sizes=await audiences.check_named_audiences(
            session, principal.company_id, draft.audiences
        ),
    )
    lower, upper = await registry.adapter(body.platform).estimate_reach(targeting)
    return {"users_lower_bound": lower, "users_upper_bound": upper}


# The platforms whose taxonomy can be searched (spec C.7: targeting_options takes meta).
TARGETING_OPTION_PLATFORMS = ("meta",)
TARGETING_OPTION_TYPES: tuple[TargetingOptionType, ...] = get_args(TargetingOptionType)
LOCATION_TYPES: tuple[LocationType, ...] = get_args(LocationType)
SPECIAL_AD_CATEGORIES = ("housing", "employment", "financial_products", "politics")
TARGETING_QUERY_MAX_CHARS = 100
TARGETING_LIMIT_DEFAULT = 25
TARGETING_LIMIT_MAX = 100


@dataclass(frozen=True)
class TargetingOptionsParams:
    """`GET /ad_groups/targeting_options`'s query as sent. List parameters come repeated
    (`types=interests&types=behaviors`), comma-separated (`types=interests,behaviors`), or
    both, as the SDK documents."""

    platform: str | None = None
    account_id: str | None = None
    query: str | None = None
    types: list[str] | None = None
    location_types: list[str] | None = None
    country: str | None = None
    limit: int | None = None
    special_ad_categories: list[str] | None = None


def _choices(values: list[str] | None, allowed: tuple[str, ...], param: str) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in values or ():
        for item in value.split(","):
            if item.strip() not in allowed:
                raise InvalidRequest(
                    f"Invalid value for {param}: {item!r} is not one of " + ", ".join(allowed),
                    param=param,
                )
            chosen.append(item.strip())
    return tuple(dict.fromkeys(chosen))


def targeting_search(params: TargetingOptionsParams) -> tuple[str, TargetingSearch]:
    """The platform and the search a query asks for, every parameter checked (400 naming
    the first bad one)."""
    if params.platform is None:
        raise ParameterMissing("Missing required parameter: platform.", param="platform")
    if params.platform not in TARGETING_OPTION_PLATFORMS:
        raise InvalidRequest(
            "Invalid value for platform: the targeting taxonomy can be searched on "
            + ", ".join(TARGETING_OPTION_PLATFORMS),
            param="platform",
        )
    query = params.query or ""
    if len(query) > TARGETING_QUERY_MAX_CHARS:
        raise InvalidRequest(
            f"Invalid value for query: at most {TARGETING_QUERY_MAX_CHARS} characters.",
            param="query",
        )
    types = _choices(params.types, TARGETING_OPTION_TYPES, "types") or TARGETING_OPTION_TYPES
    location_types = _choices(params.location_types, LOCATION_TYPES, "location_types")
    categories = _choices(
        params.special_ad_categories, SPECIAL_AD_CATEGORIES, "special_ad_categories"
    )
    if params.country is not None and params.country not in COUNTRIES:
        raise InvalidRequest(
            "Invalid value for country: must be an ISO 3166-1 alpha-2 code in upper case, "
            "such as US.",
            param="country",
        )
    limit = TARGETING_LIMIT_DEFAULT if params.limit is None else params.limit
    if not 1 <= limit <= TARGETING_LIMIT_MAX:
        raise InvalidRequest(
            f"Invalid value for limit: must be between 1 and {TARGETING_LIMIT_MAX}.",
            param="limit",
        )
    return params.platform, TargetingSearch(
        # _choices kept only the allowed values.
        types=cast(tuple[TargetingOptionType, ...], types),
        query=query,
        location_types=cast(tuple[LocationType, ...], location_types),
        country=params.country,
        limit=limit,
        special_ad_categories=categories,
    )


async def search_targeting_options(
    principal: Principal, params: TargetingOptionsParams, registry: AdapterRegistry
) -> list[dict[str, Any]]:
    """The platform's targeting options matching the query, in the shapes the ad-group body
    takes them (spec A.1 #12); the network's taxonomy answers."""
    ensure_own_account(principal, params.account_id, "account_id")
    platform, search = targeting_search(params)
    options = await registry.adapter(platform).search_targeting_options(search)
    return [targeting_option_object(option) for option in options]


def targeting_option_object(option: TargetingOption) -> dict[str, Any]:
    if isinstance(option, DetailedTargetingOption):
        return {
            "type": option.type,
            "id": option.id,
            "name": option.name,
            "description": option.description,
            "behavior_type": option.behavior_type,
            "audience_size_lower_bound": option.audience_size_lower_bound,
            "audience_size_upper_bound": option.audience_size_upper_bound,
        }
    if isinstance(option, LanguageOption):
        return {"type": option.type, "code": option.code, "name": option.name}
    return {
        "type": option.type,
        "key": option.key,
        "name": option.name,
        "location_type": option.location_type,
        "code": option.code,
        "country_code": option.country_code,
        "country_name": option.country_name,
        "region": option.region,
    }


def ad_group_object(
    group: AdGroup,
    campaign: AdCampaign,
    children: AdGroupChildren,
    issues: list[PlatformIssue],
    totals: StatTotals,
    currency: str,
    now: datetime,
    delivery_status: str,
) -> dict[str, Any]:
    goal = ad_group_goal(group.optimization_goal, group.conversion_location, group.conversion_event)
    return {
        "id": group.id,
        "ad_campaign": {"id": group.ad_campaign_id},
        "status": group.status,
        "delivery_status": delivery_status,
        "platform": group.platform,
        "issues": [issue_object(issue) for issue in issues],
        "learning_progress": None,
        "created_at": format_timestamp(group.created_at),
        "updated_at": format_timestamp(group.updated_at),
        **settings_object(group, currency),
        **compute_metrics(totals, combined_goal([goal], [totals]), currency),
    }
