"""The older official client (whop-sdk 0.0.41, Stainless-generated) drives a real Adline
at Api-Version-Date 2026-06-09: retrieve, list, pause and unpause of campaigns, ad groups
and ads, with the client unmodified.

0.0.41 is a release of the same package as the newest client (whop-sdk 2.6.0) in `.venv`,
so dev.py installs it into a directory of its own, `.venv/clients/whop-sdk-0.0.41` (with
every release pinned in `[tool.adline] client-releases` in pyproject.toml), and the client
runs in a subprocess with that directory first on PYTHONPATH: tests/legacy_client_script.py,
which prints what each call answered and what the client parsed it into, as JSON, for the
assertions here.

This module pins the client to an older version (`version="2026-06-09"`) than its default;
tests/clients/test_client_releases.py runs 0.0.41, like every other pinned release, at
its own default version (2026-07-08-1), with its full lifecycle.

The server and the tenant keys are test_official_client.py's: `adline serve`'s app under
uvicorn on a local port. The tree is built and launched over HTTP in the newest version,
with the bodies of tests/hierarchy/builders.py: creating through the old client is not
what this module covers.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import test_official_client as official
from tests.campaigns.payloads import abo_campaign
from tests.hierarchy.builders import ad_body, group_body

ROOT = Path(__file__).resolve().parent.parent
LEGACY_PYTHON = ROOT / ".venv" / "bin" / "python"
LEGACY_SDK_DIR = ROOT / ".venv" / "clients" / "whop-sdk-0.0.41"
SCRIPT = Path(__file__).resolve().parent / "legacy_client_script.py"
LEGACY_VERSION = "2026-06-09"
NEWEST_VERSION = "2026-10-15-1"

# The real server of test_official_client.py, as a fixture of this module (module-scoped:
# a server of its own for this module).
api_url = official.api_url


def launched_tree(api_url: str, api_key: str) -> dict[str, dict[str, Any]]:
    """An ABO campaign with one $10/day ad group holding one ad, built and launched over
    HTTP in the newest version, with the request bodies of tests/hierarchy/builders.py."""
    headers = {"Authorization": f"Bearer {api_key}", "Api-Version-Date": NEWEST_VERSION}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30) as http:

        def ok(response: httpx.Response) -> dict[str, Any]:
            assert response.status_code == 200, response.text
            assert response.headers["api-version-date"] == NEWEST_VERSION
            body: dict[str, Any] = response.json()
            return body

        campaign = ok(http.post("/ad_campaigns", json=abo_campaign(budget_optimization="ad_group")))
        group = ok(http.post("/ad_groups", json=group_body(campaign["id"])))
        assert group["budget_amount"] == 10
        ad = ok(http.post("/ads", json=ad_body(group["id"])))
        campaign = ok(http.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
        assert campaign["status"] == "active"
        assert campaign["delivery_status"] == "active"
        return {"campaign": campaign, "group": group, "ad": ad}


def run_legacy_client(config: dict[str, str]) -> dict[str, Any]:
    """Run tests/legacy_client_script.py under whop-sdk 0.0.41 and return what it printed."""
    assert (LEGACY_SDK_DIR / "whop_sdk").is_dir(), (
        f"whop-sdk 0.0.41 is not installed in {LEGACY_SDK_DIR}: `python3 dev.py test` "
        "installs it (pinned in pyproject.toml [tool.adline] client-releases)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHOP_")}
    env["PYTHONPATH"] = str(LEGACY_SDK_DIR)
    done = subprocess.run(
        [str(LEGACY_PYTHON), str(SCRIPT), json.dumps(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"the script failed:\n{done.stdout}\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module")
def legacy_run(api_url: str, database_url: str) -> dict[str, Any]:
    """One launched tree, and one run of the old client over it (a subprocess is slow)."""
    key = official.new_tenant_key(database_url, "Legacy SDK Co")
    tree = launched_tree(api_url, key)
    report = run_legacy_client(
        {
            "base_url": api_url,
            "api_key": key,
            "version": LEGACY_VERSION,
            "campaign_id": tree["campaign"]["id"],
            "ad_group_id": tree["group"]["id"],
            "ad_id": tree["ad"]["id"],
        }
    )
    steps = {step["step"]: step for step in report["steps"]}
    return {"key": key, "tree": tree, "report": report, "steps": steps}


def assert_key_fields_answered(item: dict[str, Any]) -> None:
    """Every key field was in the answer, none left at the model's default: as a field the
    client's type declares, or as an extra it keeps (0.0.41's AdGroup and Ad declare no
    `platform`, for one)."""
    answered = set(item["fields_set"]) | set(item["undeclared"])
    assert set(item["fields"]) <= answered, item


def parsed(step: dict[str, Any], model: str) -> dict[str, Any]:
    """The one object a call answered, which the client parsed into `model` without error,
    in the 2026-06-09 shape and with the key fields shared by both shapes."""
    assert step["ok"], f"{step['step']} failed: {json.dumps(step, indent=2)}"
    assert step["http_status"] == 200
    assert step["api_version_date"] == LEGACY_VERSION
    assert step["page"] is False
    item: dict[str, Any] = step["item"]
    assert item["model"] == model
    assert_key_fields_answered(item)
    # The 2026-06-09 shape, not the newest: no delivery status (spec L, B.3, B.4).
    assert "delivery_status" not in item["fields_set"]
    assert "delivery_status" not in item["undeclared"]
    return item


def page(step: dict[str, Any], model: str) -> list[dict[str, Any]]:
    assert step["ok"], f"{step['step']} failed: {json.dumps(step, indent=2)}"
    assert step["http_status"] == 200
    assert step["api_version_date"] == LEGACY_VERSION
    assert step["page"] is True
    items: list[dict[str, Any]] = step["items"]
    for item in items:
        assert item["model"] == model
        assert_key_fields_answered(item)
    return items


CAMPAIGN = "whop_sdk.types.ad_campaign.AdCampaign"
GROUP = "whop_sdk.types.ad_group.AdGroup"
AD = "whop_sdk.types.ad.Ad"


class TestLegacyClient:
    def test_the_old_client_is_what_runs(self, legacy_run: dict[str, Any]) -> None:
        report = legacy_run["report"]
        assert report["sdk_version"] == "0.0.41"
        assert Path(report["sdk_file"]).is_relative_to(LEGACY_SDK_DIR)
        assert report["client_version"] == LEGACY_VERSION
        failed = [s for s in report["steps"] if not s["ok"]]
        assert failed == [], json.dumps(failed, indent=2)

    def test_retrieve(self, legacy_run: dict[str, Any]) -> None:
        tree, steps = legacy_run["tree"], legacy_run["steps"]
        campaign_id, group_id, ad_id = (tree[k]["id"] for k in ("campaign", "group", "ad"))

        campaign = parsed(steps["campaign.retrieve"], CAMPAIGN)["fields"]
        assert campaign["id"] == campaign_id
        assert campaign["title"] == "Spring launch"
        assert campaign["status"] == "active"
        assert campaign["platform"] == "meta"
        assert campaign["budget"] is None  # ABO: the groups own the budget
        assert campaign["budget_type"] is None
        assert campaign["created_at"] == tree["campaign"]["created_at"]
        assert campaign["issues"] == []
        assert (campaign["spend"], campaign["clicks"], campaign["impressions"]) == (0, 0, 0)

        group_item = parsed(steps["ad_group.retrieve"], GROUP)
        group = group_item["fields"]
        assert group["id"] == group_id
        assert group["ad_campaign"] == {"id": campaign_id}
        assert group["title"] == "Prospecting"
        assert group["status"] == "active"
        assert group["platform"] == "meta"
        assert group["budget"] == 10
        assert group["budget_type"] == "daily"
        assert group["issues"] == []
        # The 2026-06-09 budget is `budget`: the client keeps it as an undeclared extra.
        assert "budget" in group_item["undeclared"]
        assert "budget_amount" not in group_item["fields_set"]

        ad = parsed(steps["ad.retrieve"], AD)["fields"]
        assert ad["id"] == ad_id
        assert ad["ad_group"] == {"id": group_id}
        assert ad["ad_campaign"] == {"id": campaign_id}
        assert ad["title"] == "Spring sale"
        assert ad["status"] == "active"
        assert ad["platform"] == "meta"
        assert ad["issues"] == []

    def test_list(self, legacy_run: dict[str, Any]) -> None:
        tree, steps = legacy_run["tree"], legacy_run["steps"]
        campaign_id, group_id, ad_id = (tree[k]["id"] for k in ("campaign", "group", "ad"))
        # The key's company holds this one tree, so every list is exactly it.
        for name in ("campaign.list", "campaign.list.active"):
            [campaign] = page(steps[name], CAMPAIGN)
            assert campaign["fields"]["id"] == campaign_id
            assert campaign["fields"]["status"] == "active"
        for name in ("ad_group.list", "ad_group.list.all"):
            [group] = page(steps[name], GROUP)
            assert group["fields"]["id"] == group_id
            assert group["fields"]["ad_campaign"] == {"id": campaign_id}
            assert group["fields"]["status"] == "active"
        for name in ("ad.list.by_group", "ad.list.by_campaign", "ad.list.all"):
            [ad] = page(steps[name], AD)
            assert ad["fields"]["id"] == ad_id
            assert ad["fields"]["ad_group"] == {"id": group_id}
            assert ad["fields"]["status"] == "active"

    @pytest.mark.parametrize(
        ("kind", "model", "tree_key"),
        [("campaign", CAMPAIGN, "campaign"), ("ad_group", GROUP, "group"), ("ad", AD, "ad")],
    )
    def test_pause_then_unpause(
        self, legacy_run: dict[str, Any], kind: str, model: str, tree_key: str
    ) -> None:
        steps = legacy_run["steps"]
        object_id = legacy_run["tree"][tree_key]["id"]
        for step, status in (
            ("pause", "paused"),
            ("retrieve.paused", "paused"),
            ("unpause", "active"),
            ("retrieve.active", "active"),
        ):
            fields = parsed(steps[f"{kind}.{step}"], model)["fields"]
            assert (fields["id"], fields["status"]) == (object_id, status), step

    def test_the_tree_delivers_again_afterwards(
        self, legacy_run: dict[str, Any], api_url: str
    ) -> None:
        """The old client's pauses and unpauses went through the same state machine: read
        in the newest version, the whole tree is active and delivering again."""
        tree = legacy_run["tree"]
        headers = {
            "Authorization": f"Bearer {legacy_run['key']}",
            "Api-Version-Date": NEWEST_VERSION,
        }
        with httpx.Client(base_url=api_url, headers=headers, timeout=30) as http:
            for path in (
                f"/ad_campaigns/{tree['campaign']['id']}",
                f"/ad_groups/{tree['group']['id']}",
                f"/ads/{tree['ad']['id']}",
            ):
                response = http.get(path)
                assert response.status_code == 200, response.text
                body = response.json()
                assert (body["status"], body["delivery_status"]) == ("active", "active"), path
