"""Whatever JSON a client sends to the spend cap endpoints, the answer is a 200 or the
API's own 4xx error envelope, never a crash (and a refused body creates nothing)."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.db import create_sessionmaker
from adline.spend_caps.models import SpendCap
from tests.helpers import assert_error
from tests.hierarchy.builders import ok
from tests.spend_caps.payloads import cap_body

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["USD", "DAILY", "WEEKLY", "TOTAL", "ACTIVE", "DEPLETED", "2026-04-01"]),
    st.sampled_from(["2026-04-01T00:00:00Z", "9223372036854775808", "0", "-1", "12.5"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = ["title", "schedule", "budget", "comment", "status", "account_id", "updated_at"]
NESTED = {
    "schedule": ["start", "end"],
    "budget": ["period", "amount"],
    "amount": ["currency", "amount_micro"],
}


@st.composite
def mutated_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with a few values (at any depth) replaced, dropped or added."""
    body: dict[str, Any] = cap_body()
    for _ in range(draw(st.integers(1, 3))):
        target = body
        key = draw(st.sampled_from(KEYS))
        if key in NESTED and isinstance(target.get(key), dict) and draw(st.booleans()):
            target = target[key]
            key = draw(st.sampled_from(NESTED[key] if key != "budget" else ["period", "amount"]))
            if key == "amount" and isinstance(target.get(key), dict) and draw(st.booleans()):
                target = target[key]
                key = draw(st.sampled_from(NESTED["amount"]))
        action = draw(st.sampled_from(["replace", "drop"]))
        if action == "drop":
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    return body


def _well_formed(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        error = response.json()["error"]
        assert error["type"] and error["message"]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=mutated_bodies())
async def test_any_create_body_answers_200_or_a_clean_error(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Any, body: dict[str, Any]
) -> None:
    before = await _count(engine, tenant.company_id)
    response = await client.post("/spend_caps", json=body)
    _well_formed(response)
    after = await _count(engine, tenant.company_id)
    assert after == before + (1 if response.status_code == 200 else 0)


async def _count(engine: AsyncEngine, company_id: str) -> int:
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(
            select(func.count()).select_from(SpendCap).where(SpendCap.company_id == company_id)
        )
    return int(count or 0)


CAPS: dict[str, dict[str, Any]] = {}


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=mutated_bodies(), wrap=st.booleans())
async def test_any_update_body_answers_200_or_a_clean_error_and_changes_nothing_when_refused(
    client: httpx.AsyncClient, tenant: Any, changes: dict[str, Any], wrap: bool
) -> None:
    if tenant.company_id not in CAPS:
        CAPS[tenant.company_id] = (await ok(await client.post("/spend_caps", json=cap_body())))[
            "spend_cap"
        ]
    cap_id = CAPS[tenant.company_id]["id"]
    current = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
    changes.pop("account_id", None)
    changes.setdefault("updated_at", current["updated_at"])
    response = await client.patch(
        f"/spend_caps/{cap_id}", json={"spend_cap": changes} if wrap else changes
    )
    _well_formed(response)
    after = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
    if response.status_code != 200:
        assert after == current
    if not wrap:
        assert_error(
            response, 400, response.json()["error"]["code"], response.json()["error"]["param"]
        )


query_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["ACTIVE", "DEPLETED,ENDED", "2026-03-01", "2026-02-30", "0", "101", "-1"]),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["status", "first", "last", "after", "before", "direction", "from", "to"]),
        query_values,
        max_size=4,
    ),
    accept=st.sampled_from(["application/json", "text/csv", "*/*", "text/csv;q=0.1, */*", ""]),
)
async def test_any_query_answers_200_or_a_clean_error(
    client: httpx.AsyncClient, tenant: Any, params: dict[str, str], accept: str
) -> None:
    if tenant.company_id not in CAPS:
        CAPS[tenant.company_id] = (await ok(await client.post("/spend_caps", json=cap_body())))[
            "spend_cap"
        ]
    cap_id = CAPS[tenant.company_id]["id"]
    _well_formed(await client.get("/spend_caps", params=params))
    response = await client.get(
        f"/spend_caps/{cap_id}/daily_summary", params=params, headers={"Accept": accept}
    )
    assert response.status_code < 500, response.text
