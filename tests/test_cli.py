"""The `adline` command as a user runs it: a real process, real output, real exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

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
    assert secret[-4:] in listing.stdout
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200

    revoked = run(cli_env, "keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 401
