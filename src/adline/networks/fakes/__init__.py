"""In-process fakes of the ad networks' APIs, for end-to-end tests of the real adapters:
each is an ASGI app a client reaches through `httpx.ASGITransport`, backed by the
simulated network so delivery and reports behave as they do in Adline's own simulator."""

from adline.networks.fakes.meta import AnswerLost, FakeMeta
from adline.networks.fakes.tiktok import FakeTikTok

__all__ = ["AnswerLost", "FakeMeta", "FakeTikTok"]
