"""The supported API versions, newest first.

Each older version is the next newer one minus the named changes of its module. Adding a
version is adding a module of changes and one `Version(...)` line here (CONTRIBUTING.md).
"""

from __future__ import annotations

from adline.core.versioning import Version, VersionBundle
from adline.versions import v2025_01_01, v2026_06_09, v2026_06_20

NEWEST = "2026-10-15-1"
ORIGINAL = "2025-01-01"

VERSION_BUNDLE = VersionBundle(
    versions=[
        Version(NEWEST),
        Version("2026-06-20", v2026_06_20.CHANGES),
        Version("2026-06-09", v2026_06_09.CHANGES),
        Version(ORIGINAL, v2025_01_01.CHANGES),
    ],
    # Unversioned callers get the original shapes (seed 000): they are never broken.
    default=ORIGINAL,
)
