"""GET /ad_groups/targeting_options: the simulated network's taxonomy, searched.

The taxonomy itself (`adline.delivery.taxonomy`, through the simulator), the parameter
checks (`service.targeting_search`), the route, and the round trip: what a search answers
is accepted as-is by POST /ad_groups.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import httpx
import pytest

from adline.ad_groups.iso_codes import COUNTRIES, LANGUAGES, US_STATES
from adline.ad_groups.service import TargetingOptionsParams, targeting_search
from adline.auth import scopes
from adline.core.clock import ManualClock
from adline.core.errors import InvalidRequest
from adline.delivery import audience
from adline.delivery.adapter import (
    DetailedTargetingOption,
    LanguageOption,
    LocationOption,
    LocationType,
    Targeting,
    TargetingOption,
    TargetingOptionType,
    TargetingSearch,
)
from adline.delivery.iso_names import COUNTRY_NAMES, LANGUAGE_NAMES, US_STATE_NAMES
from adline.delivery.simulator import SimulatedNetwork
from adline.delivery.taxonomy import BROWSABLE, INTERESTS
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import group_body, ok

TYPES: tuple[TargetingOptionType, ...] = get_args(TargetingOptionType)
LOCATION_TYPES: tuple[LocationType, ...] = get_args(LocationType)
DEMOGRAPHIC_TYPES = (
    "life_events",
    "industries",
    "income",
    "family_statuses",
    "work_employers",
    "work_positions",
    "education_schools",
    "education_majors",
)
BORN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATH = "/ad_groups/targeting_options"


def network(seed: int = 0) -> SimulatedNetwork:
    return SimulatedNetwork(seed, ManualClock(BORN))


async def find(
    types: tuple[TargetingOptionType, ...], query: str = "", **options: Any
) -> list[TargetingOption]:
    return await network().search_targeting_options(
        TargetingSearch(types=types, query=query, **options)
    )


def ident(option: TargetingOption) -> str:
    if isinstance(option, DetailedTargetingOption):
        return option.id
    if isinstance(option, LanguageOption):
        return option.code
    return option.key


class TestTaxonomy:
    async def test_every_type_of_c21_answers(self) -> None:
        for kind in TYPES:
            browsed = await find((kind,))
            assert bool(browsed) == (kind in BROWSABLE), kind
            searched = await find((kind,), "o", limit=100)
            assert searched and {option.type for option in searched} == {kind}, kind

    async def test_every_location_type_answers(self) -> None:
        for location_type in LOCATION_TYPES:
            query = "0" if location_type == "zip" else "o"  # postal codes go by their code
            places = await find(("locations",), query, location_types=(location_type,), limit=100)
            assert places, location_type
            assert {p.location_type for p in places if isinstance(p, LocationOption)} == {
                location_type
            }

    async def test_the_same_search_answers_the_same_on_any_network(self) -> None:
        search = TargetingSearch(types=TYPES, query="an", limit=100)
        first = await network(0).search_targeting_options(search)
        assert first == await network(7).search_targeting_options(search)
        assert first == await network(0).search_targeting_options(search)

    async def test_ids_are_unique_within_each_type(self) -> None:
        for kind in TYPES:
            options = {
                option
                for letter in "abcdefghijklmnopqrstuvwxyz0123456789"
                for option in await find((kind,), letter, limit=100)
            }
            assert len({ident(option) for option in options}) == len(options), kind

    async def test_locations_are_the_real_iso_codes(self) -> None:
        assert set(COUNTRY_NAMES) == COUNTRIES
        assert set(LANGUAGE_NAMES) == LANGUAGES
        assert set(US_STATE_NAMES) == {f"US-{code}" for code in US_STATES}
        for code, name in COUNTRY_NAMES.items():
            [country] = await find(("locations",), code, location_types=("country",), limit=1)
            assert isinstance(country, LocationOption)
            assert (country.code, country.key, country.name) == (code, code, name)
        [california] = await find(("locations",), "US-CA", limit=1)
        assert isinstance(california, LocationOption)
        assert (california.location_type, california.name) == ("region", "California")
        [english] = await find(("languages",), "en", limit=1)
        assert english == LanguageOption(code="en", name="English")

    async def test_matching_is_case_insensitive_exact_then_prefix_then_substring(self) -> None:
        names = [o.name for o in await find(("interests",), "MUSIC", limit=10)]
        assert names[0] == "Music"
        assert names[1:] == sorted(names[1:], key=lambda name: name.lower())
        assert all("music" in name.lower() for name in names)
        places = await find(("locations",), "austin")
        assert [p.name for p in places][:2] == ["Austin", "Austin"]  # the city and the DMA
        assert "Australia" not in [p.name for p in places]

    async def test_limit_is_per_type_and_filters_narrow_locations(self) -> None:
        found = await find(("interests", "languages"), "a", limit=3)
        assert [o.type for o in found] == ["interests"] * 3 + ["languages"] * 3
        canadian = await find(("locations",), "o", country="CA", limit=100)
        assert canadian and {p.country_code for p in canadian if isinstance(p, LocationOption)} == {
            "CA"
        }

    async def test_restricted_categories_leave_the_approved_interests(self) -> None:
        restricted = await find(TYPES, "", special_ad_categories=("housing",), limit=100)
        # Detailed targeting narrows to the approved interests; languages and places stay.
        assert {o.type for o in restricted} == {"interests", "languages"}
        approved = [o.name for o in restricted if o.type == "interests"]
        assert approved == [name for name, ok in INTERESTS if ok]
        assert await find(("interests",), "crypto", special_ad_categories=("housing",)) == []
        assert await find(("locations",), "texas", special_ad_categories=("housing",))
        everything = await find(("interests",), "", limit=100)
        assert everything == []  # without a category a blank query browses no interests
        assert not await find(("behaviors",), "", special_ad_categories=("employment",))
        politics = await find(("behaviors",), "", special_ad_categories=("politics",))
        assert politics  # politics does not narrow the taxonomy

    async def test_audience_sizes_are_the_audience_models(self) -> None:
        [movies] = await find(("interests",), "movies", limit=1)
        assert isinstance(movies, DetailedTargetingOption)
        estimate = audience.reach_estimate(Targeting(interests=(movies.id,)), "meta")
        assert (movies.audience_size_lower_bound, movies.audience_size_upper_bound) == estimate
        [moved] = await find(("life_events",), "recently moved", limit=1)
        assert isinstance(moved, DetailedTargetingOption)
        estimate = audience.reach_estimate(Targeting(demographic_ids=(moved.id,)), "meta")
        assert (moved.audience_size_lower_bound, moved.audience_size_upper_bound) == estimate
        assert estimate[0] is not None and 0 < estimate[0] < (estimate[1] or 0)


BAD_PARAMS = [
    ({"platform": None}, "platform"),
    ({"platform": "tiktok"}, "platform"),
    ({"types": ["interests", "hobbies"]}, "types"),
    ({"types": ["interests,hobbies"]}, "types"),
    ({"types": [""]}, "types"),
    ({"location_types": ["planet"]}, "location_types"),
    ({"special_ad_categories": ["credit"]}, "special_ad_categories"),
    ({"query": "x" * 101}, "query"),
    ({"country": "usa"}, "country"),
    ({"country": "us"}, "country"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
]


class TestParameters:
    @pytest.mark.parametrize(("change", "param"), BAD_PARAMS)
    def test_bad_parameters_name_themselves(self, change: dict[str, Any], param: str) -> None:
        with pytest.raises(InvalidRequest) as raised:
            targeting_search(TargetingOptionsParams(**{"platform": "meta", **change}))
        assert raised.value.param == param

    def test_lists_come_repeated_or_comma_separated(self) -> None:
        platform, search = targeting_search(
            TargetingOptionsParams(
                platform="meta", types=["interests,behaviors", "languages", "interests"]
            )
        )
        assert platform == "meta"
        assert search.types == ("interests", "behaviors", "languages")
        assert search.limit == 25
        _, default = targeting_search(TargetingOptionsParams(platform="meta"))
        assert default.types == TYPES and default.query == ""


class TestRoute:
    async def test_answers_the_taxonomy_not_an_ad_group(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            PATH, params={"platform": "meta", "query": "austin", "types": "locations,interests"}
        )
        body = await ok(response)
        assert set(body) == {"data"} and body["data"]
        city = next(item for item in body["data"] if item["location_type"] == "city")
        assert city == {
            "type": "locations",
            "key": city["key"],
            "name": "Austin",
            "location_type": "city",
            "code": None,
            "country_code": "US",
            "country_name": "United States",
            "region": "Texas",
        }
        browsed = await ok(await client.get(PATH, params={"platform": "meta", "types": "income"}))
        assert {item["type"] for item in browsed["data"]} == {"income"}
        item = browsed["data"][0]
        assert set(item) == {
            "type",
            "id",
            "name",
            "description",
            "behavior_type",
            "audience_size_lower_bound",
            "audience_size_upper_bound",
        }
        again = await ok(await client.get(PATH, params={"platform": "meta", "types": "income"}))
        assert again == browsed

    @pytest.mark.parametrize(
        ("params", "code", "param"),
        [
            ({}, "parameter_missing", "platform"),
            ({"platform": "meta", "types": "hobbies"}, "parameter_invalid", "types"),
            ({"platform": "meta", "query": "x" * 101}, "parameter_invalid", "query"),
            ({"platform": "meta", "limit": "0"}, "parameter_invalid", "limit"),
            ({"platform": "meta", "limit": "ten"}, "parameter_invalid", "limit"),
            ({"platform": "meta", "country": "XX"}, "parameter_invalid", "country"),
            (
                {"platform": "meta", "location_types": "planet"},
                "parameter_invalid",
                "location_types",
            ),
        ],
    )
    async def test_bad_input_is_a_400_naming_the_param(
        self, client: httpx.AsyncClient, params: dict[str, str], code: str, param: str
    ) -> None:
        assert_error(await client.get(PATH, params=params), 400, code, param)

    async def test_keys_and_accounts(
        self,
        anonymous: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        make_key,  # type: ignore[no-untyped-def]
    ) -> None:
        """Authenticated, with the read scope (as estimate_reach); the account is the key's."""
        params = {"platform": "meta"}

        async def get(key: str | None, **extra: str) -> httpx.Response:
            headers = {} if key is None else {"Authorization": f"Bearer {key}"}
            return await anonymous.get(PATH, params={**params, **extra}, headers=headers)

        assert (await get(tenant.key, account_id=tenant.company_id)).status_code == 200
        theirs = await get(tenant.key, account_id=other_tenant.company_id)
        assert_error(theirs, 404, "resource_not_found", "account_id")
        assert (await get(None)).status_code == 401
        assert (await get(await make_key(tenant, [scopes.AD_CAMPAIGN_CREATE]))).status_code == 403
        reader = await make_key(tenant, [scopes.AD_CAMPAIGN_BASIC_READ])
        assert (await get(reader)).status_code == 200


async def first(client: httpx.AsyncClient, kind: str, query: str, **params: str) -> dict[str, Any]:
    response = await client.get(
        PATH, params={"platform": "meta", "types": kind, "query": query, "limit": "1", **params}
    )
    [option] = (await ok(response))["data"]
    assert isinstance(option, dict)
    return option


async def test_what_a_search_answers_an_ad_group_takes(client: httpx.AsyncClient) -> None:
    """Ids, codes and keys go into POST /ad_groups as-is, and PATCH, and come back."""
    interest = await first(client, "interests", "movies")
    behavior = await first(client, "behaviors", "frequent travelers")
    demographics = [
        await first(client, kind, "" if kind in BROWSABLE else "e") for kind in DEMOGRAPHIC_TYPES
    ]
    language = await first(client, "languages", "spanish")
    country = await first(client, "locations", "germany", location_types="country")
    region = await first(client, "locations", "texas", location_types="region")
    city = await first(client, "locations", "austin", location_types="city")
    postal = await first(client, "locations", "78756", location_types="zip")
    neighborhood = await first(client, "locations", "soho", location_types="neighborhood")
    detailed = {
        "interests": [{"id": interest["id"], "name": interest["name"]}],
        "behaviors": [{"id": behavior["id"], "name": behavior["name"]}],
        "demographics": [
            {"id": option["id"], "name": option["name"], "type": option["type"]}
            for option in demographics
        ],
    }
    regions = {
        "include": {
            "countries": [country["code"]],
            "regions": [region["code"]],
            "cities": [
                {"key": city["key"], "name": city["name"]},
                {"key": neighborhood["key"], "name": neighborhood["name"]},
            ],
            "zips": [postal["key"]],
        }
    }
    campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
    group = await ok(
        await client.post(
            "/ad_groups",
            json=group_body(
                campaign["id"],
                detailed_targeting=detailed,
                languages=[language["code"]],
                regions=regions,
            ),
        )
    )
    assert group["detailed_targeting"] == detailed
    assert group["languages"] == ["es"]
    assert group["regions"]["include"] == {
        "countries": ["DE"],
        "regions": ["US-TX"],
        "cities": regions["include"]["cities"],
        "zips": ["US:78756"],
        "country_groups": [],
        "custom_locations": [],
    }
    patched = await ok(
        await client.patch(
            f"/ad_groups/{group['id']}",
            json={"detailed_targeting": {"interests": detailed["interests"]}},
        )
    )
    assert patched["detailed_targeting"]["interests"] == detailed["interests"]
