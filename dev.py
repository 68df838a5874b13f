#!/usr/bin/env python3
"""Set-up entry point for a fresh clone: `python3 dev.py serve` and `python3 dev.py test`.

It needs only python3 (3.11+): it creates `.venv/`, installs Adline with its pinned
dependencies into it (again whenever pyproject.toml changes), then runs the command.

It also installs the official client releases that the tests drive Adline with, pinned in
pyproject.toml as `[tool.adline] client-releases` (exact `whop-sdk==X` pins), each into a
directory of its own, `.venv/clients/whop-sdk-X` (`pip install --target`, with the
dependencies that release declares): they are releases of one package, so no two can
share an environment. The tests run each with its directory on PYTHONPATH. The releases
install in parallel, one pip process each, and only those whose directory is missing.

Before the tests it makes sure Debian's Chromium is at /usr/bin/chromium (apt, once per
machine): the browser tests (tests/browser/) drive it through Playwright, whose own
browser downloads are not available here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".adline-installed"
CLIENTS_DIR = VENV / "clients"
# Where the single older client lived before `client-releases`: removed when found.
OLD_LEGACY_SDK_DIR = VENV / "legacy-whop-sdk"
LOCAL_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# The browser the browser tests (tests/browser/) drive through Playwright: Debian's
# Chromium, not a Playwright download (Playwright's browser builds are not fetchable here).
CHROMIUM = Path("/usr/bin/chromium")
# Set when Chromium is missing and cannot be installed: the browser tests skip, saying why.
NO_BROWSER_ENV = "ADLINE_BROWSER_UNAVAILABLE"


def client_releases(pyproject: bytes) -> list[str]:
    """The official client releases the tests drive Adline with: `[tool.adline]
    client-releases` in pyproject.toml, each an exact pin (`whop-sdk==2.6.0`)."""
    releases: list[str] = tomllib.loads(pyproject.decode())["tool"]["adline"]["client-releases"]
    for requirement in releases:
        name, sep, version = requirement.partition("==")
        if not sep or not name or not version or any(c in version for c in "<>=!~*,; "):
            raise SystemExit(f"dev.py: client-releases wants exact pins, not {requirement!r}")
    return releases


def client_dir(requirement: str) -> Path:
    """`.venv/clients/whop-sdk-2.6.0` for `whop-sdk==2.6.0`."""
    name, _, version = requirement.partition("==")
    return CLIENTS_DIR / f"{name}-{version}"


def install_client_releases(releases: list[str]) -> None:
    """Install each release whose directory is missing, one pip process per release, all at
    once (a pip run mostly waits on the registry: the nine releases took 32 s in parallel
    and 79 s one after another on a quiet 2-core machine). Each goes into a scratch
    directory first and is renamed into place only when pip succeeded, so a directory that
    exists is a complete install."""
    missing = [r for r in releases if not client_dir(r).is_dir()]
    if not missing:
        return
    CLIENTS_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    running = []
    for requirement in missing:
        scratch = Path(
            tempfile.mkdtemp(prefix=f".{client_dir(requirement).name}-", dir=CLIENTS_DIR)
        )
        process = subprocess.Popen(
            [
                str(PYTHON),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(scratch),
                requirement,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        running.append((requirement, scratch, process))
    failed = []
    for requirement, scratch, process in running:
        output, _ = process.communicate()
        target = client_dir(requirement)
        elapsed = time.monotonic() - started
        if process.returncode != 0:
            print(output.decode(errors="replace"), end="", file=sys.stderr)
            print(
                f"dev.py: installing {requirement} FAILED (pip exit {process.returncode})",
                flush=True,
            )
            shutil.rmtree(scratch, ignore_errors=True)
            failed.append(requirement)
            continue
        try:
            scratch.rename(target)
        except OSError:  # another dev.py got there first
            if not target.is_dir():
                raise
            shutil.rmtree(scratch, ignore_errors=True)
        print(
            f"dev.py: installed {requirement} into {target.relative_to(ROOT)} ({elapsed:.0f} s)",
            flush=True,
        )
    if failed:
        raise SystemExit(f"dev.py: could not install {', '.join(failed)}")
    print(
        f"dev.py: {len(missing)} client release(s) installed in {time.monotonic() - started:.0f} s",
        flush=True,
    )


def ensure_venv() -> None:
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    wanted = hashlib.sha256(pyproject).hexdigest()
    releases = client_releases(pyproject)
    if not (STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists()):
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
        shutil.rmtree(OLD_LEGACY_SDK_DIR, ignore_errors=True)
        if CLIENTS_DIR.is_dir():  # releases no longer pinned
            kept = {client_dir(r).name for r in releases}
            for path in CLIENTS_DIR.iterdir():
                if path.is_dir() and path.name not in kept and not path.name.startswith("."):
                    shutil.rmtree(path, ignore_errors=True)
        install_client_releases(releases)
        STAMP.write_text(wanted)
        return
    install_client_releases(releases)


def ensure_chromium() -> str | None:
    """Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests: installed
    with apt once per machine (skipped when present). `apt-get update` runs only when the
    install fails, as a fresh image's package lists may be stale or absent, so the usual
    case costs no registry round trip. Answers None when the browser is there, else why it
    cannot be (not root, no apt, apt failed): the tests then skip with that reason, and the
    line printed here makes it visible."""
    if CHROMIUM.exists():
        return None
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        reason = f"{CHROMIUM} is missing and apt-get (as root) is not available to install it"
        print(f"dev.py: {reason}: the browser tests will SKIP", flush=True)
        return reason
    print("dev.py: installing Debian's chromium with apt-get for the browser tests", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

    def apt_get(*args: str) -> int:
        return subprocess.run([apt, *args], stdout=subprocess.DEVNULL, env=env).returncode

    install = ("install", "-y", "--no-install-recommends", "chromium")
    if apt_get(*install) != 0:
        apt_get("update")
        apt_get(*install)
    if CHROMIUM.exists():
        return None
    reason = f"apt-get could not install chromium ({CHROMIUM} is missing)"
    print(f"dev.py: {reason}: the browser tests will SKIP", flush=True)
    return reason


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


def parallel_options(extra: list[str]) -> list[str]:
    """pytest-xdist's options for the run: one test process per core, each test file kept
    in one process (its module-scoped servers start once). Each process builds its own
    stores (tests/conftest.py), so the processes share nothing but the machine. A command
    line that names its own `-n` (or `-p no:xdist`) keeps it."""
    if any(arg.startswith(("-n", "--numprocesses")) or arg == "no:xdist" for arg in extra):
        return []
    return ["-n", "auto", "--dist", "loadfile"]


def run_tests(extra: list[str]) -> int:
    no_browser = ensure_chromium()
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
        if no_browser is not None:
            env[NO_BROWSER_ENV] = no_browser
        command = [str(PYTHON), "-m", "pytest", *parallel_options(extra), *extra]
        code = subprocess.run(command, cwd=ROOT, env=env).returncode
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
