"""The `adline` command as a user runs it: a real process, real output, real exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adline.versions import NEWEST
from tests import own_store

# `companies list` lists every company in the store: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

ADLINE = str(Path(sys.executable).parent / "adline")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ADLINE, *args], env=env, capture_output=True, text=True, timeout=60)


async def test_companies_and_keys_lifecycle(
    cli_env: dict[str, str], anonymous: httpx.AsyncClient
) -> None:
    created = run(cli_env, "companies", "create", "--name", "Cli Co")
    assert created.returncode == 0, created.stderr
    company_id = created.stdout.strip()
    assert company_id.startswith("biz_") and "\n" not in company_id

    key = run(
        cli_env,
        "keys",
        "create",
        "--company",
        company_id,
        "--scopes",
        "ad_campaign:basic:read,ad_campaign:update",
    )
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip()
    assert secret.startswith("adl_sk_")
    headers = {"Authorization": f"Bearer {secret}"}

    assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
    refused = await anonymous.post(
        "/ad_campaigns",
        json={"title": "x", "objective": "sales", "platform": "meta"},
        headers=headers,
    )
    assert refused.status_code == 403  # the key lacks ad_campaign:create


@pytest.mark.parametrize(
    "args",
    [
        ["companies", "create"],
        ["companies", "create", "--name", ""],
        ["keys", "create", "--company", "biz_nope", "--all-scopes"],
        ["keys", "create", "--company", "biz_x"],
        ["keys", "create", "--company", "biz_x", "--scopes", "ad_campaign:fly"],
        ["keys", "create", "--company", "biz_x", "--all-scopes", "--api-version", "1999-01-01"],
        ["keys", "revoke", "apik_nope"],
        ["serve", "--port", "70000"],
        ["export", "spend-caps", "--date", "2026-13-01", "--out", "exports"],
        ["export", "spend-caps", "--date", "yesterday", "--out", "exports"],
        ["export", "spend-caps", "--out", "exports"],
        ["export", "spend-caps", "--date", "2026-03-02"],
        ["simulate", "--campaigns", "0"],
        ["simulate", "--campaigns", "100001"],
        ["simulate", "--campaigns", "501", "--spend-cap", "100"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_print_one_line_and_exit_2(cli_env: dict[str, str], args: list[str]) -> None:
    result = run(cli_env, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("adline: error: "), result.stderr


def test_migrate_exits_zero(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "migrate")
    assert result.returncode == 0, result.stderr


async def test_keys_list_then_revoke(cli_env: dict[str, str], anonymous: httpx.AsyncClient) -> None:
    company_id = run(cli_env, "companies", "create", "--name", "Revokers").stdout.strip()
    created = run(cli_env, "keys", "create", "--company", company_id, "--all-scopes")
    secret = created.stdout.strip()
    key_id = created.stderr.split()[1]
    assert key_id.startswith("apik_")
    listing = run(cli_env, "keys", "list", "--company", company_id)
    assert listing.returncode == 0, listing.stderr
    assert key_id in listing.stdout
    assert secret not in listing.stdout
    assert table_row(listing.stdout, key_id)[2] == f"adl_sk_...{secret[-4:]}"
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200

    revoked = run(cli_env, "keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 401


def table_row(output: str, first_cell: str) -> list[str]:
    """The cells of the rich table row that starts with `first_cell`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.replace("┃", "│").strip("│ ").split("│")]
        if cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


def test_companies_list_shows_every_company_with_its_live_keys(cli_env: dict[str, str]) -> None:
    first = run(cli_env, "companies", "create", "--name", "Listed One").stdout.strip()
    second = run(
        cli_env, "companies", "create", "--name", "Listed Two", "--timezone", "Europe/Paris"
    ).stdout.strip()
    run(cli_env, "keys", "create", "--company", second, "--all-scopes")
    revoked = run(cli_env, "keys", "create", "--company", second, "--all-scopes")
    assert run(cli_env, "keys", "revoke", revoked.stderr.split()[1]).returncode == 0

    listing = run(cli_env, "companies", "list")
    assert listing.returncode == 0, listing.stderr
    header = table_row(listing.stdout, "id")
    assert header == ["id", "timezone", "currency", "created", "live keys", "name"]
    one, two = table_row(listing.stdout, first), table_row(listing.stdout, second)
    assert (one[1], one[2], one[4], one[5]) == ("UTC", "USD", "0", "Listed One")
    assert (two[1], two[2], two[4], two[5]) == ("Europe/Paris", "USD", "1", "Listed Two")
    # Oldest first.
    assert listing.stdout.index(first) < listing.stdout.index(second)
    assert "adl_sk_" not in listing.stdout


async def test_keys_create_pins_the_newest_version_unless_told_none(
    cli_env: dict[str, str], app: FastAPI
) -> None:
    company_id = run(cli_env, "companies", "create", "--name", "Pinners").stdout.strip()
    pinned = run(cli_env, "keys", "create", "--company", company_id, "--all-scopes")
    unpinned = run(
        cli_env, "keys", "create", "--company", company_id, "--all-scopes", "--api-version", "none"
    )
    older = run(
        cli_env,
        "keys",
        "create",
        "--company",
        company_id,
        "--all-scopes",
        "--api-version",
        "2026-06-20",
    )
    assert f"pinned to {NEWEST}" in pinned.stderr
    assert "pinned to no version" in unpinned.stderr
    listing = run(cli_env, "keys", "list", "--company", company_id)
    versions = {
        created.stderr.split()[1]: table_row(listing.stdout, created.stderr.split()[1])[4]
        for created in (pinned, unpinned, older)
    }
    assert list(versions.values()) == [NEWEST, "none", "2026-06-20"]

    # Without an Api-Version-Date header: the pinned key speaks the newest version (a CBO
    # budget on the campaign), the unpinned one 2025-01-01 (which knows no such field).
    body = {
        "title": "Pinned",
        "objective": "sales",
        "platform": "meta",
        "budget_optimization": "ad_campaign",
        "budget_amount": 25,
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as bare:
        for created, status in ((pinned, 200), (unpinned, 400)):
            headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
            answer = await bare.post("/ad_campaigns", json=body, headers=headers)
            assert answer.status_code == status, answer.text
