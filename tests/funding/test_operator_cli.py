"""`adline funding refund` and `adline funding correct`: the transaction's id on stdout,
what happened on stderr, exit 2 with one line when refused (nothing written)."""

from __future__ import annotations

import asyncio
import subprocess

from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from tests.conftest import Tenant
from tests.funding.helpers import balance, paid_checkout, reconciled
from tests.funding.test_ledger import ADLINE


async def adline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [ADLINE, "funding", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestRefundCommand:
    async def test_refunds_once_and_refuses_too_much(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        cli_env: dict[str, str],
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 100_000_000)
        command = ["refund", checkout_id, "--company", poor.company_id, "--reference", "T-1"]

        done = await adline(cli_env, *command, "--amount", "25.00", "--reason", "unused")
        again = await adline(cli_env, *command, "--amount", "25.00")

        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("ltxn_") and again.stdout == done.stdout
        assert "applied; the company balance" in done.stderr and "$75.00" in done.stderr
        assert again.returncode == 0 and "already applied before" in again.stderr
        assert await balance(engine, poor.company_id) == 75_000_000

        too_much = await adline(
            cli_env, "refund", checkout_id, "--company", poor.company_id, "--amount", "80",
            "--reference", "T-2",
        )  # fmt: skip
        assert too_much.returncode == 2 and too_much.stdout == ""
        assert too_much.stderr == (
            f"adline: error: Invalid value for amount: at most $75.00 of {checkout_id} can be "
            "refunded ($100.00 paid, $25.00 refunded before).\n"
        )
        for amount, says in (("1.234", "at most two decimal places"), ("ten", "a number")):
            bad = await adline(
                cli_env, "refund", checkout_id, "--company", poor.company_id, "--amount", amount,
                "--reference", "T-3",
            )  # fmt: skip
            assert bad.returncode == 2 and says in bad.stderr, bad.stderr
        assert await balance(engine, poor.company_id) == 75_000_000
        assert await reconciled(engine, poor.company_id) == []


class TestCorrectCommand:
    async def test_signed_corrections_and_their_refusals(
        self,
        engine: AsyncEngine,
        poor: Tenant,
        cli_env: dict[str, str],
    ) -> None:
        company = ["--company", poor.company_id]

        added = await adline(
            cli_env, "correct", *company, "--amount", "12.50", "--reason", "wire received",
            "--reference", "W-1",
        )  # fmt: skip
        taken = await adline(
            cli_env, "correct", *company, "--amount", "-2.50", "--reason", "fee",
            "--reference", "W-2",
        )  # fmt: skip

        assert added.returncode == 0, added.stderr
        assert taken.returncode == 0, taken.stderr
        assert added.stdout.startswith("ltxn_") and taken.stdout != added.stdout
        assert "$10.00" in taken.stderr
        assert await balance(engine, poor.company_id) == 10_000_000

        below = await adline(
            cli_env, "correct", *company, "--amount=-20", "--reason", "x", "--reference", "W-3"
        )
        assert below.returncode == 2
        assert "holds $10.00" in below.stderr and "below zero" in below.stderr
        no_reason = await adline(
            cli_env, "correct", *company, "--amount", "5", "--reference", "W-4"
        )
        assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
        no_campaign = await adline(
            cli_env, "correct", *company, "--amount", "5", "--reason", "x", "--reference", "W-5",
            "--against", "balance",
        )  # fmt: skip
        assert no_campaign.returncode == 2 and "name a campaign" in no_campaign.stderr
        assert await balance(engine, poor.company_id) == 10_000_000

        reconcile = await adline(cli_env, "reconcile", "--company", poor.company_id)
        assert reconcile.returncode == 0, reconcile.stdout
