"""The ad group and ad state machines, row by row, through the HTTP API.

Statuses the API cannot reach on demand (rejected, in_review, duplicating) are written
directly before the action is tried.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.campaigns.state_machine import AD, AD_GROUP, DELETED, SAME, Lifecycle, Refusal
from adline.core.db import create_sessionmaker
from tests.helpers import assert_error
from tests.hierarchy.builders import build_tree

CASES = [
    (lifecycle, status, action)
    for lifecycle in (AD_GROUP, AD)
    for (status, action) in lifecycle.transitions
]
REQUESTS = {
    "pause": ("POST", "{path}/pause"),
    "unpause": ("POST", "{path}/unpause"),
    "delete": ("DELETE", "{path}"),
}


@pytest.mark.parametrize(
    ("lifecycle", "status", "action"), CASES, ids=[f"{lc.noun}-{s}-{a}" for lc, s, a in CASES]
)
async def test_transition(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
    lifecycle: Lifecycle,
    status: str,
    action: str,
) -> None:
    tree = await build_tree(client)
    model, row, path = (
        (AdGroup, tree.group, f"/ad_groups/{tree.group['id']}")
        if lifecycle is AD_GROUP
        else (Ad, tree.ad, f"/ads/{tree.ad['id']}")
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(update(model).where(model.id == row["id"]).values(status=status))
    before = (await client.get(path)).json()
    clock.advance(timedelta(minutes=1))
    method, template = REQUESTS[action]
    response = await client.request(method, template.format(path=path))
    outcome = lifecycle.transitions[(status, action)]  # type: ignore[index]
    after = await client.get(path)
    if isinstance(outcome, Refusal):
        assert_error(response, 409, "invalid_state", None)
        assert after.json() == before
    elif outcome == DELETED:
        assert response.json() == {"id": row["id"], "deleted": True}
        assert_error(after, 404, "resource_not_found", "id")
    elif outcome == SAME:
        assert response.status_code == 200
        assert response.json()["updated_at"] == before["updated_at"]
        assert after.json()["status"] == status
    else:
        assert response.status_code == 200, response.text
        assert after.json()["status"] == outcome
        assert after.json()["updated_at"] == "2026-03-02T09:01:00.000000Z"
