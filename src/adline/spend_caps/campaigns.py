"""Seed 004's campaign form: `{"campaign": {...}}` naming the spend cap (`spend_cap_id`)
and the kind of ads (`ad_type`), at `POST /campaigns`; `GET /campaigns/{id}` reads a
campaign back in the same form. The same in every API version, as spend caps are.

The campaign is an ordinary one, the same that `/ad_campaigns` shows in each version; this
is only another way in. The inner object is the newest create body (the fields of
`POST /ad_campaigns` at the newest version) plus `ad_type`; `objective` and `platform` may be
left out, since the seed's example names neither.

`ad_type`: Adline's ads each promote one product, behind one link, which is what seed 004's
platform calls an `ITEM` ad; Adline serves no other kind. So `ad_type` is `ITEM` for every
campaign: checked on the way in, answered on the way out, and nothing to store.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal
from adline.campaigns import service as campaigns
from adline.campaigns.models import AdCampaign
from adline.campaigns.schemas import AdCampaignObject, CampaignCreate, Objective, Platform
from adline.core.clock import Clock
from adline.core.errors import AdlineError
from adline.core.schemas import RequestModel
from adline.metrics.window import LIFETIME

AdType = Literal["ITEM"]
AD_TYPE: AdType = "ITEM"
# Where the campaign sits in seed 004's bodies: errors name its fields under it.
WRAPPER = "campaign"


def _ad_type(value: str) -> str:
    if value != AD_TYPE:
        raise ValueError(
            "Adline serves ITEM campaigns only (each ad promotes one product); "
            "no other ad type exists here"
        )
    return value


class CampaignFields(CampaignCreate):
    """The newest create body and `ad_type`; the objective defaults to `sales` (item ads
    sell) and the platform to `meta`."""

    objective: Objective = "sales"
    platform: Platform = "meta"
    ad_type: Annotated[str, AfterValidator(_ad_type)] = AD_TYPE


class WrappedCampaignCreate(RequestModel):
    campaign: CampaignFields


class ItemCampaignObject(AdCampaignObject):
    """The newest AdCampaign, and its `ad_type`."""

    ad_type: AdType


class CampaignEnvelope(BaseModel):
    campaign: ItemCampaignObject


def _under_wrapper(error: AdlineError) -> None:
    """Name the field the error is about as it sits in the body: `campaign.<field>`."""
    if error.param is None:
        return
    field = error.param
    error.param = f"{WRAPPER}.{field}"
    pattern = re.compile(r"(?<![\w.])" + re.escape(field) + r"(?![\w])")
    error.message = pattern.sub(error.param, error.message, count=1)


async def create_campaign(
    session: AsyncSession, clock: Clock, principal: Principal, fields: CampaignFields
) -> AdCampaign:
    """The campaign, created as `POST /ad_campaigns` creates it (a draft; under the cap
    `spend_cap_id` names, checked as there)."""
    try:
        return await campaigns.create_campaign(session, clock, principal, fields)
    except AdlineError as error:
        _under_wrapper(error)
        raise


async def read_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str, now: datetime
) -> dict[str, Any]:
    """`{"campaign": {...}}`: the newest campaign (lifetime stats) with its `ad_type`."""
    body = await campaigns.read_campaign(session, principal, campaign_id, LIFETIME, now)
    return {WRAPPER: {**body, "ad_type": AD_TYPE}}
