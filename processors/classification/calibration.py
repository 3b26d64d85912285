"""Temperature scaling: softmax outputs made to mean what they say on held-out items.

A model trained to near-zero loss is over-confident; raising its probabilities
to the power 1/T and renormalising (T fitted on the dev split by likelihood)
keeps the ranking and makes "0.8" right about 80 % of the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def scale(probs: Sequence[float], temperature: float) -> list[float]:
    """``probs`` sharpened (T < 1) or flattened (T > 1), summing to one."""
    if temperature == 1.0:
        total = sum(probs) or 1.0
        return [p / total for p in probs]
    powered = [max(p, 1e-12) ** (1.0 / temperature) for p in probs]
    total = sum(powered)
    return [p / total for p in powered]


def neg_log_likelihood(rows: Sequence[tuple[Sequence[float], int]], temperature: float) -> float:
    """Mean -log p(right class) over ``rows`` of (probabilities, index of the right class)."""
    total = 0.0
    for probs, right in rows:
        total -= math.log(max(scale(probs, temperature)[right], 1e-12))
    return total / max(len(rows), 1)


def fit_temperature(rows: Sequence[tuple[Sequence[float], int]]) -> float:
    """The temperature in [0.25, 8] with the lowest dev likelihood loss (grid, then refined)."""

    def loss(temperature: float) -> float:
        return neg_log_likelihood(rows, temperature)

    grid: list[float] = [0.25 * 1.12**i for i in range(40) if 0.25 * 1.12**i <= 8.0]
    best = min(grid, key=loss)
    fine: list[float] = [best * (0.95 + 0.01 * i) for i in range(11)]
    chosen: float = min(fine, key=loss)
    return round(chosen, 4)


def expected_calibration_error(
    rows: Sequence[tuple[Sequence[float], int]], temperature: float, bins: int = 10
) -> float:
    """Gap between confidence and accuracy of the first class, weighted over ``bins``."""
    sums = [[0.0, 0.0, 0] for _ in range(bins)]
    for probs, right in rows:
        scaled = scale(probs, temperature)
        best = max(range(len(scaled)), key=scaled.__getitem__)
        b = min(int(scaled[best] * bins), bins - 1)
        sums[b][0] += scaled[best]
        sums[b][1] += best == right
        sums[b][2] += 1
    n = sum(s[2] for s in sums) or 1
    return sum(abs(s[0] - s[1]) for s in sums if s[2]) / n
