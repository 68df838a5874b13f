"""Each official client release, unmodified, drives a real Adline at its own default version.

The releases are pinned in pyproject.toml (`[tool.adline] client-releases`) and installed
by dev.py, each into `.venv/clients/whop-sdk-X` with the dependencies it declares: the
Stainless-generated 0.0.41 and the Fern-generated 1.x and 2.x. A release whose directory is
missing fails its tests (never a skip): `python3 dev.py test` installs them.

For each release the module makes a fresh company and an API key that is not pinned to a
version (`api_version_date` null, test_official_client.new_tenant_key), so the client's own
default `Api-Version-Date` decides the version, and runs the script of its generator family
(stainless_lifecycle.py, fern_lifecycle.py) in a subprocess with `.venv/bin/python`, the
release's directory on PYTHONPATH and no `WHOP_*` variable. The script creates, retrieves,
lists, updates, launches, pauses, unpauses, duplicates and deletes a campaign, an ad group
and an ad through the release's own typed methods, checks every answer strictly against the
release's own types (Stainless: the client's `_strict_response_validation`; Fern: pydantic
strict mode and closed enums, see fern_lifecycle.py), and prints a JSON report; the tests
here assert on it what a user of that release would notice. 0.0.41 has no duplicate method:
its copies are made over plain HTTP in the newest version and retrieved through it.

One real server for the whole module: test_official_client.py's `api_url` fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests import test_official_client as official
from tests.files.helpers import upload_file_sync

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
CLIENTS_DIR = ROOT / ".venv" / "clients"
SCRIPTS = Path(__file__).resolve().parent
NEWEST_VERSION = "2026-10-15-1"

# Each release and the Api-Version-Date it sends when none is given (its `Whop.__init__`).
DEFAULT_VERSIONS = {
    "0.0.41": "2026-07-08-1",
    "1.0.14": "2026-08-21-1",
    "1.1.5": "2026-09-15",
    "2.0.0": "2026-09-23",
    "2.2.0": "2026-09-29",
    "2.3.0": "2026-10-08",
    "2.4.0": "2026-10-09-2",
    "2.5.0": "2026-10-13-1",
    "2.6.0": "2026-10-15-1",
}

KINDS = ("ad_campaign", "ad_group", "ad")
ID_PREFIXES = {"ad_campaign": "adcamp_", "ad_group": "adgrp_", "ad": "ad_"}
TITLES = {"ad_campaign": "Spring launch", "ad_group": "Prospecting", "ad": "Spring sale"}
NEW_TITLES = {k: f"{v} (EU)" for k, v in TITLES.items()}
PATHS = {"ad_campaign": "ad_campaigns", "ad_group": "ad_groups", "ad": "ads"}

api_url = official.api_url


def pinned_releases() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins: list[str] = pyproject["tool"]["adline"]["client-releases"]
    return [pin.removeprefix("whop-sdk==") for pin in pins]


def family(release: str) -> str:
    return "stainless" if release.startswith("0.") else "fern"


class Report:
    """One release's run: what its script printed, by step."""

    def __init__(self, release: str, data: dict[str, Any]) -> None:
        self.release = release
        self.version = DEFAULT_VERSIONS[release]
        self.data = data
        self.steps: dict[str, dict[str, Any]] = {step["step"]: step for step in data["steps"]}

    def ok(self, name: str) -> Any:
        """The result of a step that succeeded through the release, in its default version,
        with every answer fitting the release's types."""
        step = self.steps.get(name)
        assert step is not None, f"{self.release}: no step {name} (the script stopped early?)"
        assert not step.get("harness"), f"{self.release}: {name} was not done by the release"
        assert step["ok"], self.failure(step)
        strict = step.get("strict_errors", [])
        assert strict == [], (
            f"whop-sdk {self.release} {name}: the answer does not fit the release's types:\n"
            + "\n".join(strict)
        )
        self.assert_versions(step)
        return step["result"]

    def failure(self, step: dict[str, Any]) -> str:
        """What the release raised, in a few lines: the fields its types refused, or the
        error the server answered, and the requests that led there."""
        error = step["error"]
        lines = [
            f"whop-sdk {self.release} {step['step']} raised {error['class']} "
            f"(HTTP {error['status_code']}):"
        ]
        if error.get("validation"):
            lines.append("the answer does not fit the release's types:")
            lines += [f"  {problem}" for problem in error["validation"]]
        elif error.get("message"):
            lines += [error["message"], error.get("traceback", "")]
        else:
            lines.append(json.dumps(error["body"]))
        lines += [
            f"  sent {r['method']} {r['url']} {json.dumps(r['sent_body'])} -> {r['status']}"
            for r in step["requests"]
        ]
        return "\n".join(lines)

    def assert_versions(self, step: dict[str, Any]) -> None:
        assert step["requests"], f"{self.release} {step['step']}: no request was made"
        for request in step["requests"]:
            sent = (request["sent_version"], request["answered_version"])
            assert sent == (self.version, self.version), (self.release, request)

    def object_id(self, kind: str) -> str:
        """The id of the object created for `kind`: by the release, else by the fallback."""
        step = self.steps[f"{kind}.create"]
        if step["ok"]:
            object_id: str = step["result"]["id"]
            return object_id
        fallback: str = self.steps[f"{PATHS[kind]}.create.fallback"]["result"]["id"]
        return fallback


@pytest.fixture(scope="module", params=list(DEFAULT_VERSIONS))
def report(request: pytest.FixtureRequest, api_url: str, database_url: str) -> Report:
    """One run of one release's script against the module's server, with a fresh company and
    an unpinned key (a subprocess per release: each is slow to start)."""
    release: str = request.param
    directory = CLIENTS_DIR / f"whop-sdk-{release}"
    assert (directory / "whop_sdk").is_dir(), (
        f"whop-sdk {release} is not installed in {directory}: "
        "`python3 dev.py test` (or any dev.py command) installs every release pinned in "
        "pyproject.toml [tool.adline] client-releases"
    )
    key = official.new_tenant_key(database_url, f"Client {release} Co")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHOP_")}
    env["PYTHONPATH"] = str(directory)
    script = SCRIPTS / f"{family(release)}_lifecycle.py"
    # The ad's creative: a file of the company, uploaded (no release before 2.6.0 has files).
    config = {
        "base_url": api_url,
        "api_key": key,
        "newest_version": NEWEST_VERSION,
        "creative_id": upload_file_sync(api_url, key),
    }
    done = subprocess.run(
        [str(PYTHON), str(script), json.dumps(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"{script.name} under whop-sdk {release} failed:\n{done.stdout}\n{done.stderr}"
    )
    return Report(release, json.loads(done.stdout))


def test_every_pinned_release_is_tested() -> None:
    assert pinned_releases() == list(DEFAULT_VERSIONS)


class TestClientRelease:
    def test_the_release_is_what_runs(self, report: Report) -> None:
        assert report.data["family"] == family(report.release)
        assert report.data["sdk_version"] == report.release
        directory = CLIENTS_DIR / f"whop-sdk-{report.release}"
        assert Path(report.data["sdk_file"]).is_relative_to(directory)
        if "client_version" in report.data:
            assert report.data["client_version"] == report.version

    def test_it_sends_its_default_version_and_is_answered_in_it(self, report: Report) -> None:
        """Every request of the run (the release's and the harness's own aside) carried the
        release's default Api-Version-Date, and every answer named that version."""
        requests = [
            request
            for step in report.data["steps"]
            if not step.get("harness")
            for request in step["requests"]
        ]
        assert len(requests) >= 30
        assert {r["sent_version"] for r in requests} == {report.version}
        assert {r["answered_version"] for r in requests} == {report.version}

    @pytest.mark.parametrize("kind", KINDS)
    def test_create(self, report: Report, kind: str) -> None:
        created = report.ok(f"{kind}.create")
        assert created["id"].startswith(ID_PREFIXES[kind])
        assert created["title"] == TITLES[kind]
        if kind == "ad_campaign":
            assert created["status"] == "draft"
        if kind == "ad_group":
            assert created["ad_campaign.id"] == report.object_id("ad_campaign")
            assert created["budget_amount"] == 10
        if kind == "ad":
            assert created["ad_group.id"] == report.object_id("ad_group")
            assert created["ad_campaign.id"] == report.object_id("ad_campaign")

    @pytest.mark.parametrize("kind", KINDS)
    def test_retrieve(self, report: Report, kind: str) -> None:
        retrieved = report.ok(f"{kind}.retrieve")
        assert retrieved["id"] == report.object_id(kind)
        assert retrieved["title"] == TITLES[kind]

    @pytest.mark.parametrize("kind", KINDS)
    def test_list(self, report: Report, kind: str) -> None:
        listed = report.ok(f"{kind}.list")
        # The company holds this one tree: each list (ad groups of the campaign, ads of
        # the group) is exactly the object.
        assert [item["id"] for item in listed] == [report.object_id(kind)]

    @pytest.mark.parametrize("kind", KINDS)
    def test_update(self, report: Report, kind: str) -> None:
        updated = report.ok(f"{kind}.update")
        assert updated["id"] == report.object_id(kind)
        assert updated["title"] == NEW_TITLES[kind]
        if kind == "ad_group":
            assert updated["budget_amount"] == 12
        # A later read sees it.
        assert report.ok(f"{kind}.retrieve.paused")["title"] == NEW_TITLES[kind]

    def test_launch(self, report: Report) -> None:
        launched = report.ok("ad_campaign.launch")
        assert (launched["id"], launched["status"]) == (report.object_id("ad_campaign"), "active")

    @pytest.mark.parametrize("kind", KINDS)
    def test_pause_then_unpause(self, report: Report, kind: str) -> None:
        object_id = report.object_id(kind)
        for step, status in (
            ("pause", "paused"),
            ("retrieve.paused", "paused"),
            ("unpause", "active"),
            ("retrieve.active", "active"),
        ):
            result = report.ok(f"{kind}.{step}")
            assert (result["id"], result["status"]) == (object_id, status), step

    @pytest.mark.parametrize("kind", KINDS)
    def test_duplicate(self, report: Report, kind: str) -> None:
        source = report.object_id(kind)
        step = report.steps[f"{kind}.duplicate"]
        if family(report.release) == "stainless":
            # 0.0.x has no duplicate method: the harness made the copy over plain HTTP.
            assert step.get("harness"), step
            copy_id = step["result"]["copy"]
        else:
            copies = report.ok(f"{kind}.duplicate")
            assert len(copies) == 1
            copy_id = copies[0]["id"]
            assert copies[0]["title"] == NEW_TITLES[kind]
        assert copy_id.startswith(ID_PREFIXES[kind])
        assert copy_id != source
        copy = report.ok(f"{kind}.retrieve.copy")
        assert copy["id"] == copy_id
        assert copy["title"] == NEW_TITLES[kind]

    @pytest.mark.parametrize("kind", KINDS)
    def test_delete(self, report: Report, kind: str) -> None:
        object_id = report.object_id(kind)
        deleted = report.ok(f"{kind}.delete")
        if family(report.release) == "stainless":
            # 0.0.x types a delete's answer as a bare `bool` (AdCampaignDeleteResponse =
            # bool): the client reads the body `true` as True, anything else as False.
            assert deleted is True
        else:
            assert (deleted["id"], deleted["deleted"]) == (object_id, True)

        gone = report.steps[f"{kind}.retrieve.deleted"]
        assert not gone["ok"], f"{report.release}: {kind} {object_id} is still there: {gone}"
        error = gone["error"]
        assert error["not_found"], f"{report.release} raised {error['class']}, not NotFoundError"
        assert error["status_code"] == 404
        assert error["body"]["error"]["code"] == "resource_not_found"
        report.assert_versions(gone)
