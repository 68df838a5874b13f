"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium, which
`python3 dev.py test` installs; Playwright's own browser builds are not downloaded),
headless, against a real `adline serve` the tests start.

- `server` (one per module): `adline serve --demo` on a fresh SQLite store in a temporary
  directory and a free port; it carries the URL and the demo key the server printed.
- `browser` (one per module, see its docstring) and `page` (a fresh context per test),
  which fails the test if the page logged a console error or threw, unless the test
  `allow`ed that text first.
- `screenshot(page, name)`: the page at 375 px and at 1440 px, full height, into
  test-artifacts/screenshots/ at the repo root (kept by CI as artifacts; gitignored).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_serve import ADLINE, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# dev.py sets it when it could not install Chromium: its value says why.
NO_BROWSER_ENV = "ADLINE_BROWSER_UNAVAILABLE"
WIDTHS = (375, 1440)


@dataclass(frozen=True)
class Server:
    url: str
    api_key: str
    company_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def api(self) -> httpx.Client:
        """An API client as the demo company (its key is pinned to the newest version)."""
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=self.headers, timeout=30)


def _printed(stdout: Any, label: str, deadline: float) -> str:
    """The value `adline serve` printed after `label:` on stdout (the demo account)."""
    while time.monotonic() < deadline:
        line = stdout.readline()
        if not line:
            break
        name, sep, value = line.partition(":")
        if sep and name.strip() == label:
            return str(value.strip())
    raise AssertionError(f"adline serve printed no {label!r}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server in demo mode on a store of its own; stopped after the module."""
    _require_browser()
    directory = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADLINE_")} | {
        # Its printed account arrives while it runs, not when it exits.
        "PYTHONUNBUFFERED": "1",
        "HOME": str(directory),
        # A browser loads many pages quickly; the limits have tests of their own.
        "ADLINE_RATE_LIMIT_PER_SECOND": "0",
        "ADLINE_ADDRESS_RATE_LIMIT_PER_SECOND": "0",
    }
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [
            ADLINE,
            "serve",
            "--port",
            str(port),
            "--database-url",
            f"sqlite+aiosqlite:///{directory / 'adline.db'}",
            "--demo",
        ],
        cwd=directory,  # ./var (files, the secret key) lands there
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        company_id = _printed(process.stdout, "company id", deadline)
        api_key = _printed(process.stdout, "API key", deadline)
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, url)
        yield Server(url, api_key, company_id)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _require_browser() -> None:
    if os.environ.get("ADLINE_TEST_DATABASE", "sqlite") != "sqlite":
        # The server under test always has a SQLite store of its own: a second run would
        # test the same thing again.
        pytest.skip("the browser tests run in the suite's SQLite run")
    reason = os.environ.get(NO_BROWSER_ENV)
    if reason:
        pytest.skip(f"no browser: {reason}")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (`python3 dev.py test` installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, headless. One per module, not per session: between its calls Playwright's
    sync API marks its own event loop as running in the thread, which would break every
    later test of the run that starts a loop (pytest-asyncio's, `asyncio.run`)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@dataclass
class BrowserErrors:
    """What the page logged as an error (console.error, failed loads) or threw."""

    seen: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, text: str) -> None:
        """Expect errors containing `text` (a 401 the test provokes, say)."""
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [error for error in self.seen if not any(text in error for text in self.allowed)]


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(browser: Any, server: Server, browser_errors: BrowserErrors) -> Iterator[Any]:
    """A page in a context of its own (no cookies from other tests), at 1440 px; the test
    fails if the page logged an error or threw that it did not `allow`."""
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1440, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            browser_errors.seen.append(f"console error: {message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_errors.seen.append(f"page error: {error}"))
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test whose page logged an error it did not `allow` fails (as the test itself, not
    as an error of the fixture's teardown)."""
    result = yield
    errors = getattr(item, "funcargs", {}).get("browser_errors")
    if isinstance(errors, BrowserErrors) and errors.unexpected():
        pytest.fail("the page logged errors:\n" + "\n".join(errors.unexpected()))
    return result


def screenshot(page: Any, name: str) -> list[Path]:
    """`name` at each width of WIDTHS, full height: test-artifacts/screenshots/NAME-W.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    paths = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(size)
    return paths


def sign_in(page: Any, server: Server) -> None:
    page.goto("/sign-in")
    page.get_by_label("API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
