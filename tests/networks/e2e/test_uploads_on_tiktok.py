"""An ad's image and an ad group's saved audience on TikTok, end to end: the file and the
audience a client made in Adline are uploaded to the advertiser by the delivery worker
(through the TikTok adapter, against the fake TikTok) before the ads and the ad group that
name them, once each, and named there by TikTok's own ids (docs/networks-tiktok.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adline.core.clock import ManualClock
from adline.networks.fakes import FakeTikTok
from adline.networks.fakes.tiktok import AD, AD_GROUP
from tests import own_store
from tests.audiences.helpers import add, make_audience, people
from tests.campaigns.payloads import abo_campaign
from tests.files.helpers import png, upload_file
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.networks.e2e.helpers import Network

database_url, engine = own_store.database_url, own_store.engine


@pytest.mark.parametrize("network", ["tiktok"], indirect=True)
async def test_an_image_and_an_audience_are_uploaded_once_and_named_by_tiktoks_ids(
    network: Network, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    client = network.client
    image = png()
    file = await upload_file(client, "spring.png", image)
    audience = await make_audience(client, network.company_id, "Past buyers")
    sent = people(5)
    await add(client, audience["id"], sent)
    campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign(platform="tiktok")))
    group = await ok(
        await client.post(
            "/ad_groups",
            json=group_body(
                campaign["id"],
                budget_amount=20,
                regions={"include": {"countries": ["US"]}},
                audiences={"include": [audience["id"]]},
            ),
        )
    )
    for title in ("Spring A", "Spring B"):
        await ok(await client.post("/ads", json=ad_body(group["id"], file["id"], title=title)))
    await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
    await network.deliver()

    fake = network.fake
    assert isinstance(fake, FakeTikTok)
    [uploaded] = fake.assets.values()
    assert (uploaded.kind, uploaded.data) == ("image", image)
    assert uploaded.file_name.endswith(f"[adline:{file['id']}]")
    ads = fake.live(AD)
    assert len(ads) == 2
    for shown in ads:
        assert shown.fields["image_ids"] == [uploaded.id]
    [custom] = fake.audiences.values()
    assert custom.hashes == {person["email"] for person in sent}
    [tiktok_group] = fake.live(AD_GROUP)
    assert tiktok_group.fields["audience_ids"] == [custom.id]

    # People added later reach TikTok's audience; nothing is uploaded twice.
    more = people(3, start=5)
    await add(client, audience["id"], more)
    await network.deliver()
    assert custom.hashes == {person["email"] for person in (*sent, *more)}
    paths = [call.path for call in fake.calls]
    assert paths.count("file/image/ad/upload/") == 1
    assert paths.count("dmp/custom_audience/create/") == 1
