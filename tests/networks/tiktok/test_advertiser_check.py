"""A connection's token check on TikTok against the contract fixtures: `/advertiser/info/`
read with the token being checked, accepted only when TikTok answers the advertiser and it
is enabled; a token or advertiser TikTok refuses is a refusal with TikTok's message; a rate
limit is no answer (it raises, and the API answers 503)."""

from __future__ import annotations

import pytest

from adline.config import Settings
from adline.connections.checker import ConnectionCheck, NetworkConnectionChecker
from adline.delivery.adapter import RateLimited
from adline.networks.base import NetworkCredentials

from .replay import ADVERTISER_ID, BASE_URL, TOKEN, Replay


async def check(replay: Replay) -> ConnectionCheck:
    checker = NetworkConnectionChecker(
        Settings(tiktok_api_url=BASE_URL), {"tiktok": replay.transport}
    )
    return await checker.check(NetworkCredentials("tiktok", ADVERTISER_ID, TOKEN))


async def test_an_enabled_advertiser_the_token_reads_is_accepted_with_its_name() -> None:
    with Replay("advertiser_info_enabled") as replay:
        assert await check(replay) == ConnectionCheck(True, name="Acme TikTok")


async def test_a_disabled_advertiser_is_refused() -> None:
    with Replay("advertiser_info_disabled") as replay:
        refused = await check(replay)
    assert (refused.accepted, refused.name) == (False, "Acme TikTok")
    assert refused.error_message == (
        f"The advertiser {ADVERTISER_ID} is not enabled (status STATUS_DISABLE)."
    )


@pytest.mark.parametrize(
    ("fixture", "said"),
    [
        ("advertiser_info_token_40105", "TikTok 40105: Access token is incorrect"),
        ("advertiser_info_permission_40001", "TikTok 40001: No permission to operate advertiser"),
    ],
)
async def test_a_token_or_advertiser_tiktok_refuses_is_refused_with_its_message(
    fixture: str, said: str
) -> None:
    with Replay(fixture) as replay:
        refused = await check(replay)
    assert not refused.accepted
    assert refused.error_message is not None and refused.error_message.startswith(said)


async def test_a_rate_limited_check_is_not_answered() -> None:
    # The minute's quota: raised at once, never slept through in the request.
    with Replay("advertiser_info_rate_limited_40100_qpm") as replay, pytest.raises(RateLimited):
        await check(replay)
