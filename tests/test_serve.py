"""`adline serve` end to end: a fresh store gets a demo company and key, printed once."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ADLINE = str(Path(sys.executable).parent / "adline")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(process: subprocess.Popen[str] | subprocess.Popen[bytes], url: str) -> None:
    """Until the server at `url` answers /healthz (at most 30 s; fails if it exits)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "server exited"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)


@contextmanager
def running_server(cwd: Path) -> Iterator[tuple[str, list[str]]]:
    """Run `adline serve` in `cwd` (default store ./var/adline.db); yield its URL and stdout."""
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    process = subprocess.Popen(
        [ADLINE, "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stdout: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, url)
        yield url, stdout
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
        stdout.extend(out.splitlines())


def test_first_start_prints_a_working_demo_key_once(tmp_path: Path) -> None:
    with running_server(tmp_path) as (_, first_stdout):
        pass
    assert (tmp_path / "var" / "adline.db").exists()
    printed = dict(line.strip().split(":", 1) for line in first_stdout if ":" in line)
    company_id = printed["company id"].strip()
    api_key = printed["API key"].strip()
    assert company_id.startswith("biz_")
    assert api_key.startswith("adl_sk_")

    with running_server(tmp_path) as (url, stdout_again):
        headers = {"Authorization": f"Bearer {api_key}"}
        created = httpx.post(
            f"{url}/api/v1/ad_campaigns",
            json={"title": "Demo", "objective": "sales", "platform": "meta"},
            headers=headers,
        )
        assert created.status_code == 200, created.text
        listed = httpx.get(
            f"{url}/api/v1/ad_campaigns", params={"account_id": company_id}, headers=headers
        )
        assert [c["title"] for c in listed.json()["data"]] == ["Demo"]
    assert not any("API key" in line for line in stdout_again)
