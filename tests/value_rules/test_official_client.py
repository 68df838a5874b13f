"""whop-sdk 2.6.0's own `client.ad_conversion_value_rules` drives all seven operations,
typed models in and out, against the tests' app (in process)."""

from __future__ import annotations

import httpx
import pytest
from whop_sdk import AsyncWhop, ConflictError
from whop_sdk.ad_conversion_value_rules import (
    CreateAdConversionValueRulesRequestEventsItem,
    CreateAdConversionValueRulesRequestFixedValue,
    CreateAdConversionValueRulesRequestTargetsItem,
    UpdateAdConversionValueRulesRequestEventsItem,
)
from whop_sdk.core.api_error import ApiError

from tests.conftest import Tenant
from tests.hierarchy.builders import build_tree


async def test_the_client_drives_every_operation(
    whop: AsyncWhop, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    tree = await build_tree(client, title="Spring")
    rules = whop.ad_conversion_value_rules
    on_campaign = CreateAdConversionValueRulesRequestTargetsItem(
        platform="meta", scope="campaign", resource_id=tree.campaign["id"]
    )
    purchase = CreateAdConversionValueRulesRequestEventsItem(event_name="purchase")

    created = await rules.create(
        account_id=tenant.company_id,
        adjustment_type="fixed",
        fixed_value=CreateAdConversionValueRulesRequestFixedValue(amount="25.00", currency="usd"),
        events=[purchase],
        targets=[on_campaign],
        metadata={"source": "sdk"},
    )
    assert created.id.startswith("adcvr_") and created.status == "active"
    assert created.fixed_value is not None
    assert (created.fixed_value.amount, created.fixed_value.decimals) == ("25.00", 2)
    [made_target] = created.targets
    assert (made_target.resource_id, made_target.resource_title) == (tree.campaign["id"], "Spring")

    read = await rules.retrieve(created.id)
    assert read == created
    listed = [rule.id async for rule in await rules.list(resource_id=tree.ad["id"])]
    assert listed == [created.id]

    updated = await rules.update(
        created.id,
        adjustment_type="percentage",
        percentage_change=-20.5,
        events=[UpdateAdConversionValueRulesRequestEventsItem(event_name="lead")],
    )
    assert (updated.adjustment_type, updated.percentage_change, updated.fixed_value) == (
        "percentage",
        -20.5,
        None,
    )
    assert [event.event_name for event in updated.events] == ["lead"]

    # A second rule on the same selection: refused, then taken over by unpausing it.
    waiting = await rules.create(
        account_id=tenant.company_id,
        adjustment_type="percentage",
        percentage_change=10,
        events=[CreateAdConversionValueRulesRequestEventsItem(event_name="lead")],
        targets=[on_campaign],
        status="paused",
    )
    with pytest.raises(ConflictError):
        await rules.create(
            account_id=tenant.company_id,
            adjustment_type="percentage",
            percentage_change=10,
            events=[CreateAdConversionValueRulesRequestEventsItem(event_name="lead")],
            targets=[on_campaign],
        )
    resumed = await rules.unpause(waiting.id)
    assert resumed.status == "active"
    assert (await rules.retrieve(created.id)).status == "paused"
    paused = await rules.pause(waiting.id)
    assert paused.status == "paused"
    assert [rule.id async for rule in await rules.list(status="active")] == []

    deleted = await rules.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    # The SDK declares no 404 for retrieve: a plain ApiError carrying it.
    with pytest.raises(ApiError) as gone:
        await rules.retrieve(created.id)
    assert gone.value.status_code == 404
