"""Which adapter serves which platform: configuration, not code.

A registry maps each platform name to a factory; the first request for a platform builds
its adapter once and keeps it. The embedded default serves `meta` and `tiktok` with the
simulated network; a deployment with real networks passes its own factories, e.g.
`AdapterRegistry(clock, {"meta": meta_http_adapter, "tiktok": simulated})`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adline.core.clock import Clock
from adline.delivery.adapter import PlatformAdapter
from adline.delivery.simulator import SimulatedNetwork


@dataclass(frozen=True)
class AdapterContext:
    """What a factory gets: the platform to serve, the clock, the simulator's seed, and
    adapter-specific options (credential names, endpoints, simulator parameters)."""

    platform: str
    clock: Clock
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)


AdapterFactory = Callable[[AdapterContext], PlatformAdapter]


class UnsupportedPlatform(LookupError):
    def __init__(self, platform: str, supported: tuple[str, ...]) -> None:
        super().__init__(
            f"No adapter serves platform {platform!r}; configured: {', '.join(supported)}"
        )
        self.platform = platform


def simulated(context: AdapterContext) -> PlatformAdapter:
    """The built-in simulated network; `options` may carry its keyword parameters
    (reporting_lag, correction_rate, rejection_rate, notice_delay, ...)."""
    return SimulatedNetwork(
        context.seed, context.clock, platform=context.platform, **dict(context.options)
    )


DEFAULT_FACTORIES: dict[str, AdapterFactory] = {"meta": simulated, "tiktok": simulated}


class AdapterRegistry:
    def __init__(
        self,
        clock: Clock,
        factories: Mapping[str, AdapterFactory] | None = None,
        *,
        seed: int = 0,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """`options` holds each platform's adapter options, by platform name."""
        self._clock = clock
        self._factories = dict(DEFAULT_FACTORIES if factories is None else factories)
        self._seed = seed
        self._options = {platform: dict(values) for platform, values in (options or {}).items()}
        self._adapters: dict[str, PlatformAdapter] = {}

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted(self._factories))

    def adapter(self, platform: str) -> PlatformAdapter:
        adapter = self._adapters.get(platform)
        if adapter is None:
            factory = self._factories.get(platform)
            if factory is None:
                raise UnsupportedPlatform(platform, self.platforms)
            context = AdapterContext(
                platform, self._clock, self._seed, self._options.get(platform, {})
            )
            adapter = self._adapters[platform] = factory(context)
        return adapter
