"""MoneyMicro (seed 004): `amount_micro` is a non-negative int64 carried as a JSON string
of ASCII digits; `currency` an uppercase ISO 4217 code. Anything else is a 400 naming the
field, and nothing is created or changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from adline.core.money import INT64_MAX, parse_amount_micro
from tests.helpers import assert_error
from tests.spend_caps.payloads import cap_body

BAD_AMOUNTS: list[Any] = [
    "12.5",
    "-1",
    12,  # a JSON number, not a string
    0,
    12.0,
    "",
    " 1",
    "1 ",
    "+1",
    "1e6",
    "0x10",
    "1_000",
    "1,000",
    "٣",  # ARABIC-INDIC DIGIT THREE: a digit, but not ASCII
    "\uff11",  # FULLWIDTH DIGIT ONE
    "²",  # SUPERSCRIPT TWO: isdigit() but no decimal
    "01",
    "00",
    True,
    False,
    None,
    [],
    {},
    ["1"],
    str(INT64_MAX + 1),  # "9223372036854775808"
    "99999999999999999999999999",
    "NaN",
    "Infinity",
]


async def caps(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/spend_caps")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["spend_caps"]
    return listed


class TestCreate:
    @pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
    async def test_a_bad_amount_micro(self, client: httpx.AsyncClient, amount: Any) -> None:
        response = await client.post("/spend_caps", json=cap_body(amount_micro=amount))
        error = assert_error(response, 400, "parameter_invalid", "budget.amount.amount_micro")
        assert "budget.amount.amount_micro" in error["message"]
        assert await caps(client) == []

    async def test_a_missing_amount_micro(self, client: httpx.AsyncClient) -> None:
        body = cap_body()
        del body["budget"]["amount"]["amount_micro"]
        response = await client.post("/spend_caps", json=body)
        assert_error(response, 400, "parameter_missing", "budget.amount.amount_micro")
        assert await caps(client) == []

    @pytest.mark.parametrize("amount", [str(INT64_MAX), "0", "1", "50000000000"])
    async def test_a_good_amount_micro(self, client: httpx.AsyncClient, amount: str) -> None:
        response = await client.post("/spend_caps", json=cap_body(amount_micro=amount))
        assert response.status_code == 200, response.text
        cap = response.json()["spend_cap"]
        assert cap["budget"]["amount"] == {"currency": "USD", "amount_micro": amount}
        assert cap["remaining"] == {"currency": "USD", "amount_micro": amount}
        assert cap["applied_ad_spending"] == {"currency": "USD", "amount_micro": "0"}
        # Zero is a cap that allows nothing: depleted from the start.
        assert cap["status"] == ("DEPLETED" if amount == "0" else "ACTIVE")
        read = await client.get(f"/spend_caps/{cap['id']}")
        assert read.json()["spend_cap"] == cap

    @pytest.mark.parametrize("currency", ["XYZ", "usd", "Usd", "US", "USDD", "", " USD", 840, None])
    async def test_a_bad_currency(self, client: httpx.AsyncClient, currency: Any) -> None:
        response = await client.post("/spend_caps", json=cap_body(currency=currency))
        assert_error(response, 400, "parameter_invalid", "budget.amount.currency")
        assert await caps(client) == []

    @pytest.mark.parametrize("currency", ["EUR", "JPY", "GBP"])
    async def test_other_currencies(self, client: httpx.AsyncClient, currency: str) -> None:
        response = await client.post("/spend_caps", json=cap_body(currency=currency))
        assert response.status_code == 200, response.text
        cap = response.json()["spend_cap"]
        for money in (cap["budget"]["amount"], cap["applied_ad_spending"], cap["remaining"]):
            assert money["currency"] == currency


class TestUpdate:
    @pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
    async def test_a_bad_amount_micro(self, client: httpx.AsyncClient, amount: Any) -> None:
        created = (await client.post("/spend_caps", json=cap_body())).json()["spend_cap"]
        body = {
            "spend_cap": {
                "updated_at": created["updated_at"],
                "title": "Not applied",
                "budget": {"amount": {"currency": "USD", "amount_micro": amount}},
            }
        }
        response = await client.patch(f"/spend_caps/{created['id']}", json=body)
        assert_error(response, 400, "parameter_invalid", "spend_cap.budget.amount.amount_micro")
        assert await caps(client) == [created]

    @pytest.mark.parametrize("currency", ["XYZ", "usd"])
    async def test_a_bad_currency(self, client: httpx.AsyncClient, currency: str) -> None:
        created = (await client.post("/spend_caps", json=cap_body())).json()["spend_cap"]
        body = {
            "spend_cap": {
                "updated_at": created["updated_at"],
                "budget": {"amount": {"currency": currency, "amount_micro": "1"}},
            }
        }
        response = await client.patch(f"/spend_caps/{created['id']}", json=body)
        assert_error(response, 400, "parameter_invalid", "spend_cap.budget.amount.currency")
        assert await caps(client) == [created]

    async def test_the_largest_amount(self, client: httpx.AsyncClient) -> None:
        created = (await client.post("/spend_caps", json=cap_body())).json()["spend_cap"]
        body = {
            "spend_cap": {
                "updated_at": created["updated_at"],
                "budget": {"amount": {"currency": "USD", "amount_micro": str(INT64_MAX)}},
            }
        }
        response = await client.patch(f"/spend_caps/{created['id']}", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["spend_cap"]["remaining"]["amount_micro"] == str(INT64_MAX)


class TestParseAmountMicro:
    @given(st.integers(min_value=0, max_value=INT64_MAX))
    @example(0)
    @example(INT64_MAX)
    def test_accepts_every_canonical_int64_and_round_trips(self, amount: int) -> None:
        text = str(amount)
        parsed = parse_amount_micro(text)
        assert parsed == amount
        assert str(parsed) == text

    @given(st.text(max_size=25))
    @example("")
    @example("01")
    @example("-0")
    @example(str(INT64_MAX + 1))
    @example("٣")
    @example("1_0")
    def test_accepts_exactly_the_canonical_strings(self, text: str) -> None:
        canonical = (
            text.isascii() and text.isdigit() and str(int(text)) == text and int(text) <= INT64_MAX
        )
        if canonical:
            assert str(parse_amount_micro(text)) == text
        else:
            with pytest.raises(ValueError):
                parse_amount_micro(text)

    @given(st.from_regex(r"\A-?0*[0-9]{1,21}\Z"))
    def test_digit_strings_near_the_edges(self, text: str) -> None:
        """Mostly digits: leading zeros, a sign, and lengths around int64's 19 digits."""
        canonical = not text.startswith("-") and str(int(text)) == text and int(text) <= INT64_MAX
        if canonical:
            assert parse_amount_micro(text) == int(text)
        else:
            with pytest.raises(ValueError):
                parse_amount_micro(text)

    @given(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.binary(max_size=4),
            st.lists(st.text(max_size=2), max_size=2),
        )
    )
    def test_refuses_everything_but_a_string(self, value: object) -> None:
        with pytest.raises(ValueError):
            parse_amount_micro(value)
