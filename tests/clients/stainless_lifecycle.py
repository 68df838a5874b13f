"""Drive Adline with the Stainless-generated official client release (whop-sdk 0.0.x).

Not a test module: tests/clients/test_client_releases.py runs it in a subprocess with the
release's directory (`.venv/clients/whop-sdk-0.0.41`) on PYTHONPATH, and no `WHOP_*`
variable (the client reads `WHOP_API_VERSION`, `WHOP_BASE_URL`, ... from the environment):

    python stainless_lifecycle.py '{"base_url": ..., "api_key": ..., "newest_version": ...}'

The client is the release unmodified, at its own default `Api-Version-Date` (no `version`
is passed): only `base_url`, `api_key`, `max_retries=0` (Adline's 409s are
deterministic), the httpx client that records each exchange (script_support.Recorder), and
`_strict_response_validation=True` are given, all options of `Whop.__init__`
(whop_sdk/_client.py). With strict validation on, the client validates every answer
against its types (closed `Literal` enums included) and raises
`APIResponseValidationError` where one does not fit.

Through the release's own typed methods and parameters it creates, retrieves, lists,
updates, pauses, unpauses and deletes a campaign, an ad group and an ad, and prints one
JSON report (script_support.Run) for the assertions of the test module. 0.0.x has no
duplicate method (its resources have create, retrieve, update, list, delete, pause and
unpause only): the copies are made over plain HTTP in the newest version, then retrieved
through the release.
"""

from __future__ import annotations

import json
import sys

import whop_sdk
from script_support import Newest, Recorder, Run
from whop_sdk import Whop


def main() -> int:
    config = json.loads(sys.argv[1])
    recorder = Recorder()
    client = Whop(
        base_url=config["base_url"],
        api_key=config["api_key"],
        max_retries=0,
        http_client=recorder.http_client(),
        _strict_response_validation=True,
    )
    newest = Newest(config["base_url"], config["api_key"], config["newest_version"])
    # The client validates answers itself (strict): no second check here.
    run = Run(recorder, whop_sdk.NotFoundError, strict=None)
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
            creatives=[{"id": config["creative_id"], "format": "square"}],
            primary_texts=["Everything 20% off"],  # 0.0.x: plain strings
            headlines=["Spring sale"],
        ),
    )
    ad_id = ad.id if ad else newest.create(run, "ads", {
        "ad_group_id": group_id, "title": "Spring sale", "url": "https://shop.example.com/spring",
        "call_to_action": "shop_now",
        "creatives": [{"id": config["creative_id"], "format": "square"}],
        "primary_texts": [{"text": "Everything 20% off"}], "headlines": [{"text": "Spring sale"}],
    })  # fmt: skip

    run.step("ad_campaign.retrieve", lambda: campaigns.retrieve(campaign_id))
    run.step("ad_group.retrieve", lambda: groups.retrieve(group_id))
    run.step("ad.retrieve", lambda: ads.retrieve(ad_id))

    # One page each (`.data`; iterating the page would ask for the next one too).
    run.step("ad_campaign.list", lambda: campaigns.list().data)
    run.step("ad_group.list", lambda: groups.list(ad_campaign_id=campaign_id).data)
    run.step("ad.list", lambda: ads.list(ad_group_id=group_id).data)

    run.step(
        "ad_campaign.update", lambda: campaigns.update(campaign_id, title="Spring launch (EU)")
    )
    run.step(
        "ad_group.update",
        lambda: groups.update(group_id, title="Prospecting (EU)", budget_amount=12),
    )
    run.step("ad.update", lambda: ads.update(ad_id, title="Spring sale (EU)"))

    # Launch (a draft cannot be paused), through the release's update.
    launched = run.step(
        "ad_campaign.launch", lambda: campaigns.update(campaign_id, status="active")
    )
    if launched is None:
        newest.send("PATCH", f"/ad_campaigns/{campaign_id}", {"status": "active"})
        run.note("ad_campaign.launch.fallback", over="plain HTTP, newest version")

    for kind, api, object_id in (
        ("ad_campaign", campaigns, campaign_id),
        ("ad_group", groups, group_id),
        ("ad", ads, ad_id),
    ):
        run.step(f"{kind}.pause", lambda a=api, i=object_id: a.pause(i))
        run.step(f"{kind}.retrieve.paused", lambda a=api, i=object_id: a.retrieve(i))
        run.step(f"{kind}.unpause", lambda a=api, i=object_id: a.unpause(i))
        run.step(f"{kind}.retrieve.active", lambda a=api, i=object_id: a.retrieve(i))

    # 0.0.x cannot duplicate: the copy is made over plain HTTP in the newest version, and
    # the release retrieves it.
    for kind, api, object_id, path in (
        ("ad_campaign", campaigns, campaign_id, "ad_campaigns"),
        ("ad_group", groups, group_id, "ad_groups"),
        ("ad", ads, ad_id, "ads"),
    ):
        copies = newest.send("POST", f"/{path}/{object_id}/duplicate", {"count": 1})["data"]
        copy_id = copies[0]["id"]
        run.note(f"{kind}.duplicate", over="plain HTTP, newest version (0.0.x has no duplicate)",
                 source=object_id, copy=copy_id)  # fmt: skip
        newest.settled(f"/{path}/{copy_id}")
        run.step(f"{kind}.retrieve.copy", lambda a=api, i=copy_id: a.retrieve(i))

    for kind, api, object_id in (
        ("ad", ads, ad_id),
        ("ad_group", groups, group_id),
        ("ad_campaign", campaigns, campaign_id),
    ):
        run.step(f"{kind}.delete", lambda a=api, i=object_id: a.delete(i))
        run.step(f"{kind}.retrieve.deleted", lambda a=api, i=object_id: a.retrieve(i))

    print(
        json.dumps(
            {
                "family": "stainless",
                "sdk_version": whop_sdk.__version__,
                "sdk_file": whop_sdk.__file__,
                "client_version": client.version,
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


if __name__ == "__main__":
    sys.exit(main())
