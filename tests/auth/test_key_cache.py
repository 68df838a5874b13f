"""Keys are cached in each server process for a moment; a revocation still takes effect in
every process within a second. Two real `adline serve` processes share the test store
(PostgreSQL in the suite's second run)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

from adline.auth import scopes
from adline.auth.scopes import AD_CAMPAIGN_BASIC_READ as READ
from adline.auth.scopes import AD_CAMPAIGN_CREATE as CREATE
from adline.auth.service import KeyCache, KnownKey
from tests.conftest import NEWEST_HEADER, Tenant
from tests.test_serve import ADLINE, free_port, wait_until_serving


@contextmanager
def server(database_url: str) -> Iterator[str]:
    """`adline serve` on the test store (no delivery worker); yields its API root."""
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "ADLINE_DATABASE_URL": database_url,
        "ADLINE_DELIVERY_INTERVAL": "0",
    }
    process = subprocess.Popen(
        [ADLINE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, url)
        yield f"{url}/api/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_a_revocation_reaches_every_process_within_a_second(
    database_url: str,
    make_tenant,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    tenant: Tenant = await make_tenant()
    key = await make_key(tenant, [scopes.AD_CAMPAIGN_BASIC_READ])
    await asyncio.to_thread(revoke_across_two_processes, database_url, tenant, key)


def revoke_across_two_processes(database_url: str, tenant: Tenant, key: str) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(server(database_url))
        second = stack.enter_context(server(database_url))
        headers = {**NEWEST_HEADER, "Authorization": f"Bearer {key}"}
        owner = {**NEWEST_HEADER, **tenant.headers}
        # Both processes have just read (and cached) the key.
        for root in (first, second):
            assert httpx.get(f"{root}/ad_campaigns", headers=headers).status_code == 200
        listed = httpx.get(f"{first}/api_keys", headers=owner).json()["data"]
        [other] = [item for item in listed if item["id"] != tenant.key_id]
        revoked = httpx.delete(f"{first}/api_keys/{other['id']}", headers=owner)
        assert revoked.status_code == 200, revoked.text
        revoked_at = time.monotonic()
        # The process that revoked refuses the key at once.
        assert httpx.get(f"{first}/ad_campaigns", headers=headers).status_code == 401
        # The other one within a second (it may serve from its cache until then): a request
        # sent a second or more after the revocation is refused.
        while True:
            sent = time.monotonic() - revoked_at
            status = httpx.get(f"{second}/ad_campaigns", headers=headers).status_code
            if status == 401:
                break
            assert status == 200
            assert sent < 1.0, f"the revoked key still worked {sent:.2f} s later"
            time.sleep(0.02)


async def test_updates_and_rotations_reach_every_process_within_a_second(
    database_url: str,
    make_tenant,
) -> None:  # type: ignore[no-untyped-def]
    tenant: Tenant = await make_tenant()
    await asyncio.to_thread(change_across_two_processes, database_url, tenant)


def answers_within_a_second(root: str, headers: dict[str, str], status: int, before: int) -> None:
    """`GET /ad_campaigns` with `headers` answers `status` within a second of now, and only
    `before` (the answer the process may still serve from its cache) until then."""
    changed_at = time.monotonic()
    while True:
        sent = time.monotonic() - changed_at
        answer = httpx.get(f"{root}/ad_campaigns", headers=headers).status_code
        if answer == status:
            return
        assert answer == before
        assert sent < 1.0, f"the change had not reached the process {sent:.2f} s later"
        time.sleep(0.02)


def change_across_two_processes(database_url: str, tenant: Tenant) -> None:
    owner = {**NEWEST_HEADER, **tenant.headers}
    with ExitStack() as stack:
        first = stack.enter_context(server(database_url))
        second = stack.enter_context(server(database_url))
        body = {
            "name": "Moving",
            "permissions": {"statements": [{"actions": [READ, CREATE], "grant": True}]},
        }
        created = httpx.post(f"{first}/api_keys", json=body, headers=owner).json()
        key_url = f"{first}/api_keys/{created['id']}"
        headers = {**NEWEST_HEADER, "Authorization": f"Bearer {created['secret_key']}"}
        for root in (first, second):
            assert httpx.get(f"{root}/ad_campaigns", headers=headers).status_code == 200

        # An update dropping the scope the request needs.
        only_create = {"statements": [{"actions": [CREATE], "grant": True}]}
        response = httpx.patch(key_url, json={"permissions": only_create}, headers=owner)
        assert response.status_code == 200, response.text
        assert httpx.get(f"{first}/ad_campaigns", headers=headers).status_code == 403
        answers_within_a_second(second, headers, 403, before=200)
        assert httpx.patch(key_url, json=body, headers=owner).status_code == 200
        assert httpx.get(f"{first}/ad_campaigns", headers=headers).status_code == 200
        answers_within_a_second(second, headers, 200, before=403)

        # A rotation ending the old secret at once.
        rotate = {"grace_period_seconds": 0}
        response = httpx.post(f"{key_url}/rotate", json=rotate, headers=owner)
        assert response.status_code == 200, response.text
        assert httpx.get(f"{first}/ad_campaigns", headers=headers).status_code == 401
        answers_within_a_second(second, headers, 401, before=200)
        new = {**NEWEST_HEADER, "Authorization": f"Bearer {response.json()['secret_key']}"}
        assert httpx.get(f"{second}/ad_campaigns", headers=new).status_code == 200


def known(read_at: float) -> KnownKey:
    return KnownKey(
        key_id="apik_x",
        company_id="biz_x",
        user_id=None,
        scopes=frozenset(),
        api_version_date=None,
        expires_at=None,
        ip_allowlist=(),
        currency="usd",
        timezone="UTC",
        read_at=read_at,
    )


def test_the_cache_forgets_after_its_ttl_and_keeps_a_bounded_number() -> None:
    cache = KeyCache(ttl=0.5, max_entries=2)
    now = time.monotonic()
    cache.put("a", known(now))
    cache.put("stale", known(now - 0.6))
    assert cache.get("a") is not None
    assert cache.get("stale") is None  # read more than ttl ago
    cache.put("b", known(now))
    cache.put("c", known(now))
    assert cache.get("a") is None  # the oldest entry went
    assert cache.get("b") is not None and cache.get("c") is not None


async def test_misses_during_a_read_of_the_same_key_join_it() -> None:
    cache = KeyCache(ttl=0.5)
    reads: list[str] = []
    release = asyncio.Event()

    async def read(found: KnownKey | None) -> KnownKey | None:
        reads.append("read")
        await release.wait()
        return found

    first = asyncio.create_task(cache.read_through("a", lambda: read(known(time.monotonic()))))
    await asyncio.sleep(0)
    joined = [asyncio.create_task(cache.read_through("a", lambda: read(None))) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    answers = await asyncio.gather(first, *joined)
    assert reads == ["read"]
    assert all(answer is not None and answer.key_id == "apik_x" for answer in answers)
    assert cache.get("a") is not None


async def test_a_key_not_found_is_read_again_by_each_request_that_joined() -> None:
    # A key created a moment ago works at once: a read that found nothing is not shared.
    cache = KeyCache(ttl=0.5)
    release = asyncio.Event()

    async def not_yet() -> KnownKey | None:
        await release.wait()
        return None

    async def now_there() -> KnownKey | None:
        return known(time.monotonic())

    first = asyncio.create_task(cache.read_through("a", not_yet))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.read_through("a", now_there))
    await asyncio.sleep(0)
    release.set()
    assert await first is None
    assert await second is not None


async def test_a_read_begun_before_a_change_in_this_process_is_not_cached() -> None:
    cache = KeyCache(ttl=0.5)
    release = asyncio.Event()

    async def read() -> KnownKey | None:
        await release.wait()
        return known(time.monotonic())

    reading = asyncio.create_task(cache.read_through("a", read))
    await asyncio.sleep(0)
    cache.clear()  # e.g. the key was revoked meanwhile
    release.set()
    assert await reading is not None  # its own request has it, as before
    assert cache.get("a") is None
