"""An ad's creatives and music name files of its own company whose upload has completed
(docs/ads.md#creatives, docs/files.md)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.audiences.helpers import sha256
from tests.files.helpers import customer_csv, mp3, mp4, upload_file
from tests.helpers import assert_error
from tests.hierarchy.builders import ad_body, build_tree, ok
from tests.hierarchy.test_settings_over_http import ad_group_of_kind


async def ads_of(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = (await client.get("/ads")).json()["data"]
    return data


async def test_an_uploaded_image_and_video_are_shown_with_their_media_type(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(client)
    assert [c["media_type"] for c in tree.ad["creatives"]] == ["image"]
    video = await upload_file(client, "spring.mp4", mp4())
    image = await upload_file(client)
    body = ad_body(tree.group["id"], title="Two formats")
    body["creatives"] = [
        {"id": video["id"], "format": "vertical"},
        {"id": image["id"], "format": "square"},
    ]
    ad = await ok(await client.post("/ads", json=body))
    assert [(c["id"], c["media_type"]) for c in ad["creatives"]] == [
        (video["id"], "video"),
        (image["id"], "image"),
    ]
    assert (await client.get(f"/ads/{ad['id']}")).json()["creatives"] == ad["creatives"]


async def test_a_file_of_no_one_another_company_or_still_pending_is_refused(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    tree = await build_tree(client)
    theirs = await upload_file(other_client)
    pending = (await client.post("/files", json={"filename": "later.png"})).json()
    before = await ads_of(client)
    for file_id, says in [
        ("file_AAAAAAAAAAAAAA", "this account has no file file_AAAAAAAAAAAAAA"),
        # Another company's file reads exactly as one that does not exist.
        (theirs["id"], f"this account has no file {theirs['id']}"),
        (pending["id"], f"file {pending['id']} is pending"),
    ]:
        body = ad_body(tree.group["id"], creative_id=tree.ad["creatives"][0]["id"])
        body["creatives"].append({"id": file_id, "format": "vertical"})
        error = assert_error(
            await client.post("/ads", json=body), 400, "parameter_invalid", "creatives[1].id"
        )
        assert says in error["message"]
        patch = await client.patch(
            f"/ads/{tree.ad['id']}", json={"creatives": [{"id": file_id, "format": "square"}]}
        )
        assert_error(patch, 400, "parameter_invalid", "creatives[0].id")
    assert await ads_of(client) == before  # nothing created, nothing changed


async def test_music_is_an_mp3_and_creatives_are_images_or_videos(
    client: httpx.AsyncClient,
) -> None:
    group = await ad_group_of_kind(client, "tiktok_website")
    song = await upload_file(client, "theme.mp3", mp3())
    card = await upload_file(client)
    body = ad_body(group["id"], creative_id=None)
    body["creatives"] = [{"id": card["id"]}]

    wrong_music = {**body, "music": {"id": card["id"]}}
    error = assert_error(
        await client.post("/ads", json=wrong_music), 400, "parameter_invalid", "music.id"
    )
    assert "not audio" in error["message"]
    song_as_card = {**body, "creatives": [{"id": song["id"]}]}
    error = assert_error(
        await client.post("/ads", json=song_as_card), 400, "parameter_invalid", "creatives[0].id"
    )
    assert "is audio, not an image or video" in error["message"]

    ad = await ok(await client.post("/ads", json={**body, "music": {"id": song["id"]}}))
    assert ad["music"]["id"] == song["id"]
    assert [c["media_type"] for c in ad["creatives"]] == ["image"]


async def test_a_customer_list_is_no_creative_and_no_music(client: httpx.AsyncClient) -> None:
    """A ready CSV of the ad's own company (audiences' customer lists live among the files)
    is neither an image or video for a creative nor MP3 for music: nothing is stored."""
    tree = await build_tree(client)
    group = await ad_group_of_kind(client, "tiktok_website")
    csv = await upload_file(client, "buyers.csv", customer_csv(["Email"], [[sha256("a@b.co")]]))
    assert (csv["upload_status"], csv["content_type"]) == ("ready", "text/csv")
    before = await ads_of(client)

    body = ad_body(tree.group["id"], creative_id=None)
    body["creatives"] = [{"id": csv["id"], "format": "square"}]
    error = assert_error(
        await client.post("/ads", json=body), 400, "parameter_invalid", "creatives[0].id"
    )
    assert f"file {csv['id']} is text, not an image or video" in error["message"]
    patch = await client.patch(
        f"/ads/{tree.ad['id']}", json={"creatives": [{"id": csv["id"], "format": "square"}]}
    )
    assert_error(patch, 400, "parameter_invalid", "creatives[0].id")

    card = await upload_file(client)
    music = {
        **ad_body(group["id"], creative_id=None),
        "creatives": [{"id": card["id"]}],
        "music": {"id": csv["id"]},
    }
    error = assert_error(
        await client.post("/ads", json=music), 400, "parameter_invalid", "music.id"
    )
    assert "not audio" in error["message"]
    assert await ads_of(client) == before
