"""whop-sdk 2.6.0's own `client.ad_pixels` drives all five operations, typed models in and
out, against the tests' app (in process)."""

from __future__ import annotations

import pytest
from whop_sdk import AsyncWhop, ConflictError, NotFoundError

from tests.conftest import Tenant
from tests.pixels.test_pixels import GOOD_TOKEN, REVOKED_TOKEN, pixel_id_on_meta


async def test_the_client_drives_every_operation(whop: AsyncWhop, tenant: Tenant) -> None:
    pixels = whop.ad_pixels
    external_id = pixel_id_on_meta()
    created = await pixels.create(
        access_token=REVOKED_TOKEN,
        account_id=tenant.company_id,
        external_id=external_id,
        platform="meta",
    )
    assert created.id.startswith("adpx_")
    assert (created.status, created.account_id) == ("errored", tenant.company_id)
    assert created.error_message

    with pytest.raises(ConflictError):
        await pixels.create(
            access_token=GOOD_TOKEN,
            account_id=tenant.company_id,
            external_id=pixel_id_on_meta(),
            platform="meta",
        )

    assert await pixels.retrieve(created.id) == created
    listed = [pixel.id async for pixel in await pixels.list(account_id=tenant.company_id)]
    assert listed == [created.id]

    updated = await pixels.update(created.id, access_token=GOOD_TOKEN)
    assert (updated.status, updated.error_message) == ("active", None)
    assert updated.name == f"Simulated pixel {external_id}"

    deleted = await pixels.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(NotFoundError):
        await pixels.retrieve(created.id)
