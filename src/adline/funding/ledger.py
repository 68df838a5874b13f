"""The double-entry ledger, in micro-units: accounts, and transactions whose entries sum
to zero. The only writer of `ledger_*` tables (docs/funding.md#the-ledger).

Balances are sums of entries. The company balance and each campaign's credits also keep
the sum in `balance_micros`, written in the same transaction as the entries, so a debit
can check it cheaply; `reconcile` (`adline funding reconcile`) proves cache and sums agree.

Concurrency, as in `adline.spend_caps.ledger`: a transaction that moves cached accounts
first locks their rows (`core.db.lock_rows`: the rows' locks on PostgreSQL, taken in
account-id order; the database's write lock on SQLite), then reads the balances afresh.
Whoever comes second waits and sees the first one's debit, so two concurrent debits can
never take a balance below zero together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from adline.core.clock import Clock
from adline.core.db import lock_rows
from adline.core.ids import new_id
from adline.funding.models import LedgerAccount, LedgerEntry, LedgerTransaction

# What each kind moves (docs/funding.md#the-ledger):
# - topup: processor -> company balance (a paid checkout; a grant such as the demo credit);
# - credit: company balance -> campaign;
# - charge: processor -> campaign (the card pays spend beyond the campaign's credits);
# - spend: campaigns -> network spend (what the networks reported);
# - payment_refund: company balance -> processor (a payment given back to the card it came
#   from, by an operator); never a campaign leg (`post` refuses one), so the funds limits
#   (`adline.funding.limits`), which sum a campaign account's entries, never meet it;
# - refund: money given back into a campaign's account (a network's refund outside its
#   spend reports); reserved, nothing writes it yet; the funds limits count it as money in;
# - correction: an operator's signed fix between a company balance or a campaign and the
#   processor, or between the balance and a campaign.
TRANSACTION_KINDS = (
    "credit",
    "charge",
    "topup",
    "payment_refund",
    "refund",
    "spend",
    "correction",
)
ACCOUNT_KINDS = ("company_balance", "campaign", "processor", "network_spend")
# The accounts that hold the company's money: cached and never taken below zero by a debit.
CACHED_KINDS = ("company_balance", "campaign")


class InsufficientFunds(Exception):
    """A debit would take a balance below zero; nothing was written."""

    def __init__(self, account: LedgerAccount, available_micros: int) -> None:
        super().__init__(f"account {account.id} holds {available_micros} micros")
        self.account = account
        self.available_micros = available_micros


def account_key(company_id: str, kind: str, campaign_id: str | None = None) -> str:
    if kind == "campaign":
        if campaign_id is None:
            raise ValueError("a campaign account needs its campaign")
        return f"campaign:{campaign_id}"
    return f"{company_id}:{kind}"


async def get_account(
    session: AsyncSession, company_id: str, kind: str, campaign_id: str | None = None
) -> LedgerAccount | None:
    key = account_key(company_id, kind, campaign_id)
    return (await _accounts_by_key(session, [key])).get(key)


async def ensure_account(
    session: AsyncSession,
    clock: Clock,
    company_id: str,
    kind: str,
    campaign_id: str | None = None,
) -> LedgerAccount:
    """The account, made on first use (`ensure_accounts`)."""
    [account] = await ensure_accounts(session, clock, company_id, [(kind, campaign_id)])
    return account


# Accounts read or made per statement (a bound parameter each).
ACCOUNTS_CHUNK = 500


async def ensure_accounts(
    session: AsyncSession,
    clock: Clock,
    company_id: str,
    wanted: Sequence[tuple[str, str | None]],
) -> list[LedgerAccount]:
    """The company's accounts of these (kind, campaign id or None), in order, those missing
    made on first use (concurrent first uses make one: the key is unique). A statement reads
    up to ACCOUNTS_CHUNK of them, one more makes the missing ones."""
    for kind, _ in wanted:
        if kind not in ACCOUNT_KINDS:
            raise ValueError(f"unknown account kind {kind!r}")
    keys = [account_key(company_id, kind, campaign_id) for kind, campaign_id in wanted]
    found = await _accounts_by_key(session, keys)
    missing = {key: spec for key, spec in zip(keys, wanted, strict=True) if key not in found}
    if missing:
        postgres = session.get_bind().dialect.name == "postgresql"
        insert = (postgresql.insert if postgres else sqlite.insert)(LedgerAccount)
        now = clock.now()
        rows = [
            {
                "id": new_id("ldgr"),
                "company_id": company_id,
                "kind": kind,
                "ad_campaign_id": campaign_id if kind == "campaign" else None,
                "key": key,
                "balance_micros": 0 if kind in CACHED_KINDS else None,
                "created_at": now,
            }
            for key, (kind, campaign_id) in sorted(missing.items())
        ]
        for offset in range(0, len(rows), ACCOUNTS_CHUNK):
            await session.execute(
                insert.values(rows[offset : offset + ACCOUNTS_CHUNK]).on_conflict_do_nothing(
                    index_elements=["key"]
                )
            )
        found.update(await _accounts_by_key(session, list(missing)))
    return [found[key] for key in keys]


async def _accounts_by_key(session: AsyncSession, keys: Sequence[str]) -> dict[str, LedgerAccount]:
    wanted = sorted(set(keys))
    found: dict[str, LedgerAccount] = {}
    for offset in range(0, len(wanted), ACCOUNTS_CHUNK):
        chunk = wanted[offset : offset + ACCOUNTS_CHUNK]
        for account in await session.scalars(
            select(LedgerAccount).where(LedgerAccount.key.in_(chunk))
        ):
            found[account.key] = account
    return found


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_micros: int


async def find_transaction(session: AsyncSession, reference: str) -> LedgerTransaction | None:
    return (
        await session.scalars(
            select(LedgerTransaction).where(LedgerTransaction.reference == reference)
        )
    ).first()


async def post(
    session: AsyncSession,
    clock: Clock,
    *,
    company_id: str,
    kind: str,
    legs: Sequence[Leg],
    reference: str | None = None,
    memo: str = "",
    campaign_id: str | None = None,
    may_go_negative: frozenset[str] = frozenset(),
    processor_reference: str | None = None,
    refund_of_id: str | None = None,
) -> LedgerTransaction:
    """Write one transaction. Its legs must sum to zero. A `reference` already written
    answers the transaction written then (nothing new: a retry is harmless). A debit of a
    cached account that would take it below zero raises InsufficientFunds, unless the
    account's id is in `may_go_negative` (spend a network reported: it happened)."""
    if kind not in TRANSACTION_KINDS:
        raise ValueError(f"unknown transaction kind {kind!r}")
    legs = [leg for leg in legs if leg.amount_micros != 0]
    if sum(leg.amount_micros for leg in legs) != 0:
        raise ValueError("a ledger transaction's entries must sum to zero")
    if kind == "payment_refund" and any(leg.account.kind == "campaign" for leg in legs):
        # The funds limits count a campaign account's entries of every kind but spend as
        # money in: money out to the payer must never be one of them.
        raise ValueError("a payment refund gives back the company balance, never a campaign's")
    if reference is not None:
        done = await find_transaction(session, reference)
        if done is not None:
            return done
    cached = sorted(
        {leg.account.id: leg.account for leg in legs if leg.account.kind in CACHED_KINDS}.values(),
        key=lambda account: account.id,
    )
    change: dict[str, int] = {}
    for leg in legs:
        change[leg.account.id] = change.get(leg.account.id, 0) + leg.amount_micros
    # Locked in id order (no deadlocks), their balances read afresh under the locks.
    balances = await lock_rows(
        session, LedgerAccount.balance_micros, [account.id for account in cached]
    )
    if reference is not None and cached:
        # Asked again under the locks: a concurrent retry that wrote it while this one
        # waited is answered, not written twice (nor refused by the unique reference).
        done = await find_transaction(session, reference)
        if done is not None:
            return done
    for account in cached:
        set_committed_value(account, "balance_micros", balances[account.id])
        balance = (account.balance_micros or 0) + change[account.id]
        if change[account.id] < 0 and balance < 0 and account.id not in may_go_negative:
            raise InsufficientFunds(account, account.balance_micros or 0)
    transaction = LedgerTransaction(
        id=new_id("ltxn"),
        company_id=company_id,
        kind=kind,
        ad_campaign_id=campaign_id,
        reference=reference,
        memo=memo[:200],
        processor_reference=processor_reference,
        refund_of_id=refund_of_id,
        created_at=clock.now(),
    )
    session.add(transaction)
    await session.flush()
    session.add_all(
        LedgerEntry(
            transaction_id=transaction.id,
            account_id=leg.account.id,
            amount_micros=leg.amount_micros,
        )
        for leg in legs
    )
    for account in cached:
        account.balance_micros = (account.balance_micros or 0) + change[account.id]
    await session.flush()
    return transaction


async def entry_sums(session: AsyncSession, account_ids: Sequence[str]) -> dict[str, int]:
    """Each account's balance as its entries sum it (0 for an account without entries)."""
    if not account_ids:
        return {}
    rows = await session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_micros))
        .where(LedgerEntry.account_id.in_(list(account_ids)))
        .group_by(LedgerEntry.account_id)
    )
    sums = dict.fromkeys(account_ids, 0)
    sums.update({account_id: int(total or 0) for account_id, total in rows})
    return sums


async def kind_sums(
    session: AsyncSession, account_ids: Sequence[str], kinds: Sequence[str]
) -> dict[str, int]:
    """Per account, the sum of its entries in transactions of `kinds`."""
    if not account_ids:
        return {}
    rows = await session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_micros))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.account_id.in_(list(account_ids)),
            LedgerTransaction.kind.in_(list(kinds)),
        )
        .group_by(LedgerEntry.account_id)
    )
    sums = dict.fromkeys(account_ids, 0)
    sums.update({account_id: int(total or 0) for account_id, total in rows})
    return sums


async def reconcile(session: AsyncSession, company_id: str | None = None) -> list[str]:
    """Every problem found, one line each (none: the ledger balances): a transaction whose
    entries do not sum to zero, a cached balance that differs from its entries' sum, a
    company balance below zero."""
    problems: list[str] = []
    unbalanced = (
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_micros))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_micros) != 0)
        .order_by(LedgerEntry.transaction_id)
    )
    if company_id is not None:
        unbalanced = unbalanced.where(LedgerTransaction.company_id == company_id)
    for transaction_id, total in await session.execute(unbalanced):
        problems.append(f"transaction {transaction_id}: entries sum to {int(total)} micros, not 0")
    accounts = select(LedgerAccount).order_by(LedgerAccount.id)
    if company_id is not None:
        accounts = accounts.where(LedgerAccount.company_id == company_id)
    listed = list(await session.scalars(accounts))
    sums = await entry_sums(session, [account.id for account in listed])
    for account in listed:
        total = sums[account.id]
        if account.kind in CACHED_KINDS:
            if account.balance_micros != total:
                problems.append(
                    f"account {account.id} ({account.kind} of {account.company_id}): cached "
                    f"balance {account.balance_micros} micros, entries sum to {total}"
                )
            if account.kind == "company_balance" and total < 0:
                problems.append(
                    f"account {account.id} (company_balance of {account.company_id}): "
                    f"below zero ({total} micros)"
                )
        elif account.balance_micros is not None:
            problems.append(f"account {account.id} ({account.kind}): has a cached balance")
    return problems
