"""The simulated network's targeting taxonomy, and its search.

What `GET /ad_groups/targeting_options` answers from when the simulator serves a platform.
Fixed data, no seed: the same search answers the same options, ids included, in every
process and on every network instance. Ids are shaped like Meta's (13 digits for a
detailed-targeting category, a number for a place) and derived from the option's kind and
name, so adding an option never renumbers another.

- Detailed targeting (interests, behaviors and the eight demographic kinds of spec C.21):
  hand-written lists of the sort Meta offers. Each option's audience size is what the
  simulator's audience model (`adline.delivery.audience`) estimates for an ad group
  targeting that option alone, so a search and `estimate_reach` agree.
- Languages: every ISO 639-1 code. Countries: every ISO 3166-1 code; regions: the US
  states and DC (ISO 3166-2), the subdivisions an ad group's `regions` takes. Cities,
  postal codes, metro areas (Nielsen DMAs), boroughs and neighborhoods: a short list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import get_args

from adline.delivery import audience
from adline.delivery.adapter import (
    DetailedTargetingOption,
    DetailedTargetingOptionType,
    LanguageOption,
    LocationOption,
    LocationType,
    Targeting,
    TargetingOption,
    TargetingOptionType,
    TargetingSearch,
)
from adline.delivery.draws import stable_digits
from adline.delivery.iso_names import COUNTRY_NAMES, LANGUAGE_NAMES, US_STATE_NAMES

# Kinds a blank query browses (the SDK: "behaviors, browse demographic categories, and
# languages"); the long lists answer nothing without a query.
BROWSABLE: frozenset[TargetingOptionType] = frozenset(
    {"behaviors", "life_events", "industries", "income", "family_statuses", "languages"}
)
# Under these special ad categories Meta allows interests only, from an approved list.
RESTRICTED_CATEGORIES = frozenset({"housing", "employment", "financial_products"})
DETAILED_KINDS: tuple[TargetingOptionType, ...] = get_args(DetailedTargetingOptionType)

# Interests; the ones marked True are on the approved list for restricted categories.
INTERESTS: tuple[tuple[str, bool], ...] = (
    ("Movies", True),
    ("Music", True),
    ("Television", True),
    ("Books", True),
    ("Video games", True),
    ("Travel", True),
    ("Cooking", True),
    ("Fitness and wellness", True),
    ("Sports", True),
    ("Outdoor recreation", True),
    ("Gardening", True),
    ("Pets", True),
    ("Dogs", False),
    ("Cats", False),
    ("Photography", False),
    ("Fashion", False),
    ("Beauty", False),
    ("Cosmetics", False),
    ("Online shopping", False),
    ("Luxury goods", False),
    ("Real estate", False),
    ("Home improvement", False),
    ("Interior design", False),
    ("Personal finance", False),
    ("Investing", False),
    ("Cryptocurrency", False),
    ("Entrepreneurship", False),
    ("Small business", False),
    ("Marketing", False),
    ("Technology", False),
    ("Computers", False),
    ("Mobile phones", False),
    ("Software", False),
    ("Artificial intelligence", False),
    ("Science", False),
    ("Education", False),
    ("Online courses", False),
    ("Parenting", False),
    ("Weddings", False),
    ("Yoga", False),
    ("Running", False),
    ("Cycling", False),
    ("Basketball", False),
    ("Soccer", False),
    ("American football", False),
    ("Tennis", False),
    ("Golf", False),
    ("Hiking", False),
    ("Camping", False),
    ("Coffee", False),
    ("Wine", False),
    ("Craft beer", False),
    ("Vegetarianism", False),
    ("Veganism", False),
    ("Restaurants", False),
    ("Fast food", False),
    ("Concerts", False),
    ("Live events", False),
    ("Hip hop music", False),
    ("Rock music", False),
    ("Electronic music", False),
    ("Podcasts", False),
    ("Anime", False),
    ("Comics", False),
    ("Board games", False),
    ("Esports", False),
    ("Cars", False),
    ("Motorcycles", False),
    ("Electric vehicles", False),
    ("Sustainability", False),
    ("Volunteering", False),
    ("Charity and causes", False),
)
BEHAVIORS: tuple[str, ...] = (
    "Frequent travelers",
    "Frequent international travelers",
    "Returned from travels 1 week ago",
    "Returned from travels 2 weeks ago",
    "Commuters",
    "Engaged shoppers",
    "Small business owners",
    "Facebook page admins",
    "Technology early adopters",
    "Online gamers",
    "Console gamers",
    "iOS device users",
    "Android device users",
    "Primary email domain: business",
    "Expats (all)",
    "Lived in United States (formerly expats)",
    "Uploaded photos",
    "Soccer fans (high content engagement)",
)
DEMOGRAPHICS: dict[TargetingOptionType, tuple[str, ...]] = {
    "life_events": (
        "Recently moved",
        "New job",
        "Newly engaged (1 year)",
        "Newly engaged (6 months)",
        "Newly engaged (3 months)",
        "Newlywed (1 year)",
        "Newlywed (6 months)",
        "Newlywed (3 months)",
        "Away from family",
        "Away from hometown",
        "Long-distance relationship",
        "New relationship",
        "Anniversary within 30 days",
        "Upcoming birthday",
        "Birthday in January",
        "Birthday in July",
        "Friends of people with birthdays in a week",
    ),
    "industries": (
        "Administrative services",
        "Architecture and engineering",
        "Arts, entertainment, sports and media",
        "Business and finance",
        "Cleaning and maintenance services",
        "Community and social services",
        "Computation and mathematics",
        "Construction and extraction",
        "Education and libraries",
        "Farming, fishing and forestry",
        "Food and restaurants",
        "Government employees (global)",
        "Healthcare and medical services",
        "IT and technical services",
        "Installation and repair services",
        "Legal services",
        "Life, physical and social sciences",
        "Management",
        "Military (global)",
        "Production",
        "Protective services",
        "Sales",
        "Transportation and moving",
        "Veterans (US)",
    ),
    "income": (
        "Household income: top 5% of ZIP codes (US)",
        "Household income: top 10% of ZIP codes (US)",
        "Household income: top 10%-25% of ZIP codes (US)",
        "Household income: top 25%-50% of ZIP codes (US)",
        "Household income: top 50%-75% of ZIP codes (US)",
    ),
    "family_statuses": (
        "Parents (all)",
        "Parents with toddlers (01-02 years)",
        "Parents with preschoolers (03-05 years)",
        "Parents with early school-age children (06-08 years)",
        "Parents with preteens (09-12 years)",
        "Parents with teenagers (13-17 years)",
        "Parents with adult children (18-26 years)",
        "New parents (0-12 months)",
        "Expectant parents",
        "Single",
        "In a relationship",
        "Engaged",
        "Married",
        "Divorced",
    ),
    "work_employers": (
        "Accenture",
        "Amazon",
        "Apple",
        "Deloitte",
        "Google",
        "IBM",
        "JPMorgan Chase",
        "McDonald's",
        "Meta",
        "Microsoft",
        "Starbucks",
        "Target",
        "Tesla",
        "United States Army",
        "Walmart",
        "Self-employed",
    ),
    "work_positions": (
        "Accountant",
        "Business owner",
        "Chief executive officer",
        "Consultant",
        "Data scientist",
        "Designer",
        "Engineer",
        "Founder",
        "Graphic designer",
        "Marketing manager",
        "Nurse",
        "Product manager",
        "Project manager",
        "Real estate agent",
        "Registered nurse",
        "Sales manager",
        "Software developer",
        "Software engineer",
        "Student",
        "Teacher",
    ),
    "education_schools": (
        "Arizona State University",
        "Harvard University",
        "Massachusetts Institute of Technology",
        "New York University",
        "Ohio State University",
        "Stanford University",
        "University of California, Berkeley",
        "University of California, Los Angeles",
        "University of Cambridge",
        "University of Michigan",
        "University of Oxford",
        "University of Texas at Austin",
        "University of Toronto",
    ),
    "education_majors": (
        "Accounting",
        "Biology",
        "Business administration",
        "Chemistry",
        "Communication",
        "Computer science",
        "Economics",
        "Electrical engineering",
        "English",
        "Finance",
        "History",
        "Law",
        "Marketing",
        "Mathematics",
        "Mechanical engineering",
        "Medicine",
        "Nursing",
        "Psychology",
    ),
}
DESCRIPTIONS: dict[TargetingOptionType, str] = {
    "interests": "People who have shown an interest in {name} or liked pages about it.",
    "behaviors": "People whose activity on and off the platform places them among: {name}.",
    "life_events": "People whose profile shows this life event: {name}.",
    "industries": "People who list a job in this industry: {name}.",
    "income": "People who live in places in this bracket: {name}.",
    "family_statuses": "People whose family status is: {name}.",
    "work_employers": "People who list {name} as their employer.",
    "work_positions": "People who list {name} as their job title.",
    "education_schools": "People who list {name} as their school.",
    "education_majors": "People who list {name} as their field of study.",
}

# Cities: (name, region name, country code).
CITIES: tuple[tuple[str, str, str], ...] = (
    ("Austin", "Texas", "US"),
    ("Houston", "Texas", "US"),
    ("Dallas", "Texas", "US"),
    ("San Antonio", "Texas", "US"),
    ("New York", "New York", "US"),
    ("Buffalo", "New York", "US"),
    ("Los Angeles", "California", "US"),
    ("San Francisco", "California", "US"),
    ("San Diego", "California", "US"),
    ("San Jose", "California", "US"),
    ("Chicago", "Illinois", "US"),
    ("Miami", "Florida", "US"),
    ("Orlando", "Florida", "US"),
    ("Seattle", "Washington", "US"),
    ("Portland", "Oregon", "US"),
    ("Portland", "Maine", "US"),
    ("Boston", "Massachusetts", "US"),
    ("Denver", "Colorado", "US"),
    ("Atlanta", "Georgia", "US"),
    ("Phoenix", "Arizona", "US"),
    ("Philadelphia", "Pennsylvania", "US"),
    ("Washington", "District of Columbia", "US"),
    ("Nashville", "Tennessee", "US"),
    ("Toronto", "Ontario", "CA"),
    ("Vancouver", "British Columbia", "CA"),
    ("Montreal", "Quebec", "CA"),
    ("Mexico City", "Ciudad de México", "MX"),
    ("São Paulo", "São Paulo", "BR"),
    ("Buenos Aires", "Buenos Aires", "AR"),
    ("London", "England", "GB"),
    ("Manchester", "England", "GB"),
    ("Edinburgh", "Scotland", "GB"),
    ("Dublin", "Dublin", "IE"),
    ("Paris", "Île-de-France", "FR"),
    ("Berlin", "Berlin", "DE"),
    ("Munich", "Bavaria", "DE"),
    ("Madrid", "Community of Madrid", "ES"),
    ("Barcelona", "Catalonia", "ES"),
    ("Rome", "Lazio", "IT"),
    ("Amsterdam", "North Holland", "NL"),
    ("Stockholm", "Stockholm County", "SE"),
    ("Lagos", "Lagos", "NG"),
    ("Nairobi", "Nairobi", "KE"),
    ("Mumbai", "Maharashtra", "IN"),
    ("Delhi", "Delhi", "IN"),
    ("Singapore", "Singapore", "SG"),
    ("Tokyo", "Tokyo", "JP"),
    ("Seoul", "Seoul", "KR"),
    ("Sydney", "New South Wales", "AU"),
    ("Melbourne", "Victoria", "AU"),
    ("Auckland", "Auckland", "NZ"),
)
# Postal codes: (country code, code, place).
ZIPS: tuple[tuple[str, str, str], ...] = (
    ("US", "78701", "Austin"),
    ("US", "78756", "Austin"),
    ("US", "10001", "New York"),
    ("US", "10013", "New York"),
    ("US", "90210", "Beverly Hills"),
    ("US", "94103", "San Francisco"),
    ("US", "60601", "Chicago"),
    ("US", "33101", "Miami"),
    ("US", "98101", "Seattle"),
    ("US", "02108", "Boston"),
    ("CA", "M5V", "Toronto"),
    ("GB", "SW1A", "London"),
    ("DE", "10115", "Berlin"),
    ("FR", "75001", "Paris"),
    ("AU", "2000", "Sydney"),
)
# Metro areas: Nielsen DMA code and name (US).
METRO_AREAS: tuple[tuple[str, str], ...] = (
    ("501", "New York"),
    ("803", "Los Angeles"),
    ("602", "Chicago"),
    ("504", "Philadelphia"),
    ("623", "Dallas-Ft. Worth"),
    ("807", "San Francisco-Oakland-San Jose"),
    ("506", "Boston (Manchester)"),
    ("511", "Washington, DC (Hagerstown)"),
    ("524", "Atlanta"),
    ("618", "Houston"),
    ("819", "Seattle-Tacoma"),
    ("635", "Austin"),
)
# Boroughs and districts of a city (`subcity`) and neighborhoods: (name, city, region,
# country code).
SUBCITIES: tuple[tuple[str, str, str, str], ...] = (
    ("Manhattan", "New York", "New York", "US"),
    ("Brooklyn", "New York", "New York", "US"),
    ("Queens", "New York", "New York", "US"),
    ("The Bronx", "New York", "New York", "US"),
    ("Staten Island", "New York", "New York", "US"),
    ("Westminster", "London", "England", "GB"),
    ("Camden", "London", "England", "GB"),
)
NEIGHBORHOODS: tuple[tuple[str, str, str, str], ...] = (
    ("SoHo", "New York", "New York", "US"),
    ("Williamsburg", "New York", "New York", "US"),
    ("Harlem", "New York", "New York", "US"),
    ("Mission District", "San Francisco", "California", "US"),
    ("Hollywood", "Los Angeles", "California", "US"),
    ("South Congress", "Austin", "Texas", "US"),
    ("Wicker Park", "Chicago", "Illinois", "US"),
    ("Shoreditch", "London", "England", "GB"),
    ("Kreuzberg", "Berlin", "Berlin", "DE"),
    ("Le Marais", "Paris", "Île-de-France", "FR"),
    ("Shibuya", "Tokyo", "Tokyo", "JP"),
)


@dataclass(frozen=True)
class _Entry:
    """One option and the texts a query is matched against (lower case)."""

    option: TargetingOption
    name: str
    codes: tuple[str, ...] = ()
    country: str | None = None
    location_type: LocationType | None = None
    approved: bool = False


def _detailed_id(kind: TargetingOptionType, name: str) -> str:
    return "6003" + stable_digits(9, "taxonomy", kind, name)


def _place_key(location_type: LocationType, *parts: str) -> str:
    return stable_digits(7, "taxonomy", location_type, *parts).lstrip("0") or "0"


# The audience model's section for each kind (`Targeting.interests`, `.behaviors`,
# `.demographic_ids`).
def _alone(kind: TargetingOptionType, option_id: str) -> Targeting:
    if kind == "interests":
        return Targeting(interests=(option_id,))
    if kind == "behaviors":
        return Targeting(behaviors=(option_id,))
    return Targeting(demographic_ids=(option_id,))


def _detailed(kind: TargetingOptionType, name: str, platform: str) -> DetailedTargetingOption:
    option_id = _detailed_id(kind, name)
    lower, upper = audience.reach_estimate(_alone(kind, option_id), platform)
    return DetailedTargetingOption(
        type=kind,
        id=option_id,
        name=name,
        description=DESCRIPTIONS[kind].format(name=name),
        audience_size_lower_bound=lower,
        audience_size_upper_bound=upper,
    )


@cache
def _taxonomy(platform: str) -> dict[TargetingOptionType, tuple[_Entry, ...]]:
    """Every option of every kind, in a fixed order (built once per platform)."""
    entries: dict[TargetingOptionType, tuple[_Entry, ...]] = {
        "interests": tuple(
            _Entry(_detailed("interests", name, platform), name.lower(), approved=approved)
            for name, approved in INTERESTS
        ),
        "behaviors": tuple(
            _Entry(_detailed("behaviors", name, platform), name.lower()) for name in BEHAVIORS
        ),
    }
    for kind, names in DEMOGRAPHICS.items():
        entries[kind] = tuple(
            _Entry(_detailed(kind, name, platform), name.lower()) for name in names
        )
    entries["languages"] = tuple(
        _Entry(LanguageOption(code=code, name=name), name.lower(), codes=(code,))
        for code, name in LANGUAGE_NAMES.items()
    )
    entries["locations"] = tuple(_locations())
    return entries


def _locations() -> Iterable[_Entry]:
    for code, name in COUNTRY_NAMES.items():
        yield _place(code, name, "country", code, code=code)
    for code, name in US_STATE_NAMES.items():
        yield _place(_place_key("region", code), name, "region", "US", code=code)
    for name, region, country in CITIES:
        key = _place_key("city", country, region, name)
        yield _place(key, name, "city", country, region=region)
    for country, postal, place in ZIPS:
        key = f"{country}:{postal}"
        yield _place(key, postal, "zip", country, region=place, codes=(key,))
    for dma, name in METRO_AREAS:
        yield _place(f"DMA:{dma}", name, "medium_geo_area", "US")
    finer: tuple[tuple[LocationType, tuple[tuple[str, str, str, str], ...]], ...] = (
        ("subcity", SUBCITIES),
        ("neighborhood", NEIGHBORHOODS),
    )
    for kind, places in finer:
        for name, city, region, country in places:
            key = _place_key(kind, country, city, name)
            yield _place(key, f"{name}, {city}", kind, country, region=region)


def _place(
    key: str,
    name: str,
    location_type: LocationType,
    country: str,
    *,
    code: str | None = None,
    region: str | None = None,
    codes: tuple[str, ...] = (),
) -> _Entry:
    """A place; a query matches its name, or exactly its `code` or `codes` (zip keys)."""
    option = LocationOption(
        key=key,
        name=name,
        location_type=location_type,
        code=code,
        country_code=country,
        country_name=COUNTRY_NAMES[country],
        region=region,
    )
    return _Entry(
        option,
        name.lower(),
        codes=tuple(value.lower() for value in (*codes, *([code] if code else []))),
        country=country,
        location_type=location_type,
    )


def _rank(entry: _Entry, query: str) -> int | None:
    """0 an exact name or code, 1 a name starting with the query, 2 a name holding it;
    None: no match."""
    if query == entry.name or query in entry.codes:
        return 0
    if entry.name.startswith(query):
        return 1
    if query in entry.name:
        return 2
    return None


def search(search: TargetingSearch, platform: str) -> list[TargetingOption]:
    """The options `search` finds, by type in its order; see `TargetingSearch`."""
    query = search.query.strip().lower()
    restricted = bool(RESTRICTED_CATEGORIES.intersection(search.special_ad_categories))
    taxonomy = _taxonomy(platform)
    found: list[TargetingOption] = []
    for kind in dict.fromkeys(search.types):
        if restricted and kind in DETAILED_KINDS and kind != "interests":
            continue  # restricted campaigns can launch with approved interests only
        entries: Sequence[_Entry] = taxonomy[kind]
        if restricted and kind == "interests":
            entries = [entry for entry in entries if entry.approved]
        elif not query and kind not in BROWSABLE:
            continue
        if kind == "locations":
            entries = [entry for entry in entries if _place_matches(entry, search)]
        if query:
            ranked = [
                (rank, entry) for entry in entries if (rank := _rank(entry, query)) is not None
            ]
            ranked.sort(key=lambda pair: (pair[0], pair[1].name, _option_key(pair[1].option)))
            entries = [entry for _, entry in ranked]
        found.extend(entry.option for entry in entries[: search.limit])
    return found


def _place_matches(entry: _Entry, search: TargetingSearch) -> bool:
    if search.location_types and entry.location_type not in search.location_types:
        return False
    return search.country is None or entry.country == search.country


def _option_key(option: TargetingOption) -> str:
    if isinstance(option, DetailedTargetingOption):
        return option.id
    if isinstance(option, LanguageOption):
        return option.code
    return option.key
