"""Valuing recorded conversion events by the conversion value rules active when they are
recorded (docs/value-rules.md#which-value-an-event-counts).

Called by `adline.conversions.service` for each batch of new events, before they are
written: an event's value under each attribution (last touch, first touch) is decided by
the most specific active rule covering its attributed ad, ad group, campaign or business,
on the ad's platform, for its event. The value and the rule are stored on the event, so
later changes to rules never move recorded history and the rollups stay exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import ColumnElement, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.ads.models import Ad
from adline.conversions.rates import usd_per_unit
from adline.core.money import INT64_MAX
from adline.value_rules.models import ConversionValueRule, ConversionValueRuleSelection

PERCENT_CENTIS = 10_000  # 100 % in hundredths of a percent


@dataclass(frozen=True)
class EventToValue:
    event_name: str
    custom_name: str | None
    # The event's own value in USD micro-units (0 without a value).
    value_micros: int
    # Per attribution source: the (ad, group, campaign) ids, or None when not attributed.
    touches: Mapping[str, tuple[str, str, str] | None]


@dataclass(frozen=True)
class Valued:
    """The value an attribution credits, and the rule that set it."""

    value_micros: int
    rule_id: str


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    adjustment_type: str
    fixed_amount_micros: int | None
    fixed_currency: str | None
    percentage_change_centis: int | None


def adjusted_value(rule: _Rule, value_micros: int) -> int:
    """The rule's value for an event worth `value_micros` (USD micro-units): a fixed value
    converted with Adline's rate table, or the value changed by the percentage; both
    rounded half-even to the micro, never below 0, at most the largest int64."""
    if rule.adjustment_type == "fixed":
        assert rule.fixed_amount_micros is not None and rule.fixed_currency is not None
        rate = usd_per_unit(rule.fixed_currency)
        assert rate is not None  # a rule's currency is one the table has (checked on write)
        exact = Decimal(rule.fixed_amount_micros) * rate
    else:
        assert rule.percentage_change_centis is not None
        factor = Decimal(PERCENT_CENTIS + rule.percentage_change_centis) / PERCENT_CENTIS
        exact = Decimal(value_micros) * factor
    micros = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return min(max(micros, 0), INT64_MAX)


def _among(
    session: AsyncSession, column: InstrumentedAttribute[str], values: Sequence[str]
) -> ColumnElement[bool]:
    """`column IN values` as one bound parameter (an array on PostgreSQL, a JSON array on
    SQLite), so the statement's text is the same for any batch."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))
    values_json = bindparam(None, json.dumps(list(values)), type_=String)
    return column.in_(select(literal_column("value")).select_from(func.json_each(values_json)))


async def value_events(
    session: AsyncSession, company_id: str, events: Sequence[EventToValue]
) -> list[dict[str, Valued]]:
    """Per event, {attribution source: Valued} for the attributions a rule covers (an
    attribution no rule covers is absent: it counts the event's own value). One query for
    the rules covering the touched items; one more, only when some do, for the ads'
    platforms."""
    touched = sorted(
        {item for event in events for touch in event.touches.values() if touch for item in touch}
    )
    if not touched:
        return [{} for _ in events]
    selection = ConversionValueRuleSelection
    rows = await session.execute(
        select(
            selection.platform,
            selection.resource_key,
            selection.event_name,
            selection.custom_key,
            ConversionValueRule.id,
            ConversionValueRule.adjustment_type,
            ConversionValueRule.fixed_amount_micros,
            ConversionValueRule.fixed_currency,
            ConversionValueRule.percentage_change_centis,
        )
        .join(ConversionValueRule, ConversionValueRule.id == selection.rule_id)
        .where(
            selection.company_id == company_id,
            _among(session, selection.resource_key, [*touched, ""]),
        )
    )
    coverage = {
        (row.platform, row.resource_key, row.event_name, row.custom_key): _Rule(
            row.id,
            row.adjustment_type,
            row.fixed_amount_micros,
            row.fixed_currency,
            row.percentage_change_centis,
        )
        for row in rows
    }
    if not coverage:
        return [{} for _ in events]
    ads = sorted({touch[0] for event in events for touch in event.touches.values() if touch})
    platforms = dict(
        (
            await session.execute(
                select(Ad.id, Ad.platform).where(
                    Ad.company_id == company_id, _among(session, Ad.id, ads)
                )
            )
        ).all()
    )
    answers: list[dict[str, Valued]] = []
    for event in events:
        valued: dict[str, Valued] = {}
        for source, touch in event.touches.items():
            if touch is None:
                continue
            ad_id, group_id, campaign_id = touch
            platform = platforms.get(ad_id)
            # The most specific covering rule wins: broader ones are fallbacks.
            for item in (ad_id, group_id, campaign_id, ""):
                rule = coverage.get(
                    (platform or "", item, event.event_name, event.custom_name or "")
                )
                if rule is not None:
                    valued[source] = Valued(adjusted_value(rule, event.value_micros), rule.rule_id)
                    break
        answers.append(valued)
    return answers
