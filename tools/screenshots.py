"""Refresh the README's screenshots of the ads manager: run the browser tests (which save
every page at 375 px and 1440 px into test-artifacts/screenshots/), then copy each page's
1440 px picture to docs/screenshots/<page>.png.

    .venv/bin/python tools/screenshots.py            # run tests/browser, then copy
    .venv/bin/python tools/screenshots.py --no-run   # copy what the last run saved

It needs Debian's Chromium at /usr/bin/chromium, as the browser tests do (`python3 dev.py
test` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
WIDTH = 1440


def main(argv: list[str]) -> int:
    if "--no-run" not in argv:
        tests = [sys.executable, "-m", "pytest", "-q", "tests/browser"]
        code = subprocess.run(tests, cwd=ROOT).returncode
        if code != 0:
            print(f"screenshots: the browser tests failed (pytest exit {code})", file=sys.stderr)
            return code
    pictures = sorted(SAVED.glob(f"*-{WIDTH}.png"))
    if not pictures:
        print(f"screenshots: nothing in {SAVED.relative_to(ROOT)}", file=sys.stderr)
        return 1
    DOCS.mkdir(parents=True, exist_ok=True)
    for picture in pictures:
        target = DOCS / (picture.name.removesuffix(f"-{WIDTH}.png") + ".png")
        shutil.copyfile(picture, target)
        print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
