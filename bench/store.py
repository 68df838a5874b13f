"""Set-up shared by the benchmarks: a company with a tree of launched ads, written straight
through the ORM (fast; the API's own rules are not what these scripts measure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.companies.service import create_company
from adline.core.clock import ManualClock
from adline.core.ids import new_id


@dataclass(frozen=True)
class BenchTree:
    company_id: str
    key: str  # an API key with every scope
    ads: list[Ad]  # in creation order: campaign by campaign, group by group


async def build_tree(
    sessionmaker: Any,
    clock: ManualClock,
    *,
    name: str,
    campaigns: int = 1,
    groups_per_campaign: int = 1,
    ads_per_group: int = 100,
) -> BenchTree:
    at: datetime = clock.now()
    async with sessionmaker() as session, session.begin():
        company, _ = await create_company(session, clock, name=name)
        issued = await create_api_key(
            session, clock, company_id=company.id, scopes=list(ALL_SCOPES)
        )
        ads: list[Ad] = []
        for number in range(campaigns):
            campaign = AdCampaign(
                id=new_id("adcamp"),
                company_id=company.id,
                title=f"Campaign {number}",
                status="active",
                platform="meta",
                campaign_type="standard",
                objective="sales",
                special_ad_categories=[],
                budget_optimization="ad_group",
                target_country_codes=[],
                ad_creative_set_ids=[],
                created_at=at,
                updated_at=at,
            )
            session.add(campaign)
            await session.flush()  # rows of a table without relationships: parents first
            for _ in range(groups_per_campaign):
                group = AdGroup(
                    id=new_id("adgrp"),
                    company_id=company.id,
                    ad_campaign_id=campaign.id,
                    status="active",
                    platform="meta",
                    languages=[],
                    demographics={},
                    detailed_targeting={},
                    audiences={},
                    devices={},
                    regions={},
                    created_at=at,
                    updated_at=at,
                )
                session.add(group)
                await session.flush()
                group_ads = [
                    Ad(
                        id=new_id("ad"),
                        company_id=company.id,
                        ad_campaign_id=campaign.id,
                        ad_group_id=group.id,
                        status="active",
                        platform="meta",
                        url_parameters={},
                        creatives=[],
                        primary_texts=[],
                        headlines=[],
                        descriptions=[],
                        external_accounts=[],
                        created_at=at,
                        updated_at=at,
                    )
                    for _ in range(ads_per_group)
                ]
                session.add_all(group_ads)
                ads.extend(group_ads)
        await session.flush()
        return BenchTree(company.id, issued.secret, ads)
