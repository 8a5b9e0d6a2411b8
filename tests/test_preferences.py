from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.zone.preferences import UNIT, gather_sums
from sim.zone.sampling import point_preferences, preferences_from_draws, sample_preferences
from sim.zone.settings import RunSettings, run_draws, run_preferences
from sim.zone.space import PackageSpace
from tests.strategies import scenarios


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_utilities_stay_in_unit_interval(scenario):
    prefs = sample_preferences(scenario, 16, np.random.default_rng(0))
    space = PackageSpace.from_scenario(scenario)
    utilities = prefs.utilities(space, space.codes(np.arange(space.size)))
    assert (utilities >= 0).all() and (utilities <= 1).all()
    assert np.allclose(prefs.weights.sum(axis=-1), 1)


@settings(max_examples=20, deadline=None)
@given(scenarios())
def test_same_seed_same_samples(scenario):
    a = sample_preferences(scenario, 8, np.random.default_rng(5))
    b = sample_preferences(scenario, 8, np.random.default_rng(5))
    assert np.array_equal(a.contributions, b.contributions) and np.array_equal(a.reservation, b.reservation)


@settings(max_examples=10, deadline=None)
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_a_runs_samples_are_its_draws_mapped(scenario, seed):
    """The studies that re-map the run's uniform numbers (``run_draws``) start from the run's own samples."""
    run = RunSettings(6, seed)
    direct, mapped = run_preferences(scenario, run), preferences_from_draws(scenario, run_draws(scenario, run))
    assert np.array_equal(direct.units, mapped.units) and np.array_equal(direct.threshold, mapped.threshold)
    assert np.array_equal(direct.contributions, mapped.contributions)


def test_units_are_the_rounded_real_contributions(golden_path):
    from sim.scenario.loading import load_scenario

    prefs = sample_preferences(load_scenario(golden_path), 50, np.random.default_rng(1))
    assert np.abs(prefs.units * UNIT - prefs.contributions).max() <= UNIT / 2


def test_point_preferences_use_range_midpoints(golden_path):
    from sim.scenario.loading import load_scenario

    prefs = point_preferences(load_scenario(golden_path))
    assert prefs.reservation[:, 0].tolist() == [0.375, 0.5]


@given(st.integers(1, 9), st.integers(1, 400), st.integers(1, 4), st.integers(0, 2**16))
def test_integer_sums_by_halves_equal_the_plain_fold(n_issues, count, radix, seed):
    """Summing halves of the issues over their distinct rows gives exactly the issue-by-issue sums."""
    rng = np.random.default_rng(seed)
    tables = [rng.integers(-(2**20), 2**20, size=(radix, 3, 5)).astype(np.int32) for _ in range(n_issues)]
    codes = rng.integers(0, radix, size=(count, n_issues))
    expected = np.zeros((count, 3, 5), dtype=np.int32)
    for issue in range(n_issues):
        expected += tables[issue][codes[:, issue]]
    assert np.array_equal(gather_sums(tables, codes, 3, 5), expected)


def _with_weights(land: float, money: float):
    from sim.scenario.loading import load_scenario
    from tests.conftest import DATA

    return load_scenario(DATA / "golden.yaml", [f"alpha.weights={{land: {land!r}, money: {money!r}}}"])


def test_huge_weights_are_normalised_without_overflow():
    """``{land: 1e308, money: 1e308}`` once summed to infinity and every share became 0 (issue 24)."""
    huge = sample_preferences(_with_weights(1e308, 1e308), 200, np.random.default_rng(1))
    plain = sample_preferences(_with_weights(1.0, 1.0), 200, np.random.default_rng(1))
    assert np.array_equal(huge.weights, plain.weights)
    assert np.array_equal(huge.units, plain.units)
    assert np.array_equal(huge.contributions, plain.contributions)


@given(
    land=st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False),
    money=st.floats(min_value=1e-3, max_value=1.0),
    power=st.integers(min_value=-60, max_value=1023),
)
@settings(max_examples=40)
def test_scaled_weights_give_the_same_answer(land, money, power):
    """Any finite weights give the same answer as their equivalent scaled by a power of two (issue 24)."""
    scale = 2.0**power
    if not np.isfinite(land * scale) or not np.isfinite(money * scale):
        return
    scaled = sample_preferences(_with_weights(land * scale, money * scale), 64, np.random.default_rng(2))
    plain = sample_preferences(_with_weights(land, money), 64, np.random.default_rng(2))
    assert np.array_equal(scaled.units, plain.units)
    assert np.array_equal(scaled.weights, plain.weights)
