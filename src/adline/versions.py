"""The supported API versions, newest first. Adding a version = a module of named changes
plus one `Version(...)` line here."""

from __future__ import annotations

from adline.core.versioning import Version, VersionBundle

NEWEST = "2026-10-15-1"

VERSION_BUNDLE = VersionBundle(
    versions=[
        Version(NEWEST),
    ],
    default=NEWEST,
)
