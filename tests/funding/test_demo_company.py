"""`adline serve`'s demo company starts with $1,000 of demo credit and a working card."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from adline.bootstrap import DEMO_CREDIT_MICROS, create_demo_if_empty
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.funding.enforcement import working_payment_method
from tests import own_store
from tests.funding.helpers import balance, reconciled

# The demo company is made only on an empty store.
database_url, engine = own_store.database_url, own_store.engine


async def test_the_demo_company_is_funded(
    database_url: str, engine: AsyncEngine, clock: ManualClock
) -> None:
    demo = await create_demo_if_empty(Settings(database_url=database_url), clock)

    assert demo is not None
    assert DEMO_CREDIT_MICROS == 1_000_000_000
    assert await balance(engine, demo.company_id) == DEMO_CREDIT_MICROS
    async with create_sessionmaker(engine)() as session:
        card = await working_payment_method(session, demo.company_id)
    assert card is not None and card.last4 == "4242"
    assert await reconciled(engine, demo.company_id) == []
