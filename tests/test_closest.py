from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.model import Scenario
from sim.zone import separable
from sim.zone.closest import closest_package, shortfalls, veto_total
from sim.zone.own_best import best_completion_utility, own_best_completion
from sim.zone.preferences import utilities_at
from sim.zone.sampling import sample_preferences
from sim.zone.space import PackageSpace
from tests.strategies import language_scenario_dicts, scenario_dicts


def _with_red_lines(doc: dict, data: st.DataObject) -> dict:
    for party in doc["parties"]:
        if data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(doc["issues"]) - 1))
            o = data.draw(st.integers(0, len(doc["issues"][i]["options"]) - 1))
            party["red_lines"] = [f"i{i}.o{o}"]
    return doc


def _all_codes(space: PackageSpace) -> np.ndarray:
    return space.codes(np.arange(space.size))


@settings(max_examples=40)
@given(scenario_dicts(max_issues=4, max_options=4, max_parties=3), st.data())
def test_closest_package_is_the_brute_force_minimum(doc, data):
    scenario = Scenario.model_validate(_with_red_lines(doc, data))
    space = PackageSpace.from_scenario(scenario)
    preferences = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    fix = {0: data.draw(st.integers(0, space.radices[0] - 1))} if data.draw(st.booleans()) else {}
    avoid = [ref for p in np.flatnonzero(preferences.veto) for ref in preferences.red_lines[p]]
    found = closest_package(space, preferences, fix, avoid, max_exact=data.draw(st.sampled_from([1, 3, 10_000])))
    codes = _all_codes(space)
    allowed = space.feasible(codes) & ~space.holds_any(codes, [a for a in avoid if a[0] not in fix])
    for issue, option in fix.items():
        allowed &= codes[:, issue] == option
    if not allowed.any():
        assert found is None
        return
    total = shortfalls(preferences, space, codes)[preferences.veto].sum(axis=0)
    candidates = np.flatnonzero(allowed)
    expected = candidates[np.lexsort((candidates, total[candidates]))[0]]
    assert found is not None
    if found.proven:
        assert found.package == expected
    assert found.total >= total[expected] - 1e-12
    assert np.isclose(found.total, total[found.package])


def test_closest_package_by_hand():
    """Two parties, reservations out of reach together: A wants x, B wants y; (x, y) misses each by 0.1."""
    scenario = Scenario.model_validate(
        {
            "negsim": 1,
            "id": "hand",
            "title": "hand",
            "issues": [
                {"id": "one", "title": "One", "options": [{"id": "x", "label": "x"}, {"id": "y", "label": "y"}]},
                {"id": "two", "title": "Two", "options": [{"id": "x", "label": "x"}, {"id": "y", "label": "y"}]},
            ],
            "parties": [
                {
                    "id": "a",
                    "name": "A",
                    "weights": {"one": 0.5, "two": 0.5},
                    "values": {"one": {"x": 1, "y": 0}, "two": {"x": 1, "y": 0}},
                    "reservation": 0.625,
                    "red_lines": ["two.y"],
                },
                {
                    "id": "b",
                    "name": "B",
                    "weights": {"one": 0.5, "two": 0.5},
                    "values": {"one": {"x": 0, "y": 1}, "two": {"x": 0, "y": 1}},
                    "reservation": 0.625,
                },
            ],
        }
    )
    space = PackageSpace.from_scenario(scenario)
    preferences = sample_preferences(scenario, 4, np.random.default_rng(0))
    found = closest_package(space, preferences, {}, [(1, 1)])
    assert found is not None and found.proven
    # (y, x): A has 0.5, B has 0.5: each 0.125 short; (x, x) leaves B 0.625 short. Red line forbids two=y.
    assert space.describe(found.package) == {"one": "y", "two": "x"}
    assert np.allclose(found.shortfall, [0.125, 0.125]) and np.isclose(found.total, 0.25)
    own = own_best_completion(space, preferences, {0: 1}, [list(r) for r in preferences.red_lines])
    # fixing one=y: A's best completion is (y, x) at 0.5 < 0.625; B's is (y, y) at 1.
    assert np.allclose(own.below, [1.0, 0.0]) and np.allclose(own.shortfall, [0.125, 0.0])


def _fix(space: PackageSpace, data: st.DataObject) -> dict[int, int]:
    issues = data.draw(st.lists(st.integers(0, len(space.radices) - 1), max_size=2, unique=True))
    return {i: data.draw(st.integers(0, space.radices[i] - 1)) for i in issues}


def _completions(space: PackageSpace, fix: dict[int, int]) -> np.ndarray:
    codes = _all_codes(space)
    keep = space.feasible(codes)
    for issue, option in fix.items():
        keep &= codes[:, issue] == option
    return codes[keep]


@contextmanager
def _separable(float_error: float, max_grid: int) -> Iterator[None]:
    """Choose which samples the component-wise path settles: its proof's error margin and its largest grid (a
    large margin sends near-best samples to the search, a grid of 1 sends every sample)."""
    kept = separable.FLOAT_ERROR, separable.MAX_GRID
    separable.FLOAT_ERROR, separable.MAX_GRID = float_error, max_grid
    try:
        yield
    finally:
        separable.FLOAT_ERROR, separable.MAX_GRID = kept


@pytest.mark.parametrize(
    ("float_error", "max_grid"),
    [(separable.FLOAT_ERROR, separable.MAX_GRID), (0.02, separable.MAX_GRID), (separable.FLOAT_ERROR, 1)],
    ids=["settled", "mixed", "searched"],
)
@settings(max_examples=40, deadline=None)
@given(doc=language_scenario_dicts(max_issues=4, max_options=3, max_parties=3), data=st.data())
def test_own_best_completion_is_the_enumerated_maximum_bit_for_bit(float_error, max_grid, doc, data):
    """Per party and sample, the very float the enumeration of every feasible completion holding none of the
    party's red lines finds (links, requires-constraints, ratifiers, red lines on fixed issues): settled component
    by component, searched by branch and bound, or a mixture of both."""
    scenario = Scenario.model_validate(doc)
    space = PackageSpace.from_scenario(scenario)
    preferences = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    fix = _fix(space, data)
    red_lines = [list(reds) for reds in preferences.red_lines]
    with _separable(float_error, max_grid):
        own = own_best_completion(space, preferences, fix, red_lines)
        found = [best_completion_utility(space, preferences, p, fix, reds) for p, reds in enumerate(red_lines)]
    codes = _completions(space, fix)
    utilities = preferences.utilities(space, codes)
    for p, reds in enumerate(red_lines):
        usable = ~space.holds_any(codes, reds)
        best = utilities[p, usable].max(axis=0) if usable.any() else np.full(preferences.samples, -np.inf)
        assert np.array_equal(found[p], best)
        gap = preferences.reservation[p] - best
        assert own.below[p] == (gap > 0).mean()
        assert own.shortfall[p] == np.maximum(gap, 0.0).mean()


@settings(max_examples=40, deadline=None)
@given(language_scenario_dicts(max_issues=4, max_options=3, max_parties=3), st.data())
def test_closest_package_is_proven_and_equals_brute_force_bit_for_bit(doc, data):
    scenario = Scenario.model_validate(doc)
    space = PackageSpace.from_scenario(scenario)
    preferences = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    fix = _fix(space, data)
    veto = np.flatnonzero(preferences.veto)
    avoid = sorted({ref for p in veto for ref in preferences.red_lines[p]})
    found = closest_package(space, preferences, fix, avoid)
    codes = _completions(space, fix)
    codes = codes[~space.holds_any(codes, [a for a in avoid if a[0] not in fix])]
    if codes.shape[0] == 0:
        assert found is None
        return
    short = shortfalls(preferences, space, codes)
    total = veto_total(short, veto)
    packages = space.package(codes)
    best = np.lexsort((packages, total))[0]
    assert found is not None and found.proven
    assert (found.package, found.total) == (packages[best], total[best])
    assert np.array_equal(found.shortfall, short[:, best])


@settings(max_examples=30, deadline=None)
@given(language_scenario_dicts(max_issues=4, max_options=3, max_parties=3))
def test_utilities_at_is_preferences_utilities_bit_for_bit(doc):
    scenario = Scenario.model_validate(doc)
    space = PackageSpace.from_scenario(scenario)
    preferences = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    codes = _all_codes(space)
    utilities = preferences.utilities(space, codes)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, codes.shape[0], 50)
    samples = rng.integers(0, preferences.samples, 50)
    for p in range(preferences.n_parties):
        assert np.array_equal(utilities_at(preferences, codes[rows], samples, [p])[0], utilities[p, rows, samples])
