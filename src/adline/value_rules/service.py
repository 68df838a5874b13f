"""Conversion value rule rules: create, read, list, update, delete, pause and unpause, and
the takeover of overlapping selections. Services only flush; the request owns the
transaction. Callable from tests without HTTP. See docs/value-rules.md.

A rule covers every target x every event: each (platform, item, event) is a *selection*.
Active rules never share a selection (the selections table's primary key says so too);
broader rules (a campaign's, the business's) are not overlaps but fallbacks for the items
a narrower rule leaves out. A rule's writes take the company's row lock first, so two
writers cannot both take a selection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, ensure_own_account
from adline.companies.models import Company
from adline.conversions.rates import usd_per_unit
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.errors import Conflict, InvalidRequest, NotFound, ParameterMissing
from adline.core.ids import is_well_formed_id, new_id
from adline.core.money import MICROS_PER_UNIT
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.value_rules import repository
from adline.value_rules.models import ConversionValueRule, ConversionValueRuleTarget
from adline.value_rules.repository import Selection
from adline.value_rules.schemas import EventIn, FixedValueIn, RuleCreate, RuleUpdate, TargetIn

ID_PREFIX = "adcvr"
# At most this many target x event combinations per rule (the SDK's docstring).
MAX_SELECTIONS = 500
# Fixed values: more than 0, at most 99999999.99 (the SDK's docstring).
MAX_FIXED_AMOUNT = Decimal("99999999.99")
FIXED_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
# Percentages: from -100 to 10000, stored in hundredths of a percent.
MIN_PERCENTAGE = Decimal(-100)
MAX_PERCENTAGE = Decimal(10000)
CENTIS_PER_PERCENT = 100
# Currencies charged in whole units (Adline's rate table holds one such: the yen).
ZERO_DECIMAL_CURRENCIES = frozenset({"jpy"})
# Metadata limits (the SDK states none; Stripe's, which callers know).
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
# Rules named in a 409's message.
NAMED_RULES = 5


class RuleOverlap(Conflict):
    code = "conversion_value_rule_overlap"


class StaleReplacement(Conflict):
    code = "stale_replace_rule_ids"


class TargetUnavailable(Conflict):
    code = "target_unavailable"


@dataclass(frozen=True)
class Target:
    platform: str
    scope: str
    resource_id: str | None

    @property
    def key(self) -> tuple[str, str]:
        """What the target covers: its platform and item ("" for the business)."""
        return (self.platform, self.resource_id or "")

    def as_row(self) -> tuple[str, str, str | None]:
        return (self.platform, self.scope, self.resource_id)


@dataclass(frozen=True)
class Event:
    event_name: str
    custom_name: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.event_name, self.custom_name or "")

    def as_dict(self) -> dict[str, Any]:
        return {"event_name": self.event_name, "custom_name": self.custom_name}


@dataclass(frozen=True)
class Adjustment:
    adjustment_type: str
    fixed_amount_micros: int | None = None
    fixed_currency: str | None = None
    percentage_change_centis: int | None = None


def selections(targets: Iterable[Target], events: Iterable[Event]) -> set[Selection]:
    events = list(events)
    return {(*target.key, *event.key) for target in targets for event in events}


def _events_of(rule: ConversionValueRule) -> list[Event]:
    return [Event(event["event_name"], event["custom_name"]) for event in rule.events]


def _targets_of(rows: Iterable[ConversionValueRuleTarget]) -> list[Target]:
    return [Target(row.platform, row.scope, row.resource_id) for row in rows]


# --- checking a body -------------------------------------------------------------------------


def _check_events(events: Sequence[EventIn]) -> list[Event]:
    if not events:
        raise InvalidRequest("Invalid value for events: select at least one event.", param="events")
    checked: list[Event] = []
    for index, item in enumerate(events):
        param = f"events[{index}]"
        if item.event_name == "custom" and item.custom_name is None:
            raise ParameterMissing(
                "custom_name is required when event_name is custom.", param=f"{param}.custom_name"
            )
        if item.event_name != "custom" and item.custom_name is not None:
            raise InvalidRequest(
                f"Invalid value for {param}.custom_name: only custom events have a name; send "
                "null for a standard event.",
                param=f"{param}.custom_name",
            )
        event = Event(item.event_name, item.custom_name)
        if event in checked:
            raise InvalidRequest(f"Invalid value for {param}: listed twice.", param=param)
        checked.append(event)
    return checked


async def _check_targets(
    session: AsyncSession, company_id: str, targets: Sequence[TargetIn]
) -> list[Target]:
    """Targets sharing one scope, each naming a live item of the company on its platform
    (a business target names none)."""
    if not targets:
        raise InvalidRequest(
            "Invalid value for targets: select at least one target.", param="targets"
        )
    scope = targets[0].scope
    wanted: dict[str, set[str]] = {}
    for index, item in enumerate(targets):
        param = f"targets[{index}]"
        if item.scope != scope:
            raise InvalidRequest(
                f"Invalid value for {param}.scope: every target of a rule shares one scope "
                f"(targets[0] is {scope}).",
                param=f"{param}.scope",
            )
        if scope == "business" and item.resource_id is not None:
            raise InvalidRequest(
                f"Invalid value for {param}.resource_id: a business target names no item; "
                "send null.",
                param=f"{param}.resource_id",
            )
        if scope != "business":
            if item.resource_id is None:
                raise ParameterMissing(
                    f"{param}.resource_id is required for a {scope} target.",
                    param=f"{param}.resource_id",
                )
            if is_well_formed_id(item.resource_id):
                wanted.setdefault(scope, set()).add(item.resource_id)
    found = (
        await repository.live_items(session, company_id, scope, wanted.get(scope, ()))
        if scope != "business"
        else {}
    )
    checked: list[Target] = []
    for index, item in enumerate(targets):
        param = f"targets[{index}]"
        if item.resource_id is not None:
            live = found.get(item.resource_id)
            if live is None:
                raise NotFound(
                    f"No {scope.replace('_', ' ')} with id {item.resource_id}.",
                    param=f"{param}.resource_id",
                )
            if live[0] != item.platform:
                raise InvalidRequest(
                    f"Invalid value for {param}.platform: {item.resource_id} runs on "
                    f"{live[0]}, not {item.platform}.",
                    param=f"{param}.platform",
                )
        target = Target(item.platform, item.scope, item.resource_id)
        if target in checked:
            raise InvalidRequest(f"Invalid value for {param}: listed twice.", param=param)
        checked.append(target)
    return checked


def _check_combinations(targets: Sequence[Target], events: Sequence[Event]) -> None:
    """Every platform supports every selected event; at most MAX_SELECTIONS combinations."""
    if any(target.platform == "google" for target in targets):
        for index, event in enumerate(events):
            if event.event_name == "custom":
                raise InvalidRequest(
                    f"Invalid value for events[{index}]: Google does not support named custom "
                    "events, and a Google target is selected.",
                    param=f"events[{index}]",
                )
    if len(targets) * len(events) > MAX_SELECTIONS:
        raise InvalidRequest(
            f"Invalid value for targets: {len(targets)} targets x {len(events)} events make "
            f"{len(targets) * len(events)} combinations; a rule holds at most {MAX_SELECTIONS}.",
            param="targets",
        )


def currency_decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def _fixed_value(value: FixedValueIn) -> tuple[int, str]:
    """(amount in micro-units of the currency, lowercase currency)."""
    currency = value.currency.lower()
    if usd_per_unit(currency) is None:
        raise InvalidRequest(
            f"Invalid value for fixed_value.currency: {value.currency!r} is not a currency "
            "Adline converts.",
            param="fixed_value.currency",
        )
    decimals = currency_decimals(currency)
    if not FIXED_AMOUNT.fullmatch(value.amount):
        raise InvalidRequest(
            "Invalid value for fixed_value.amount: must be a decimal string with at most 2 "
            'decimal places, such as "10.00".',
            param="fixed_value.amount",
        )
    amount = Decimal(value.amount)
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise InvalidRequest(
            f"Invalid value for fixed_value.amount: {currency} has {decimals} decimal places.",
            param="fixed_value.amount",
        )
    if not Decimal(0) < amount <= MAX_FIXED_AMOUNT:
        raise InvalidRequest(
            f"Invalid value for fixed_value.amount: must be more than 0 and at most "
            f"{MAX_FIXED_AMOUNT}.",
            param="fixed_value.amount",
        )
    return int(amount * MICROS_PER_UNIT), currency


def _percentage_centis(value: float) -> int:
    try:
        # str() first: the float 12.5 the client wrote, not its binary neighbour.
        exact = Decimal(str(value))
    except InvalidOperation:
        raise InvalidRequest(
            "Invalid value for percentage_change: must be a number.", param="percentage_change"
        ) from None
    if not MIN_PERCENTAGE <= exact <= MAX_PERCENTAGE:
        raise InvalidRequest(
            "Invalid value for percentage_change: must be from -100 to 10000.",
            param="percentage_change",
        )
    if exact != exact.quantize(Decimal("0.01")):
        raise InvalidRequest(
            "Invalid value for percentage_change: at most 2 decimal places.",
            param="percentage_change",
        )
    return int(exact * CENTIS_PER_PERCENT)


def _adjustment(
    adjustment_type: str,
    fixed_value: FixedValueIn | None,
    percentage_change: float | None,
    current: Adjustment | None = None,
) -> Adjustment:
    """The rule's adjustment: a fixed rule has a fixed value and no percentage, a
    percentage rule the reverse. `current` (an update) supplies what was not sent when the
    type stays the same."""
    keeps = current is not None and current.adjustment_type == adjustment_type
    if adjustment_type == "fixed":
        if percentage_change is not None:
            raise InvalidRequest(
                "Invalid value for percentage_change: only percentage rules have one; a fixed "
                "rule sends fixed_value.",
                param="percentage_change",
            )
        if fixed_value is not None:
            amount, currency = _fixed_value(fixed_value)
            return Adjustment("fixed", fixed_amount_micros=amount, fixed_currency=currency)
        if keeps and current is not None:
            return current
        raise ParameterMissing(
            "fixed_value is required when adjustment_type is fixed.", param="fixed_value"
        )
    if fixed_value is not None:
        raise InvalidRequest(
            "Invalid value for fixed_value: only fixed rules have one; a percentage rule "
            "sends percentage_change.",
            param="fixed_value",
        )
    if percentage_change is not None:
        return Adjustment(
            "percentage", percentage_change_centis=_percentage_centis(percentage_change)
        )
    if keeps and current is not None:
        return current
    raise ParameterMissing(
        "percentage_change is required when adjustment_type is percentage.",
        param="percentage_change",
    )


def _check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    if len(metadata) > MAX_METADATA_KEYS:
        raise InvalidRequest(
            f"Invalid value for metadata: at most {MAX_METADATA_KEYS} keys.", param="metadata"
        )
    for key, value in metadata.items():
        if not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            raise InvalidRequest(
                f"Invalid value for metadata: keys are 1 to {MAX_METADATA_KEY_LENGTH} characters.",
                param=f"metadata.{key}" if key else "metadata",
            )
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            raise InvalidRequest(
                f"Invalid value for metadata.{key}: at most {MAX_METADATA_VALUE_LENGTH} "
                "characters.",
                param=f"metadata.{key}",
            )
    return dict(metadata)


async def _replaced(
    session: AsyncSession, company_id: str, rule_ids: Sequence[str]
) -> dict[str, ConversionValueRule]:
    """The company's rules named by `replace_rule_ids`; 404 naming the first unknown."""
    found = await repository.rules_by_id(
        session, company_id, [rule_id for rule_id in rule_ids if is_well_formed_id(rule_id)]
    )
    for index, rule_id in enumerate(rule_ids):
        if rule_id not in found:
            raise NotFound(
                f"No conversion value rule with id {rule_id}.", param=f"replace_rule_ids[{index}]"
            )
    return found


def _named(rule_ids: Iterable[str]) -> str:
    ordered = sorted(rule_ids)
    more = f" and {len(ordered) - NAMED_RULES} more" if len(ordered) > NAMED_RULES else ""
    return ", ".join(ordered[:NAMED_RULES]) + more


async def _conflicts(
    session: AsyncSession,
    company_id: str,
    rule_id: str,
    chosen: set[Selection],
    replace: dict[str, ConversionValueRule],
    *,
    automatic: bool,
) -> list[str]:
    """The active rules covering some of `chosen`, which the rule is about to take. Unless
    `automatic` (unpause), `replace` must name exactly those: 409 otherwise."""
    overlapping = await repository.overlapping(session, company_id, chosen, rule_id)
    if not automatic:
        missing = overlapping.keys() - replace.keys()
        if missing:
            raise RuleOverlap(
                f"Active rules already cover some of these targets and events: "
                f"{_named(missing)}. Active rules cannot overlap for the same platform and "
                "event; send their ids in replace_rule_ids to replace those selections.",
                param="replace_rule_ids" if replace else None,
            )
        stale = replace.keys() - overlapping.keys() - {rule_id}
        if stale or rule_id in replace:
            raise StaleReplacement(
                f"replace_rule_ids names rules that are not active rules overlapping this one "
                f"(anymore): {_named(stale | ({rule_id} & replace.keys()))}. Read the rules "
                "again and send the ids of the active rules that overlap it.",
                param="replace_rule_ids",
            )
    return sorted(overlapping)


async def _give_up(
    session: AsyncSession,
    now: datetime,
    other_id: str,
    targets: Sequence[Target],
    events: Sequence[Event],
) -> None:
    """Take the selections `targets` x `events` from the active rule `other_id`: it keeps
    the rest, split into a second rule when the rest is no longer one targets x events
    product, and is paused when nothing is left (its stored selection unchanged)."""
    other = await session.get(ConversionValueRule, other_id, with_for_update=True)
    assert other is not None
    other_targets = _targets_of((await repository.targets_of(session, [other_id]))[other_id])
    other_events = _events_of(other)
    taken_targets = {target.key for target in targets}
    taken_events = {event.key for event in events}
    lost_targets = [target for target in other_targets if target.key in taken_targets]
    kept_targets = [target for target in other_targets if target.key not in taken_targets]
    rest_events = [event for event in other_events if event.key not in taken_events]
    await repository.clear_selections(session, other.id)
    other.updated_at = now
    if not kept_targets and not rest_events:
        other.status = "paused"
        await session.flush()
        return
    if kept_targets:
        # It keeps its untouched targets with all its events; the touched targets keep
        # their other events in a rule of their own, with the same adjustment.
        await repository.replace_targets(session, other, [t.as_row() for t in kept_targets])
        await repository.add_selections(session, other, selections(kept_targets, other_events))
        if rest_events:
            split = ConversionValueRule(
                id=new_id(ID_PREFIX),
                company_id=other.company_id,
                status="active",
                adjustment_type=other.adjustment_type,
                fixed_amount_micros=other.fixed_amount_micros,
                fixed_currency=other.fixed_currency,
                percentage_change_centis=other.percentage_change_centis,
                scope=other.scope,
                events=[event.as_dict() for event in rest_events],
                rule_metadata=dict(other.rule_metadata),
                created_at=now,
                updated_at=now,
            )
            session.add(split)
            await session.flush()
            await repository.replace_targets(session, split, [t.as_row() for t in lost_targets])
            await repository.add_selections(session, split, selections(lost_targets, rest_events))
    else:
        other.events = [event.as_dict() for event in rest_events]
        await repository.add_selections(session, other, selections(other_targets, rest_events))
    await session.flush()


async def _activate(
    session: AsyncSession,
    clock: Clock,
    rule: ConversionValueRule,
    targets: Sequence[Target],
    events: Sequence[Event],
    others: Sequence[str],
) -> None:
    """Make the rule (its row written) cover `targets` x `events`, taking them from the
    active rules `others` (`_conflicts`' answer) that cover parts of them."""
    now = clock.now()
    await repository.clear_selections(session, rule.id)
    for other_id in others:
        await _give_up(session, now, other_id, targets, events)
    await repository.add_selections(session, rule, selections(targets, events))


# --- the operations ---------------------------------------------------------------------------


async def get_rule(
    session: AsyncSession, company_id: str, rule_id: str, *, for_update: bool = False
) -> ConversionValueRule:
    """The company's rule, or 404: the same answer for another company's and for none."""
    rule = None
    if is_well_formed_id(rule_id):
        rule = await repository.find_rule(session, company_id, rule_id, for_update=for_update)
    if rule is None:
        raise NotFound(f"No conversion value rule with id {rule_id}.", param="id")
    return rule


async def create_rule(
    session: AsyncSession, clock: Clock, principal: Principal, body: RuleCreate
) -> ConversionValueRule:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    # Serialise rule writes per company: two rules cannot take one selection together.
    await lock_row(session, Company.name, company_id)
    events = _check_events(body.events)
    targets = await _check_targets(session, company_id, body.targets)
    _check_combinations(targets, events)
    adjustment = _adjustment(body.adjustment_type, body.fixed_value, body.percentage_change)
    metadata = _check_metadata(body.metadata or {})
    replace = await _replaced(session, company_id, body.replace_rule_ids or [])
    status = body.status or "active"
    if status == "paused" and replace:
        raise StaleReplacement(
            "replace_rule_ids takes selections for an active rule; a paused rule takes none "
            "(unpausing it later takes over what overlaps it then).",
            param="replace_rule_ids",
        )
    now = clock.now()
    rule = ConversionValueRule(
        id=new_id(ID_PREFIX),
        company_id=company_id,
        status=status,
        adjustment_type=adjustment.adjustment_type,
        fixed_amount_micros=adjustment.fixed_amount_micros,
        fixed_currency=adjustment.fixed_currency,
        percentage_change_centis=adjustment.percentage_change_centis,
        scope=targets[0].scope,
        events=[event.as_dict() for event in events],
        rule_metadata=metadata,
        created_at=now,
        updated_at=now,
    )
    others: list[str] = []
    if status == "active":
        # Checked before anything is written: a 409 leaves nothing behind.
        chosen = selections(targets, events)
        others = await _conflicts(session, company_id, rule.id, chosen, replace, automatic=False)
    session.add(rule)
    await session.flush()
    await repository.replace_targets(session, rule, [target.as_row() for target in targets])
    if status == "active":
        await _activate(session, clock, rule, targets, events, others)
    await session.flush()
    return rule


def _not_null(body: RuleUpdate, *fields: str) -> None:
    for field in fields:
        if field in body.model_fields_set and getattr(body, field) is None:
            raise InvalidRequest(f"Invalid value for {field}: must not be null.", param=field)


async def update_rule(
    session: AsyncSession, clock: Clock, principal: Principal, rule_id: str, body: RuleUpdate
) -> ConversionValueRule:
    """Edit the rule without changing its status; all changes succeed or fail together."""
    _not_null(body, "adjustment_type", "events", "targets", "metadata")
    await lock_row(session, Company.name, principal.company_id)
    rule = await get_rule(session, principal.company_id, rule_id, for_update=True)
    company_id = rule.company_id
    events = _check_events(body.events) if body.events is not None else _events_of(rule)
    if body.targets is not None:
        targets = await _check_targets(session, company_id, body.targets)
    else:
        targets = _targets_of((await repository.targets_of(session, [rule.id]))[rule.id])
    _check_combinations(targets, events)
    adjustment_type = body.adjustment_type or rule.adjustment_type
    # The value the rule's type needs cannot be cleared (the other one may be sent null).
    needed = "fixed_value" if adjustment_type == "fixed" else "percentage_change"
    if needed in body.model_fields_set and getattr(body, needed) is None:
        raise InvalidRequest(
            f"Invalid value for {needed}: must not be null for a {adjustment_type} rule.",
            param=needed,
        )
    current = Adjustment(
        rule.adjustment_type,
        rule.fixed_amount_micros,
        rule.fixed_currency,
        rule.percentage_change_centis,
    )
    adjustment = _adjustment(
        adjustment_type,
        body.fixed_value,
        body.percentage_change,
        current,
    )
    metadata = _check_metadata(body.metadata) if body.metadata is not None else None
    replace = await _replaced(session, company_id, body.replace_rule_ids or [])
    if rule.status == "paused" and replace:
        raise StaleReplacement(
            "replace_rule_ids takes selections for an active rule; this rule is paused "
            "(unpausing it takes over what overlaps it).",
            param="replace_rule_ids",
        )
    if rule.status == "active":
        chosen = selections(targets, events)
        others = await _conflicts(session, company_id, rule.id, chosen, replace, automatic=False)
        await _activate(session, clock, rule, targets, events, others)
    if body.targets is not None:
        rule.scope = targets[0].scope
        await repository.replace_targets(session, rule, [target.as_row() for target in targets])
    rule.events = [event.as_dict() for event in events]
    rule.adjustment_type = adjustment.adjustment_type
    rule.fixed_amount_micros = adjustment.fixed_amount_micros
    rule.fixed_currency = adjustment.fixed_currency
    rule.percentage_change_centis = adjustment.percentage_change_centis
    if metadata is not None:
        rule.rule_metadata = metadata
    if body.model_fields_set:
        rule.updated_at = clock.now()
    await session.flush()
    return rule


async def pause_rule(
    session: AsyncSession, clock: Clock, principal: Principal, rule_id: str
) -> ConversionValueRule:
    """Stop covering every selection; pausing a paused rule changes nothing."""
    await lock_row(session, Company.name, principal.company_id)
    rule = await get_rule(session, principal.company_id, rule_id, for_update=True)
    if rule.status == "paused":
        return rule
    await repository.clear_selections(session, rule.id)
    rule.status = "paused"
    rule.updated_at = clock.now()
    await session.flush()
    return rule


async def unpause_rule(
    session: AsyncSession, clock: Clock, principal: Principal, rule_id: str
) -> ConversionValueRule:
    """Cover the rule's selection again, taking it from the active rules that cover parts
    of it, in this transaction; resuming an active rule changes nothing. 409 when a target
    names an item that no longer exists."""
    await lock_row(session, Company.name, principal.company_id)
    rule = await get_rule(session, principal.company_id, rule_id, for_update=True)
    if rule.status == "active":
        return rule
    targets = _targets_of((await repository.targets_of(session, [rule.id]))[rule.id])
    if rule.scope != "business":
        ids = [target.resource_id for target in targets if target.resource_id is not None]
        live = await repository.live_items(session, rule.company_id, rule.scope, ids)
        gone = [item_id for item_id in ids if item_id not in live]
        if gone:
            raise TargetUnavailable(
                f"Cannot unpause {rule.id}: its targets name items that no longer exist "
                f"({_named(gone)}). Update its targets first."
            )
    events = _events_of(rule)
    chosen = selections(targets, events)
    others = await _conflicts(session, rule.company_id, rule.id, chosen, {}, automatic=True)
    await _activate(session, clock, rule, targets, events, others)
    rule.status = "active"
    rule.updated_at = clock.now()
    await session.flush()
    return rule


async def delete_rule(
    session: AsyncSession, clock: Clock, principal: Principal, rule_id: str
) -> str:
    """Stop all of the rule's coverage and hide it; its stored settings stay (the events it
    valued keep naming it)."""
    await lock_row(session, Company.name, principal.company_id)
    rule = await get_rule(session, principal.company_id, rule_id, for_update=True)
    await repository.clear_selections(session, rule.id)
    now = clock.now()
    rule.status = "paused"
    rule.deleted_at = now
    rule.updated_at = now
    await session.flush()
    return rule.id


async def list_rules(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    status: str | None,
    platform: str | None,
    resource_id: str | None,
    page: PageRequest,
    direction: Direction,
) -> Page[ConversionValueRule]:
    owner = ensure_own_account(principal, account_id, "account_id")
    statement = repository.readable_rules(owner)
    if status is not None:
        statement = statement.where(ConversionValueRule.status == status)
    related = None
    if resource_id is not None:
        if is_well_formed_id(resource_id):
            related = await repository.related_items(session, owner, resource_id)
        if related is None:
            raise NotFound(
                f"No campaign, ad group or ad with id {resource_id}.", param="resource_id"
            )
    statement = repository.covering(statement, platform=platform, related=related)
    return await paginate(
        session,
        statement,
        model=ConversionValueRule,
        order="created_at",
        direction=direction,
        page=page,
    )


# --- the response shape -------------------------------------------------------------------


def money_object(amount_micros: int, currency: str) -> dict[str, Any]:
    decimals = currency_decimals(currency)
    amount = (Decimal(amount_micros) / MICROS_PER_UNIT).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN
    )
    return {
        "amount": f"{amount:f}",
        "currency": currency,
        "decimals": decimals,
        "display_decimals": decimals,
    }


def percentage_number(centis: int) -> int | float:
    """Hundredths of a percent as the JSON number the client sent (20, -12.5)."""
    whole, rest = divmod(centis, CENTIS_PER_PERCENT)
    return whole if rest == 0 else float(Decimal(centis) / CENTIS_PER_PERCENT)


async def rule_objects(
    session: AsyncSession, rules: Sequence[ConversionValueRule]
) -> list[dict[str, Any]]:
    """The response shape of each rule, with its targets' current titles (null for an
    item deleted since): one query for the targets, one per scope for the titles."""
    targets = await repository.targets_of(session, [rule.id for rule in rules])
    wanted: dict[str, set[str]] = {}
    for rows in targets.values():
        for row in rows:
            if row.resource_id is not None:
                wanted.setdefault(row.scope, set()).add(row.resource_id)
    titles: dict[str, str | None] = {}
    # A page's rules are all the caller's company's.
    for company_id in sorted({rule.company_id for rule in rules}):
        for scope, ids in sorted(wanted.items()):
            items = await repository.live_items(session, company_id, scope, ids)
            titles.update({item_id: title for item_id, (_, title) in items.items()})
    return [
        {
            "id": rule.id,
            "account_id": rule.company_id,
            "adjustment_type": rule.adjustment_type,
            "fixed_value": (
                None
                if rule.fixed_amount_micros is None or rule.fixed_currency is None
                else money_object(rule.fixed_amount_micros, rule.fixed_currency)
            ),
            "percentage_change": (
                None
                if rule.percentage_change_centis is None
                else percentage_number(rule.percentage_change_centis)
            ),
            "events": [
                {"event_name": event["event_name"], "custom_name": event["custom_name"]}
                for event in rule.events
            ],
            "targets": [
                {
                    "platform": row.platform,
                    "scope": row.scope,
                    "resource_id": row.resource_id,
                    "resource_title": titles.get(row.resource_id) if row.resource_id else None,
                }
                for row in targets.get(rule.id, [])
            ],
            "status": rule.status,
            "metadata": dict(rule.rule_metadata),
            "created_at": format_timestamp(rule.created_at),
            "updated_at": format_timestamp(rule.updated_at),
        }
        for rule in rules
    ]


async def rule_object(session: AsyncSession, rule: ConversionValueRule) -> dict[str, Any]:
    [answer] = await rule_objects(session, [rule])
    return answer
