"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from adline.core.money import dollars_to_micros

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/adline.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Token buckets (docs/api.md#rate-limits): per API key, and per client address for calls
# without a valid key. A rate of 0 turns that limit off.
DEFAULT_RATE_LIMIT_PER_SECOND = 100.0
DEFAULT_RATE_LIMIT_BURST = 200
# Each pixel's bucket on the public `POST /events` path: a busy site's visitors all send
# through one pixel, so its bucket is larger than a key's.
DEFAULT_PIXEL_RATE_LIMIT_PER_SECOND = 200.0
DEFAULT_PIXEL_RATE_LIMIT_BURST = 1000
# How long a rotated API key's old secret keeps working (docs/api-keys.md#rotate): a day
# to roll the new one out everywhere.
DEFAULT_KEY_ROTATION_GRACE_SECONDS = 24 * 60 * 60
DEFAULT_FILES_ROOT = "./var/files"
# Meta's largest ad video, 4 GB.
DEFAULT_FILES_MAX_UPLOAD_BYTES = 4 * 1024**3
DEFAULT_FILES_UPLOAD_URL_TTL_SECONDS = 60 * 60
DEFAULT_FILES_MULTIPART_CHUNK_BYTES = 5 * 1024**2
DEFAULT_SECRET_KEY_FILE = "./var/secret.key"
DEFAULT_META_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_META_API_VERSION = "v26.0"
TIKTOK_API_VERSION = "v1.3"
# An assumption, not a documented figure (docs/networks-tiktok.md, "Spending limits").
DEFAULT_TIKTOK_REPORT_LAG_SECONDS = 3 * 60 * 60
DEFAULT_TIKTOK_API_URL = f"https://business-api.tiktok.com/open_api/{TIKTOK_API_VERSION}"


def _optional_switch(value: str) -> bool | None:
    """An on/off setting that may be left to a default chosen later: empty is None."""
    if not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Seconds between delivery passes of the in-process worker; 0 turns it off (a separate
    # `adline worker` process then does the work).
    delivery_interval: float = 60.0
    # The simulated network's seed: the same seed delivers the same way in every process.
    simulator_seed: int = 0
    # Spend beyond a campaign's credits is charged to the company's card every this much
    # (docs/funding.md); `ADLINE_BILLING_THRESHOLD` in dollars.
    billing_threshold_micros: int = 25_000_000
    # The largest request body read, in bytes; a larger one answers 413 before it is read
    # whole (docs/security.md).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # The proxies whose X-Forwarded-For / X-Forwarded-Proto `adline serve` believes: a
    # comma-separated list of addresses or networks, "*" for any; empty (the default):
    # none, the TCP peer is the client (docs/security.md).
    forwarded_allow_ips: str = ""
    # Each API key's token bucket: refilled at `rate_limit_per_second`, holding at most
    # `rate_limit_burst` requests; 0 per second: no limit (docs/api.md#rate-limits).
    rate_limit_per_second: float = DEFAULT_RATE_LIMIT_PER_SECOND
    rate_limit_burst: int = DEFAULT_RATE_LIMIT_BURST
    # The same per client address, for calls without a key or whose key failed.
    address_rate_limit_per_second: float = DEFAULT_RATE_LIMIT_PER_SECOND
    address_rate_limit_burst: int = DEFAULT_RATE_LIMIT_BURST
    # The same per pixel, for the browser's unauthenticated `POST /events?pixel_id=`
    # (docs/conversions.md#from-the-browser).
    pixel_rate_limit_per_second: float = DEFAULT_PIXEL_RATE_LIMIT_PER_SECOND
    pixel_rate_limit_burst: int = DEFAULT_PIXEL_RATE_LIMIT_BURST
    # Development only: let webhooks target loopback and private addresses (a receiver on
    # this machine or network). Off, such URLs are refused (docs/webhooks.md).
    webhooks_allow_private: bool = False
    # Seconds a rotated key's old secret keeps authenticating, unless the rotate request
    # names its own grace period (0: the old secret stops at once).
    key_rotation_grace_seconds: int = DEFAULT_KEY_ROTATION_GRACE_SECONDS
    # Where uploaded files live (docs/files.md#storage): `local` (a directory, the default)
    # or `s3` (a bucket of any S3-compatible store).
    files_store: str = "local"
    files_root: str = DEFAULT_FILES_ROOT
    # The largest body one upload PUT may carry; each kind of file has a lower limit of its
    # own (docs/files.md#checks), and JSON bodies keep `max_body_bytes`.
    files_max_upload_bytes: int = DEFAULT_FILES_MAX_UPLOAD_BYTES
    # How long a create's upload URLs accept bytes.
    files_upload_url_ttl_seconds: int = DEFAULT_FILES_UPLOAD_URL_TTL_SECONDS
    # The size of every part of a multipart upload but the last (Whop's 5 MB).
    files_multipart_chunk_bytes: int = DEFAULT_FILES_MULTIPART_CHUNK_BYTES
    # The S3 store: its bucket, endpoint (empty: AWS itself), region, credentials (empty:
    # boto3's own chain: environment, profile, instance role) and a key prefix.
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = ""
    # The key sealing secrets Adline stores to send on (pixel access tokens): a Fernet key.
    # Empty: the key in `secret_key_file`, generated there on first use (docs/security.md).
    secret_key: str = ""
    secret_key_file: str = DEFAULT_SECRET_KEY_FILE
    # The real networks' APIs (docs/networks.md): where they are, and Meta's Graph version.
    # Tests point them at in-process fakes; TikTok's sandbox is
    # https://sandbox-ads.tiktok.com/open_api/v1.3.
    meta_graph_url: str = DEFAULT_META_GRAPH_URL
    meta_api_version: str = DEFAULT_META_API_VERSION
    tiktok_api_url: str = DEFAULT_TIKTOK_API_URL
    # The longest TikTok takes to publish an hour's report, in seconds: the TikTok adapter
    # pauses a capped campaign this much spending ahead of its limit (docs/networks.md).
    tiktok_report_lag_seconds: int = DEFAULT_TIKTOK_REPORT_LAG_SECONDS
    # Demo mode (docs/demo.md): a clock the operator moves forward. None (ADLINE_DEMO unset):
    # `adline serve` decides, on for the embedded default store only; an app built with
    # None has it off.
    demo: bool | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("ADLINE_DATABASE_URL", DEFAULT_DATABASE_URL),
            delivery_interval=float(os.environ.get("ADLINE_DELIVERY_INTERVAL", "60")),
            simulator_seed=int(os.environ.get("ADLINE_SIMULATOR_SEED", "0")),
            billing_threshold_micros=dollars_to_micros(
                Decimal(os.environ.get("ADLINE_BILLING_THRESHOLD", "25"))
            ),
            max_body_bytes=int(
                os.environ.get("ADLINE_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))
            ),
            forwarded_allow_ips=os.environ.get("ADLINE_FORWARDED_ALLOW_IPS", ""),
            rate_limit_per_second=float(
                os.environ.get("ADLINE_RATE_LIMIT_PER_SECOND", str(DEFAULT_RATE_LIMIT_PER_SECOND))
            ),
            rate_limit_burst=int(
                os.environ.get("ADLINE_RATE_LIMIT_BURST", str(DEFAULT_RATE_LIMIT_BURST))
            ),
            address_rate_limit_per_second=float(
                os.environ.get(
                    "ADLINE_ADDRESS_RATE_LIMIT_PER_SECOND", str(DEFAULT_RATE_LIMIT_PER_SECOND)
                )
            ),
            address_rate_limit_burst=int(
                os.environ.get("ADLINE_ADDRESS_RATE_LIMIT_BURST", str(DEFAULT_RATE_LIMIT_BURST))
            ),
            pixel_rate_limit_per_second=float(
                os.environ.get(
                    "ADLINE_PIXEL_RATE_LIMIT_PER_SECOND", str(DEFAULT_PIXEL_RATE_LIMIT_PER_SECOND)
                )
            ),
            pixel_rate_limit_burst=int(
                os.environ.get("ADLINE_PIXEL_RATE_LIMIT_BURST", str(DEFAULT_PIXEL_RATE_LIMIT_BURST))
            ),
            webhooks_allow_private=os.environ.get("ADLINE_WEBHOOKS_ALLOW_PRIVATE", "")
            in ("1", "true", "yes"),
            key_rotation_grace_seconds=int(
                os.environ.get(
                    "ADLINE_KEY_ROTATION_GRACE_SECONDS", str(DEFAULT_KEY_ROTATION_GRACE_SECONDS)
                )
            ),
            files_store=os.environ.get("ADLINE_FILES_STORE", "local"),
            files_root=os.environ.get("ADLINE_FILES_ROOT", DEFAULT_FILES_ROOT),
            files_max_upload_bytes=int(
                os.environ.get("ADLINE_FILES_MAX_UPLOAD_BYTES", str(DEFAULT_FILES_MAX_UPLOAD_BYTES))
            ),
            files_upload_url_ttl_seconds=int(
                os.environ.get(
                    "ADLINE_FILES_UPLOAD_URL_TTL_SECONDS",
                    str(DEFAULT_FILES_UPLOAD_URL_TTL_SECONDS),
                )
            ),
            files_multipart_chunk_bytes=int(
                os.environ.get(
                    "ADLINE_FILES_MULTIPART_CHUNK_BYTES", str(DEFAULT_FILES_MULTIPART_CHUNK_BYTES)
                )
            ),
            s3_bucket=os.environ.get("ADLINE_S3_BUCKET", ""),
            s3_endpoint_url=os.environ.get("ADLINE_S3_ENDPOINT_URL", ""),
            s3_region=os.environ.get("ADLINE_S3_REGION", "us-east-1"),
            s3_access_key_id=os.environ.get("ADLINE_S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=os.environ.get("ADLINE_S3_SECRET_ACCESS_KEY", ""),
            s3_prefix=os.environ.get("ADLINE_S3_PREFIX", ""),
            meta_graph_url=os.environ.get("ADLINE_META_GRAPH_URL", DEFAULT_META_GRAPH_URL),
            meta_api_version=os.environ.get("ADLINE_META_API_VERSION", DEFAULT_META_API_VERSION),
            tiktok_api_url=os.environ.get("ADLINE_TIKTOK_API_URL", DEFAULT_TIKTOK_API_URL),
            tiktok_report_lag_seconds=int(
                os.environ.get(
                    "ADLINE_TIKTOK_REPORT_LAG_SECONDS", str(DEFAULT_TIKTOK_REPORT_LAG_SECONDS)
                )
            ),
            secret_key=os.environ.get("ADLINE_SECRET_KEY", ""),
            secret_key_file=os.environ.get("ADLINE_SECRET_KEY_FILE", DEFAULT_SECRET_KEY_FILE),
            demo=_optional_switch(os.environ.get("ADLINE_DEMO", "")),
        )

    def ensure_sqlite_directory(self) -> None:
        """The embedded default keeps its file under ./var/, created on first use."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            path = self.database_url[len(prefix) :]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
