"""Ad pixel rules: add, read, list, replace the token, disable, remove. Services only
flush; the request owns the transaction. Callable from tests without HTTP. See
docs/pixels.md.

A pixel's status always says what the network answered about its current token: the token
is checked on every create and update (`PlatformAdapter.check_pixel_token`); accepted is
`active`, refused is `errored` with the network's reason. `disabled` is the operator's
(Whop's, in Whop's words) switch, and a new token does not lift it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, ensure_own_account
from adline.companies.models import Company
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.encryption import TokenCipher
from adline.core.errors import AdPlatformUnavailable, Conflict, Forbidden, NotFound
from adline.core.ids import is_well_formed_id, new_id
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.delivery.adapter import AdapterError, PixelCheck
from adline.delivery.registry import AdapterRegistry
from adline.pixels.models import AdPixel
from adline.pixels.schemas import PixelCreate, PixelUpdate

ID_PREFIX = "adpx"


class PixelTaken(Conflict):
    code = "pixel_already_exists"


def readable_pixels(company_id: str) -> Select[AdPixel]:
    """The company's pixels: every query starts here, so another company's are not found."""
    return select(AdPixel).where(AdPixel.company_id == company_id)


async def get_pixel(
    session: AsyncSession, company_id: str, pixel_id: str, *, for_update: bool = False
) -> AdPixel:
    """The company's pixel, or 404: the same answer for another company's and for none."""
    pixel = None
    if is_well_formed_id(pixel_id):
        statement = readable_pixels(company_id).where(AdPixel.id == pixel_id)
        if for_update:
            statement = statement.with_for_update()
        pixel = (await session.scalars(statement)).first()
    if pixel is None:
        raise NotFound(f"No ad pixel with id {pixel_id}.", param="id")
    return pixel


class PixelDisabled(Forbidden):
    code = "pixel_disabled"


async def sending_pixel(
    session: AsyncSession, pixel_id: str, company_id: str | None = None
) -> AdPixel:
    """The pixel named on `POST /events?pixel_id=`. Without a key (`company_id` None) it is
    looked up by id alone: the pixel's id is as public as the page that embeds it. With a
    key, it must be the key's company's. Unknown: 404; disabled by the operator: 403
    `pixel_disabled`. An `errored` pixel still records events: only forwarding them to the
    network waits for a new token."""
    pixel = None
    if pixel_id.startswith(f"{ID_PREFIX}_") and is_well_formed_id(pixel_id):
        pixel = await session.get(AdPixel, pixel_id)
    if pixel is None or (company_id is not None and pixel.company_id != company_id):
        raise NotFound(f"No ad pixel with id {pixel_id}.", param="pixel_id")
    if pixel.status == "disabled":
        raise PixelDisabled(
            f"Ad pixel {pixel_id} is disabled: it records no events.", param="pixel_id"
        )
    return pixel


async def check_token(
    adapters: AdapterRegistry, platform: str, external_id: str, access_token: str
) -> PixelCheck:
    try:
        return await adapters.adapter(platform).check_pixel_token(external_id, access_token)
    except AdapterError as error:
        raise AdPlatformUnavailable(
            f"The ad platform could not check the access token: {error}. Try again later."
        ) from error


def _apply_check(pixel: AdPixel, check: PixelCheck) -> None:
    if pixel.status != "disabled":
        pixel.status = "active" if check.accepted else "errored"
    pixel.error_message = None if check.accepted else check.error_message
    if check.accepted:
        pixel.name = check.name


async def create_pixel(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    adapters: AdapterRegistry,
    cipher: TokenCipher,
    body: PixelCreate,
) -> AdPixel:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    # Serialise pixel writes per company: two creates cannot both pass the check below.
    await lock_row(session, Company.name, company_id)
    if (await session.scalars(readable_pixels(company_id).limit(1))).first() is not None:
        raise PixelTaken(
            f"Account {company_id} already has a pixel; each business takes one. "
            "Update its access token or delete it first.",
            param="account_id",
        )
    check = await check_token(adapters, body.platform, body.external_id, body.access_token)
    now = clock.now()
    pixel = AdPixel(
        id=new_id(ID_PREFIX),
        company_id=company_id,
        platform=body.platform,
        external_id=body.external_id,
        name=None,
        status="active",
        error_message=None,
        access_token_sealed=cipher.seal(body.access_token),
        created_at=now,
        updated_at=now,
    )
    _apply_check(pixel, check)
    try:
        # A savepoint: a pixel another company added meanwhile fails only this insert.
        async with session.begin_nested():
            session.add(pixel)
            await session.flush()
    except IntegrityError as error:
        raise PixelTaken(
            f"The {body.platform} pixel {body.external_id} already serves another business; "
            "each pixel serves one.",
            param="external_id",
        ) from error
    return pixel


async def update_pixel(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    adapters: AdapterRegistry,
    cipher: TokenCipher,
    pixel_id: str,
    body: PixelUpdate,
) -> AdPixel:
    """Replace the token. The new one is checked first: accepted resumes an `errored`
    pixel, refused makes it `errored` with the network's reason."""
    pixel = await get_pixel(session, principal.company_id, pixel_id, for_update=True)
    check = await check_token(adapters, pixel.platform, pixel.external_id, body.access_token)
    pixel.access_token_sealed = cipher.seal(body.access_token)
    _apply_check(pixel, check)
    pixel.updated_at = clock.now()
    await session.flush()
    return pixel


async def set_disabled(
    session: AsyncSession, clock: Clock, company_id: str, pixel_id: str, disabled: bool
) -> AdPixel:
    """The operator's switch (`adline pixels disable|enable`): a disabled pixel is sent
    nothing whatever its token; enabling it goes back to what its token's last check said
    (`errored` when the network refused it, else `active`)."""
    pixel = await get_pixel(session, company_id, pixel_id, for_update=True)
    if disabled:
        pixel.status = "disabled"
    else:
        pixel.status = "errored" if pixel.error_message is not None else "active"
    pixel.updated_at = clock.now()
    await session.flush()
    return pixel


async def delete_pixel(session: AsyncSession, principal: Principal, pixel_id: str) -> str:
    """Remove the pixel and its token (the row goes: nothing of the token remains)."""
    pixel = await get_pixel(session, principal.company_id, pixel_id, for_update=True)
    await session.execute(delete(AdPixel).where(AdPixel.id == pixel.id))
    return pixel.id


async def list_pixels(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    page: PageRequest,
    direction: Direction,
) -> Page[AdPixel]:
    owner = ensure_own_account(principal, account_id, "account_id")
    return await paginate(
        session,
        readable_pixels(owner),
        model=AdPixel,
        order="created_at",
        direction=direction,
        page=page,
    )


def pixel_object(pixel: AdPixel) -> dict[str, Any]:
    """The API shape: everything but the token."""
    return {
        "id": pixel.id,
        "account_id": pixel.company_id,
        "platform": pixel.platform,
        "external_id": pixel.external_id,
        "name": pixel.name,
        "status": pixel.status,
        "error_message": pixel.error_message,
        "created_at": format_timestamp(pixel.created_at),
        "updated_at": format_timestamp(pixel.updated_at),
    }


def access_token(pixel: AdPixel, cipher: TokenCipher) -> str:
    """The pixel's token in the clear, for the code that sends the pixel events; never for
    an answer or a log."""
    return cipher.open(pixel.access_token_sealed)
