"""Drive Adline with one Fern-generated official client release (whop-sdk 1.x and 2.x).

Not a test module: tests/clients/test_client_releases.py runs it in a subprocess with the
release's directory (`.venv/clients/whop-sdk-X`) on PYTHONPATH, and no `WHOP_*` variable:

    python fern_lifecycle.py '{"base_url": ..., "api_key": ..., "newest_version": ...}'

The client is the release unmodified, at its own default `Api-Version-Date` (no
`api_version_date` is passed): only the base URL (`base_url=` in 1.x, `environment=` in
2.x), the `token`, `max_retries=0` (Adline's 409s are deterministic), a timeout, and the
httpx client that records each exchange (script_support.Recorder) are given, all options
of `Whop.__init__` (whop_sdk/client.py).

Through the release's own typed methods and parameters it creates, retrieves, lists,
updates, pauses, unpauses, duplicates and deletes a campaign, an ad group and an ad, and
prints one JSON report (script_support.Run) for the assertions of the test module.

Fern clients parse every answer into their pydantic models (`parse_obj_as`,
whop_sdk/core/pydantic_utilities.py): a missing required field raises `ParsingError`, but
the parse is lax (`"1.5"` passes for a float) and every enum is open
(`Union[Literal[...], Any]`, so any value passes), and the models keep unknown keys
(`extra="allow"`). So each answer is also checked here against the type the method
returns, strictly: pydantic strict mode, and every value of a Fern enum must be one of the
release's literals (`strict_errors`). Unknown keys are allowed, as the client allows them.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
import whop_sdk
from script_support import Newest, Recorder, Run, problem
from whop_sdk import Whop
from whop_sdk.ad_campaigns.types.delete_ad_campaigns_response import DeleteAdCampaignsResponse
from whop_sdk.ad_campaigns.types.duplicate_ad_campaigns_response import (
    DuplicateAdCampaignsResponse,
)
from whop_sdk.ad_campaigns.types.list_ad_campaigns_response import ListAdCampaignsResponse
from whop_sdk.ad_groups.types.delete_ad_groups_response import DeleteAdGroupsResponse
from whop_sdk.ad_groups.types.duplicate_ad_groups_response import DuplicateAdGroupsResponse
from whop_sdk.ad_groups.types.list_ad_groups_response import ListAdGroupsResponse
from whop_sdk.ads.types.create_ads_request_creatives_item import CreateAdsRequestCreativesItem
from whop_sdk.ads.types.delete_ads_response import DeleteAdsResponse
from whop_sdk.ads.types.duplicate_ads_response import DuplicateAdsResponse
from whop_sdk.ads.types.list_ads_response import ListAdsResponse
from whop_sdk.types.ad import Ad
from whop_sdk.types.ad_campaign import AdCampaign
from whop_sdk.types.ad_group import AdGroup

# -- the strict check -----------------------------------------------------------------------


def strict_errors(type_: Any, data: Any) -> list[str]:
    """What is wrong with `data` as the release's `type_`, one line per problem."""
    problems = []
    try:
        pydantic.TypeAdapter(type_).validate_python(data, strict=True)
    except pydantic.ValidationError as error:
        problems += [problem(e) for e in error.errors()]
    problems += enum_errors(type_, data, "")
    return problems


def enum_errors(type_: Any, value: Any, path: str) -> list[str]:
    """Values of Fern's open enums (`Union[Literal[...], Any]`) that are none of the
    release's literals. An arm `Any` is what opens an enum, so it is not an arm here."""
    while typing.get_origin(type_) is typing.Annotated:
        type_ = typing.get_args(type_)[0]
    origin = typing.get_origin(type_)
    where = path or "<root>"
    if origin is typing.Literal:
        allowed = typing.get_args(type_)
        return [] if value in allowed else [f"{where}: {value!r} is none of {list(allowed)}"]
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(type_) if a is not Any]
        if value is None and type(None) in arms:
            return []
        found: list[str] = []
        for arm in arms:
            if arm is type(None) or not _could_be(arm, value):
                continue
            errors = enum_errors(arm, value, path)
            if not errors:
                return []
            found = found or errors
        return found or [f"{where}: {json.dumps(value)} is none of the release's values"]
    if inspect.isclass(type_) and issubclass(type_, pydantic.BaseModel):
        if not isinstance(value, Mapping):
            return []
        errors = []
        for name, field in type_.model_fields.items():
            key = field.alias or name
            for meta in field.metadata:  # Fern's own aliases (FieldMetadata)
                key = getattr(meta, "alias", None) or key
            if key in value:
                errors += enum_errors(field.annotation, value[key], f"{path}.{key}".lstrip("."))
        return errors
    args = typing.get_args(type_)
    if origin in (list, Sequence) and isinstance(value, list) and args:
        return [e for i, v in enumerate(value) for e in enum_errors(args[0], v, f"{path}[{i}]")]
    if origin in (dict, Mapping) and isinstance(value, dict) and len(args) == 2:
        return [e for k, v in value.items() for e in enum_errors(args[1], v, f"{path}.{k}")]
    return []


def _could_be(arm: Any, value: Any) -> bool:
    """Whether `value` has the form of one arm of a union (then its details are checked)."""
    while typing.get_origin(arm) is typing.Annotated:
        arm = typing.get_args(arm)[0]
    origin = typing.get_origin(arm) or arm
    if origin is typing.Literal:
        return value in typing.get_args(arm)
    if inspect.isclass(origin):
        if issubclass(origin, pydantic.BaseModel) or issubclass(origin, Mapping):
            return isinstance(value, Mapping)
        if origin is str:
            return isinstance(value, str)
        if origin is bool:
            return isinstance(value, bool)
        if origin in (int, float):
            return isinstance(value, int | float) and not isinstance(value, bool)
        if issubclass(origin, Sequence):
            return isinstance(value, list)
    return True


# -- the run ----------------------------------------------------------------------------------


def make_client(config: dict[str, str], recorder: Recorder) -> Whop:
    """The release's client at its default version: 1.x takes `base_url`, 2.x an
    `environment` naming the API and vault hosts (Adline serves both)."""
    options: dict[str, Any] = {
        "token": config["api_key"],
        "max_retries": 0,
        "timeout": 60,
        "httpx_client": recorder.http_client(),
    }
    if "base_url" in inspect.signature(Whop.__init__).parameters:
        options["base_url"] = config["base_url"]
    else:
        from whop_sdk.environment import WhopEnvironment

        options["environment"] = WhopEnvironment(api=config["base_url"], vault=config["base_url"])
    return Whop(**options)


def ad_texts(kind: str, *texts: str) -> list[Any]:
    """An ad's headlines or primary texts as the release types them: plain strings up to
    2.0.0, `{text}` objects (CreateAdsRequestHeadlinesItem, ...) from 2.2.0 on."""
    module = f"whop_sdk.ads.types.create_ads_request_{kind}_item"
    if importlib.util.find_spec(module) is None:
        return list(texts)
    name = "CreateAdsRequest" + kind.title().replace("_", "") + "Item"
    item = getattr(importlib.import_module(module), name)
    return [item(text=text) for text in texts]


def main() -> int:
    config = json.loads(sys.argv[1])
    recorder = Recorder()
    client = make_client(config, recorder)
    newest = Newest(config["base_url"], config["api_key"], config["newest_version"])
    run = Run(recorder, whop_sdk.NotFoundError, strict_errors)
    campaigns, groups, ads = client.ad_campaigns, client.ad_groups, client.ads

    # Create, each through the release. Where that fails (the report says how), the object
    # is made over plain HTTP in the newest version, so that the later steps still run.
    campaign = run.step(
        "ad_campaign.create",
        lambda: campaigns.create(
            title="Spring launch",
            objective="sales",
            platform="meta",
            budget_optimization="ad_group",
        ),
        expect=AdCampaign,
    )
    campaign_id = campaign.id if campaign else newest.create(run, "ad_campaigns", {
        "title": "Spring launch", "objective": "sales", "platform": "meta",
        "budget_optimization": "ad_group",
    })  # fmt: skip
    group = run.step(
        "ad_group.create",
        lambda: groups.create(
            ad_campaign_id=campaign_id,
            title="Prospecting",
            budget_amount=10,
            budget_type="daily",
            optimization_goal="conversions",
            conversion_location="website",
            conversion_event="purchase",
        ),
        expect=AdGroup,
    )
    group_id = group.id if group else newest.create(run, "ad_groups", {
        "ad_campaign_id": campaign_id, "title": "Prospecting", "budget_amount": 10,
        "budget_type": "daily", "optimization_goal": "conversions",
        "conversion_location": "website", "conversion_event": "purchase",
    })  # fmt: skip
    ad = run.step(
        "ad.create",
        lambda: ads.create(
            ad_group_id=group_id,
            title="Spring sale",
            url="https://shop.example.com/spring",
            call_to_action="shop_now",
            creatives=[CreateAdsRequestCreativesItem(id=config["creative_id"], format="square")],
            primary_texts=ad_texts("primary_texts", "Everything 20% off"),
            headlines=ad_texts("headlines", "Spring sale"),
        ),
        expect=Ad,
    )
    ad_id = ad.id if ad else newest.create(run, "ads", {
        "ad_group_id": group_id, "title": "Spring sale", "url": "https://shop.example.com/spring",
        "call_to_action": "shop_now",
        "creatives": [{"id": config["creative_id"], "format": "square"}],
        "primary_texts": [{"text": "Everything 20% off"}], "headlines": [{"text": "Spring sale"}],
    })  # fmt: skip

    run.step("ad_campaign.retrieve", lambda: campaigns.retrieve(campaign_id), expect=AdCampaign)
    run.step("ad_group.retrieve", lambda: groups.retrieve(group_id), expect=AdGroup)
    run.step("ad.retrieve", lambda: ads.retrieve(ad_id), expect=Ad)

    # One page each (`.items`; iterating the pager would ask for the next page too).
    run.step("ad_campaign.list", lambda: campaigns.list().items, expect=ListAdCampaignsResponse)
    run.step(
        "ad_group.list",
        lambda: groups.list(ad_campaign_id=campaign_id).items,
        expect=ListAdGroupsResponse,
    )
    run.step("ad.list", lambda: ads.list(ad_group_id=group_id).items, expect=ListAdsResponse)

    run.step(
        "ad_campaign.update",
        lambda: campaigns.update(campaign_id, title="Spring launch (EU)"),
        expect=AdCampaign,
    )
    run.step(
        "ad_group.update",
        lambda: groups.update(group_id, title="Prospecting (EU)", budget_amount=12),
        expect=AdGroup,
    )
    run.step("ad.update", lambda: ads.update(ad_id, title="Spring sale (EU)"), expect=Ad)

    # Launch (a draft cannot be paused), through the release's update.
    launched = run.step(
        "ad_campaign.launch",
        lambda: campaigns.update(campaign_id, status="active"),
        expect=AdCampaign,
    )
    if launched is None:
        newest.send("PATCH", f"/ad_campaigns/{campaign_id}", {"status": "active"})
        run.note("ad_campaign.launch.fallback", over="plain HTTP, newest version")

    for kind, api, object_id, model in (
        ("ad_campaign", campaigns, campaign_id, AdCampaign),
        ("ad_group", groups, group_id, AdGroup),
        ("ad", ads, ad_id, Ad),
    ):
        run.step(f"{kind}.pause", lambda a=api, i=object_id: a.pause(i), expect=model)
        run.step(f"{kind}.retrieve.paused", lambda a=api, i=object_id: a.retrieve(i), expect=model)
        run.step(f"{kind}.unpause", lambda a=api, i=object_id: a.unpause(i), expect=model)
        run.step(f"{kind}.retrieve.active", lambda a=api, i=object_id: a.retrieve(i), expect=model)

    for kind, api, object_id, model, duplicated, path in (
        ("ad_campaign", campaigns, campaign_id, AdCampaign, DuplicateAdCampaignsResponse,
         "ad_campaigns"),
        ("ad_group", groups, group_id, AdGroup, DuplicateAdGroupsResponse, "ad_groups"),
        ("ad", ads, ad_id, Ad, DuplicateAdsResponse, "ads"),
    ):  # fmt: skip
        copies = run.step(
            f"{kind}.duplicate",
            lambda a=api, i=object_id: a.duplicate(i, count=1).data,
            expect=duplicated,
        )
        if copies:
            copy_id = copies[0].id
            newest.settled(f"/{path}/{copy_id}")
            run.step(f"{kind}.retrieve.copy", lambda a=api, i=copy_id: a.retrieve(i), expect=model)

    for kind, api, object_id, deleted in (
        ("ad", ads, ad_id, DeleteAdsResponse),
        ("ad_group", groups, group_id, DeleteAdGroupsResponse),
        ("ad_campaign", campaigns, campaign_id, DeleteAdCampaignsResponse),
    ):
        run.step(f"{kind}.delete", lambda a=api, i=object_id: a.delete(i), expect=deleted)
        run.step(f"{kind}.retrieve.deleted", lambda a=api, i=object_id: a.retrieve(i))

    print(
        json.dumps(
            {
                "family": "fern",
                "sdk_version": sdk_version(),
                "sdk_file": whop_sdk.__file__,
                "steps": run.steps,
                "requests": [
                    {k: v for k, v in exchange.items() if k != "body"}
                    for exchange in recorder.exchanges
                ],
            },
            default=str,
        )
    )
    return 0


def sdk_version() -> str:
    from importlib.metadata import version

    return version("whop-sdk")


if __name__ == "__main__":
    sys.exit(main())
