"""Saved audiences as Meta Custom Audiences, and languages as Meta locale keys
(docs/networks-meta.md#saved-audiences, #languages): against the contract fixtures and the
fake Graph."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import httpx
import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import InvalidSpec, Targeting
from adline.networks.base import AudiencePeople, MemoryDirectory, NetworkCredentials
from adline.networks.fakes.meta import FakeMeta
from adline.networks.meta.adapter import MetaAdapter, create_meta_adapter
from adline.networks.meta.audiences import users_payload
from adline.networks.meta.client import MetaGraphClient
from adline.networks.meta.locales import locale_keys

from .conftest import NOW, PAGE_ID
from .contracts import Replay
from .specs import CAMPAIGN, META_AD_SET, META_CAMPAIGN, ad_group, campaign

Contract = Callable[..., Replay]


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


BUYERS, META_BUYERS = "adaud_buyers0000001", "23850000000000001"
# What the fixtures send: two email hashes and a phone's (normalised, then SHA-256'd).
HASHES = tuple(
    sorted((sha256("ada@example.com"), sha256("15551234567"), sha256("bob@example.com")))
)


class Audiences:
    """An `AudienceReader` over a few audiences, counting reads."""

    def __init__(self, *audiences: AudiencePeople) -> None:
        self.audiences = {audience.id: audience for audience in audiences}
        self.reads: list[str] = []

    async def __call__(self, audience_id: str) -> AudiencePeople:
        self.reads.append(audience_id)
        if audience_id not in self.audiences:
            raise InvalidSpec(f"The audience {audience_id} does not exist", "audiences")
        return self.audiences[audience_id]


@pytest.fixture
def readers() -> Audiences:
    return Audiences(AudiencePeople(BUYERS, "Buyers", HASHES))


@pytest.fixture
def with_audiences(adapter: MetaAdapter, readers: Audiences) -> MetaAdapter:
    adapter.audiences.reader = readers
    return adapter


class TestCustomAudiences:
    async def test_created_and_filled_once_then_recorded(
        self, contract: Contract, with_audiences: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("custom_audience_create")
        assert await with_audiences.audiences.network_id(BUYERS) == META_BUYERS
        assert await directory.network_id("audience", BUYERS) == META_BUYERS
        assert await directory.network_id("audience_rows", BUYERS) == f"{META_BUYERS}:3"
        # Asked again (another ad set naming it): nothing is sent, so no request is made.
        assert await with_audiences.audiences.network_id(BUYERS) == META_BUYERS

    async def test_one_created_before_a_crash_is_found_and_filled_not_made_again(
        self, contract: Contract, with_audiences: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("custom_audience_found_after_crash")
        assert await with_audiences.audiences.network_id(BUYERS) == META_BUYERS
        assert await directory.network_id("audience", BUYERS) == META_BUYERS

    async def test_the_ad_set_targets_it_and_the_languages_by_metas_ids(
        self, contract: Contract, with_audiences: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("account_read", "ad_set_create_audience_locales")
        group = ad_group()
        targeting = Targeting(
            include=group.targeting.include,
            minimum_age=18,
            maximum_age=65,
            gender="female",
            placements=group.targeting.placements,
            languages=("en",),
            audiences_include=(BUYERS,),
        )
        spec = ad_group(targeting=targeting)
        result = await with_audiences.upsert_ad_group(spec, idempotency_key="k1")
        assert result.network_id == META_AD_SET

    async def test_without_a_reader_only_recorded_audiences_are_named(
        self, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        with pytest.raises(InvalidSpec, match=BUYERS) as raised:
            await adapter.audiences.network_id(BUYERS)
        assert raised.value.param == "audiences"
        await directory.remember("audience", BUYERS, META_BUYERS)
        assert await adapter.audiences.network_id(BUYERS) == META_BUYERS

    async def test_a_reach_estimate_uploads_nothing(
        self, with_audiences: MetaAdapter, readers: Audiences
    ) -> None:
        # No fixture: any request would fail the test. Not on the account: not estimated.
        estimate = await with_audiences.estimate_reach(Targeting(audiences_include=(BUYERS,)))
        assert estimate == (None, None)
        assert readers.reads == []

    def test_each_hash_is_sent_as_it_is_in_both_identifier_columns(self) -> None:
        assert users_payload([HASHES[0]]) == {
            "schema": ["EMAIL", "PHONE"],
            "data": [[HASHES[0], HASHES[0]]],
        }


class TestLocales:
    async def test_each_language_is_searched_once_and_its_keys_chosen(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("locale_search")
        keys = await adapter.locales.keys(("en", "pt", "ab"))
        assert keys == {"en": (1001,), "pt": (16, 31), "ab": ()}
        # Kept: asking again makes no request.
        assert await adapter.locales.keys(("pt", "en")) == {"pt": (16, 31), "en": (1001,)}

    @pytest.mark.parametrize(
        ("name", "rows", "keys"),
        [
            (
                "English",
                [(6, "English (US)"), (1001, "English (All)"), (24, "English (UK)")],
                (1001,),
            ),
            ("German", [(5, "German"), (99, "Germanic (other)")], (5,)),
            ("Portuguese", [(31, "Portuguese (Portugal)"), (16, "Portuguese (Brazil)")], (16, 31)),
            ("Tagalog", [(54, "Taglish"), (55, "Tagalog-ish")], ()),
            ("Spanish", [(1002, "Spanish (All) "), (23, "Spanish")], (1002,)),
            ("Sami", [(70, "Samoan")], ()),
        ],
    )
    def test_the_language_itself_and_never_another(
        self, name: str, rows: list[tuple[int, str]], keys: tuple[int, ...]
    ) -> None:
        answered = [{"key": key, "name": label} for key, label in rows]
        assert locale_keys(name, answered) == keys


class TestOnTheFake:
    """Custom Audiences against the fake Graph, which refuses what Meta would."""

    @pytest.fixture
    def fake(self) -> FakeMeta:
        return FakeMeta(ManualClock(NOW), access_token="EAAfake")

    def adapter_on(self, fake: FakeMeta, readers: Audiences) -> MetaAdapter:
        return create_meta_adapter(
            NetworkCredentials("meta", "act_1234", "EAAfake", page_id=PAGE_ID),
            MemoryDirectory(),
            clock=ManualClock(NOW),
            transport=httpx.ASGITransport(app=fake),
            audiences=readers,
        )

    async def test_a_long_list_goes_in_batches_of_ten_thousand(self, fake: FakeMeta) -> None:
        many = tuple(sorted(sha256(f"person{n}@example.com") for n in range(10_001)))
        adapter = self.adapter_on(fake, Audiences(AudiencePeople(BUYERS, "Buyers", many)))
        meta_id = await adapter.audiences.network_id(BUYERS)
        sent = [call for call in fake.calls if call.path == f"{meta_id}/users"]
        assert [len(json.loads(call.params["payload"])["data"]) for call in sent] == [10_000, 1]
        assert fake.audiences[meta_id].people == set(many)

    async def test_people_added_later_are_sent_and_nothing_is_made_again(
        self, fake: FakeMeta
    ) -> None:
        readers = Audiences(AudiencePeople(BUYERS, "Buyers", HASHES[:2]))
        adapter = self.adapter_on(fake, readers)
        meta_id = await adapter.audiences.network_id(BUYERS)
        readers.audiences[BUYERS] = AudiencePeople(BUYERS, "Buyers", HASHES)
        assert await adapter.audiences.network_id(BUYERS) == meta_id
        assert list(fake.audiences) == [meta_id]
        assert fake.audiences[meta_id].people == set(HASHES)

    async def test_a_lost_create_answer_makes_no_second_audience(self, fake: FakeMeta) -> None:
        adapter = self.adapter_on(fake, Audiences(AudiencePeople(BUYERS, "Buyers", HASHES)))
        fake.lose_answer("POST", "customaudiences")
        meta_id = await adapter.audiences.network_id(BUYERS)
        assert list(fake.audiences) == [meta_id]
        assert fake.audiences[meta_id].people == set(HASHES)

    async def test_an_ad_set_naming_an_unknown_audience_or_locale_is_refused(
        self, fake: FakeMeta
    ) -> None:
        adapter = self.adapter_on(fake, Audiences())
        await adapter.upsert_campaign(campaign(), idempotency_key="c")
        for targeting, param in (
            ({"custom_audiences": [{"id": "23859999999999999"}]}, "audiences"),
            ({"excluded_custom_audiences": [{"id": "23859999999999999"}]}, "audiences"),
            ({"locales": [424242]}, "languages"),
        ):
            payload = {
                "name": "x",
                "campaign_id": next(o.id for o in fake.live("campaign")),
                "billing_event": "IMPRESSIONS",
                "targeting": {"geo_locations": {"countries": ["US"]}, **targeting},
            }
            with pytest.raises(InvalidSpec) as raised:
                await adapter.client.create("act_1234/adsets", payload)
            assert raised.value.param == param

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"schema": ["EMAIL"], "data": [["ada@example.com"]]}, "SHA-256"),
            ({"schema": ["EMAIL"], "data": [[HASHES[0].upper()]]}, "SHA-256"),
            ({"schema": ["EMAIL", "PHONE"], "data": [[HASHES[0]]]}, "a value per schema key"),
            ({"schema": ["NICKNAME"], "data": [[HASHES[0]]]}, "schema"),
            ({"schema": ["EMAIL"], "data": [[HASHES[0]]] * 10_001}, "At most 10000"),
        ],
    )
    async def test_the_fake_refuses_users_meta_would_refuse(
        self, fake: FakeMeta, payload: dict[str, object], message: str
    ) -> None:
        client = MetaGraphClient(
            "https://graph.facebook.com",
            "v26.0",
            "EAAfake",
            transport=httpx.ASGITransport(app=fake),
        )
        audience = await client.create(
            "act_1234/customaudiences",
            {"name": "List", "subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"},
        )
        with pytest.raises(InvalidSpec, match=message):
            await client.post(f"{audience}/users", {"payload": payload})
        assert fake.audiences[audience].people == set()
