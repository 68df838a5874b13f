"""Shared by the connection tests, the tenant matrix and the official client's tests.

The tests' app checks connection tokens with the in-process fakes of Meta and TikTok
(tests/conftest.py, `fake_meta` and `fake_tiktok`): they accept these tokens on any ad
account or advertiser, and refuse any other token as Meta (190) and TikTok (40105) do.
"""

from __future__ import annotations

import secrets

META_TOKEN = "EAAconnectionToken0000000001"
OTHER_META_TOKEN = "EAAsecondConnectionToken02"
# Not a token the fake Meta accepts: what a revoked or mistyped one meets.
REVOKED_META_TOKEN = "EAAinvalidatedConnection99"
TIKTOK_TOKEN = "tiktokAccessToken0000000000000001"
REVOKED_TIKTOK_TOKEN = "tiktokRevokedToken000000000000099"


def meta_ad_account() -> str:
    """A fresh Meta ad account id: the tests share a store, and an ad account serves one
    business."""
    return f"act_{10**14 + secrets.randbelow(9 * 10**14)}"


def tiktok_advertiser() -> str:
    """A fresh TikTok advertiser id (one business each, as Meta's accounts)."""
    return str(7 * 10**18 + secrets.randbelow(10**18))
