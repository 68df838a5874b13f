"""The simulator's audience model: how many people a targeting reaches, and at what price level.

Sizes are people active on the platform: population x platform penetration, narrowed by
every targeting setting as a share. Tables are rough public orders of magnitude (2024
populations in millions), good enough to make wider targeting reach more and narrower
targeting less, not to forecast a real campaign.
"""

from __future__ import annotations

import math
from functools import lru_cache

from adline.delivery.adapter import GeoSelection, Targeting
from adline.delivery.draws import stable_fraction

# Share of the population active on each platform.
PENETRATION: dict[str, float] = {"meta": 0.62, "tiktok": 0.30, "google": 0.80}
DEFAULT_PENETRATION = 0.5

# Population in millions, and the price level of the country's ad market (US = 1.0).
COUNTRIES: dict[str, tuple[float, float]] = {
    "US": (335.0, 1.00),
    "CA": (40.0, 0.85),
    "MX": (129.0, 0.20),
    "BR": (216.0, 0.22),
    "AR": (46.0, 0.15),
    "CO": (52.0, 0.15),
    "CL": (20.0, 0.25),
    "GB": (68.0, 0.80),
    "IE": (5.2, 0.70),
    "DE": (84.0, 0.75),
    "FR": (68.0, 0.60),
    "ES": (48.0, 0.45),
    "IT": (59.0, 0.45),
    "PT": (10.4, 0.35),
    "NL": (17.9, 0.70),
    "BE": (11.8, 0.60),
    "CH": (8.9, 0.90),
    "AT": (9.1, 0.65),
    "SE": (10.5, 0.65),
    "NO": (5.5, 0.75),
    "DK": (5.9, 0.70),
    "FI": (5.6, 0.60),
    "PL": (37.0, 0.30),
    "TR": (85.0, 0.12),
    "IL": (9.8, 0.50),
    "AE": (9.5, 0.55),
    "SA": (36.0, 0.40),
    "EG": (112.0, 0.08),
    "NG": (224.0, 0.08),
    "ZA": (60.0, 0.20),
    "KE": (55.0, 0.08),
    "IN": (1430.0, 0.08),
    "PK": (240.0, 0.06),
    "ID": (278.0, 0.10),
    "PH": (117.0, 0.10),
    "VN": (99.0, 0.10),
    "TH": (72.0, 0.12),
    "MY": (34.0, 0.15),
    "SG": (5.9, 0.60),
    "HK": (7.5, 0.60),
    "JP": (124.0, 0.70),
    "KR": (52.0, 0.55),
    "AU": (26.6, 0.85),
    "NZ": (5.2, 0.70),
}
DEFAULT_COUNTRY = (5.0, 0.30)

# A few large subdivisions (millions); any other region is 3% of its country.
REGIONS: dict[str, float] = {
    "US-CA": 39.0,
    "US-TX": 30.5,
    "US-FL": 22.6,
    "US-NY": 19.6,
    "US-PA": 13.0,
    "US-IL": 12.5,
    "CA-ON": 15.6,
    "CA-QC": 8.9,
    "GB-ENG": 57.0,
    "DE-BY": 13.4,
    "FR-IDF": 12.3,
    "AU-NSW": 8.3,
}
DEFAULT_REGION_SHARE = 0.03
CITY_POPULATION = 0.5  # millions, any city
ZIP_POPULATION = 0.025  # millions, any postal code
# People per km^2 around a custom location (suburban).
CUSTOM_LOCATION_DENSITY = 150.0

# Country groups (millions).
COUNTRY_GROUPS: dict[str, float] = {
    "worldwide": 8000.0,
    "africa": 1460.0,
    "asia": 4750.0,
    "europe": 745.0,
    "north_america": 600.0,
    "south_america": 435.0,
    "oceania": 45.0,
    "eea": 450.0,
    "latam": 660.0,
    "apac": 4300.0,
    "emea": 2300.0,
    "gcc": 60.0,
    "nafta": 505.0,
}
DEFAULT_COUNTRY_GROUP = 100.0
GROUP_PRICE_LEVEL = 0.30

# Share of platform users by age band [low, high] (65 stands for 65 and over).
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (13, 17, 0.06),
    (18, 24, 0.18),
    (25, 34, 0.25),
    (35, 44, 0.20),
    (45, 54, 0.14),
    (55, 64, 0.10),
    (65, 65, 0.07),
)
GENDER_SHARE: dict[str, float] = {"all": 1.0, "male": 0.49, "female": 0.51}

# Share of each country's users who speak a language; a language not listed: 3% (English
# 15%, the Internet's second language); outside listed countries: 10% (English 25%).
COUNTRY_LANGUAGES: dict[str, dict[str, float]] = {
    "US": {"en": 0.92, "es": 0.13},
    "CA": {"en": 0.75, "fr": 0.22},
    "GB": {"en": 0.98},
    "IE": {"en": 0.98},
    "AU": {"en": 0.95},
    "NZ": {"en": 0.96},
    "DE": {"de": 0.95},
    "AT": {"de": 0.95},
    "CH": {"de": 0.62, "fr": 0.23, "it": 0.08},
    "FR": {"fr": 0.97},
    "BE": {"nl": 0.58, "fr": 0.40},
    "ES": {"es": 0.98},
    "MX": {"es": 0.98},
    "AR": {"es": 0.98},
    "CO": {"es": 0.98},
    "CL": {"es": 0.98},
    "BR": {"pt": 0.98},
    "PT": {"pt": 0.98},
    "IT": {"it": 0.97},
    "NL": {"nl": 0.95},
    "JP": {"ja": 0.99},
    "KR": {"ko": 0.99},
    "IN": {"hi": 0.45, "en": 0.20},
}
DEFAULT_LANGUAGE_SHARE = 0.03
DEFAULT_ENGLISH_SHARE = 0.15
UNLISTED_LANGUAGE_SHARE = 0.10
UNLISTED_ENGLISH_SHARE = 0.25

DEVICE_SHARE: dict[str, float] = {"mobile": 0.95, "desktop": 0.40}
IOS_SHARE: dict[str, float] = {"US": 0.57, "CA": 0.55, "GB": 0.50, "AU": 0.55, "JP": 0.65}
DEFAULT_IOS_SHARE = 0.25
MINIMUM_OS_VERSION_SHARE = 0.85

# Detailed targeting: each entry covers 0.5%-8% of users (fixed per id); entries are OR'd.
DETAILED_SHARE = (0.005, 0.08)
# A custom audience described without its size holds 2k-2M people (fixed per id); the
# match rate finds 60% of them, as it finds 60% of the hashed people uploaded to one.
CUSTOM_AUDIENCE_SIZE = (2_000, 2_000_000)
CUSTOM_AUDIENCE_MATCH = 0.6

# Share of the platform's ad inventory per placement platform (Meta's list, spec C.10).
PLACEMENT_SHARE: dict[str, float] = {
    "facebook": 0.50,
    "instagram": 0.38,
    "messenger": 0.02,
    "audience_network": 0.05,
    "threads": 0.02,
    "whatsapp": 0.03,
}
PLACEMENT_POSITIONS: dict[str, int] = {
    "facebook": 11,
    "instagram": 8,
    "messenger": 1,
    "audience_network": 2,
    "threads": 1,
    "whatsapp": 1,
}

# Networks don't estimate audiences below this size.
MINIMUM_ESTIMATE = 1_000
ESTIMATE_SPREAD = 0.2


@lru_cache(maxsize=4096)
def audience_size(targeting: Targeting, platform: str) -> int:
    """People on `platform` the targeting can reach."""
    population = _geo_population(targeting)
    penetration = PENETRATION.get(platform, DEFAULT_PENETRATION)
    people = population * 1_000_000 * penetration
    if not targeting.automatic:
        people *= _age_share(targeting.minimum_age, targeting.maximum_age)
        people *= GENDER_SHARE[targeting.gender]
    people *= _language_share(targeting)
    people *= _device_share(targeting)
    people *= _detailed_share(targeting)
    # A saved audience narrows to the people the network matched of it; an excluded one
    # takes its people away.
    sizes = dict(targeting.audience_sizes)
    if targeting.audiences_include:
        matched = sum(
            _saved_audience_people(audience, sizes) for audience in targeting.audiences_include
        )
        people = min(people, matched)
    for audience in targeting.audiences_exclude:
        people = max(0.0, people - _saved_audience_people(audience, sizes))
    return int(people)


def person_matched(identifier_hash: str) -> bool:
    """Whether the network finds an uploaded person (by the hash of their identifier) among
    its users: a fixed share of hashes, decided by the hash itself, so the same person
    matches the same way in every audience and on every run."""
    return stable_fraction("audience_match", identifier_hash) < CUSTOM_AUDIENCE_MATCH


def reach_estimate(targeting: Targeting, platform: str) -> tuple[int | None, int | None]:
    """(lower, upper): the audience size +-20%, two significant digits; None below 1,000."""
    size = audience_size(targeting, platform)
    if size < MINIMUM_ESTIMATE:
        return None, None
    return (
        _significant(size * (1 - ESTIMATE_SPREAD)),
        _significant(size * (1 + ESTIMATE_SPREAD)),
    )


@lru_cache(maxsize=4096)
def price_level(targeting: Targeting) -> float:
    """How expensive the targeted market is (US = 1.0), raised for narrow audiences: a
    narrow audience has fewer auctions to pick from, so more advertisers compete for each."""
    level = _geo_price_level(targeting.include)
    narrowing = _detailed_share(targeting) * _language_share(targeting)
    if targeting.audiences_include:
        narrowing *= 0.5
    # Each tenfold narrowing costs 15% more.
    return level * (1 + 0.15 * -math.log10(max(narrowing, 1e-6)))


def inventory_share(targeting: Targeting, platform: str) -> float:
    """Share of the platform's ad slots the placements allow (1.0 for automatic)."""
    if targeting.placements is None or platform != "meta":
        return 1.0
    share = 0.0
    for placement in targeting.placements:
        base = PLACEMENT_SHARE.get(placement.platform, 0.02)
        positions = PLACEMENT_POSITIONS.get(placement.platform, 1)
        if placement.positions:
            base *= math.sqrt(min(1.0, len(placement.positions) / positions))
        share += base
    return min(1.0, max(share, 0.01))


# --- Parts ---------------------------------------------------------------------------------------


def _geo_population(targeting: Targeting) -> float:
    include, exclude = targeting.include, targeting.exclude
    worldwide = _is_empty(include)
    included = COUNTRY_GROUPS["worldwide"] if worldwide else _selection_population(include)
    # An excluded country or region removes people only from what is included: a country
    # listed, or anything when a group (or the world) is included.
    wide = worldwide or bool(include.country_groups)
    countries = {code.upper() for code in include.countries}
    excluded = 0.0
    for code in exclude.countries:
        if wide or code.upper() in countries:
            excluded += _country(code)[0]
    for region in exclude.regions:
        country = region.split("-", 1)[0].upper()
        if wide or country in countries:
            excluded += _region_population(region)
    excluded += _places_population(exclude)
    return max(0.0, included - excluded)


def _selection_population(selection: GeoSelection) -> float:
    total = sum(_country(code)[0] for code in selection.countries)
    total += sum(
        COUNTRY_GROUPS.get(group, DEFAULT_COUNTRY_GROUP) for group in selection.country_groups
    )
    total += sum(_region_population(region) for region in selection.regions)
    return total + _places_population(selection)


def _region_population(region: str) -> float:
    country = region.split("-", 1)[0]
    return REGIONS.get(region, _country(country)[0] * DEFAULT_REGION_SHARE)


def _places_population(selection: GeoSelection) -> float:
    """Cities, postal codes and custom locations."""
    total = CITY_POPULATION * len(selection.cities) + ZIP_POPULATION * len(selection.zips)
    for place in selection.custom_locations:
        radius_km = place.radius * (1.609344 if place.distance_unit == "mile" else 1.0)
        total += math.pi * radius_km**2 * CUSTOM_LOCATION_DENSITY / 1_000_000
    return total


def _geo_price_level(selection: GeoSelection) -> float:
    weighted = weight = 0.0
    for code in selection.countries:
        population, level = _country(code)
        weighted += population * level
        weight += population
    for group in selection.country_groups:
        population = COUNTRY_GROUPS.get(group, DEFAULT_COUNTRY_GROUP)
        weighted += population * GROUP_PRICE_LEVEL
        weight += population
    for region in selection.regions:
        level = _country(region.split("-", 1)[0])[1]
        weighted += level
        weight += 1
    for key in (*selection.cities, *selection.zips):
        # Meta zip keys are "US:78756"; other keys carry no country.
        country = key.split(":", 1)[0] if ":" in key else ""
        weighted += _country(country)[1]
        weight += 1
    for place in selection.custom_locations:
        weighted += _country(place.country_code or "")[1]
        weight += 1
    if weight == 0:
        return GROUP_PRICE_LEVEL
    return weighted / weight


def _age_share(minimum: int | None, maximum: int | None) -> float:
    low = 18 if minimum is None else minimum
    high = 65 if maximum is None else maximum
    share = 0.0
    for band_low, band_high, band_share in AGE_BANDS:
        overlap = min(high, band_high) - max(low, band_low) + 1
        if overlap > 0:
            share += band_share * overlap / (band_high - band_low + 1)
    return share


def _language_share(targeting: Targeting) -> float:
    if not targeting.languages:
        return 1.0
    weighted = weight = 0.0
    for code in targeting.include.countries:
        population = _country(code)[0]
        known = COUNTRY_LANGUAGES.get(code, {})
        share = sum(
            known.get(
                language,
                DEFAULT_ENGLISH_SHARE if language == "en" else DEFAULT_LANGUAGE_SHARE,
            )
            for language in targeting.languages
        )
        weighted += population * min(1.0, share)
        weight += population
    if weight == 0:
        share = sum(
            UNLISTED_ENGLISH_SHARE if language == "en" else UNLISTED_LANGUAGE_SHARE
            for language in targeting.languages
        )
        return min(1.0, share)
    return weighted / weight


def _device_share(targeting: Targeting) -> float:
    platforms = set(targeting.device_platforms) or {"mobile", "desktop"}
    if platforms >= {"mobile", "desktop"}:
        share = 1.0
    else:
        share = DEVICE_SHARE.get(next(iter(platforms)), 1.0)
    if targeting.operating_systems and "mobile" in platforms:
        ios = _ios_share(targeting.include)
        os_share = 0.0
        for entry in targeting.operating_systems:
            part = ios if entry.os == "ios" else 1 - ios
            if entry.minimum_version:
                part *= MINIMUM_OS_VERSION_SHARE
            os_share += part
        share *= min(1.0, os_share)
    return share


def _ios_share(selection: GeoSelection) -> float:
    weighted = weight = 0.0
    for code in selection.countries:
        population = _country(code)[0]
        weighted += population * IOS_SHARE.get(code, DEFAULT_IOS_SHARE)
        weight += population
    return weighted / weight if weight else DEFAULT_IOS_SHARE


def _detailed_share(targeting: Targeting) -> float:
    entries = [
        *(("interest", entry) for entry in targeting.interests),
        *(("behavior", entry) for entry in targeting.behaviors),
        *(("demographic", entry) for entry in targeting.demographic_ids),
    ]
    if not entries:
        return 1.0
    low, high = DETAILED_SHARE
    missed = 1.0
    for section, entry in entries:
        missed *= 1 - (low + (high - low) * stable_fraction("detailed", section, entry))
    return 1 - missed


def _saved_audience_people(audience_id: str, sizes: dict[str, int]) -> float:
    """The matched people of a saved audience: its size as described, or (for a spec that
    carries none) the fixed size per id, of which the match rate finds its share."""
    if audience_id in sizes:
        return float(sizes[audience_id])
    return _custom_audience_size(audience_id) * CUSTOM_AUDIENCE_MATCH


def _custom_audience_size(audience_id: str) -> float:
    low, high = CUSTOM_AUDIENCE_SIZE
    # Log-uniform: most lists are small.
    return float(low * (high / low) ** stable_fraction("audience", audience_id))


def _country(code: str) -> tuple[float, float]:
    return COUNTRIES.get(code.upper(), DEFAULT_COUNTRY)


def _is_empty(selection: GeoSelection) -> bool:
    return not (
        selection.countries
        or selection.regions
        or selection.cities
        or selection.zips
        or selection.country_groups
        or selection.custom_locations
    )


def _significant(value: float, digits: int = 2) -> int:
    if value <= 0:
        return 0
    magnitude = 10 ** max(0, math.floor(math.log10(value)) - digits + 1)
    return int(round(value / magnitude) * magnitude)
