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
    CONVERSION_GOAL_OF_OBJECTIVE,
    FLAG_OF_BUDGET_OPTIMIZATION,
    LEGACY_OF_SPECIAL_AD_CATEGORY,
    OBJECTIVE_OF_CONVERSION_GOAL,
    SPECIAL_AD_CATEGORY_OF_LEGACY,
    cents_to_dollars,
    dollars_to_cents,
    original_campaign_status,
)

MIN_DAILY_BUDGET = 5
MAX_SPECIAL_CATEGORIES = 20
MAX_SPECIAL_CATEGORY_LENGTH = 100
CONFIG_STATUSES = ("active", "paused")
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
        # That it names a product of the caller's company is the campaign service's check.
        extras["product_id"] = product_id
    if "ad_creative_set_ids" in body:
        ids = body.pop("ad_creative_set_ids")
        if ids is not None and _strings(ids, "ad_creative_set_ids"):
            # Linking would need the sets to exist: Adline has none, so no id can name one.
            raise _invalid(
                "ad_creative_set_ids",
                "Adline has no ad creative sets, so no id names one; send an empty list or "
                "leave it out, and give each ad its creatives (POST /ads, creatives)",
            )
    return extras


def _special_categories(value: Any, body: dict[str, Any], extras: dict[str, Any]) -> None:
    """Free strings, kept as sent (duplicates dropped); those naming a category Adline
    knows (in any case: Meta spells them in capitals) set the newer enum too."""
    param = "config.special_categories"
    sent = _strings(value or [], param)
    if len(sent) > MAX_SPECIAL_CATEGORIES:
        raise _invalid(param, f"at most {MAX_SPECIAL_CATEGORIES} categories")
    for index, category in enumerate(sent):
        if not category.strip() or len(category) > MAX_SPECIAL_CATEGORY_LENGTH:
            raise _invalid(
                f"{param}[{index}]", f"must be 1 to {MAX_SPECIAL_CATEGORY_LENGTH} characters"
            )
    known = [
        SPECIAL_AD_CATEGORY_OF_LEGACY[category.lower()]
        for category in sent
        if category.lower() in SPECIAL_AD_CATEGORY_OF_LEGACY
    ]
    body["special_ad_categories"] = list(dict.fromkeys(known))
    extras["special_categories"] = list(dict.fromkeys(sent))


def _bidding_up(config: dict[str, Any], body: dict[str, Any], extras: dict[str, Any]) -> None:
    """Bid strategy and amount of a campaign that owns its budget (CBO)."""
    strategy = config.get("bid_strategy")
    if strategy is not None and strategy not in BID_TYPE_OF_BID_STRATEGY:
        raise _invalid(
            "config.bid_strategy", f"must be one of {', '.join(BID_TYPE_OF_BID_STRATEGY)}"
        )
    cents = config.get("bid_amount")
    if cents is not None:
        if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
            raise _invalid("config.bid_amount", "must be a positive whole number of cents")
        body["desired_cost_per_result"] = cents_to_dollars(cents)
    if strategy in (None, "lowest_cost") and cents is not None:
        # Lowest cost with a bid amount is lowest cost capped at that bid (Meta's
        # LOWEST_COST_WITH_BID_CAP): bid type maximum_target; the strategy is kept as sent.
        body["bid_type"] = "maximum_target"
        extras["bid_strategy"] = "lowest_cost"
    elif strategy is not None:
        body["bid_type"] = BID_TYPE_OF_BID_STRATEGY[strategy]


def _refuse_under_ad_group_budgets(config: dict[str, Any]) -> None:
    """Under ad-group budgets (`budget_optimization: false`) bidding and the schedule belong
    to the ad groups: sent on the campaign they would be lost, so they are refused."""
    for key in ("bid_amount", "start_time", "end_time"):
        if config.get(key) is not None:
            raise _invalid(
                f"config.{key}",
                "a campaign with ad-group budgets (budget_optimization: false) takes no "
                "bidding or schedule: each ad group sets its own",
            )
    if config.get("bid_strategy") not in (None, "lowest_cost"):
        raise _invalid(
            "config.bid_strategy",
            "a campaign with ad-group budgets (budget_optimization: false) bids at the "
            "lowest cost; each ad group sets its own bidding",
        )


def _objective_up(config: dict[str, Any], body: dict[str, Any], extras: dict[str, Any]) -> None:
    objective = config.get("objective")
    goal = config.get("conversion_goal")
    if objective is not None and objective not in OBJECTIVES:
        raise _invalid("config.objective", f"must be one of {', '.join(OBJECTIVES)}")
    if goal is not None:
        if goal not in OBJECTIVE_OF_CONVERSION_GOAL:
            raise _invalid(
                "config.conversion_goal",
                f"must be one of {', '.join(OBJECTIVE_OF_CONVERSION_GOAL)}",
            )
        if objective is not None and OBJECTIVE_OF_CONVERSION_GOAL[goal] != objective:
            raise _invalid(
                "config.conversion_goal",
                f"{goal} serves the objective {OBJECTIVE_OF_CONVERSION_GOAL[goal]}, not "
                f"{objective}; send one of them",
            )
        extras["conversion_goal"] = goal
    if objective is None:
        if goal is None:
            raise ParameterMissing(
                "Missing required parameter: config.objective (or config.conversion_goal).",
                param="config.objective",
            )
        objective = OBJECTIVE_OF_CONVERSION_GOAL[goal]
    body["objective"] = objective


def _config_up(
    config: Any, body: dict[str, Any], extras: dict[str, Any], *, creating: bool
) -> None:
    """`config {...}` of the original shape into the newer top-level fields; what they
    cannot say goes to `extras` (the campaign's original facts)."""
    if not isinstance(config, dict):
        raise _invalid("config", "must be an object")
    for key in config:
        if key not in CONFIG_KEYS:
            raise InvalidRequest(f"Unknown parameter: config.{key}.", param=f"config.{key}")
    if config.get("lifetime_budget") is not None:
        # Its unit and its meaning beside the required daily_budget are undocumented.
        raise _invalid(
            "config.lifetime_budget",
            "2025-01-01 campaigns have a daily budget (daily_budget); for a lifetime budget "
            "use a newer version (budget_type: lifetime)",
        )
    status = config.get("status")
    if status is not None and status not in CONFIG_STATUSES:
        raise _invalid("config.status", f"must be one of {', '.join(CONFIG_STATUSES)}")
    if creating:
        _objective_up(config, body, extras)
        flag = config.get("budget_optimization", True)
        if not isinstance(flag, bool):
            raise _invalid("config.budget_optimization", "must be true or false")
        body["budget_optimization"] = BUDGET_OPTIMIZATION_OF_FLAG[flag]
        if flag:
            _bidding_up(config, body, extras)
            for key, newer in (("start_time", "starts_at"), ("end_time", "ends_at")):
                if config.get(key) is not None:
                    body[newer] = config[key]
        else:
            _refuse_under_ad_group_budgets(config)
        # `active` asks for the campaign to run. A new campaign cannot (no ad groups or ads
        # yet; seed 002: "starts inactive until funded"): it is kept, and the campaign
        # reads `inactive` until it is launched; `paused` (or nothing) makes a draft.
        if status is not None:
            extras["config_status"] = status
    else:
        fixed = {"objective", "conversion_goal", "budget_optimization", "bid_strategy"}
        fixed |= {"bid_amount"}
        if fixed & set(config):
            changed = sorted(fixed & set(config))[0]
            raise _invalid(f"config.{changed}", "it is fixed when the campaign is created")
        for key, newer in (("start_time", "starts_at"), ("end_time", "ends_at")):
            if key in config:
                body[newer] = config[key]
        # `config.status: active` launches a draft (or is a no-op when live); pausing goes
        # through POST /ad_campaigns/{id}/pause, as in every version.
        if "status" in config:
            if status != "active":
                raise _invalid("config.status", "only active (launch); pause with the endpoint")
            body["status"] = "active"
    if "special_categories" in config:
        _special_categories(config["special_categories"], body, extras)


def _daily_budget_up(body: dict[str, Any], extras: dict[str, Any], *, owns_budget: bool) -> None:
    amount = _number(body.pop("daily_budget"), "daily_budget")
    if amount < MIN_DAILY_BUDGET:
        raise _invalid("daily_budget", "must be at least $5.00")
    if owns_budget:
        body["budget"] = amount
        body["budget_type"] = "daily"
    else:
        extras["daily_budget"] = amount


def original_config(
    body: dict[str, Any],
    newest: dict[str, Any],
    original: dict[str, Any],
    launch_requested: bool,
) -> dict[str, Any]:
    """The `config` of seed 002's answer: what the client sent, where it still holds, else
    the campaign's newer settings in the original words."""
    bid_type = newest["bid_type"]
    desired = newest["desired_cost_per_result"]
    if original["bid_strategy"] == "lowest_cost" and bid_type == "maximum_target":
        strategy = "lowest_cost"  # lowest cost capped at bid_amount, as it was sent
    else:
        strategy = BID_STRATEGY_OF_BID_TYPE[bid_type or "minimum_cost"]
    goal = original["conversion_goal"]
    if goal is None or OBJECTIVE_OF_CONVERSION_GOAL[goal] != newest["objective"]:
        goal = CONVERSION_GOAL_OF_OBJECTIVE.get(newest["objective"] or "")
    return {
        "conversion_goal": goal,
        "bid_strategy": strategy,
        "bid_amount": None if desired is None else dollars_to_cents(desired),
        "status": "active" if body["status"] == "active" or launch_requested else "paused",
        "special_categories": original_special_categories(
            original["special_categories"], newest["special_ad_categories"]
        ),
        "budget_optimization": FLAG_OF_BUDGET_OPTIMIZATION[newest["budget_optimization"]],
        "start_time": newest["starts_at"],
        "end_time": newest["ends_at"],
    }


def original_special_categories(sent: list[str] | None, categories: list[str]) -> list[str]:
    """The strings the client sent, less those naming a category the campaign no longer has
    (a newer version changed them), then each category no string names."""
    if sent is None:
        return [LEGACY_OF_SPECIAL_AD_CATEGORY[category] for category in categories]
    kept: list[str] = []
    named: set[str] = set()
    for legacy in sent:
        category = SPECIAL_AD_CATEGORY_OF_LEGACY.get(legacy.lower())
        if category is None:
            kept.append(legacy)  # no newer counterpart: kept as sent
        elif category in categories:
            kept.append(legacy)
            named.add(category)
    return kept + [
        LEGACY_OF_SPECIAL_AD_CATEGORY[category] for category in categories if category not in named
    ]


class OriginalCampaignShape(VersionChange):
    """The original campaign (seeds 002 and 003): created with `company_id`, a `config`
    object (objective or conversion goal, bid strategy and amount in cents, a budget
    optimization flag, special categories, start and end times), a required
    `daily_budget` of at least $5 and the `product_id` it promotes; it shows
    `daily_budget` (the sum of its ad groups' daily budgets when they have them),
    `available_budget`, `todays_spend`, counts, `revenue`, `total_spend`, ROAS as a
    percentage, its creator, its `product` and the 9-value status.
    Billing fields come from the funding ledger (docs/funding.md): `total_credits` and
    `remaining_balance` are the campaign's credits added and left, `available_budget` is
    also capped by the funds left, `billing_ledger_account` is the campaign's ledger
    account while it pays from credits, `payment_method` the company's card once it pays
    by card."""

    needs_facts = frozenset({"ad_campaign._original"})
    # Where each newer parameter came from, so a 400 names what the caller sent.
    request_param_names = {
        "ad_campaign": {
            "account_id": "company_id",
            "budget": "daily_budget",
            "objective": "config.objective",
            "special_ad_categories": "config.special_categories",
            "budget_optimization": "config.budget_optimization",
            "bid_type": "config.bid_strategy",
            "desired_cost_per_result": "config.bid_amount",
            "starts_at": "config.start_time",
            "ends_at": "config.end_time",
        }
    }

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
        _config_up(body.pop("config"), body, extras, creating=True)
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
            _config_up(body.pop("config"), body, extras, creating=False)
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
        funding = original["funding"]
        available = 0.0 if daily_budget is None else max(0.0, round(daily_budget - todays_spend, 2))
        if daily_budget is not None and funding["limit_micros"] is not None:
            # What is left today, and never more than the funds left (docs/funding.md).
            available = min(available, micros_to_dollars(funding["limit_micros"]))
        status = original_campaign_status(body["status"], newest["delivery_status"])
        # A draft asked to run (config.status active on create) is waiting: `inactive`.
        launch_requested = status == "draft" and original["config_status"] == "active"
        if launch_requested:
            status = "inactive"
        config = None
        if body["platform"] == "meta":
            config = original_config(body, newest, original, launch_requested)
        return {
            "id": body["id"],
            "title": body["title"],
            "status": status,
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
            "remaining_balance": micros_to_dollars(funding["remaining_micros"]),
            "revenue": body["purchase_value"],
            # The original shape documents ROAS as a percentage: 2.5x is 250.
            "return_on_ad_spend": round(body["return_on_ad_spend"] * 100, 2),
            "todays_spend": todays_spend,
            "total_credits": micros_to_dollars(funding["total_credits_micros"]),
            "total_spend": body["spend"],
            # The product it promotes (docs/products.md); null when none.
            "product": original["product"],
            "created_by_user": original["created_by_user"],
            "payment_method": funding["payment_method"],
            "billing_ledger_account": funding["billing_ledger_account"],
            "config": config,
        }


class GroupsAndAdsWithoutDelivery(VersionChange):
    """Ad groups and ads showed no metrics and no issues (the Stainless client of the
    time); ad groups were created with `campaign_id`, named with `name`, and could take a
    `daily_budget`. Deleting an ad group answered a bare `true`."""

    request_param_names = {"ad_group": {"ad_campaign_id": "campaign_id", "title": "name"}}

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
