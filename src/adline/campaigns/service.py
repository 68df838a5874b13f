"""Ad campaign rules: creation, updates, the state machine's actions, listing and presenting.

Services only flush; the request owns the transaction. Callable from tests without HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.service import Principal, ensure_own_account
from adline.campaigns import duplication, repository, tree
from adline.campaigns.delivery_status import (
    CampaignChildren,
    DeliveryFacts,
    campaign_delivery_status,
)
from adline.campaigns.models import AdCampaign
from adline.campaigns.schemas import CampaignCreate, CampaignUpdate, OriginalCampaignFields
from adline.campaigns.state_machine import CAMPAIGN, Action
from adline.companies.models import Company, User
from adline.core.clock import Clock
from adline.core.db import column_values
from adline.core.errors import Conflict, InvalidRequest, NotFound, ParameterMissing
from adline.core.ids import new_id
from adline.core.money import dollars_to_micros, micros_to_dollars
from adline.core.pagination import Direction, Page, PageRequest
from adline.core.platforms import check_platform_header
from adline.core.timestamps import format_timestamp
from adline.funding.enforcement import (
    CampaignFunds,
    campaign_funds,
    check_funded,
    working_payment_method,
)
from adline.funding.models import PaymentMethod
from adline.funding.service import payment_method_object
from adline.issues.models import PlatformIssue
from adline.issues.service import issue_object, open_issues_by_campaign
from adline.metrics.formulas import (
    ResultGoal,
    StatTotals,
    combined_goal,
    compute_metrics,
)
from adline.metrics.window import LIFETIME, StatsWindow, parse_stats_window
from adline.products import repository as products
from adline.products.models import Product
from adline.products.service import product_reference, promoted_product
from adline.spend_caps import service as spend_caps
from adline.stats import service as stats
from adline.stats.ordering import paginate_list
from adline.versions.mappings import status_filter
from adline.webhooks import events as webhook_events

MIN_DAILY_BUDGET_MICROS = 5_000_000
TARGET_BID_TYPES = {"average_target", "maximum_target"}


def _micros(amount: float, param: str) -> int:
    try:
        return dollars_to_micros(amount)
    except ValueError as error:
        raise InvalidRequest(f"Invalid value for {param}: {error}.", param=param) from None


def _budget_micros(amount: float | None, amount_local: float | None) -> int | None:
    """`budget_amount` (USD) or `budget_amount_local` (the account's currency), never both.

    Every company reports in USD today, so the local amount converts at 1:1.
    """
    if amount is not None and amount_local is not None:
        raise InvalidRequest(
            "Send budget_amount or budget_amount_local, not both.", param="budget_amount_local"
        )
    if amount is not None:
        return _micros(amount, "budget_amount")
    if amount_local is not None:
        return _micros(amount_local, "budget_amount_local")
    return None


def _check_budget_rules(campaign: AdCampaign, now: datetime) -> None:
    """The rules a campaign's budget settings must satisfy, on create and after every update.

    `now` is where a campaign without `starts_at` starts: its creation.
    """
    if campaign.budget_optimization == "ad_group":
        for field, value in (
            ("budget_amount", campaign.budget_amount_micros),
            ("budget_type", campaign.budget_type),
            ("bid_type", campaign.bid_type),
            ("desired_cost_per_result", campaign.desired_cost_per_result_micros),
            ("starts_at", campaign.starts_at),
            ("ends_at", campaign.ends_at),
        ):
            if value is not None:
                raise InvalidRequest(
                    f"Invalid value for {field}: only campaigns that own the budget "
                    "(budget_optimization: ad_campaign) take it; under ad_group budgets "
                    "each ad group sets its own.",
                    param=field,
                )
        return

    if campaign.budget_amount_micros is None:
        raise ParameterMissing(
            "Missing required parameter: budget_amount (a campaign with "
            "budget_optimization ad_campaign owns the budget).",
            param="budget_amount",
        )
    start = campaign.starts_at or now
    if campaign.ends_at is not None and campaign.ends_at <= start:
        raise InvalidRequest("Invalid value for ends_at: must be after starts_at.", param="ends_at")
    if campaign.budget_type == "lifetime":
        if campaign.ends_at is None:
            raise ParameterMissing(
                "Missing required parameter: ends_at (a lifetime budget needs an end).",
                param="ends_at",
            )
        days = max(1, math.ceil((campaign.ends_at - start) / timedelta(days=1)))
        minimum = MIN_DAILY_BUDGET_MICROS * days
        if campaign.budget_amount_micros < minimum:
            raise InvalidRequest(
                f"Invalid value for budget_amount: a lifetime budget over {days} day(s) must be "
                f"at least ${micros_to_dollars(minimum):.2f} ($5.00 a day).",
                param="budget_amount",
            )
    elif campaign.budget_amount_micros < MIN_DAILY_BUDGET_MICROS:
        raise InvalidRequest(
            "Invalid value for budget_amount: a daily budget must be at least $5.00.",
            param="budget_amount",
        )

    if campaign.bid_type in TARGET_BID_TYPES and campaign.desired_cost_per_result_micros is None:
        raise ParameterMissing(
            f"Missing required parameter: desired_cost_per_result (bid_type {campaign.bid_type} "
            "bids toward it).",
            param="desired_cost_per_result",
        )
    if campaign.bid_type == "minimum_cost" and campaign.desired_cost_per_result_micros is not None:
        raise InvalidRequest(
            "Invalid value for desired_cost_per_result: minimum_cost bidding takes no target; "
            "use average_target or maximum_target.",
            param="desired_cost_per_result",
        )


def new_campaign(
    campaign_id: str, company_id: str, user_id: str | None, body: CampaignCreate, now: datetime
) -> AdCampaign:
    """The draft a create stores for `body`, its rules checked (the spend cap aside):
    `create_campaign` and `adline simulate`."""
    owns_budget = body.budget_optimization == "ad_campaign"
    campaign = AdCampaign(
        id=campaign_id,
        company_id=company_id,
        created_by_user_id=user_id,
        title=body.title,
        status="draft",
        platform=body.platform,
        campaign_type=body.campaign_type,
        objective=body.objective,
        special_ad_categories=list(dict.fromkeys(body.special_ad_categories)),
        budget_optimization=body.budget_optimization,
        budget_type=body.budget_type or ("daily" if owns_budget else None),
        budget_amount_micros=_budget_micros(body.budget_amount, body.budget_amount_local),
        bid_type=body.bid_type or ("minimum_cost" if owns_budget else None),
        desired_cost_per_result_micros=(
            None
            if body.desired_cost_per_result is None
            else _micros(body.desired_cost_per_result, "desired_cost_per_result")
        ),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        target_country_codes=[],
        ad_creative_set_ids=[],
        created_at=now,
        updated_at=now,
    )
    _apply_original(campaign, body.original)
    if campaign.ends_at is not None and campaign.ends_at <= now:
        raise InvalidRequest("Invalid value for ends_at: must be in the future.", param="ends_at")
    _check_budget_rules(campaign, now)
    return campaign


async def create_campaign(
    session: AsyncSession, clock: Clock, principal: Principal, body: CampaignCreate
) -> AdCampaign:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    campaign = new_campaign(new_id("adcamp"), company_id, principal.user_id, body, clock.now())
    if campaign.product_id is not None:
        await promoted_product(session, company_id, campaign.product_id)
    session.add(campaign)
    await session.flush()
    if body.spend_cap_id is not None:
        # The cap is checked (the company's, in its currency, room left) before the
        # membership is written; a refusal rolls the insert above back with the request.
        await spend_caps.link_campaign(
            session, clock, campaign, body.spend_cap_id, principal.currency
        )
    await webhook_events.announce_created(
        session,
        clock,
        company_id,
        "ad_campaign.created",
        webhook_presenter(session, principal, campaign, clock),
    )
    return campaign


def webhook_presenter(
    session: AsyncSession, principal: Principal, campaign: AdCampaign, clock: Clock
) -> webhook_events.Presenter:
    """The campaign as a webhook event snapshots it: newest shape, every private fact."""

    async def present() -> dict[str, Any]:
        [body] = await present_campaigns(
            session, principal, [campaign], LIFETIME, clock.now(), webhook_events.every_fact()
        )
        return body

    return present


async def watch_campaign(
    session: AsyncSession, principal: Principal, campaign: AdCampaign, clock: Clock
) -> webhook_events.ChangeWatch:
    """What `ad_campaign.updated` (and `.payment_failed`) compare against."""
    return await webhook_events.ChangeWatch.start(
        session,
        campaign.company_id,
        "ad_campaign.updated",
        webhook_presenter(session, principal, campaign, clock),
        {"payment_failed": "ad_campaign.payment_failed"},
    )


def _apply_original(campaign: AdCampaign, original: OriginalCampaignFields | None) -> None:
    """Store what the original version wrote (validated by its migration)."""
    if original is None:
        return
    sent = original.model_fields_set
    if "target_country_codes" in sent:
        campaign.target_country_codes = list(original.target_country_codes or [])
    if "product_id" in sent:
        campaign.product_id = original.product_id
    if "bid_strategy" in sent:
        campaign.original_bid_strategy = original.bid_strategy
    if "conversion_goal" in sent:
        campaign.original_conversion_goal = original.conversion_goal
    if "config_status" in sent:
        campaign.original_config_status = original.config_status
    if "special_categories" in sent:
        campaign.original_special_categories = original.special_categories
    if "daily_budget" in sent:
        amount = original.daily_budget
        budget = None if amount is None else _micros(amount, "daily_budget")
        # A daily campaign budget takes it; otherwise it is the ABO campaign's fallback.
        if campaign.budget_optimization == "ad_campaign" and campaign.budget_type == "daily":
            campaign.budget_amount_micros = budget
        else:
            campaign.original_daily_budget_micros = budget


def _refuse_null(field: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for {field}: must not be null.", param=field)


def _refuse_change(field: str, why: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for {field}: {why}.", param=field)


async def update_campaign(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    campaign_id: str,
    body: CampaignUpdate,
    platform_header: str | None = None,
) -> AdCampaign:
    campaign = await repository.get_campaign(
        session, principal.company_id, campaign_id, for_update=True
    )
    check_platform_header(platform_header, campaign.platform)
    if campaign.status == "duplicating":
        raise Conflict("The campaign is still being duplicated; wait until the copy is done.")
    watch = await watch_campaign(session, principal, campaign, clock)
    now = clock.now()
    sent = body.model_fields_set
    before = column_values(campaign)

    # Fixed at creation: the same value is accepted, another is refused.
    if "objective" in sent and body.objective != campaign.objective:
        raise _refuse_change("objective", "it is fixed when the campaign is created")
    if "campaign_type" in sent and body.campaign_type != campaign.campaign_type:
        raise _refuse_change("campaign_type", "it is fixed when the campaign is created")
    if "desired_cost_per_result" in sent:
        wanted = (
            None
            if body.desired_cost_per_result is None
            else _micros(body.desired_cost_per_result, "desired_cost_per_result")
        )
        if wanted != campaign.desired_cost_per_result_micros:
            raise _refuse_change(
                "desired_cost_per_result", "it is fixed when the campaign is created"
            )

    for field in ("title", "budget_optimization", "bid_type", "special_ad_categories", "status"):
        if field in sent and getattr(body, field) is None:
            raise _refuse_null(field)
    if "title" in sent and body.title is not None:
        campaign.title = body.title
    if "special_ad_categories" in sent and body.special_ad_categories is not None:
        campaign.special_ad_categories = list(dict.fromkeys(body.special_ad_categories))

    if "budget_optimization" in sent and body.budget_optimization != campaign.budget_optimization:
        _require_draft(campaign, "budget_optimization")
        campaign.budget_optimization = body.budget_optimization or campaign.budget_optimization
        if campaign.budget_optimization == "ad_group":
            # The budget moves down to the ad groups: the campaign's own settings go.
            campaign.budget_amount_micros = None
            campaign.budget_type = None
            campaign.bid_type = None
            campaign.desired_cost_per_result_micros = None
            campaign.starts_at = None
            campaign.ends_at = None
        else:
            campaign.budget_type = campaign.budget_type or "daily"
            campaign.bid_type = campaign.bid_type or "minimum_cost"
    if "budget_type" in sent and body.budget_type != campaign.budget_type:
        _require_draft(campaign, "budget_type")
        campaign.budget_type = body.budget_type
    if {"budget_amount", "budget_amount_local"} & sent:
        campaign.budget_amount_micros = _budget_micros(body.budget_amount, body.budget_amount_local)
    if "bid_type" in sent and body.bid_type != campaign.bid_type:
        campaign.bid_type = body.bid_type
        if body.bid_type == "minimum_cost":
            campaign.desired_cost_per_result_micros = None
        elif campaign.desired_cost_per_result_micros is None:
            raise _refuse_change(
                "bid_type",
                f"{body.bid_type} bids toward desired_cost_per_result, which is set only when "
                "the campaign is created",
            )
    if "original" in sent:
        product_before = campaign.product_id
        _apply_original(campaign, body.original)
        if campaign.product_id is not None and campaign.product_id != product_before:
            await promoted_product(session, campaign.company_id, campaign.product_id)
    if "starts_at" in sent:
        campaign.starts_at = body.starts_at
    if "ends_at" in sent:
        campaign.ends_at = body.ends_at
    if "ends_at" in sent and campaign.ends_at is not None and campaign.ends_at <= now:
        raise InvalidRequest("Invalid value for ends_at: must be in the future.", param="ends_at")
    # Without starts_at a campaign could run from its creation: that is its start.
    _check_budget_rules(campaign, campaign.created_at)
    if "spend_cap_id" in sent:
        # After the campaign's own checks, before the writes below; null leaves the cap.
        await spend_caps.link_campaign(
            session, clock, campaign, body.spend_cap_id, principal.currency
        )

    await _carry_budget_changes_to_groups(session, campaign, before, now)
    if body.status == "active":
        await _apply_action(session, campaign, "launch")

    if column_values(campaign) != before:
        campaign.updated_at = now
    await session.flush()
    await watch.finish(session, clock)
    return campaign


async def _carry_budget_changes_to_groups(
    session: AsyncSession, campaign: AdCampaign, before: dict[str, Any], now: datetime
) -> None:
    """Budget moves between levels: the groups follow the campaign (spec A.2)."""
    groups = (AdGroup.ad_campaign_id == campaign.id) & AdGroup.deleted_at.is_(None)
    if campaign.budget_optimization == "ad_campaign" != before["budget_optimization"]:
        # The campaign now owns the budget: its groups' own budgets and bids go.
        await session.execute(
            update(AdGroup)
            .where(groups)
            .values(
                budget_amount_micros=None,
                budget_type=None,
                bid_type=None,
                desired_cost_per_result_micros=None,
                updated_at=now,
            )
        )
    elif campaign.bid_type == "minimum_cost" != before["bid_type"]:
        # Lowest-cost bidding has no targets: the groups' cost caps are cleared.
        await session.execute(
            update(AdGroup)
            .where(groups, AdGroup.desired_cost_per_result_micros.is_not(None))
            .values(desired_cost_per_result_micros=None, updated_at=now)
        )


def _require_draft(campaign: AdCampaign, field: str) -> None:
    if campaign.status != "draft":
        raise Conflict(
            f"Cannot change {field} of a campaign whose status is {campaign.status}: "
            "it can change only while the campaign is a draft."
        )


async def _apply_action(session: AsyncSession, campaign: AdCampaign, action: Action) -> None:
    status = CAMPAIGN.next_status(campaign.status, action)
    if action == "launch" and status != campaign.status:
        await check_launchable(session, campaign)
    if action in ("launch", "unpause") and status != campaign.status:
        # The second condition (issue 18): money behind it, else 402 payment_required.
        await check_funded(session, campaign.company_id, campaign.id)
    campaign.status = status


def _incomplete(message: str) -> InvalidRequest:
    return InvalidRequest(
        f"Cannot launch the campaign: {message}", param="status", code="campaign_incomplete"
    )


async def check_launchable(session: AsyncSession, campaign: AdCampaign) -> None:
    """A launch needs an ad group with an ad, and a budget at the level that owns it."""
    groups = (await tree.live_groups_of(session, [campaign.id]))[campaign.id]
    if not groups:
        raise _incomplete("it has no ad groups. Add an ad group with at least one ad first.")
    children = await tree.ad_group_children(session, [group.id for group in groups])
    deliverable = [
        group
        for group in groups
        if group.status == "active" and children[group.id].ads > children[group.id].rejected_ads
    ]
    if not any(children[group.id].ads for group in groups):
        raise _incomplete("its ad groups have no ads.")
    if not deliverable:
        raise _incomplete("none of its active ad groups has an ad that can run.")
    for group in groups:
        if campaign.budget_optimization == "ad_group" and group.budget_amount_micros is None:
            raise _incomplete(
                f"ad group {group.id} has no budget (the campaign's ad groups own the budget)."
            )
        if campaign.campaign_type == "search" and not group.keywords:
            raise _incomplete(f"ad group {group.id} of a search campaign has no keywords.")


async def act_on_campaign(
    session: AsyncSession, clock: Clock, principal: Principal, campaign_id: str, action: Action
) -> AdCampaign:
    """pause / unpause: the state machine decides; a no-op leaves updated_at alone."""
    campaign = await repository.get_campaign(
        session, principal.company_id, campaign_id, for_update=True
    )
    previous = campaign.status
    watch = await watch_campaign(session, principal, campaign, clock)
    await _apply_action(session, campaign, action)
    if campaign.status != previous:
        campaign.updated_at = clock.now()
        await session.flush()
        await watch.finish(session, clock)
    return campaign


async def delete_campaign(
    session: AsyncSession, clock: Clock, principal: Principal, campaign_id: str
) -> str:
    campaign = await repository.get_campaign(
        session, principal.company_id, campaign_id, for_update=True
    )
    CAMPAIGN.next_status(campaign.status, "delete")
    now = clock.now()
    campaign.deleted_at = now
    campaign.updated_at = now
    # The campaign's groups and ads go with it; their stats stay for company reports.
    for model in (AdGroup, Ad):
        await session.execute(
            update(model)
            .where(model.ad_campaign_id == campaign.id, model.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now)
        )
    await session.flush()
    return campaign.id


async def read_campaign(
    session: AsyncSession,
    principal: Principal,
    campaign_id: str,
    window: StatsWindow,
    now: datetime,
    facts: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The company's campaign, presented (`present_campaign_ids`), or 404: the same answer
    for another company's and for none."""
    bodies = await present_campaign_ids(session, principal, [campaign_id], window, now, facts)
    if not bodies:
        raise NotFound(f"No ad campaign with id {campaign_id}.", param="id")
    return bodies[0]


@dataclass(frozen=True)
class CampaignFilters:
    account_id: str | None = None
    company_id: str | None = None  # the older name of account_id; either may be sent
    status: str | None = None
    campaign_type: str | None = None
    query: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    order: str = "created_at"
    direction: Direction = "desc"


async def list_campaigns(
    session: AsyncSession,
    principal: Principal,
    filters: CampaignFilters,
    page: PageRequest,
    *,
    window: StatsWindow,
    now: datetime,
) -> Page[AdCampaign]:
    """One page; a stat `order` ranks the whole list over `window` (as of `now`)."""
    company_id = ensure_own_account(principal, filters.account_id, "account_id")
    ensure_own_account(principal, filters.company_id, "company_id")
    statement = repository.filtered_campaigns(
        company_id,
        statuses=status_filter("ad_campaign", filters.status),
        campaign_type=filters.campaign_type,
        query=filters.query,
        created_before=filters.created_before,
        created_after=filters.created_after,
    )
    return await paginate_list(
        session,
        statement,
        model=AdCampaign,
        level="ad_campaign",
        company_id=company_id,
        order=filters.order,
        direction=filters.direction,
        page=page,
        window=window,
        now=now,
    )


async def present_campaigns(
    session: AsyncSession,
    principal: Principal,
    campaigns: list[AdCampaign],
    window: StatsWindow,
    now: datetime,
    facts: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """`present_campaign_ids` of campaigns this session loaded (a page, a created or
    updated campaign), without reading their rows again."""
    trees = await tree.trees_of_campaigns(session, principal.company_id, campaigns)
    ids = [campaign.id for campaign in campaigns]
    return await _present_trees(session, principal, trees, ids, window, now, facts)


async def present_campaign_ids(
    session: AsyncSession,
    principal: Principal,
    campaign_ids: list[str],
    window: StatsWindow,
    now: datetime,
    facts: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Newest-shape objects of the company's live campaigns among `campaign_ids` (in that
    order; others are left out), with delivery status, open issues and the window's
    metrics; plus the private `facts` an older version's migrations need.

    Two queries, whatever the number of campaigns (up to 500): the campaigns with their
    trees, and the totals of the campaigns and their groups; a third only for campaigns
    with open issues."""
    trees = await tree.campaign_trees(session, principal.company_id, campaign_ids)
    return await _present_trees(session, principal, trees, campaign_ids, window, now, facts)


async def _present_trees(
    session: AsyncSession,
    principal: Principal,
    trees: dict[str, tree.CampaignTree],
    campaign_ids: list[str],
    window: StatsWindow,
    now: datetime,
    facts: frozenset[str],
) -> list[dict[str, Any]]:
    ids = [campaign_id for campaign_id in dict.fromkeys(campaign_ids) if campaign_id in trees]
    with_issues = [campaign_id for campaign_id in ids if trees[campaign_id].open_issues]
    issues = await open_issues_by_campaign(session, with_issues) if with_issues else {}
    # A campaign's results combine its groups' (each group's own result event); most
    # campaigns' equal their own count of one event, and need no group totals.
    group_ids = [
        group_id for campaign_id in ids for group_id in groups_needing_totals(trees[campaign_id])
    ]
    totals = await stats.totals_by_level(
        session, {"ad_campaign": ids, "ad_group": group_ids}, window
    )
    with_original = "ad_campaign._original" in facts
    campaigns = [trees[campaign_id].campaign for campaign_id in ids]
    creators = (
        await tree.users_by_id(session, [c.created_by_user_id for c in campaigns])
        if with_original
        else {}
    )
    # Today, in the company's time zone: what the original `todays_spend` covers.
    today = parse_stats_window(
        now.astimezone(ZoneInfo(principal.timezone)).date().isoformat(),
        None,
        principal.timezone,
        None,
    )
    todays = await stats.totals(session, "ad_campaign", ids, today) if with_original else {}
    promoted = (
        await products.products_by_id(session, [c.product_id for c in campaigns])
        if with_original
        else {}
    )
    funds = await campaign_funds(session, ids) if with_original else {}
    card = await working_payment_method(session, principal.company_id) if with_original else None
    funding_required = bool(
        with_original
        and await session.scalar(
            select(Company.funding_required).where(Company.id == principal.company_id)
        )
    )
    objects = []
    for campaign in campaigns:
        campaign_tree = trees[campaign.id]
        groups = campaign_tree.groups
        body = campaign_object(
            campaign,
            principal.currency,
            campaign_tree.children,
            groups,
            issues.get(campaign.id, []),
            totals[campaign.id],
            # One group carrying the campaign's totals gives the same sum of results.
            {groups[0].id: totals[campaign.id]}
            if results_from_campaign_totals(campaign_tree)
            else totals,
            now,
        )
        if with_original:
            body["_original"] = original_facts(
                campaign,
                campaign_tree.groups,
                creators.get(campaign.created_by_user_id or ""),
                todays[campaign.id].spend_micros,
                promoted.get(campaign.product_id or ""),
            )
            body["_original"]["funding"] = funding_facts(funds[campaign.id], card, funding_required)
        objects.append(body)
    return objects


def original_facts(
    campaign: AdCampaign,
    groups: Sequence[tree.LiveGroup],
    creator: User | None,
    todays_spend_micros: int,
    product: Product | None,
) -> dict[str, Any]:
    """What the original version (2025-01-01) shows beyond the newest shape."""
    group_budgets = [
        group.budget_amount_micros
        for group in groups
        if group.budget_type == "daily" and group.budget_amount_micros is not None
    ]
    if group_budgets:
        daily_budget: int | None = sum(group_budgets)
    elif campaign.budget_type == "daily":
        daily_budget = campaign.budget_amount_micros
    else:
        daily_budget = campaign.original_daily_budget_micros
    countries = list(campaign.target_country_codes)
    for group in groups:
        for country in (group.regions or {}).get("include", {}).get("countries", []):
            if country not in countries:
                countries.append(country)
    return {
        "daily_budget_micros": daily_budget,
        "todays_spend_micros": todays_spend_micros,
        "target_country_codes": countries,
        "product": product_reference(product),
        "bid_strategy": campaign.original_bid_strategy,
        "conversion_goal": campaign.original_conversion_goal,
        "config_status": campaign.original_config_status,
        "special_categories": campaign.original_special_categories,
        "created_by_user": None
        if creator is None
        else {"id": creator.id, "name": creator.name, "username": creator.username},
    }


def funding_facts(
    funds: CampaignFunds, card: PaymentMethod | None, funding_required: bool
) -> dict[str, Any]:
    """What the original version shows of a campaign's money (docs/funding.md): it pays
    from its credits (its ledger account) while they last, then by the company's card.
    `limit_micros`: what funds still allow it to spend (None: nothing limits it, a card or
    a company from before funding)."""
    by_card = funds.remaining_micros == 0 and card is not None
    return {
        "total_credits_micros": funds.total_credits_micros,
        "remaining_micros": funds.remaining_micros,
        "limit_micros": None if by_card or not funding_required else funds.remaining_micros,
        "payment_method": payment_method_object(card) if by_card else None,
        "billing_ledger_account": None
        if by_card or funds.account_id is None
        else {"id": funds.account_id},
    }


def groups_needing_totals(campaign_tree: tree.CampaignTree) -> list[str]:
    """The groups whose own totals the campaign's results need: those that count an
    attributable result event, unless the campaign's own count already is the sum."""
    if results_from_campaign_totals(campaign_tree):
        return []
    return [group.id for group in campaign_tree.groups if group.goal.result_event is not None]


def results_from_campaign_totals(campaign_tree: tree.CampaignTree) -> bool:
    """Are the campaign's results its own count of one event? They are the sum of its live
    groups' results, each group counting its own result event; when every group it ever had
    is live and they all count the same event, that sum is the campaign's own count (its
    totals are its groups' totals added up)."""
    groups = campaign_tree.groups
    if not groups or campaign_tree.all_groups != len(groups):
        return False
    goals = {(group.goal.result_event, group.goal.result_event_name) for group in groups}
    return len(goals) == 1 and next(iter(goals))[0] is not None


def campaign_goal(
    groups: Sequence[tree.LiveGroup], group_totals: Mapping[str, StatTotals]
) -> tuple[str | None, ResultGoal]:
    """The shared optimization goal of the campaign's groups (if they agree) and its result,
    from each group's totals over the window (a group without stats counts zero)."""
    goals = [group.goal for group in groups]
    shared = {goal.optimization_goal for goal in goals}
    optimization_goal = shared.pop() if len(shared) == 1 else None
    return optimization_goal, combined_goal(
        goals, [group_totals.get(group.id, StatTotals()) for group in groups]
    )


def campaign_object(
    campaign: AdCampaign,
    currency: str,
    children: CampaignChildren,
    groups: Sequence[tree.LiveGroup],
    issues: list[PlatformIssue],
    totals: StatTotals,
    group_totals: Mapping[str, StatTotals],
    now: datetime,
) -> dict[str, Any]:
    budget = (
        None
        if campaign.budget_amount_micros is None
        else micros_to_dollars(campaign.budget_amount_micros)
    )
    desired = campaign.desired_cost_per_result_micros
    optimization_goal, goal = campaign_goal(groups, group_totals)
    facts = DeliveryFacts(
        open_errors=sum(1 for issue in issues if issue.severity == "error"),
        in_appeal=any(issue.in_appeal for issue in issues),
    )
    return {
        "id": campaign.id,
        "title": campaign.title,
        "status": campaign.status,
        "delivery_status": campaign_delivery_status(campaign, children, now, facts),
        "platform": campaign.platform,
        "campaign_type": campaign.campaign_type,
        "objective": campaign.objective,
        "special_ad_categories": list(campaign.special_ad_categories),
        "optimization_goal": optimization_goal,
        "budget_amount": budget,
        "budget_amount_local": budget,
        "budget_currency": currency,
        "budget_type": campaign.budget_type,
        "budget_optimization": campaign.budget_optimization,
        "bid_type": campaign.bid_type,
        "desired_cost_per_result": None if desired is None else micros_to_dollars(desired),
        "starts_at": None if campaign.starts_at is None else format_timestamp(campaign.starts_at),
        "ends_at": None if campaign.ends_at is None else format_timestamp(campaign.ends_at),
        "spend_cap_id": campaign.spend_cap_id,
        "created_at": format_timestamp(campaign.created_at),
        "updated_at": format_timestamp(campaign.updated_at),
        "issues": [issue_object(issue) for issue in issues],
        **compute_metrics(totals, goal, currency),
    }


async def duplicate_campaign(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    campaign_id: str,
    *,
    count: int,
    preserve_engagement: bool,
) -> list[AdCampaign]:
    """Deep copies (groups and ads too), each `duplicating` until finished."""
    duplication.check_count(count)
    source = await repository.get_campaign(session, principal.company_id, campaign_id)
    if source.status == "duplicating":
        raise Conflict("The campaign is still being duplicated; wait until the copy is done.")
    return [
        await duplication.copy_campaign(
            session, clock, source, preserve_engagement, currency=principal.currency
        )
        for _ in range(count)
    ]
