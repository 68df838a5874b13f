"""The README's tour, run as written: its own shell blocks (parsed out of README.md) with
bash and curl against a real `adline serve` on a fresh store, then its Python client block
and its error example. Only what the tour tells the reader to fill in is substituted: the
printed key, and the address (the server listens on a free port here)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.delivery.test_simulate_cli import fresh_postgres, server_url
from tests.readme_blocks import Block, readme_blocks
from tests.test_serve import ADLINE, free_port, wait_until_serving

README_API = "http://127.0.0.1:8080/api/v1"
KEY_LINE = re.compile(r"^KEY=adl_sk_\.\.\.(?=\s)", re.MULTILINE)
# Every request of the tour must answer 2xx: curl fails on anything else (exit 22, the
# answer still shown), and bash stops at the first failing command, pipes included.
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""
CLIENT = Path(sys.executable).parent.parent / "clients" / "whop-sdk-2.6.0"


def tour_blocks() -> list[Block]:
    """The README's shell blocks that talk to the API, in order."""
    return [b for b in readme_blocks() if b.language in ("sh", "bash") and "$API" in b.text]


def test_the_tour_has_its_blocks() -> None:
    blocks = tour_blocks()
    assert len(blocks) == 3, [block.line for block in blocks]
    assert KEY_LINE.search(blocks[0].text), "the first block sets KEY from the printed key"
    assert f"API={README_API}" in blocks[0].text


def test_the_readme_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    with demo_server(tmp_path) as (url, key):
        api = f"{url}/api/v1"
        script = [PRELUDE]
        for number, block in enumerate(tour_blocks()):
            text = KEY_LINE.sub(f"KEY={key}", block.text).replace(f"API={README_API}", f"API={api}")
            script += [
                f"echo '=== README.md line {block.line}' >&2\n",
                text,
                f"echo '=== block {number} ok' >&2\n",
            ]
        ran = subprocess.run(
            ["bash", "-c", "".join(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"},
        )
        assert ran.returncode == 0, (
            f"{ran.stderr}\n--- stdout:\n{ran.stdout[-3000:]}\n--- server:\n{server_log(tmp_path)}"
        )
        assert ran.stderr.count("ok\n") == len(tour_blocks())

        # What the tour made, read back.
        headers = {"Authorization": f"Bearer {key}"}
        campaigns = httpx.get(f"{api}/ad_campaigns", params={"first": 10}, headers=headers)
        listed = campaigns.json()["data"]
        # The campaign and one of its two copies (the other was deleted).
        assert sorted(c["title"] for c in listed) == ["Spring launch (EU)"] * 2
        [tour] = [c for c in listed if c["spend_cap_id"]]
        assert tour["status"] == "active"
        cap = httpx.get(f"{api}/spend_caps/{tour['spend_cap_id']}", headers=headers).json()
        assert cap["spend_cap"]["status"] == "ACTIVE"
        assert cap["spend_cap"]["budget"]["amount"]["amount_micro"] == "75000000000"

        if CLIENT.is_dir():
            run_client_block(key, api)

        # The error example is what a campaign without a platform answers.
        [example] = [b for b in readme_blocks() if b.language == "json" and '"error"' in b.text]
        refused = httpx.post(
            f"{api}/ad_campaigns",
            json={"title": "Spring launch", "objective": "sales"},
            headers=headers,
        )
        assert refused.status_code == 400
        assert refused.json() == json.loads(example.text)


@contextmanager
def demo_server(cwd: Path) -> Iterator[tuple[str, str]]:
    """`adline serve` on a fresh store, as `python3 dev.py serve` runs it in `cwd` (or on a
    new PostgreSQL database when the suite runs on PostgreSQL); yields its URL and the demo
    key it printed on first start."""
    server = server_url()
    if server is None:
        with serving(cwd, []) as answer:
            yield answer
        return
    with fresh_postgres(server) as url, serving(cwd, ["--database-url", url]) as answer:
        yield answer


SERVER_LOG = "server.log"


def server_log(cwd: Path) -> str:
    """The end of the tour's server's log."""
    return (cwd / SERVER_LOG).read_text(errors="replace")[-6000:]


@contextmanager
def serving(cwd: Path, options: list[str]) -> Iterator[tuple[str, str]]:
    port = free_port()
    # The server's log, so a failing block's 500 comes with its traceback (`server_log`).
    with (cwd / SERVER_LOG).open("w") as log:
        process = subprocess.Popen(
            [ADLINE, "serve", "--port", str(port), *options],
            env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONUNBUFFERED": "1"},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        assert process.stdout is not None
        # Printed before it serves: "  company id: biz_..." then "  API key:    adl_sk_...".
        printed = dict(process.stdout.readline().strip().split(":", 1) for _ in range(2))
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, url)
        yield url, printed["API key"].strip()
    finally:
        process.terminate()
        process.communicate(timeout=30)


def run_client_block(key: str, api: str) -> None:
    """The README's Python block with whop-sdk 2.6.0 (installed by dev.py)."""
    [block] = [b for b in readme_blocks() if b.language == "python" and "whop_sdk" in b.text]
    code = block.text.replace('KEY = "adl_sk_..."', f'KEY = "{key}"').replace(README_API, api)
    assert key in code and api in code
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(CLIENT)},
    )
    assert ran.returncode == 0, ran.stderr
    assert re.fullmatch(r"adcamp_[0-9A-Za-z]{14} draft\n", ran.stdout), ran.stdout


@pytest.mark.parametrize("block", tour_blocks(), ids=lambda block: f"line {block.line}")
def test_each_tour_block_is_valid_bash(block: Block) -> None:
    checked = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
