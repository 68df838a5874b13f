"""`adline serve`'s demo switch: on for the embedded default store only, refused where the
demo clock cannot work."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from adline.cli import demo_mode
from adline.config import DEFAULT_DATABASE_URL, Settings
from tests.test_serve import ADLINE

POSTGRES = "postgresql+asyncpg://adline@db.invalid/adline"


@pytest.mark.parametrize(
    ("asked", "url", "workers", "expected"),
    [
        (None, DEFAULT_DATABASE_URL, 1, True),
        (None, "sqlite+aiosqlite:///./elsewhere.db", 1, False),
        (None, POSTGRES, 1, False),
        (None, POSTGRES, 4, False),
        (True, POSTGRES, 1, True),
        (False, DEFAULT_DATABASE_URL, 1, False),
    ],
)
def test_the_default_and_the_switch(
    asked: bool | None, url: str, workers: int, expected: bool
) -> None:
    assert demo_mode(asked, url, workers, Settings()) is expected


def test_no_embedded_worker_no_default_demo() -> None:
    assert demo_mode(None, DEFAULT_DATABASE_URL, 1, Settings(delivery_interval=0)) is False


def test_the_environment_setting() -> None:
    env = {key: value for key, value in os.environ.items() if key != "ADLINE_DEMO"}
    for value, expected in [("", None), ("1", True), ("true", True), ("0", False), ("no", False)]:
        os.environ.clear()
        os.environ.update(env, ADLINE_DEMO=value)
        try:
            assert Settings.from_env().demo is expected
        finally:
            os.environ.clear()
            os.environ.update(env)


@pytest.mark.parametrize(
    ("extra", "env", "says"),
    [
        (["--workers", "2"], {}, "--demo needs a single server process"),
        ([], {"ADLINE_DELIVERY_INTERVAL": "0"}, "--demo needs the embedded delivery worker"),
    ],
)
def test_refused_with_one_line(
    tmp_path: Path, extra: list[str], env: dict[str, str], says: str
) -> None:
    done = subprocess.run(
        [ADLINE, "serve", "--demo", "--database-url", POSTGRES, *extra],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert not (tmp_path / "var").exists()
