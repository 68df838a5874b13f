"""whop-sdk 2.6.0's own `client.ad_groups.search_targeting_options`, unmodified, against the
tests' app (in process): its parameters as it sends them, its typed answer as it parses it."""

from __future__ import annotations

import pytest
from whop_sdk import AsyncWhop, BadRequestError
from whop_sdk.core.api_error import ApiError
from whop_sdk.types import (
    TargetingOption_Interests,
    TargetingOption_Languages,
    TargetingOption_LifeEvents,
    TargetingOption_Locations,
)

from tests.conftest import Tenant


async def test_the_client_searches_the_taxonomy(whop: AsyncWhop, tenant: Tenant) -> None:
    found = await whop.ad_groups.search_targeting_options(
        platform="meta",
        account_id=tenant.company_id,
        query="austin",
        types=["locations", "interests"],
        location_types=["city", "medium_geo_area"],
        country="US",
        limit=5,
    )
    assert [type(option) for option in found.data] == [TargetingOption_Locations] * 2
    city, metro = found.data
    assert isinstance(city, TargetingOption_Locations)
    assert (city.name, city.location_type, city.region, city.country_code) == (
        "Austin",
        "city",
        "Texas",
        "US",
    )
    assert isinstance(metro, TargetingOption_Locations) and metro.location_type == "medium_geo_area"

    browsed = await whop.ad_groups.search_targeting_options(
        platform="meta", types=["life_events", "languages"], limit=2
    )
    assert [type(option) for option in browsed.data] == [TargetingOption_LifeEvents] * 2 + [
        TargetingOption_Languages
    ] * 2
    event = browsed.data[0]
    assert isinstance(event, TargetingOption_LifeEvents)
    assert event.id.isdigit() and event.audience_size_lower_bound is not None

    restricted = await whop.ad_groups.search_targeting_options(
        platform="meta", types=["interests", "behaviors"], special_ad_categories=["housing"]
    )
    assert restricted.data
    assert all(isinstance(option, TargetingOption_Interests) for option in restricted.data)
    again = await whop.ad_groups.search_targeting_options(
        platform="meta", types=["interests", "behaviors"], special_ad_categories=["housing"]
    )
    assert again == restricted


async def test_the_client_sees_bad_input_as_its_errors(whop: AsyncWhop, tenant: Tenant) -> None:
    with pytest.raises(BadRequestError) as bad_type:
        await whop.ad_groups.search_targeting_options(platform="meta", types=["hobbies"])
    assert bad_type.value.body["error"]["param"] == "types"
    with pytest.raises(BadRequestError) as bad_limit:
        await whop.ad_groups.search_targeting_options(platform="meta", limit=1000)
    assert bad_limit.value.body["error"]["param"] == "limit"
    with pytest.raises(BadRequestError) as long_query:
        await whop.ad_groups.search_targeting_options(platform="meta", query="q" * 101)
    assert long_query.value.body["error"]["param"] == "query"
    # The SDK declares no 404 here; another company's account answers as everywhere else
    # (an account the key does not see is not found), so the client raises its ApiError.
    with pytest.raises(ApiError) as unknown:
        await whop.ad_groups.search_targeting_options(platform="meta", account_id="biz_nobody")
    assert unknown.value.status_code == 404
