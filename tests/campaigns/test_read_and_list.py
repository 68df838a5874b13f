from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.campaigns.payloads import abo_campaign
from tests.helpers import assert_error


async def create_titled(client: httpx.AsyncClient, title: str, **extra: object) -> dict:
    response = await client.post("/ad_campaigns", json=abo_campaign(title=title, **extra))
    assert response.status_code == 200, response.text
    return response.json()


class TestRetrieve:
    async def test_retrieve_returns_what_create_returned(self, client: httpx.AsyncClient) -> None:
        created = await create_titled(client, "One")
        response = await client.get(f"/ad_campaigns/{created['id']}")
        assert response.status_code == 200
        assert response.json() == created

    async def test_unknown_id_is_404(self, client: httpx.AsyncClient) -> None:
        assert_error(
            await client.get("/ad_campaigns/adcamp_doesnotexist00"), 404, "resource_not_found", "id"
        )

    async def test_stats_window_parameters_are_validated(self, client: httpx.AsyncClient) -> None:
        campaign = await create_titled(client, "Windowed")
        url = f"/ad_campaigns/{campaign['id']}"
        ok = await client.get(
            url,
            params={
                "stats_from": "2026-03-01",
                "stats_to": "2026-03-02",
                "time_zone": "Europe/Paris",
            },
        )
        assert ok.status_code == 200
        assert_error(
            await client.get(url, params={"time_zone": "Mars/Olympus"}),
            400,
            "parameter_invalid",
            "time_zone",
        )
        assert_error(
            await client.get(url, params={"stats_from": "yesterday"}),
            400,
            "parameter_invalid",
            "stats_from",
        )
        assert_error(
            await client.get(url, params={"stats_from": "2026-03-05", "stats_to": "2026-03-01"}),
            400,
            "parameter_invalid",
            "stats_to",
        )
        assert_error(
            await client.get(url, params={"attribution_model": "linear"}),
            400,
            "parameter_invalid",
            "attribution_model",
        )


class TestList:
    async def test_newest_first_by_default(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        ids = []
        for title in ("a", "b", "c"):
            ids.append((await create_titled(client, title))["id"])
            clock.advance(timedelta(seconds=1))
        body = (await client.get("/ad_campaigns")).json()
        assert [c["id"] for c in body["data"]] == ids[::-1]
        assert body["page_info"] == {
            "end_cursor": body["page_info"]["end_cursor"],
            "start_cursor": body["page_info"]["start_cursor"],
            "has_next_page": False,
            "has_previous_page": False,
        }
        ascending = (await client.get("/ad_campaigns", params={"direction": "asc"})).json()
        assert [c["id"] for c in ascending["data"]] == ids

    async def test_order_by_updated_at(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        first = await create_titled(client, "first")
        clock.advance(timedelta(seconds=1))
        second = await create_titled(client, "second")
        clock.advance(timedelta(seconds=1))
        await client.patch(f"/ad_campaigns/{first['id']}", json={"title": "first, edited"})
        body = (await client.get("/ad_campaigns", params={"order": "updated_at"})).json()
        assert [c["id"] for c in body["data"]] == [first["id"], second["id"]]

    async def test_filters(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        early = await create_titled(client, "Black Friday sale")
        clock.advance(timedelta(hours=1))
        late = await create_titled(client, "Cyber Monday 100% off", campaign_type="search")

        async def ids(**params: str) -> list[str]:
            response = await client.get("/ad_campaigns", params=params)
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["data"]]

        assert await ids(query="friday") == [early["id"]]
        assert await ids(query="100%") == [late["id"]]
        assert await ids(query="Black_Friday") == []  # "_" is literal, not a wildcard
        assert await ids(query=late["id"][-6:]) == [late["id"]]
        assert await ids(status="draft") == [late["id"], early["id"]]
        assert await ids(status="active") == []
        assert await ids(campaign_type="search") == [late["id"]]
        assert await ids(created_before="2026-03-02T09:30:00Z") == [early["id"]]
        assert await ids(created_after="2026-03-02T09:30:00Z") == [late["id"]]

    @pytest.mark.parametrize(
        ("params", "param"),
        [
            ({"status": "archived"}, "status"),
            ({"order": "title"}, "order"),
            ({"direction": "up"}, "direction"),
            ({"first": "0"}, "first"),
            ({"first": "101"}, "first"),
            ({"first": "ten"}, "first"),
            ({"last": "-1"}, "last"),
            ({"first": "2", "last": "2"}, "last"),
            ({"after": "garbage"}, "after"),
            ({"before": "garbage"}, "before"),
            ({"created_before": "soon"}, "created_before"),
        ],
    )
    async def test_bad_list_parameters(
        self, client: httpx.AsyncClient, params: dict[str, str], param: str
    ) -> None:
        assert_error(
            await client.get("/ad_campaigns", params=params), 400, "parameter_invalid", param
        )

    async def test_cursor_of_another_order_is_refused(self, client: httpx.AsyncClient) -> None:
        await create_titled(client, "a")
        await create_titled(client, "b")
        cursor = (await client.get("/ad_campaigns", params={"first": 1})).json()["page_info"][
            "end_cursor"
        ]
        response = await client.get(
            "/ad_campaigns", params={"order": "updated_at", "after": cursor}
        )
        assert_error(response, 400, "parameter_invalid", "after")

    async def test_account_id_defaults_to_the_key_and_another_is_404(
        self,
        client: httpx.AsyncClient,
        tenant,
        other_tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        await create_titled(client, "mine")
        own = await client.get("/ad_campaigns", params={"account_id": tenant.company_id})
        assert len(own.json()["data"]) == 1
        assert (
            len(
                (
                    await client.get("/ad_campaigns", params={"company_id": tenant.company_id})
                ).json()["data"]
            )
            == 1
        )
        for name in ("account_id", "company_id"):
            response = await client.get("/ad_campaigns", params={name: other_tenant.company_id})
            assert_error(response, 404, "resource_not_found", name)
        # Each name is checked: the other one naming the caller does not cover for it.
        response = await client.get(
            "/ad_campaigns",
            params={"account_id": tenant.company_id, "company_id": other_tenant.company_id},
        )
        assert_error(response, 404, "resource_not_found", "company_id")


class TestPagination:
    async def _make(self, client: httpx.AsyncClient, clock, count: int) -> list[str]:  # type: ignore[no-untyped-def]
        ids = []
        for index in range(count):
            ids.append((await create_titled(client, f"c{index}"))["id"])
            clock.advance(timedelta(seconds=1))
        return ids[::-1]  # newest first, as listed

    async def test_forward_through_pages_while_rows_are_inserted(
        self,
        client: httpx.AsyncClient,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        expected = await self._make(client, clock, 7)
        seen: list[str] = []
        after = None
        pages = 0
        while True:
            params: dict[str, object] = {"first": 3}
            if after:
                params["after"] = after
            body = (await client.get("/ad_campaigns", params=params)).json()
            seen += [c["id"] for c in body["data"]]
            pages += 1
            assert body["page_info"]["has_previous_page"] == (pages > 1)
            # A campaign created between pages is newer than every cursor: it never shifts them.
            await create_titled(client, f"inserted {pages}")
            clock.advance(timedelta(seconds=1))
            if not body["page_info"]["has_next_page"]:
                break
            after = body["page_info"]["end_cursor"]
        assert seen == expected
        assert pages == 3

    async def test_backward_from_the_end(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        expected = await self._make(client, clock, 7)
        first_page = (await client.get("/ad_campaigns", params={"first": 7})).json()
        before = None
        seen: list[str] = []
        cursor_end = first_page["page_info"]["end_cursor"]
        # Start after the last row, walking back: `last` pages from the end.
        body = (await client.get("/ad_campaigns", params={"last": 3})).json()
        seen = [c["id"] for c in body["data"]] + seen
        assert seen == expected[-3:]
        assert body["page_info"]["has_previous_page"] is True
        assert body["page_info"]["has_next_page"] is False
        before = body["page_info"]["start_cursor"]
        while body["page_info"]["has_previous_page"]:
            await create_titled(client, "inserted while paging back")
            clock.advance(timedelta(seconds=1))
            body = (await client.get("/ad_campaigns", params={"last": 3, "before": before})).json()
            assert body["page_info"]["has_next_page"] is True
            seen = [c["id"] for c in body["data"]] + seen
            before = body["page_info"]["start_cursor"]
        # The backward walk ends at the rows inserted meanwhile (newest), then the original ones.
        assert seen[-7:] == expected
        assert cursor_end == first_page["page_info"]["end_cursor"]

    async def test_before_a_cursor_returns_the_rows_preceding_it(
        self,
        client: httpx.AsyncClient,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        expected = await self._make(client, clock, 5)
        page = (await client.get("/ad_campaigns", params={"first": 4})).json()
        cursor = page["page_info"]["end_cursor"]  # the 4th row
        back = (await client.get("/ad_campaigns", params={"last": 2, "before": cursor})).json()
        assert [c["id"] for c in back["data"]] == expected[1:3]
        assert back["page_info"]["has_previous_page"] is True
        assert back["page_info"]["has_next_page"] is True

    async def test_empty_list(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/ad_campaigns")).json()
        assert body == {
            "data": [],
            "page_info": {
                "end_cursor": None,
                "start_cursor": None,
                "has_next_page": False,
                "has_previous_page": False,
            },
        }
