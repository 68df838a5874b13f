"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/adline.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Token buckets (docs/api.md#rate-limits): per API key, and per client address for calls
# without a valid key. A rate of 0 turns that limit off.
DEFAULT_RATE_LIMIT_PER_SECOND = 100.0
DEFAULT_RATE_LIMIT_BURST = 200


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Seconds between delivery passes of the in-process worker; 0 turns it off (a separate
    # `adline worker` process then does the work).
    delivery_interval: float = 60.0
    # The simulated network's seed: the same seed delivers the same way in every process.
    simulator_seed: int = 0
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
    # Development only: let webhooks target loopback and private addresses (a receiver on
    # this machine or network). Off, such URLs are refused (docs/webhooks.md).
    webhooks_allow_private: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("ADLINE_DATABASE_URL", DEFAULT_DATABASE_URL),
            delivery_interval=float(os.environ.get("ADLINE_DELIVERY_INTERVAL", "60")),
            simulator_seed=int(os.environ.get("ADLINE_SIMULATOR_SEED", "0")),
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
            webhooks_allow_private=os.environ.get("ADLINE_WEBHOOKS_ALLOW_PRIVATE", "")
            in ("1", "true", "yes"),
        )

    def ensure_sqlite_directory(self) -> None:
        """The embedded default keeps its file under ./var/, created on first use."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            path = self.database_url[len(prefix) :]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
