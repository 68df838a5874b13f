"""The body cap under the real `adline serve`: 100 MB bodies, declared or chunked, answer
413 and the server's memory does not grow by them (it holds at most the cap).

The client is a raw socket, as a hostile one would be: it keeps sending until the server
answers, then reads the answer."""

from __future__ import annotations

import json
import select
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import NEWEST_HEADER, Tenant
from tests.test_proxy_trust import adline_serve_process

MIB = 1024 * 1024
CHUNK = b" " * (64 * 1024)
BODY_SIZE = 100 * MIB


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def post_100_mb(api: str, key: str, *, declared: bool) -> tuple[int, dict, int]:
    """POST a 100 MB body (Content-Length, or chunked) until the server answers; the answer's
    status, JSON body and how many bytes of the body had been sent by then."""
    url = urlsplit(api)
    framing = f"Content-Length: {BODY_SIZE}" if declared else "Transfer-Encoding: chunked"
    head = (
        f"POST {url.path}/ad_campaigns HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\nConnection: close\r\n\r\n"
    ).encode()
    sent = 0
    answer = b""
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head)
        try:
            while sent < BODY_SIZE:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                piece = CHUNK if declared else b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
                sock.sendall(piece)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: read what it said
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
            if b"\r\n\r\n" in answer and answer.endswith(b"}}"):
                break
    status_line, _, rest = answer.partition(b"\r\n")
    body = rest.split(b"\r\n\r\n", 1)[1]
    if not declared and body and not body.startswith(b"{"):
        body = body.split(b"\r\n", 1)[1]  # a chunked answer: drop the chunk size
    return int(status_line.split()[1]), json.loads(body[: body.rfind(b"}") + 1]), sent


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_413_and_costs_the_server_no_memory(
    database_url: str, tenant: Tenant, declared: bool
) -> None:
    with adline_serve_process(database_url) as (api, process):
        headers = {**tenant.headers, **NEWEST_HEADER}
        # Warm up (the first request imports and caches what serving needs).
        assert httpx.get(f"{api}/ad_campaigns", headers=headers).status_code == 200
        before = rss_mib(process.pid)
        for _ in range(3):
            status, body, sent = post_100_mb(api, tenant.key, declared=declared)
            assert status == 413, body
            assert body["error"]["code"] == "body_too_large"
            # The server answered long before the client was done.
            assert sent < BODY_SIZE // 2, sent
        grown = rss_mib(process.pid) - before
        assert grown < 20, f"the server grew by {grown:.0f} MiB"
        listed = httpx.get(f"{api}/ad_campaigns", headers=headers)
        assert listed.json()["data"] == []
