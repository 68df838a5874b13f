"""Drive Adline with the older, Stainless-generated official client (whop-sdk 0.0.41).

Not a test module: tests/test_legacy_client.py runs it in a subprocess, with
`.venv/clients/whop-sdk-0.0.41` (where dev.py installs that release) first on PYTHONPATH,
because the newest client (whop-sdk 2.6.0, a release of the same package) is what `.venv`
holds.

    python legacy_client_script.py '{"base_url": ..., "api_key": ..., "version": ...,
                                     "campaign_id": ..., "ad_group_id": ..., "ad_id": ...}'

It retrieves, lists, pauses and unpauses the given launched campaign, ad group and ad
through the client unmodified (only `base_url`, `api_key` and `version`, the client's own
constructor options: whop_sdk/_client.py `Whop.__init__`), and prints one JSON document:
for each call, the answer's `Api-Version-Date` header and the model the client parsed it
into, or the error it raised. Every call goes through `with_raw_response`, which is the
same request and the same parsing (`APIResponse.parse()`), with the response headers kept.

Beside the client's own (lenient) parsing, each answer is also checked against the
client's types strictly (`validate_type`, what `_strict_response_validation=True` does),
for the report only: 0.0.41's types describe its default version (2026-07-08-1), not the
2026-06-09 it is pinned to here.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

import whop_sdk
from whop_sdk import APIStatusError, Whop
from whop_sdk._models import BaseModel, validate_type
from whop_sdk._response import APIResponse
from whop_sdk.pagination import SyncCursorPage
from whop_sdk.types.ad import Ad
from whop_sdk.types.ad_campaign import AdCampaign
from whop_sdk.types.ad_group import AdGroup

# The fields reported for each object: ones its 2026-06-09 shape shares with the client's
# own types (or that the client keeps as extras: 0.0.41's AdGroup and Ad declare no
# `platform`), and the 2026-06-09 `budget` (the client's types call it `budget_amount`).
COMMON = ("id", "title", "status", "platform", "created_at", "updated_at", "issues")
KEY_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    AdCampaign: (*COMMON, "budget", "budget_type", "spend", "clicks", "impressions"),
    AdGroup: (*COMMON, "ad_campaign", "budget", "budget_type", "spend", "clicks", "impressions"),
    Ad: (*COMMON, "ad_group", "ad_campaign", "spend", "clicks", "impressions"),
}


def describe(model: object) -> dict[str, Any]:
    """What the client made of one object: its class, key fields, and how it matched."""
    assert isinstance(model, BaseModel), f"not a client model: {model!r}"
    cls = type(model)
    declared = cls.model_fields
    fields = {}
    for name in KEY_FIELDS[cls]:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            value = value.to_dict()
        elif isinstance(value, list):
            value = [v.to_dict() if isinstance(v, BaseModel) else v for v in value]
        fields[name] = value
    return {
        "model": f"{cls.__module__}.{cls.__qualname__}",
        "fields": fields,
        "fields_set": sorted(model.model_fields_set),
        # Declared by the client's types but absent from the answer (left at their default).
        "absent": sorted(set(declared) - model.model_fields_set),
        # In the answer but not declared by the client's types (kept as extras).
        "undeclared": sorted((model.model_extra or {}).keys()),
    }


def strict_errors(cls: type[BaseModel], data: Any) -> list[str]:
    try:
        validate_type(type_=cls, value=data)
    except Exception as error:  # pydantic.ValidationError: one line per field
        errors = getattr(error, "errors", None)
        if errors is None:
            return [repr(error)]
        return [f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in errors()]
    return []


def call(name: str, cls: type[BaseModel], send: Callable[[], APIResponse[Any]]) -> dict[str, Any]:
    """One client call: the answer's status and version header, and what it parsed into."""
    step: dict[str, Any] = {"step": name}
    try:
        raw = send()
        step["http_status"] = raw.status_code
        step["api_version_date"] = raw.headers.get("api-version-date")
        parsed = raw.parse()
        body = raw.json()
        if isinstance(parsed, SyncCursorPage):
            step["page"] = True
            step["items"] = [describe(item) for item in parsed.data]
            step["strict_errors"] = [strict_errors(cls, item) for item in body["data"]]
        else:
            step["page"] = False
            step["item"] = describe(parsed)
            step["strict_errors"] = strict_errors(cls, body)
        step["ok"] = True
    except APIStatusError as error:
        step["ok"] = False
        step["error"] = f"{type(error).__name__}: {error}"
        step["http_status"] = error.status_code
        step["body"] = error.body
    except Exception as error:  # the client could not send or could not parse
        step["ok"] = False
        step["error"] = f"{type(error).__name__}: {error}"
        step["traceback"] = traceback.format_exc()
    return step


def main() -> int:
    config = json.loads(sys.argv[1])
    client = Whop(
        base_url=config["base_url"],
        api_key=config["api_key"],
        version=config["version"],
        max_retries=0,  # Adline's 409s are deterministic: surface them at once
    )
    campaigns = client.ad_campaigns.with_raw_response
    groups = client.ad_groups.with_raw_response
    ads = client.ads.with_raw_response
    campaign_id, group_id, ad_id = config["campaign_id"], config["ad_group_id"], config["ad_id"]

    steps = [
        call("campaign.retrieve", AdCampaign, lambda: campaigns.retrieve(campaign_id)),
        call("ad_group.retrieve", AdGroup, lambda: groups.retrieve(group_id)),
        call("ad.retrieve", Ad, lambda: ads.retrieve(ad_id)),
        call("campaign.list", AdCampaign, lambda: campaigns.list()),
        call("campaign.list.active", AdCampaign, lambda: campaigns.list(status="active")),
        call("ad_group.list", AdGroup, lambda: groups.list(ad_campaign_id=campaign_id)),
        call("ad_group.list.all", AdGroup, lambda: groups.list()),
        call("ad.list.by_group", Ad, lambda: ads.list(ad_group_id=group_id)),
        call("ad.list.by_campaign", Ad, lambda: ads.list(ad_campaign_id=campaign_id)),
        call("ad.list.all", Ad, lambda: ads.list()),
    ]
    for kind, cls, resource, object_id in (
        ("campaign", AdCampaign, campaigns, campaign_id),
        ("ad_group", AdGroup, groups, group_id),
        ("ad", Ad, ads, ad_id),
    ):
        steps += [
            call(f"{kind}.pause", cls, lambda r=resource, i=object_id: r.pause(i)),
            call(f"{kind}.retrieve.paused", cls, lambda r=resource, i=object_id: r.retrieve(i)),
            call(f"{kind}.unpause", cls, lambda r=resource, i=object_id: r.unpause(i)),
            call(f"{kind}.retrieve.active", cls, lambda r=resource, i=object_id: r.retrieve(i)),
        ]

    print(
        json.dumps(
            {
                "sdk_version": whop_sdk.__version__,
                "sdk_file": whop_sdk.__file__,
                "client_version": client.version,
                "steps": steps,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
