"""From 2026-06-09 down to the original shapes (2025-01-01): seeds 002 and 003, spec D.1."""

from __future__ import annotations

from typing import Any

from adline.ad_groups.iso_codes import COUNTRIES
from adline.core.errors import InvalidRequest, ParameterMissing
from adline.core.money import micros_to_dollars
from adline.core.versioning import VersionChange, request_migration, response_migration
from adline.versions.mappings import (
    BID_STRATEGY_OF_BID_TYPE,
    BID_TYPE_OF_BID_STRATEGY,
    BUDGET_OPTIMIZATION_OF_FLAG,
    FLAG_OF_BUDGET_OPTIMIZATION,
    LEGACY_OF_SPECIAL_AD_CATEGORY,
    OBJECTIVE_OF_CONVERSION_GOAL,
    SPECIAL_AD_CATEGORY_OF_LEGACY,
    cents_to_dollars,
    dollars_to_cents,
    original_campaign_status,
)

MIN_DAILY_BUDGET = 5
OBJECTIVES = ("awareness", "traffic", "engagement", "leads", "sales")
CONFIG_KEYS = {
    "conversion_goal",
    "objective",
    "bid_strategy",
    "bid_amount",
    "status",
    "special_categories",
    "budget_optimization",
    "start_time",
    "end_time",
    "lifetime_budget",
}
METRICS_2026_06_09 = (
    "spend",
    "spend_currency",
    "impressions",
    "reach",
    "clicks",
    "unique_clicks",
    "purchases",
    "leads",
    "frequency",
    "click_through_rate",
    "unique_click_through_rate",
    "return_on_ad_spend",
    "purchase_value",
    "cost_per_click",
    "cost_per_mille",
    "cost_per_result",
    "cost_per_purchase",
    "cost_per_lead",
)


def _invalid(param: str, why: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for {param}: {why}.", param=param)


def _number(value: Any, param: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(param, "must be a number")
    return float(value)


def _countries(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _invalid("target_country_codes", "must be a list of ISO 3166-1 alpha-2 codes")
    for index, code in enumerate(value):
        if not isinstance(code, str) or code.upper() not in COUNTRIES:
            raise _invalid(f"target_country_codes[{index}]", "not an ISO 3166-1 alpha-2 code")
    return [code.upper() for code in value]


def _strings(value: Any, param: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(param, "must be a list of strings")
    return list(value)


def _original_extras(body: dict[str, Any]) -> dict[str, Any]:
    """Fields only the original version has, stored on the campaign as they were sent."""
    extras: dict[str, Any] = {}
    if "target_country_codes" in body:
        codes = body.pop("target_country_codes")
        extras["target_country_codes"] = [] if codes is None else _countries(codes)
    if "product_id" in body:
        product_id = body.pop("product_id")
        if product_id is not None and not (
            isinstance(product_id, str) and product_id.startswith("prod_")
        ):
            raise _invalid("product_id", "must be a product id (prod_...)")
        extras["product_id"] = product_id
    if "ad_creative_set_ids" in body:
        ids = body.pop("ad_creative_set_ids")
        extras["ad_creative_set_ids"] = [] if ids is None else _strings(ids, "ad_creative_set_ids")
    return extras


def _config_up(config: Any, body: dict[str, Any], *, creating: bool) -> None:
    """`config {...}` of the original shape into the newer top-level fields."""
    if not isinstance(config, dict):
        raise _invalid("config", "must be an object")
    for key in config:
        if key not in CONFIG_KEYS:
            raise InvalidRequest(f"Unknown parameter: config.{key}.", param=f"config.{key}")
    if creating:
        objective = config.get("objective")
        goal = config.get("conversion_goal")
        if objective is not None:
            if objective not in OBJECTIVES:
                raise _invalid("config.objective", f"must be one of {', '.join(OBJECTIVES)}")
            body["objective"] = objective
        elif goal is not None:
            if goal not in OBJECTIVE_OF_CONVERSION_GOAL:
                raise _invalid(
                    "config.conversion_goal",
                    f"must be one of {', '.join(OBJECTIVE_OF_CONVERSION_GOAL)}",
                )
            body["objective"] = OBJECTIVE_OF_CONVERSION_GOAL[goal]
        else:
            raise ParameterMissing(
                "Missing required parameter: config.objective (or config.conversion_goal).",
                param="config.objective",
            )
        flag = config.get("budget_optimization", True)
        if not isinstance(flag, bool):
            raise _invalid("config.budget_optimization", "must be true or false")
        body["budget_optimization"] = BUDGET_OPTIMIZATION_OF_FLAG[flag]
        # Bidding belongs to the level that owns the budget; under ad-group budgets the
        # original bid settings have nowhere to go and are not kept.
        if flag:
            if config.get("bid_strategy") is not None:
                strategy = config["bid_strategy"]
                if strategy not in BID_TYPE_OF_BID_STRATEGY:
                    raise _invalid(
                        "config.bid_strategy",
                        f"must be one of {', '.join(BID_TYPE_OF_BID_STRATEGY)}",
                    )
                body["bid_type"] = BID_TYPE_OF_BID_STRATEGY[strategy]
            if config.get("bid_amount") is not None:
                cents = config["bid_amount"]
                if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
                    raise _invalid("config.bid_amount", "must be a positive whole number of cents")
                body["desired_cost_per_result"] = cents_to_dollars(cents)
            for key, newer in (("start_time", "starts_at"), ("end_time", "ends_at")):
                if config.get(key) is not None:
                    body[newer] = config[key]
    elif {
        "objective",
        "conversion_goal",
        "budget_optimization",
        "bid_strategy",
        "bid_amount",
    } & set(config):
        changed = sorted(
            {"objective", "conversion_goal", "budget_optimization", "bid_strategy", "bid_amount"}
            & set(config)
        )[0]
        raise _invalid(f"config.{changed}", "it is fixed when the campaign is created")
    if "special_categories" in config:
        categories = []
        for index, legacy in enumerate(
            _strings(config["special_categories"] or [], "config.special_categories")
        ):
            if legacy not in SPECIAL_AD_CATEGORY_OF_LEGACY:
                raise _invalid(
                    f"config.special_categories[{index}]",
                    f"must be one of {', '.join(SPECIAL_AD_CATEGORY_OF_LEGACY)}",
                )
            categories.append(SPECIAL_AD_CATEGORY_OF_LEGACY[legacy])
        body["special_ad_categories"] = list(dict.fromkeys(categories))
    if not creating:
        for key, newer in (("start_time", "starts_at"), ("end_time", "ends_at")):
            if key in config:
                body[newer] = config[key]
        # `config.status: active` launches a draft (or is a no-op when live); pausing goes
        # through POST /ad_campaigns/{id}/pause, as in every version.
        if "status" in config:
            if config["status"] != "active":
                raise _invalid("config.status", "only active (launch); pause with the endpoint")
            body["status"] = "active"
    # On create, config.status and config.lifetime_budget are not kept: campaigns start as
    # drafts and launch once they have ad groups and ads (docs/versions.md).


def _daily_budget_up(body: dict[str, Any], extras: dict[str, Any], *, owns_budget: bool) -> None:
    amount = _number(body.pop("daily_budget"), "daily_budget")
    if amount < MIN_DAILY_BUDGET:
        raise _invalid("daily_budget", "must be at least $5.00")
    if owns_budget:
        body["budget"] = amount
        body["budget_type"] = "daily"
    else:
        extras["daily_budget"] = amount


class OriginalCampaignShape(VersionChange):
    """The original campaign (seeds 002 and 003): created with `company_id`, a `config`
    object (objective or conversion goal, bid strategy and amount in cents, a budget
    optimization flag, special categories, start and end times), a required
    `daily_budget` of at least $5 and the `product_id` it promotes; it shows
    `daily_budget` (the sum of its ad groups' daily budgets when they have them),
    `available_budget`, `todays_spend`, counts, `revenue`, `total_spend`, ROAS as a
    percentage, its creator, its `product` and the 9-value status.
    Billing fields (payment method, ledger account, credits, balance) are null or zero:
    Adline has no billing yet."""

    needs_facts = frozenset({"ad_campaign._original"})

    @request_migration("ad_campaign.create")
    @staticmethod
    def create_up(body: dict[str, Any]) -> dict[str, Any]:
        for name in ("objective", "budget", "budget_type", "account_id"):
            if name in body:
                raise InvalidRequest(f"Unknown parameter: {name}.", param=name)
        if "company_id" not in body:
            raise ParameterMissing("Missing required parameter: company_id.", param="company_id")
        if "config" not in body:
            raise ParameterMissing("Missing required parameter: config.", param="config")
        if "daily_budget" not in body:
            raise ParameterMissing(
                "Missing required parameter: daily_budget.", param="daily_budget"
            )
        body["account_id"] = body.pop("company_id")
        extras = _original_extras(body)
        _config_up(body.pop("config"), body, creating=True)
        _daily_budget_up(body, extras, owns_budget=body["budget_optimization"] == "ad_campaign")
        if extras:
            body["_original"] = extras
        return body

    @request_migration("ad_campaign.update")
    @staticmethod
    def update_up(body: dict[str, Any]) -> dict[str, Any]:
        for name in ("objective", "budget", "budget_type", "status"):
            if name in body:
                raise InvalidRequest(f"Unknown parameter: {name}.", param=name)
        extras = _original_extras(body)
        if "config" in body:
            _config_up(body.pop("config"), body, creating=False)
        if "daily_budget" in body:
            # Which level owns the budget is not known here: the campaign service gives it
            # to a daily campaign budget (CBO), else keeps it as the ABO fallback.
            amount = _number(body.pop("daily_budget"), "daily_budget")
            if amount < MIN_DAILY_BUDGET:
                raise _invalid("daily_budget", "must be at least $5.00")
            extras["daily_budget"] = amount
        if extras:
            body["_original"] = extras
        return body

    @response_migration("ad_campaign")
    @staticmethod
    def original_campaign(body: dict[str, Any]) -> dict[str, Any]:
        newest, original = body["_newest"], body["_original"]
        daily_micros = original["daily_budget_micros"]
        todays_spend = micros_to_dollars(original["todays_spend_micros"])
        daily_budget = None if daily_micros is None else micros_to_dollars(daily_micros)
        available = 0.0 if daily_budget is None else max(0.0, round(daily_budget - todays_spend, 2))
        desired = newest["desired_cost_per_result"]
        config = None
        if body["platform"] == "meta":
            config = {
                "bid_amount": None if desired is None else dollars_to_cents(desired),
                "bid_strategy": BID_STRATEGY_OF_BID_TYPE.get(newest["bid_type"] or "minimum_cost"),
                "budget_optimization": FLAG_OF_BUDGET_OPTIMIZATION[newest["budget_optimization"]],
                "objective": newest["objective"],
                "special_categories": [
                    LEGACY_OF_SPECIAL_AD_CATEGORY[category]
                    for category in newest["special_ad_categories"]
                ],
                "start_time": newest["starts_at"],
                "end_time": newest["ends_at"],
                "status": "active" if body["status"] == "active" else "paused",
            }
        return {
            "id": body["id"],
            "title": body["title"],
            "status": original_campaign_status(body["status"], newest["delivery_status"]),
            "target_country_codes": original["target_country_codes"],
            "daily_budget": daily_budget,
            "platform": body["platform"],
            "available_budget": available,
            "created_at": body["created_at"],
            "updated_at": body["updated_at"],
            "paused_until": None,
            "clicks_count": int(body["clicks"]),
            "impressions_count": int(body["impressions"]),
            "purchases_count": int(body["purchases"]),
            "remaining_balance": 0.0,
            "revenue": body["purchase_value"],
            # The original shape documents ROAS as a percentage: 2.5x is 250.
            "return_on_ad_spend": round(body["return_on_ad_spend"] * 100, 2),
            "todays_spend": todays_spend,
            "total_credits": 0.0,
            "total_spend": body["spend"],
            # The product it promotes (docs/products.md); null when none.
            "product": original["product"],
            "created_by_user": original["created_by_user"],
            "payment_method": None,
            "billing_ledger_account": None,
            "config": config,
            # Added in every version at once (seed 004): not a change between versions.
            "spend_cap_id": body["spend_cap_id"],
        }


class GroupsAndAdsWithoutDelivery(VersionChange):
    """Ad groups and ads showed no metrics and no issues (the Stainless client of the
    time); ad groups were created with `campaign_id`, named with `name`, and could take a
    `daily_budget`. Deleting an ad group answered a bare `true`."""

    @request_migration("ad_group.create")
    @staticmethod
    def campaign_id_up(body: dict[str, Any]) -> dict[str, Any]:
        if "ad_campaign_id" in body:
            raise InvalidRequest("Unknown parameter: ad_campaign_id.", param="ad_campaign_id")
        if "campaign_id" in body:
            body["ad_campaign_id"] = body.pop("campaign_id")
        return body

    @request_migration("ad_group.create", "ad_group.update")
    @staticmethod
    def name_up(body: dict[str, Any]) -> dict[str, Any]:
        # Requests said `name`; responses already said `title`.
        if "title" in body:
            raise InvalidRequest("Unknown parameter: title.", param="title")
        if "name" in body:
            body["title"] = body.pop("name")
        return body

    @request_migration("ad_group.create", "ad_group.update")
    @staticmethod
    def daily_budget_up(body: dict[str, Any]) -> dict[str, Any]:
        if "daily_budget" in body:
            if "budget" in body:
                raise InvalidRequest("Send budget or daily_budget, not both.", param="daily_budget")
            body["budget"] = _number(body.pop("daily_budget"), "daily_budget")
            body["budget_type"] = "daily"
        return body

    @response_migration("ad_group", "ad")
    @staticmethod
    def without_delivery(body: dict[str, Any]) -> dict[str, Any]:
        for name in (*METRICS_2026_06_09, "issues"):
            body.pop(name, None)
        return body

    @response_migration("ad_group.deleted")
    @staticmethod
    def bare_true(body: dict[str, Any]) -> bool:
        return True


CHANGES = [OriginalCampaignShape, GroupsAndAdsWithoutDelivery]
