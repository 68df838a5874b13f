"""Each official client release's default version answers in exactly that release's
objects (src/adline/versions/releases/*.json): every field present, with the release's
types and enum values, and nothing else but Adline's extensions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.versions import VERSION_BUNDLE
from adline.versions.release_shapes import RELEASES, release_shapes, release_table
from tests.hierarchy.builders import launched_tree, ok
from tests.hierarchy.test_issues import REJECTION, WARNING, report

PATHS = {"ad_campaign": "/ad_campaigns", "ad_group": "/ad_groups", "ad": "/ads"}


def _check(release: str, kind: str, body: dict[str, Any]) -> None:
    try:
        release_shapes(release)[kind].model_validate(body, strict=True)
    except ValidationError as error:
        pytest.fail(f"whop-sdk {release} {kind}: {error}")


@pytest.mark.parametrize(("release", "version"), RELEASES)
def test_the_release_version_is_exact(release: str, version: str) -> None:
    assert release_table(release)["default_api_version"] == version
    assert VERSION_BUNDLE.is_exact(version)


@pytest.mark.parametrize(("release", "version"), RELEASES)
async def test_every_answer_is_in_the_release_shapes(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
    tenant,  # type: ignore[no-untyped-def]
    release: str,
    version: str,
) -> None:
    tree = await launched_tree(client)
    # Open issues on the ad and the group, so every object carries some.
    await report(engine, clock, tenant, tree, replace(REJECTION, resource_id=tree.ad["id"]))
    await report(engine, clock, tenant, tree, replace(WARNING, resource_id=tree.group["id"]))
    headers = {"Api-Version-Date": version}
    ids = {"ad_campaign": tree.campaign["id"], "ad_group": tree.group["id"], "ad": tree.ad["id"]}
    table = release_table(release)
    for kind, object_id in ids.items():
        path = PATHS[kind]
        one = await ok(await client.get(f"{path}/{object_id}", headers=headers))
        _check(release, kind, one)
        assert one["issues"], kind
        page = await ok(await client.get(path, headers=headers))
        assert [item["id"] for item in page["data"]] == [object_id]
        _check(release, kind, page["data"][0])
        if kind != "ad":
            paused = await ok(await client.post(f"{path}/{object_id}/pause", headers=headers))
            _check(release, kind, paused)
            assert paused["status"] == "paused"
    for kind in ("ad", "ad_group", "ad_campaign"):
        deleted = await client.delete(f"{PATHS[kind]}/{ids[kind]}", headers=headers)
        assert deleted.status_code == 200, deleted.text
        if table["object_classes"][f"{kind}_delete"]["type"] == "boolean":
            assert deleted.json() is True
        else:
            assert deleted.json() == {"id": ids[kind], "deleted": True}


@pytest.mark.parametrize(("release", "version"), RELEASES)
async def test_copies_being_made_read_as_the_release_knows_them(
    client: httpx.AsyncClient, release: str, version: str
) -> None:
    tree = await launched_tree(client)
    headers = {"Api-Version-Date": version}
    copies = await client.post(f"/ad_campaigns/{tree.campaign['id']}/duplicate", headers=headers)
    assert copies.status_code == 200, copies.text
    for copy in copies.json()["data"]:
        _check(release, "ad_campaign", copy)


@pytest.mark.parametrize(("release", "version"), RELEASES)
async def test_a_tiktok_campaign_reads_its_platform_in_every_release_shape(
    client: httpx.AsyncClient, release: str, version: str
) -> None:
    """Found by fuzzing (tests/test_fuzz.py): 0.0.41 declares a campaign's platform `meta`
    only, yet a TikTok campaign reads `tiktok` in every version (never rewritten)."""
    headers = {"Api-Version-Date": version}
    body = {"title": "TikTok", "objective": "engagement", "platform": "tiktok"}
    created = await ok(await client.post("/ad_campaigns", json=body, headers=headers))
    assert created["platform"] == "tiktok"
    _check(release, "ad_campaign", created)
    read = await client.get(f"/ad_campaigns/{created['id']}", headers=headers)
    _check(release, "ad_campaign", await ok(read))
