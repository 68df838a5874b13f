"""From the newest version (2026-10-15-1) down to 2026-10-13-1 (whop-sdk 2.5.0).

Their ad objects are the same; 2.6.0 only added a `product_category` filter to the stats
endpoints, which Adline does not serve yet (issue 15).
"""

from __future__ import annotations

from adline.core.versioning import VersionChange

CHANGES: list[type[VersionChange]] = []
