"""The TikTok Business API v1.3: a thin async client, pure mappers, and the adapter.

docs/networks-tiktok.md describes what the adapter sends, how it survives crashes, and
which TikTok facts are still to verify.
"""

from adline.networks.tiktok.adapter import TikTokAdapter, create_tiktok_adapter
from adline.networks.tiktok.client import API_VERSION, DEFAULT_BASE_URL, TikTokClient

__all__ = [
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "TikTokAdapter",
    "TikTokClient",
    "create_tiktok_adapter",
]
