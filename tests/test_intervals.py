"""Monte-Carlo intervals: coverage, ordering and the exact edges."""

from __future__ import annotations

import doctest

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim.zone.intervals as intervals
from sim.zone.intervals import proportion_interval


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
