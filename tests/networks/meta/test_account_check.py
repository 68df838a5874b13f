"""A connection's token check on Meta against the contract fixtures: the ad account read
with the token being checked, accepted only when Meta answers it and the account is
active; a token, permission or account Meta refuses is a refusal with Meta's message; a
throttle is no answer (it raises, and the API answers 503)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from adline.config import Settings
from adline.connections.checker import ConnectionCheck, NetworkConnectionChecker
from adline.delivery.adapter import RateLimited
from adline.networks.base import NetworkCredentials

from .conftest import TOKEN
from .contracts import Replay

Contract = Callable[..., Replay]


async def check(graph: respx.Router) -> ConnectionCheck:
    checker = NetworkConnectionChecker(
        Settings(), {"meta": httpx.MockTransport(graph.async_handler)}
    )
    return await checker.check(NetworkCredentials("meta", "act_1234", TOKEN))


async def test_an_active_account_the_token_reads_is_accepted_with_its_name(
    contract: Contract, graph: respx.Router
) -> None:
    contract("account_check_active")
    assert await check(graph) == ConnectionCheck(True, name="Acme ads")


async def test_a_disabled_account_is_refused(contract: Contract, graph: respx.Router) -> None:
    contract("account_check_disabled")
    refused = await check(graph)
    assert (refused.accepted, refused.name) == (False, "Acme ads")
    assert refused.error_message == (
        "The ad account act_1234 is not active (account_status 2: disabled)."
    )


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        ("account_check_token_190", "Meta error 190: Invalid OAuth access token"),
        ("account_check_permission_200", "Meta error 200: (#200) Ad account owner has NOT grant"),
        ("account_check_unknown_100", "Meta error 100/33: Unsupported get request."),
    ],
)
async def test_a_token_permission_or_account_meta_refuses_is_refused_with_its_message(
    contract: Contract, graph: respx.Router, scenario: str, said: str
) -> None:
    contract(scenario)
    refused = await check(graph)
    assert not refused.accepted
    assert refused.error_message is not None and refused.error_message.startswith(said)


async def test_a_throttled_check_is_not_answered(contract: Contract, graph: respx.Router) -> None:
    contract("account_check_rate_limited_17")
    with pytest.raises(RateLimited):
        await check(graph)
