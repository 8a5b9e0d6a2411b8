"""Monte-Carlo intervals: coverage, ordering and the exact edges."""

from __future__ import annotations

import doctest

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim.zone.intervals as intervals
from sim.zone.intervals import mean_interval, proportion_interval


def test_doctests():
    assert doctest.testmod(intervals).failed == 0


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_interval_contains_the_estimate_and_stays_in_unit_range(case):
    k, n = case
    low, high = proportion_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_coverage_is_near_nominal():
    rng = np.random.default_rng(3)
    n, truth = 400, 0.03
    k = rng.binomial(n, truth, size=20_000)
    low, high = proportion_interval(k, np.full_like(k, n))
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.93 <= coverage <= 0.99


def test_mean_interval_is_the_normal_interval_of_the_mean():
    sizes = np.array([0, 2, 4, 2])  # mean 2, sample sd sqrt(8/3)
    low, high = mean_interval(sizes)
    half = 1.959964 * np.sqrt(8 / 3) / 2
    assert abs(low - (2 - half)) < 1e-5 and abs(high - (2 + half)) < 1e-5
    assert mean_interval(np.zeros(2000)) == (0.0, 0.0)
    assert mean_interval(np.array([0, 0, 0, 9]))[0] == 0.0  # a mean of counts is never below 0
