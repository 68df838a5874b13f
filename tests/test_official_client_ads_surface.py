"""The official Whop Python client (whop-sdk 2.6.0, unmodified, the synchronous `Whop`)
drives the rest of issue 15's surface against a real Adline server: pixels, events, value
rules, audiences, targeting search, stats, files and API keys.

The server is tests/test_official_client.py's `api_url` (the app under uvicorn on a local
port, its lifespan owning its engine, on the run's store: SQLite or PostgreSQL). Each test
makes a company of its own and talks to the server only through the client, plus the
plain HTTP PUTs a client sends to the upload URLs `files.create` answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from whop_sdk import NotFoundError, Whop
from whop_sdk.ad_conversion_value_rules import (
    CreateAdConversionValueRulesRequestEventsItem,
    CreateAdConversionValueRulesRequestFixedValue,
    CreateAdConversionValueRulesRequestTargetsItem,
    UpdateAdConversionValueRulesRequestEventsItem,
)
from whop_sdk.api_keys import CreateApiKeysRequestPermissions, UpdateApiKeysRequestPermissions
from whop_sdk.api_keys.types import (
    CreateApiKeysRequestPermissionsStatementsItem,
    UpdateApiKeysRequestPermissionsStatementsItem,
)
from whop_sdk.audiences import CreateAudiencesRequestColumnMapping
from whop_sdk.core.api_error import ApiError
from whop_sdk.files.types import CompleteFilesRequestMultipartPartsItem
from whop_sdk.types import Audience, PixelValidation, TargetingOption_Locations

from adline.auth import scopes
from adline.auth.service import create_api_key
from adline.companies.service import create_company
from adline.core.clock import SystemClock
from tests.audiences.helpers import people
from tests.files.helpers import customer_csv, mp4, png
from tests.pixels.test_pixels import GOOD_TOKEN, REVOKED_TOKEN, pixel_id_on_meta
from tests.test_official_client import (  # noqa: F401 (api_url is a fixture)
    api_url,
    in_store,
    new_campaign,
    official_client,
)


def new_tenant(database_url: str, server: str) -> tuple[str, Whop]:
    """A company of its own (its id, the `account_id` these resources take) and the
    official client holding an every-scope key for it, as `new_tenant_key` issues one."""

    async def work(session: AsyncSession) -> tuple[str, str]:
        clock = SystemClock()
        company, _ = await create_company(session, clock, name="SDK Surface Co")
        issued = await create_api_key(
            session, clock, company_id=company.id, scopes=list(scopes.ALL_SCOPES)
        )
        return company.id, issued.secret

    company_id, secret = in_store(database_url, work)
    return company_id, official_client(server, secret)


def extra_body(**fields: Any) -> Any:
    """Adline's own request fields, sent through the client's request options."""
    return {"additional_body_parameters": fields}


def test_pixels_and_events(api_url: str, database_url: str) -> None:  # noqa: F811
    account_id, whop = new_tenant(database_url, api_url)

    # ad_pixels: create (the network refuses the token), retrieve, list, update, delete.
    external_id = pixel_id_on_meta()
    created = whop.ad_pixels.create(
        access_token=REVOKED_TOKEN, account_id=account_id, external_id=external_id, platform="meta"
    )
    assert created.id.startswith("adpx_")
    assert (created.status, created.account_id, created.platform) == (
        "errored",
        account_id,
        "meta",
    )
    assert created.error_message
    assert whop.ad_pixels.retrieve(created.id) == created
    assert [p.id for p in whop.ad_pixels.list(account_id=account_id)] == [created.id]
    updated = whop.ad_pixels.update(created.id, access_token=GOOD_TOKEN)
    assert (updated.id, updated.status, updated.error_message) == (created.id, "active", None)
    assert updated.name == f"Simulated pixel {external_id}"
    assert whop.ad_pixels.retrieve(created.id).status == "active"
    deleted = whop.ad_pixels.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(NotFoundError):
        whop.ad_pixels.retrieve(created.id)
    assert list(whop.ad_pixels.list(account_id=account_id)) == []

    # events: none yet, so the pixel is not installed; two sent through the client, then
    # listed (the pager follows the cursors) and the account and their page validated.
    assert whop.events.validate_pixel().installed is False
    now = datetime.now(UTC)
    page = "https://shop.example/landing"
    sent = [
        whop.events.create(
            account_id=account_id,
            event_name="lead",
            event_time=now - timedelta(hours=hours),
            url=f"{page}?utm_source=ads",
        ).id
        for hours in (2, 1)
    ]
    pager = whop.events.list(
        account_id=account_id, from_=now - timedelta(days=1), to=now, first=1, direction="desc"
    )
    assert [event.id for event in pager] == sent[::-1]
    assert [event.event_name for event in pager.items or []] == ["lead"]
    validation = whop.events.validate_pixel(url=page)
    assert isinstance(validation, PixelValidation)
    assert (validation.installed, validation.url, validation.page_events) == (True, page, ["lead"])
    account = whop.events.validate_pixel(account_id=account_id)
    assert (account.installed, account.url, account.host_events) == (True, None, ["lead"])
    assert account.last_seen_days == 0


def test_conversion_value_rules(api_url: str, database_url: str) -> None:  # noqa: F811
    account_id, whop = new_tenant(database_url, api_url)
    campaign = new_campaign(whop, "Spring")
    rules = whop.ad_conversion_value_rules

    created = rules.create(
        account_id=account_id,
        adjustment_type="fixed",
        fixed_value=CreateAdConversionValueRulesRequestFixedValue(amount="25.00", currency="usd"),
        events=[CreateAdConversionValueRulesRequestEventsItem(event_name="purchase")],
        targets=[
            CreateAdConversionValueRulesRequestTargetsItem(
                platform="meta", scope="campaign", resource_id=campaign.id
            )
        ],
        metadata={"source": "sdk"},
    )
    assert created.id.startswith("adcvr_")
    assert (created.status, created.adjustment_type) == ("active", "fixed")
    assert created.fixed_value is not None
    assert (created.fixed_value.amount, created.fixed_value.decimals) == ("25.00", 2)
    [target] = created.targets
    assert (target.resource_id, target.resource_title) == (campaign.id, "Spring")
    assert rules.retrieve(created.id) == created
    assert [rule.id for rule in rules.list(resource_id=campaign.id)] == [created.id]

    updated = rules.update(
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
    assert [event.event_name for event in rules.retrieve(created.id).events] == ["lead"]

    assert rules.pause(created.id).status == "paused"
    assert rules.retrieve(created.id).status == "paused"
    assert list(rules.list(status="active")) == []
    assert rules.unpause(created.id).status == "active"
    assert [rule.id for rule in rules.list(status="active")] == [created.id]

    deleted = rules.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(ApiError) as gone:  # the SDK declares no 404 for retrieve
        rules.retrieve(created.id)
    assert gone.value.status_code == 404
    assert list(rules.list()) == []


def test_audiences_and_targeting_search(api_url: str, database_url: str) -> None:  # noqa: F811
    account_id, whop = new_tenant(database_url, api_url)
    audiences = whop.audiences

    created = audiences.create(account_id=account_id, name="Past buyers")
    assert isinstance(created, Audience)
    assert created.id.startswith("adaud_")
    assert (created.audience_type, created.source_type, created.status) == (
        "custom",
        "csv_upload",
        "ready",
    )
    assert created.total_rows == 0

    # Adline's hashed `people` ride along as an additional body parameter.
    grown = audiences.add_people(
        created.id,
        file_id=None,
        request_options=extra_body(people=people(300)),
    )
    assert grown.total_rows == grown.processed_rows == 300
    assert 0 < grown.matched_rows < 300
    assert grown.match_rates[0].status == "available"

    renamed = audiences.update(created.id, name="Loyal buyers")
    assert (renamed.name, renamed.matched_rows) == ("Loyal buyers", grown.matched_rows)
    assert list(audiences.list(account_id=account_id)) == [renamed]

    # Customer CSVs, as the client sends them: files.create + a PUT of the bytes, then an
    # audience made from one with a column mapping (saved), and add_people with another
    # file_id alone (the client's add_people takes no mapping: the saved one reads it).
    def upload_csv(filename: str, rows: list[list[str]]) -> str:
        content = customer_csv(["Email", "Phone"], rows)
        made = whop.files.create(filename=filename, byte_size=len(content))
        assert made.upload_url is not None
        put = httpx.put(made.upload_url, content=content, headers=made.upload_headers)
        assert put.status_code == 200, put.text
        ready = whop.files.retrieve(made.id)
        assert (ready.upload_status, ready.content_type) == ("ready", "text/csv")
        return made.id

    first = [[person["email"], ""] for person in people(40, domain="csv.example")]
    listed = audiences.create(
        account_id=account_id,
        name="CSV buyers",
        source_type="csv_upload",
        file_id=upload_csv("buyers.csv", first),
        column_mapping=CreateAudiencesRequestColumnMapping(email="Email", phone="Phone"),
    )
    assert isinstance(listed, Audience)
    assert (listed.source_type, listed.total_rows) == ("csv_upload", 40)
    more = [[person["email"], ""] for person in people(25, start=30, domain="csv.example")]
    added = audiences.add_people(listed.id, file_id=upload_csv("more.csv", more))
    assert added.total_rows == added.processed_rows == 55
    assert added.matched_rows >= listed.matched_rows
    raw = upload_csv("raw.csv", [["jane@example.com", ""]])
    with pytest.raises(ApiError) as unhashed:
        audiences.add_people(listed.id, file_id=raw)
    assert unhashed.value.status_code == 400
    assert unhashed.value.body["error"]["param"] == "file_id"
    assert 'row 2, column "Email"' in unhashed.value.body["error"]["message"]
    assert audiences.list(account_id=account_id, audience_id=listed.id).items == [added]
    assert audiences.delete(listed.id).success is True

    deleted = audiences.delete(created.id)
    assert deleted.success is True
    assert list(audiences.list(account_id=account_id)) == []
    with pytest.raises(ApiError) as gone:
        audiences.delete(created.id)
    assert gone.value.status_code == 404

    found = whop.ad_groups.search_targeting_options(
        platform="meta",
        account_id=account_id,
        query="austin",
        types=["locations", "interests"],
        location_types=["city", "medium_geo_area"],
        country="US",
        limit=5,
    )
    assert [type(option) for option in found.data] == [TargetingOption_Locations] * 2
    city, metro = found.data
    assert isinstance(city, TargetingOption_Locations)
    assert isinstance(metro, TargetingOption_Locations)
    assert (city.name, city.location_type, city.region, city.country_code) == (
        "Austin",
        "city",
        "Texas",
        "US",
    )
    assert metro.location_type == "medium_geo_area"


def test_stats_of_a_fresh_campaign(api_url: str, database_url: str) -> None:  # noqa: F811
    _, whop = new_tenant(database_url, api_url)
    campaign = new_campaign(whop)

    catalog = whop.stats.list()
    assert [metric.key for metric in catalog.data] == ["ad_spend", "ad_delivery"]

    today = datetime.now(UTC).date()
    for metric in ("ad_spend", "ad_delivery"):
        series = whop.stats.retrieve(
            metric,
            from_=(today - timedelta(days=1)).isoformat(),
            to=today.isoformat(),
            time_zone="UTC",
            interval="day",
            ad_campaign_ids=[campaign.id],
        )
        assert series.data.totals is not None
        [total] = series.data.totals
        assert (total.name, total.value) == (metric, 0)
        assert [point.value for point in series.data.points] == [0, 0]  # a point a day

    reports = whop.stats.reports.list()
    [described] = reports.data
    assert (described.key, described.path, described.window_kind) == (
        "ad_reports",
        "/ad_reports",
        "range",
    )
    assert described.breakdowns == ["campaign", "ad_group", "ad"]


def test_files(api_url: str, database_url: str) -> None:  # noqa: F811
    _, whop = new_tenant(database_url, api_url)

    # A single-part upload: create, PUT the bytes to the URL it answered, read it back.
    image = png(1080, 1350)
    created = whop.files.create(filename="spring.png", byte_size=len(image))
    assert created.id.startswith("file_")
    assert (created.upload_status, created.visibility, created.size) == ("pending", "private", None)
    assert created.upload_url and created.multipart_upload_urls is None
    put = httpx.put(created.upload_url, content=image, headers=created.upload_headers)
    assert put.status_code == 200, put.text
    ready = whop.files.retrieve(created.id)
    assert (ready.upload_status, ready.content_type, ready.size) == (
        "ready",
        "image/png",
        len(image),
    )
    assert (ready.width, ready.height, ready.filename) == (1080, 1350, "spring.png")
    assert ready.url is not None
    assert httpx.get(ready.url).content == image

    # A multipart upload: a video of two parts (the server's default part size, 5 MiB, and
    # the rest), each PUT to its URL, then completed with the ETags the PUTs answered.
    video = mp4(1080, 1920, seconds=30, media_bytes=5 * 1024 * 1024 + 4096)
    multi = whop.files.create(filename="launch.mp4", byte_size=len(video), multipart=True)
    assert multi.multipart_upload_id and multi.multipart_chunk_size
    chunk = multi.multipart_chunk_size
    urls = multi.multipart_upload_urls or []
    assert [url.part_number for url in urls] == [1, 2]
    parts = []
    for url in urls:
        start = (url.part_number - 1) * chunk
        put = httpx.put(url.url, content=video[start : start + chunk])
        assert put.status_code == 200, put.text
        parts.append(
            CompleteFilesRequestMultipartPartsItem(
                part_number=url.part_number, etag=put.headers["ETag"]
            )
        )
    assert whop.files.retrieve(multi.id).upload_status == "pending"
    done = whop.files.complete(
        multi.id, multipart_parts=parts, multipart_upload_id=multi.multipart_upload_id
    )
    assert (done.upload_status, done.content_type, done.size) == ("ready", "video/mp4", len(video))
    assert (done.width, done.height, done.duration_seconds) == (1080, 1920, 30.0)
    assert whop.files.retrieve(multi.id).upload_status == "ready"

    assert sorted(item.id for item in whop.files.list()) == sorted([created.id, multi.id])
    assert [item.id for item in whop.files.list(file_ids=[created.id])] == [created.id]


def test_api_keys(api_url: str, database_url: str) -> None:  # noqa: F811
    account_id, whop = new_tenant(database_url, api_url)

    catalogue = whop.api_keys.list_permissions()
    assert [permission.action for permission in catalogue.data] == list(scopes.ALL_SCOPES)
    assert catalogue.page_info.has_next_page is False

    # A key of its own to update and rotate (the client's own key stays as it is).
    read, create = scopes.AD_CAMPAIGN_BASIC_READ, scopes.AD_CAMPAIGN_CREATE
    key = whop.api_keys.create(
        name="Reporting",
        permissions=CreateApiKeysRequestPermissions(
            statements=[CreateApiKeysRequestPermissionsStatementsItem(actions=[read], grant=True)]
        ),
        resource_id=account_id,
        resource_type="account",
    )
    assert key.secret_key is not None
    assert list(official_client(api_url, key.secret_key).ad_campaigns.list()) == []

    updated = whop.api_keys.update(
        key.id,
        name="Renamed by the SDK",
        permissions=UpdateApiKeysRequestPermissions(
            statements=[UpdateApiKeysRequestPermissionsStatementsItem(actions=[create], grant=True)]
        ),
        ip_allowlist=["127.0.0.1"],
    )
    assert (updated.id, updated.name, updated.ip_allowlist) == (
        key.id,
        "Renamed by the SDK",
        ["127.0.0.1/32"],
    )
    assert updated.grants is not None
    assert [a.action for a in updated.grants[0].actions if a.granted] == [create]
    assert updated.secret_key is None
    again = whop.api_keys.retrieve(key.id)
    assert (again.name, again.ip_allowlist) == ("Renamed by the SDK", ["127.0.0.1/32"])

    # Rotate with no grace period (Adline's own option): the old secret stops at once.
    rotated = whop.api_keys.rotate(key.id, request_options=extra_body(grace_period_seconds=0))
    assert rotated.id == key.id
    assert rotated.secret_key is not None and rotated.secret_key != key.secret_key
    assert rotated.obfuscated_secret_key == f"adl_sk_...{rotated.secret_key[-4:]}"
    assert whop.api_keys.retrieve(key.id).obfuscated_secret_key == rotated.obfuscated_secret_key
    with pytest.raises(ApiError) as refused:  # create() maps no 401 to a typed error
        official_client(api_url, key.secret_key).ad_campaigns.create(
            title="Old secret", objective="sales", platform="meta"
        )
    assert refused.value.status_code == 401
    assert refused.value.body["error"]["code"] == "invalid_api_key"
    made = official_client(api_url, rotated.secret_key).ad_campaigns.create(
        title="New secret", objective="sales", platform="meta"
    )
    assert [c.id for c in whop.ad_campaigns.list()] == [made.id]


def test_external_accounts(api_url: str, database_url: str) -> None:  # noqa: F811
    """Every external_accounts method of the client, on the simulated network."""
    account_id, whop = new_tenant(database_url, api_url)
    answer = whop.external_accounts.connect(
        platform="meta_business",
        redirect_url="https://app.example.com/done",
        account_id=account_id,
        scopes=["advertise"],
    )
    assert "external_account_connected=meta_business" in answer.authorize_url
    linked = {a.platform: a for a in whop.external_accounts.list(account_id=account_id)}
    page, instagram = linked["facebook"], linked["instagram"]
    assert instagram.parent_external_account is not None
    assert instagram.parent_external_account.id == page.id
    made = whop.external_accounts.create(platform="tiktok", account_id=account_id)
    assert made.id.startswith("sacc_") and made.platform == "tiktok"
    assert whop.external_accounts.refresh(page.id, account_id=account_id).id == page.id
    posts = list(whop.external_accounts.posts.list(page.id, account_id=account_id, first=4))
    assert len(posts) == 6  # the pager follows end_cursor to the second page
    [one] = list(
        whop.external_accounts.posts.list(page.id, account_id=account_id, post_id=posts[1].id)
    )
    assert one == posts[1]
    forms = whop.external_accounts.lead_forms.list(page.id, account_id=account_id)
    assert [form.form_type for form in forms.data] == ["more_volume", "higher_intent"]
    partner = whop.external_accounts.partners.create(
        instagram.id, username="@creator.one", account_id=account_id
    )
    assert partner.partnership_status == "pending"
    listed = list(whop.external_accounts.partners.list(instagram.id, account_id=account_id))
    assert [p.id for p in listed] == [partner.id]
    removed = whop.external_accounts.partners.delete(
        instagram.id, partner.id, account_id=account_id
    )
    assert (removed.id, removed.deleted) == (partner.id, True)
    deleted = whop.external_accounts.delete(made.id, account_id=account_id)
    assert (deleted.id, deleted.deleted) == (made.id, True)
    with pytest.raises(NotFoundError):
        whop.external_accounts.delete(made.id, account_id=account_id)
