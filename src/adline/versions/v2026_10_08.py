"""From 2026-10-09-2 down to 2026-10-08 (whop-sdk 2.3.0).

Their ad objects are the same; 2.4.0 added the ad pixels resource, which Adline does not
serve yet (issue 15).
"""

from __future__ import annotations

from adline.core.versioning import VersionChange

CHANGES: list[type[VersionChange]] = []
