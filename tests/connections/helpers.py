"""Shared by the connection tests, the tenant matrix and the official client's tests."""

from __future__ import annotations

import secrets

# The simulated checker's rule (adline.connections.checker): Meta's token shape, and a
# body starting with `invalid` refused as revoked.
META_TOKEN = "EAAconnectionToken0000000001"
OTHER_META_TOKEN = "EAAsecondConnectionToken02"
REVOKED_META_TOKEN = "EAAinvalidatedConnection99"
TIKTOK_TOKEN = "tiktokAccessToken0000000000000001"


def meta_ad_account() -> str:
    """A fresh Meta ad account id: the tests share a store, and an ad account serves one
    business."""
    return f"act_{10**14 + secrets.randbelow(9 * 10**14)}"
