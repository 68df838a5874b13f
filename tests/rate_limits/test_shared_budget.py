"""Several `adline serve` processes on one PostgreSQL share one budget per key and per
address: what they admit together is the bucket, not a bucket each."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import NEWEST_HEADER, Tenant
from tests.test_serve import ADLINE, free_port, wait_until_serving

BURST = 10


@contextmanager
def servers(database_url: str, count: int, **env: str) -> Iterator[list[str]]:
    """`count` real `adline serve` processes on the test store (started together); yields
    their /api/v1 URLs."""
    processes: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen(
                [ADLINE, "serve", "--port", str(port)],
                env={
                    **os.environ,
                    "ADLINE_DATABASE_URL": database_url,
                    "ADLINE_DELIVERY_INTERVAL": "0",
                    **env,
                },
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append((process, f"http://127.0.0.1:{port}"))
        for process, url in processes:
            wait_until_serving(process, url)
        yield [f"{url}/api/v1" for _, url in processes]
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            process.wait(timeout=30)


async def test_two_server_processes_share_one_budget(database_url: str, tenant: Tenant) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite is served by one process: its buckets live in that process")
    # A bucket of 10 that refills once in 1000 s: whatever the test's pace, 10 is the budget.
    limits = {
        "ADLINE_RATE_LIMIT_PER_SECOND": "0.001",
        "ADLINE_RATE_LIMIT_BURST": str(BURST),
        "ADLINE_ADDRESS_RATE_LIMIT_PER_SECOND": "0.001",
        "ADLINE_ADDRESS_RATE_LIMIT_BURST": str(BURST),
    }
    with servers(database_url, 2, **limits) as urls:
        # From a loopback address of the test's own: the address's bucket is fresh.
        local = "127." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))
        transport = httpx.AsyncHTTPTransport(local_address=local)
        async with httpx.AsyncClient(
            transport=transport, headers=NEWEST_HEADER, trust_env=False
        ) as http:
            admitted = {url: 0 for url in urls}
            refused = 0
            for turn in range(3 * BURST):
                url = urls[turn % 2]
                answer = await http.get(f"{url}/ad_campaigns", headers=tenant.headers)
                if answer.status_code == 200:
                    admitted[url] += 1
                else:
                    assert answer.status_code == 429, answer.text
                    assert answer.json()["error"]["code"] == "rate_limited"
                    refused += 1
            assert sum(admitted.values()) == BURST, admitted
            assert all(count > 0 for count in admitted.values()), admitted
            assert refused == 2 * BURST

            # The address without a key: one budget too (401s, then 429s).
            statuses = [
                (await http.get(f"{urls[turn % 2]}/ad_campaigns")).status_code
                for turn in range(2 * BURST)
            ]
            assert statuses.count(401) == BURST, statuses
            assert statuses.count(429) == BURST, statuses
