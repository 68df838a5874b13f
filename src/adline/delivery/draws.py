"""Seeded random draws for the simulator (standard library only).

Every draw comes from a `random.Random` seeded with a string naming what it is for (the
simulator's seed, the platform, the purpose, the object, the hour), so a draw does not depend
on the order in which objects were created or hours were asked for. String seeds are hashed
with SHA-512 by `random`, so they are stable across processes (no PYTHONHASHSEED).
"""

from __future__ import annotations

import hashlib
import math
import random

# A busy hour's count may exceed its mean by at most 25% (+3): traffic is bursty, but the
# pacing bound in docs/delivery.md relies on a ceiling.
DRAW_CEILING = 1.25
DRAW_SLACK = 3
# Hour-to-hour traffic noise on top of Poisson noise (a coefficient of variation).
HOURLY_NOISE = 0.05


def derive_rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(part) for part in parts))


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts` (for properties of named things, e.g. interests)."""
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stable_digits(count: int, *parts: object) -> str:
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).digest()
    return str(int.from_bytes(digest, "big"))[-count:].rjust(count, "0")


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean < 30:
        # Knuth: multiply uniforms until the product drops below e^-mean.
        limit = math.exp(-mean)
        count, product = 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def hourly_count(rng: random.Random, mean: float) -> int:
    """Impressions of an hour: Poisson around `mean`, overdispersed, with a ceiling."""
    if mean <= 0:
        return 0
    if mean < 30:
        draw = poisson(rng, mean)
    else:
        spread = math.sqrt(mean + (HOURLY_NOISE * mean) ** 2)
        draw = max(0, round(rng.gauss(mean, spread)))
    return min(draw, math.floor(DRAW_CEILING * mean) + DRAW_SLACK)


def binomial(rng: random.Random, trials: int, p: float) -> int:
    if trials <= 0 or p <= 0:
        return 0
    if p >= 1:
        return trials
    if trials < 40:
        return sum(1 for _ in range(trials) if rng.random() < p)
    mean = trials * p
    if mean < 30:
        return min(trials, poisson(rng, mean))
    return min(trials, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))


def lognormal_factor(rng: random.Random, sigma: float) -> float:
    """A positive multiplier with mean 1."""
    return math.exp(rng.gauss(-sigma * sigma / 2, sigma))
