"""The supported API versions, newest first.

Each older version is the next newer one minus the named changes of its module. Adding a
version is adding a module of changes and one `Version(...)` line here (CONTRIBUTING.md).
"""

from __future__ import annotations

from adline.core.versioning import Version, VersionBundle
from adline.versions import (
    v2025_01_01,
    v2026_06_09,
    v2026_06_20,
    v2026_07_08_1,
    v2026_08_21_1,
    v2026_09_15,
    v2026_09_23,
    v2026_09_29,
    v2026_10_08,
    v2026_10_09_2,
    v2026_10_13_1,
)
from adline.versions.release_shapes import RELEASES

NEWEST = "2026-10-15-1"
ORIGINAL = "2025-01-01"

# Every token of the newest official client's `ApiKeyApiVersionDate` list (whop-sdk 2.6.0),
# oldest first. Each answers in the shapes of the nearest version above at or before it.
TOKENS = (
    "2025-01-01",
    "2026-06-08",
    "2026-06-09",
    "2026-06-20",
    "2026-07-01",
    "2026-07-08",
    "2026-07-08-1",
    "2026-07-18",
    "2026-07-20",
    "2026-07-22",
    "2026-07-23",
    "2026-07-25",
    "2026-07-26",
    "2026-07-27",
    "2026-07-29",
    "2026-07-29-1",
    "2026-07-31",
    "2026-08-03",
    "2026-08-05",
    "2026-08-05-1",
    "2026-08-10",
    "2026-08-12",
    "2026-08-13",
    "2026-08-14",
    "2026-08-21",
    "2026-08-21-1",
    "2026-08-25",
    "2026-08-25-1",
    "2026-08-25-2",
    "2026-08-31",
    "2026-09-02",
    "2026-09-02-1",
    "2026-09-02-2",
    "2026-09-04",
    "2026-09-06",
    "2026-09-09",
    "2026-09-09-1",
    "2026-09-11",
    "2026-09-11-1",
    "2026-09-13",
    "2026-09-15",
    "2026-09-22",
    "2026-09-22-1",
    "2026-09-22-2",
    "2026-09-22-3",
    "2026-09-22-4",
    "2026-09-23",
    "2026-09-24",
    "2026-09-24-1",
    "2026-09-25",
    "2026-09-28",
    "2026-09-29",
    "2026-10-05",
    "2026-10-05-1",
    "2026-10-06",
    "2026-10-06-1",
    "2026-10-06-2",
    "2026-10-07",
    "2026-10-07-1",
    "2026-10-07-2",
    "2026-10-08",
    "2026-10-09",
    "2026-10-09-1",
    "2026-10-09-2",
    "2026-10-13",
    "2026-10-13-1",
    "2026-10-14",
    "2026-10-14-1",
    "2026-10-15",
    "2026-10-15-1",
)

# Where each known version's shapes were read from (docs/versions.md).
SOURCES = {
    **{version: f"whop-sdk {release} (its default)" for release, version in RELEASES},
    "2026-06-20": "seed 000",
    "2026-06-09": "seed 001 and the Stainless client of 2026-06-13",
    ORIGINAL: "seeds 002 and 003",
}

VERSION_BUNDLE = VersionBundle(
    versions=[
        Version(NEWEST),
        Version("2026-10-13-1", v2026_10_13_1.CHANGES),
        Version("2026-10-09-2", v2026_10_09_2.CHANGES),
        Version("2026-10-08", v2026_10_08.CHANGES),
        Version("2026-09-29", v2026_09_29.CHANGES),
        Version("2026-09-23", v2026_09_23.CHANGES),
        Version("2026-09-15", v2026_09_15.CHANGES),
        Version("2026-08-21-1", v2026_08_21_1.CHANGES),
        Version("2026-07-08-1", v2026_07_08_1.CHANGES),
        Version("2026-06-20", v2026_06_20.CHANGES),
        Version("2026-06-09", v2026_06_09.CHANGES),
        Version(ORIGINAL, v2025_01_01.CHANGES),
    ],
    # Unversioned callers get the original shapes (seed 000): they are never broken.
    default=ORIGINAL,
    tokens=TOKENS,
)
