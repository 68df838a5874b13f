"""Saved audiences and languages on Meta, end to end: an ad group naming a saved audience
has it uploaded to the ad account as a customer list Custom Audience by the delivery worker
(through the Meta adapter, against the fake Graph), once, and targets it by Meta's id;
people added later reach the list; languages go as Meta's locale keys
(docs/networks-meta.md#saved-audiences, #languages)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adline.core.clock import ManualClock
from adline.networks.fakes import FakeMeta
from tests import own_store
from tests.audiences.helpers import add, make_audience, people
from tests.networks.e2e.helpers import Network

database_url, engine = own_store.database_url, own_store.engine


@pytest.mark.parametrize("network", ["meta"], indirect=True)
async def test_a_saved_audience_is_uploaded_once_and_targeted_by_metas_id(
    network: Network, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    client = network.client
    buyers = await make_audience(client, network.company_id, "Buyers")
    churned = await make_audience(client, network.company_id, "Churned")
    first = people(150)
    await add(client, buyers["id"], first)
    await add(client, churned["id"], people(20, start=500))
    await network.live_campaign(
        20,
        languages=["en", "pt"],
        audiences={"include": [buyers["id"]], "exclude": [churned["id"]]},
    )
    await network.deliver()

    fake = network.fake
    assert isinstance(fake, FakeMeta)
    by_name = {audience.name: audience for audience in fake.audiences.values()}
    assert set(by_name) == {f"Buyers [adline:{buyers['id']}]", f"Churned [adline:{churned['id']}]"}
    meta_buyers = by_name[f"Buyers [adline:{buyers['id']}]"]
    meta_churned = by_name[f"Churned [adline:{churned['id']}]"]
    assert meta_buyers.people == {person["email"] for person in first}
    [ad_set] = fake.live("adset")
    targeting = ad_set.fields["targeting"]
    assert targeting["custom_audiences"] == [{"id": meta_buyers.id}]
    assert targeting["excluded_custom_audiences"] == [{"id": meta_churned.id}]
    # The fake's locale table: English (All), and Portuguese's two variants.
    assert targeting["locales"] == [16, 31, 1001]

    # People added later reach the same list; nothing is created again.
    creates = [c for c in fake.calls if c.path.endswith("/customaudiences") and c.method == "POST"]
    await add(client, buyers["id"], people(50, start=150))
    await network.hours(clock, 1)
    assert len(fake.audiences) == 2
    assert len(meta_buyers.people) == 200
    again = [c for c in fake.calls if c.path.endswith("/customaudiences") and c.method == "POST"]
    assert again == creates
    # Nothing changed for the unchanged audience: its people were not sent again.
    sent = [c for c in fake.calls if c.path == f"{meta_churned.id}/users"]
    assert len(sent) == 1
