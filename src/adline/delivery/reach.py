"""Reach and frequency: how impressions land on people.

People counts are floats (expected values of the model); reported counts round them.

- Without a frequency cap impressions fall on the pool at random: `I` impressions on a pool
  of `N` people of whom `R` were reached before reach `(N - R) * (1 - exp(-I / N))` new
  people, so reach grows sublinearly toward `N` and frequency rises.
- With a cap of `c` per window the network skips people who reached it. The model keeps a
  histogram of people by impressions seen in the window (0..c) and spreads the hour's
  impressions as Poisson occupancy over the people below the cap, truncated at the cap:
  nobody ever passes `c` in a window, and impressions beyond everyone's cap go unserved.
"""

from __future__ import annotations

import math

# Above this Poisson mean per eligible person, everyone eligible reaches the cap.
_SATURATED = 200.0


def random_reach_gain(pool: float, reached: float, impressions: float) -> float:
    if pool <= 0 or impressions <= 0:
        return 0.0
    return max(0.0, pool - reached) * -math.expm1(-impressions / pool)


def new_histogram(pool: float, cap: int) -> list[float]:
    return [pool] + [0.0] * cap


def resize_histogram(histogram: list[float], pool: float, cap: int) -> list[float]:
    """The histogram for a changed cap or pool: mass above the cap moves to it; people who
    joined the pool start at zero (people who left it leave the unreached first)."""
    if len(histogram) - 1 != cap:
        kept = histogram[: cap + 1] + [0.0] * max(0, cap + 1 - len(histogram))
        kept[cap] += sum(histogram[cap + 1 :])
        histogram = kept
    difference = pool - sum(histogram)
    histogram = list(histogram)
    histogram[0] = max(0.0, histogram[0] + difference)
    return histogram


def capacity(histogram: list[float]) -> float:
    cap = len(histogram) - 1
    return sum(count * (cap - seen) for seen, count in enumerate(histogram))


def _poisson_pmf(mean: float, size: int) -> list[float]:
    pmf = [math.exp(-mean)]
    for k in range(1, size):
        pmf.append(pmf[-1] * mean / k)
    return pmf


def _served(histogram: list[float], mean: float) -> float:
    """Impressions served when each eligible person draws Poisson(mean), truncated at the cap."""
    cap = len(histogram) - 1
    pmf = _poisson_pmf(mean, cap)
    # expected[m] = E[min(K, m)] = sum over k < m of P(K > k)
    expected = [0.0]
    tail = 1.0
    for k in range(cap):
        tail -= pmf[k]
        expected.append(expected[-1] + max(tail, 0.0))
    return sum(count * expected[cap - seen] for seen, count in enumerate(histogram[:cap]))


def capped_delivery(histogram: list[float], wanted: float) -> tuple[float, list[float]]:
    """(impressions served, the histogram after) when the network wants to serve `wanted`."""
    cap = len(histogram) - 1
    room = capacity(histogram)
    if wanted <= 0 or room <= 0:
        return 0.0, list(histogram)
    if wanted >= room:
        return room, [0.0] * cap + [sum(histogram)]
    eligible = sum(histogram[:cap])
    low, high = 0.0, wanted / eligible
    while _served(histogram, high) < wanted and high < _SATURATED:
        high *= 2
    if high >= _SATURATED:
        return room, [0.0] * cap + [sum(histogram)]
    for _ in range(50):
        middle = (low + high) / 2
        if _served(histogram, middle) < wanted:
            low = middle
        else:
            high = middle
    mean = high
    pmf = _poisson_pmf(mean, cap + 1)
    after = [0.0] * (cap + 1)
    for seen, count in enumerate(histogram):
        if count <= 0:
            continue
        if seen == cap:
            after[cap] += count
            continue
        room_left = cap - seen
        below = 0.0
        for extra in range(room_left):
            after[seen + extra] += count * pmf[extra]
            below += pmf[extra]
        after[cap] += count * max(0.0, 1.0 - below)
    return _served(histogram, mean), after
