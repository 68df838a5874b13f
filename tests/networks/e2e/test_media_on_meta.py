"""An ad's image on Meta, end to end: the file a client uploaded to Adline is uploaded to the
ad account by the delivery worker (through the Meta adapter, against the fake Graph) before
the ad's creative, once for every ad that shows it (docs/networks-meta.md#media)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adline.core.clock import ManualClock
from adline.networks.fakes import FakeMeta
from tests import own_store
from tests.campaigns.payloads import abo_campaign
from tests.files.helpers import png, upload_file
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.networks.e2e.helpers import Network

database_url, engine = own_store.database_url, own_store.engine


@pytest.mark.parametrize("network", ["meta"], indirect=True)
async def test_an_ads_image_is_uploaded_once_and_shown_by_its_creatives(
    network: Network, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    client = network.client
    image = png()
    file = await upload_file(client, "spring.png", image)
    campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign(platform="meta")))
    group = await ok(
        await client.post(
            "/ad_groups",
            json=group_body(
                campaign["id"], budget_amount=20, regions={"include": {"countries": ["US"]}}
            ),
        )
    )
    for title in ("Spring A", "Spring B"):
        await ok(await client.post("/ads", json=ad_body(group["id"], file["id"], title=title)))
    await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
    await network.deliver()

    fake = network.fake
    assert isinstance(fake, FakeMeta)
    assert list(fake.images.values()) == [image]
    [image_hash] = fake.images
    uploads = [call for call in fake.calls if call.path.endswith("/adimages")]
    assert len(uploads) == 1
    creatives = fake.live("adcreative")
    assert len(creatives) == 2
    for creative in creatives:
        link = creative.fields["object_story_spec"]["link_data"]
        assert link["image_hash"] == image_hash
    assert len(fake.live("ad")) == 2
