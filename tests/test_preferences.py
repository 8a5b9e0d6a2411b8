from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from sim.zone.preferences import UNIT, point_preferences, sample_preferences
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


def test_units_are_the_rounded_real_contributions(golden_path):
    from sim.scenario.model import load_scenario

    prefs = sample_preferences(load_scenario(golden_path), 50, np.random.default_rng(1))
    assert np.abs(prefs.units * UNIT - prefs.contributions).max() <= UNIT / 2


def test_point_preferences_use_range_midpoints(golden_path):
    from sim.scenario.model import load_scenario

    prefs = point_preferences(load_scenario(golden_path))
    assert prefs.reservation[:, 0].tolist() == [0.375, 0.5]
