"""Monte-Carlo uncertainty of a probability estimated as ``successes / trials``: one implementation for all outputs.

A zone probability, an offer's P(completion in zone), a marginal or an acceptance share is a binomial proportion
over independent preference samples. Its 95 % interval is the Wilson score interval (Wilson 1927), which keeps
close to nominal coverage for the small and extreme proportions negsim reports (Brown, Cai & DasGupta 2001,
"Interval estimation for a binomial proportion", Statistical Science 16(2)). At 0 and at ``trials`` successes the
interval is the exact Clopper–Pearson one, ``[0, 1 - (alpha/2)^(1/n)]`` and its mirror: an estimate of 0 from 2,000
samples then reads "below 0.18 %", not "0".
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

CONFIDENCE = 0.95
METHOD = "Wilson score, Clopper-Pearson at 0 and n"


def proportion_interval(
    successes: np.ndarray | int, trials: np.ndarray | int, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the ``confidence`` interval for ``successes / trials`` (elementwise, float64).

    >>> low, high = proportion_interval(0, 2000)
    >>> float(low), round(float(high), 5)
    (0.0, 0.00184)
    >>> low, high = proportion_interval(50, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4038, 0.5962)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= successes <= trials and trials > 0")
    alpha = 1.0 - confidence
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    exact_edge = (alpha / 2.0) ** (1.0 / n)
    low = np.where(k == 0, 0.0, np.where(k == n, exact_edge, low))
    high = np.where(k == n, 1.0, np.where(k == 0, 1.0 - exact_edge, high))
    return low, high


def mean_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Interval of the mean of independent per-sample values, e.g. the zone mass = mean number of packages in the
    zone per sample: ``mean +- z s / sqrt(n)`` (central limit theorem; with 2,000 samples it holds for the skewed
    zone sizes negsim sees). When every sample gives the same value the interval is that value.

    >>> low, high = mean_interval(np.array([0, 2, 4, 2]))
    >>> round(low, 3), round(high, 3)
    (0.4, 3.6)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("need at least one sample")
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    mean = float(values.mean())
    half = z * float(values.std(ddof=1)) / np.sqrt(values.size) if values.size > 1 else 0.0
    low = max(mean - half, 0.0) if values.min() >= 0 else mean - half  # a count's mean is never negative
    return float(low), float(mean + half)


def half_width(trials: int, p: float = 0.5, confidence: float = CONFIDENCE) -> float:
    """Half-width of the interval at proportion ``p`` (0.5 is the widest): how precise ``trials`` samples are.

    >>> round(half_width(2000), 4)
    0.0219
    """
    low, high = proportion_interval(round(p * trials), trials, confidence)
    return float(high - low) / 2.0
