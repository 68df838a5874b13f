"""The committed client-release shapes (src/adline/versions/releases/*.json).

Read only the committed JSON: no wheels, no network. `tools/client_shapes.py` writes them;
see that directory's README.md for the command.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
RELEASES_DIR = ROOT / "src" / "adline" / "versions" / "releases"
FIELD_SETS = Path(__file__).parents[2].parent / "shared/spec/field-sets.md"

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
RELEASES = list(DEFAULT_VERSIONS)
ENTITY_ROLES = ("ad_campaign", "ad_group", "ad")
ROLES = (
    *ENTITY_ROLES,
    *("ad_campaign_list", "ad_group_list", "ad_list"),
    *("ad_campaign_delete", "ad_group_delete", "ad_delete"),
    "issue",
)
RESOURCES = ("ad_campaigns", "ad_groups", "ads")
# Every release has these; the rest (duplicate, estimate_reach, ...) come and go.
CORE_METHODS = ("create", "retrieve", "update", "list", "delete", "pause", "unpause")
SECTION_ROLE = {"AdCampaign": "ad_campaign", "AdGroup": "ad_group", "Ad": "ad"}
SPEC_KEYS = {"required", "nullable", "type", "enum", "ref"}


@cache
def release(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RELEASES_DIR / f"whop-sdk-{name}.json").read_text())
    return data


def field_sets() -> dict[str, dict[str, dict[str, bool]]]:
    """field-sets.md as {release: {section: {field: required}}} (R = required, o = not)."""
    out: dict[str, dict[str, dict[str, bool]]] = {}
    section = None
    header: list[str] = []
    for line in FIELD_SETS.read_text().splitlines():
        heading = re.match(r"^## (\w+)\s*$", line)
        if heading:
            section, header = heading.group(1), []
            continue
        if section is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if set(cells[0]) <= {"-"}:
            continue
        for column, cell in zip(header[1:], cells[1:], strict=True):
            match = re.match(r"^(\d+\.\d+\.\d+) \(", column)
            if match and cell in {"R", "o"}:
                table = out.setdefault(match.group(1), {}).setdefault(section, {})
                table[cells[0]] = cell == "R"
    return out


def test_every_release_has_a_file() -> None:
    files = sorted(p.name for p in RELEASES_DIR.glob("whop-sdk-*.json"))
    assert files == sorted(f"whop-sdk-{r}.json" for r in RELEASES)


@pytest.mark.parametrize("name", RELEASES)
def test_default_version(name: str) -> None:
    assert release(name)["release"] == name
    assert release(name)["default_api_version"] == DEFAULT_VERSIONS[name]


@pytest.mark.parametrize("name", RELEASES)
def test_generator_and_tokens(name: str) -> None:
    data = release(name)
    if name.startswith("0."):
        assert data["generator"] == "stainless"
        assert data["api_version_tokens"] is None
    else:
        assert data["generator"] == "fern"
        # A release declares the version it sends, as its newest token.
        assert data["api_version_tokens"][-1] == DEFAULT_VERSIONS[name]


def test_tokens_only_grow() -> None:
    fern = [release(r)["api_version_tokens"] for r in RELEASES[1:]]
    for older, newer in itertools.pairwise(fern):
        assert newer[: len(older)] == older
    assert len(fern[-1]) == 70


@pytest.mark.parametrize("name", RELEASES)
def test_objects_present_and_well_formed(name: str) -> None:
    data = release(name)
    for role in ROLES:
        assert role in data["objects"], role
        assert role in data["object_classes"], role
    for role in ENTITY_ROLES:
        table = data["objects"][role]
        assert {"id", "issues", "status", "created_at"} <= set(table)
        # Stainless gives each entity its own (identical) Issue class.
        ref = table["issues"]["ref"]
        issue = data["nested_objects"].get(ref) or data["objects"]["issue"]
        assert issue == data["objects"]["issue"]
    for role in ("ad_campaign_list", "ad_group_list", "ad_list"):
        assert {"data", "page_info"} <= set(data["objects"][role])
    tables = [t for t in data["objects"].values() if t is not None]
    for table in [*tables, *data["nested_objects"].values()]:
        for spec in table.values():
            assert set(spec) == SPEC_KEYS
            assert not spec["type"].startswith("unknown")


@pytest.mark.parametrize("name", RELEASES)
def test_refs_resolve(name: str) -> None:
    data = release(name)
    known = set(data["nested_objects"]) | {c["class"] for c in data["object_classes"].values()}
    tables = [t for t in data["objects"].values() if t is not None]
    tables += list(data["nested_objects"].values())
    for resource in data["requests"].values():
        tables += [m["params"] for m in resource["methods"].values()]
    for table in tables:
        for spec in table.values():
            for ref in (spec["ref"] or "").split(" | "):
                assert not ref or ref in known, ref


@pytest.mark.parametrize("name", RELEASES)
def test_requests(name: str) -> None:
    data = release(name)
    for resource in RESOURCES:
        methods = data["requests"][resource]["methods"]
        assert set(CORE_METHODS) <= set(methods)
        for method, entry in methods.items():
            assert entry["call"] == f"client.{resource}.{method}"
            assert entry["http"].split(" ")[1].startswith(f"/{resource}")
            for spec in entry["params"].values():
                assert spec["in"] in {"path", "query", "body", "header"}
        assert methods["create"]["http"] == f"POST /{resource}"
        assert methods["update"]["http"] == f"PATCH /{resource}/{{id}}"
        assert methods["pause"]["http"] == f"POST /{resource}/{{id}}/pause"
        assert methods["delete"]["http"] == f"DELETE /{resource}/{{id}}"
        assert methods["list"]["params"]["after"]["in"] == "query"


def test_diff_md_is_current() -> None:
    """DIFF.md is what `client_shapes.py --diff` renders from the committed JSON."""
    spec = importlib.util.spec_from_file_location("client_shapes", ROOT / "tools/client_shapes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up in sys.modules while being defined.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    rendered = module.render_diff(RELEASES_DIR, tuple(RELEASES))
    assert (RELEASES_DIR / "DIFF.md").read_text() == rendered


def test_deletes_return_a_boolean_then_an_object() -> None:
    assert release("0.0.41")["object_classes"]["ad_delete"]["type"] == "boolean"
    assert release("0.0.41")["objects"]["ad_delete"] is None
    assert set(release("2.6.0")["objects"]["ad_delete"]) == {"id", "deleted"}


def test_reports() -> None:
    assert "ad_report" in release("1.0.14")["objects"]
    assert "ad_report" not in release("1.1.5")["objects"]
    assert "time_series" not in release("2.2.0")["objects"]
    assert "time_series" in release("2.3.0")["objects"]
    params = release("2.6.0")["requests"]["stats.time_series"]["methods"]["retrieve"]["params"]
    assert params["from_"]["alias"] == "from"
    assert params["ad_campaign_ids"]["in"] == "query"


@pytest.mark.skipif(not FIELD_SETS.exists(), reason=f"{FIELD_SETS} is not in this checkout")
@pytest.mark.parametrize("name", ["0.0.41", "1.1.5", "2.0.0", "2.6.0"])
@pytest.mark.parametrize("section", list(SECTION_ROLE))
def test_agrees_with_field_sets(name: str, section: str) -> None:
    want = field_sets()[name][section]
    table = release(name)["objects"][SECTION_ROLE[section]]
    assert {field: spec["required"] for field, spec in table.items()} == want
