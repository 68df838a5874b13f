"""Conversion value rule queries. Every statement starts from `readable_rules` or names the
company, so another company's rules and items are simply not found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import CompoundSelect, Select, delete, insert, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.campaigns.models import AdCampaign
from adline.value_rules.models import (
    ConversionValueRule,
    ConversionValueRuleSelection,
    ConversionValueRuleTarget,
)

# A target's scope -> the table of its items.
ITEM_MODELS: dict[str, type[AdCampaign] | type[AdGroup] | type[Ad]] = {
    "campaign": AdCampaign,
    "ad_group": AdGroup,
    "ad": Ad,
}
# A selection: (platform, item id or "" for the business, event name, custom name or "").
Selection = tuple[str, str, str, str]


def readable_rules(company_id: str) -> Select[ConversionValueRule]:
    """The company's rules that still exist: a deleted one reads as gone."""
    return select(ConversionValueRule).where(
        ConversionValueRule.company_id == company_id, ConversionValueRule.deleted_at.is_(None)
    )


async def find_rule(
    session: AsyncSession, company_id: str, rule_id: str, *, for_update: bool = False
) -> ConversionValueRule | None:
    statement = readable_rules(company_id).where(ConversionValueRule.id == rule_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def rules_by_id(
    session: AsyncSession, company_id: str, rule_ids: Iterable[str]
) -> dict[str, ConversionValueRule]:
    wanted = sorted(set(rule_ids))
    if not wanted:
        return {}
    rows = await session.scalars(
        readable_rules(company_id).where(ConversionValueRule.id.in_(wanted))
    )
    return {rule.id: rule for rule in rows}


async def live_items(
    session: AsyncSession, company_id: str, scope: str, item_ids: Iterable[str]
) -> dict[str, tuple[str, str | None]]:
    """{id: (platform, title)} of the company's live items of one scope among `item_ids`."""
    wanted = sorted(set(item_ids))
    if not wanted:
        return {}
    model = ITEM_MODELS[scope]
    rows = await session.execute(
        select(model.id, model.platform, model.title).where(
            model.id.in_(wanted), model.company_id == company_id, model.deleted_at.is_(None)
        )
    )
    return {item_id: (platform, title) for item_id, platform, title in rows}


async def targets_of(
    session: AsyncSession, rule_ids: Sequence[str]
) -> dict[str, list[ConversionValueRuleTarget]]:
    """Each rule's targets, in the order they were sent."""
    if not rule_ids:
        return {}
    rows = await session.scalars(
        select(ConversionValueRuleTarget)
        .where(ConversionValueRuleTarget.rule_id.in_(sorted(set(rule_ids))))
        .order_by(ConversionValueRuleTarget.rule_id, ConversionValueRuleTarget.position)
    )
    found: dict[str, list[ConversionValueRuleTarget]] = defaultdict(list)
    for row in rows:
        found[row.rule_id].append(row)
    return found


async def replace_targets(
    session: AsyncSession, rule: ConversionValueRule, targets: Sequence[tuple[str, str, str | None]]
) -> None:
    """Store the rule's targets ((platform, scope, resource id), in order) in place of its
    old ones."""
    await session.execute(
        delete(ConversionValueRuleTarget).where(ConversionValueRuleTarget.rule_id == rule.id)
    )
    await session.execute(
        insert(ConversionValueRuleTarget),
        [
            {
                "rule_id": rule.id,
                "position": position,
                "company_id": rule.company_id,
                "platform": platform,
                "scope": scope,
                "resource_id": resource_id,
            }
            for position, (platform, scope, resource_id) in enumerate(targets)
        ],
    )


async def overlapping(
    session: AsyncSession, company_id: str, selections: Iterable[Selection], rule_id: str
) -> dict[str, set[Selection]]:
    """{other active rule: the selections of `selections` it covers}."""
    wanted = sorted(set(selections))
    if not wanted:
        return {}
    table = ConversionValueRuleSelection
    items = sorted({resource_key for _, resource_key, _, _ in wanted})
    rows = await session.execute(
        select(
            table.rule_id, table.platform, table.resource_key, table.event_name, table.custom_key
        ).where(
            table.company_id == company_id,
            table.resource_key.in_(items),
            table.rule_id != rule_id,
        )
    )
    chosen = set(wanted)
    found: dict[str, set[Selection]] = defaultdict(set)
    for other_id, *key in rows:
        selection: Selection = (key[0], key[1], key[2], key[3])
        if selection in chosen:
            found[other_id].add(selection)
    return found


async def clear_selections(session: AsyncSession, rule_id: str) -> None:
    await session.execute(
        delete(ConversionValueRuleSelection).where(ConversionValueRuleSelection.rule_id == rule_id)
    )


async def add_selections(
    session: AsyncSession,
    rule: ConversionValueRule,
    selections: Iterable[Selection],
) -> None:
    rows = [
        {
            "company_id": rule.company_id,
            "platform": platform,
            "resource_key": resource_key,
            "event_name": event_name,
            "custom_key": custom_key,
            "rule_id": rule.id,
            "scope": rule.scope,
        }
        for platform, resource_key, event_name, custom_key in sorted(set(selections))
    ]
    if rows:
        await session.execute(insert(ConversionValueRuleSelection), rows)


async def related_items(
    session: AsyncSession, company_id: str, item_id: str
) -> tuple[str, CompoundSelect[tuple[str]]] | None:
    """The platform of the company's campaign, ad group or ad `item_id` (deleted ones
    included) and a select of the ids of the item, its ancestors and its descendants; None
    when the company has no such item."""
    campaign = await session.scalar(
        select(AdCampaign.platform).where(
            AdCampaign.id == item_id, AdCampaign.company_id == company_id
        )
    )
    if campaign is not None:
        return campaign, union_all(
            select(AdCampaign.id).where(AdCampaign.id == item_id),
            select(AdGroup.id).where(AdGroup.ad_campaign_id == item_id),
            select(Ad.id).where(Ad.ad_campaign_id == item_id),
        )
    group = (
        await session.execute(
            select(AdGroup.platform, AdGroup.ad_campaign_id).where(
                AdGroup.id == item_id, AdGroup.company_id == company_id
            )
        )
    ).first()
    if group is not None:
        return group.platform, union_all(
            select(AdGroup.id).where(AdGroup.id == item_id),
            select(AdCampaign.id).where(AdCampaign.id == group.ad_campaign_id),
            select(Ad.id).where(Ad.ad_group_id == item_id),
        )
    ad = (
        await session.execute(
            select(Ad.platform, Ad.ad_group_id, Ad.ad_campaign_id).where(
                Ad.id == item_id, Ad.company_id == company_id
            )
        )
    ).first()
    if ad is not None:
        return ad.platform, union_all(
            select(Ad.id).where(Ad.id == item_id),
            select(AdGroup.id).where(AdGroup.id == ad.ad_group_id),
            select(AdCampaign.id).where(AdCampaign.id == ad.ad_campaign_id),
        )
    return None


def covering(
    statement: Select[ConversionValueRule],
    *,
    platform: str | None = None,
    related: tuple[str, CompoundSelect[tuple[str]]] | None = None,
) -> Select[ConversionValueRule]:
    """Rules with a target on `platform`; and, for `related_items`' answer, rules with a
    target among those items or the business on their platform (a business target covers
    every item of its platform)."""
    target = ConversionValueRuleTarget
    if platform is not None:
        statement = statement.where(
            select(target.rule_id)
            .where(target.rule_id == ConversionValueRule.id, target.platform == platform)
            .exists()
        )
    if related is not None:
        item_platform, items = related
        statement = statement.where(
            select(target.rule_id)
            .where(
                target.rule_id == ConversionValueRule.id,
                or_(
                    target.resource_id.in_(items),
                    (target.scope == "business") & (target.platform == item_platform),
                ),
            )
            .exists()
        )
    return statement
