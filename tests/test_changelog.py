"""docs/versions.md is generated (adline.versions.changelog) and kept fresh."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from adline.versions import VERSION_BUNDLE, mappings
from adline.versions.changelog import COMMAND, render_changelog

ROOT = Path(__file__).resolve().parent.parent
VERSIONS_MD = ROOT / "docs" / "versions.md"
ADLINE = str(Path(sys.executable).parent / "adline")


def test_docs_versions_md_is_fresh() -> None:
    assert VERSIONS_MD.read_text(encoding="utf-8") == render_changelog(), (
        f"docs/versions.md differs from the change modules: run `{COMMAND}`"
    )


def test_the_command_prints_the_changelog() -> None:
    printed = subprocess.run(
        [ADLINE, "versions", "changelog"], capture_output=True, timeout=60, check=True
    )
    assert printed.stdout.decode("utf-8") == render_changelog()


def test_newest_first_with_every_change_and_its_docstring() -> None:
    text = render_changelog()
    positions = [text.index(f"\n### {value}") for value in VERSION_BUNDLE.values]
    assert positions == sorted(positions)
    for _, changes in VERSION_BUNDLE.changelog():
        for change in changes:
            assert f"\n#### {change.__name__}\n\n{inspect.cleandoc(change.__doc__ or '')}" in text
    assert f"the default, `{VERSION_BUNDLE.default}`" in text


def test_every_mapping_table_is_rendered() -> None:
    text = render_changelog()
    tables = [
        name for name, value in vars(mappings).items() if name.isupper() and isinstance(value, dict)
    ]
    assert tables
    for name in tables:
        assert f"`{name}`" in text, name
    # Both ways: a table and its reverse, or the values grouped back.
    assert "| `credit` | `financial_products` |" in text
    assert "| `financial_products` | `credit` |" in text
    assert "| `draft` | `draft`, `duplicating`, `importing`, `imported` |" in text
