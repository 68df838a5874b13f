#!/usr/bin/env python3
"""Set-up entry point for a fresh clone: `python3 dev.py serve` and `python3 dev.py test`.

It needs only python3 (3.11+): it creates `.venv/`, installs Adline with its pinned
dependencies into it (again whenever pyproject.toml changes), then runs the command.

It also installs the older official client that the tests drive Adline with, pinned in
pyproject.toml as `[tool.adline] legacy-sdk`, into a directory of its own,
`.venv/legacy-whop-sdk` (with its own dependencies): it is another release of the same
package as the newest client (`whop-sdk`), so the two cannot share one environment. The
tests run it with that directory on PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".adline-installed"
LEGACY_SDK_DIR = VENV / "legacy-whop-sdk"
LOCAL_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def legacy_sdk_requirement(pyproject: bytes) -> str:
    """The older official client's pin: `[tool.adline] legacy-sdk` in pyproject.toml."""
    requirement: str = tomllib.loads(pyproject.decode())["tool"]["adline"]["legacy-sdk"]
    return requirement


def ensure_venv() -> None:
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    wanted = hashlib.sha256(pyproject).hexdigest()
    if (
        STAMP.exists()
        and STAMP.read_text() == wanted
        and PYTHON.exists()
        and LEGACY_SDK_DIR.is_dir()
    ):
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("dev.py: installing Adline and its pinned dependencies into .venv", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[dev]",
        ],
        check=True,
    )
    legacy = legacy_sdk_requirement(pyproject)
    print(f"dev.py: installing {legacy} into {LEGACY_SDK_DIR.relative_to(ROOT)}", flush=True)
    # A fresh directory each time: `pip install --target` does not replace what is there.
    shutil.rmtree(LEGACY_SDK_DIR, ignore_errors=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(LEGACY_SDK_DIR),
            legacy,
        ],
        check=True,
    )
    STAMP.write_text(wanted)


def postgres_url() -> str | None:
    """The PostgreSQL of the second run: $ADLINE_TEST_POSTGRES_URL, else the local one."""
    url = os.environ.get("ADLINE_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return LOCAL_POSTGRES_URL
    except OSError:
        return None


def run_tests(extra: list[str]) -> int:
    runs = [("SQLite", "sqlite")]
    pg = postgres_url()
    if pg:
        runs.append(("PostgreSQL", pg))
    else:
        print(
            "dev.py: no PostgreSQL reachable (set ADLINE_TEST_POSTGRES_URL): "
            "suite runs on SQLite only"
        )
    failed = False
    for label, url in runs:
        print(f"dev.py: running the test suite on {label}", flush=True)
        env = dict(os.environ, ADLINE_TEST_DATABASE=url)
        code = subprocess.run([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT, env=env).returncode
        # pytest exits 5 when it collected no test: that is a failure here, never a pass.
        if code != 0:
            print(f"dev.py: test suite FAILED on {label} (pytest exit {code})")
            failed = True
    return 1 if failed else 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test", "adline"}:
        print(
            "usage: python3 dev.py serve [adline serve options] | test [pytest options] | "
            "adline [command ...]",
            file=sys.stderr,
        )
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    ensure_venv()
    if command == "test":
        return run_tests(extra)
    adline = str(VENV / "bin" / "adline")
    if command == "serve":
        return subprocess.run([adline, "serve", *extra], cwd=ROOT).returncode
    return subprocess.run([adline, *extra], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
