from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.model import Scenario
from sim.zone.bargaining import Frontier, bargaining_solutions, pareto_frontier, pareto_mask, stacked_solutions
from sim.zone.preferences import UNIT, acceptance_threshold, to_units
from sim.zone.sampling import sample_preferences
from sim.zone.space import PackageSpace
from tests.strategies import language_scenario_dicts, scenario_dicts


def brute_force_frontier(values: np.ndarray) -> np.ndarray:
    at_least = (values[None, :, :] >= values[:, None, :]).all(-1)
    better = (values[None, :, :] > values[:, None, :]).any(-1)
    return ~(at_least & better).any(axis=1)


@given(st.integers(1, 300), st.integers(1, 4), st.integers(0, 2**16))
def test_pareto_mask_equals_brute_force(n, d, seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=(n, d)) / 5  # many ties and duplicates
    assert np.array_equal(pareto_mask(values), brute_force_frontier(values))


def expected_table(scenario: Scenario):
    prefs = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    veto = np.flatnonzero(prefs.veto)
    expected = to_units(prefs.expected_contributions)  # the exact integers every comparison uses
    utilities = sum(expected[veto][:, i, codes[:, i]] for i in range(codes.shape[1])).T
    allowed = space.feasible(codes)
    for p in veto:
        allowed &= ~space.holds_any(codes, list(prefs.red_lines[p]))
    return space, prefs, codes, utilities, allowed


def with_extras(doc: dict, data: st.DataObject) -> dict:
    """Random red lines and a constraint spanning two issues, so the frontier must respect both."""
    parties, issues = doc["parties"], doc["issues"]
    for party in parties:
        if data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(issues) - 1))
            party["red_lines"] = [f"i{i}.o{data.draw(st.integers(0, len(issues[i]['options']) - 1))}"]
    if len(issues) >= 2 and data.draw(st.booleans()):
        doc["constraints"] = [{"forbid": ["i0.o0", f"i{len(issues) - 1}.o1"]}]
    return doc


@given(scenario_dicts(max_issues=4, max_options=4), st.data())
def test_frontier_is_exactly_the_undominated_packages(doc, data):
    scenario = Scenario.model_validate(with_extras(doc, data))
    space, prefs, codes, utilities, allowed = expected_table(scenario)
    frontier = pareto_frontier(space, prefs)
    candidates = np.flatnonzero(allowed)
    expected = candidates[brute_force_frontier(utilities[candidates])]
    assert frontier.packages.tolist() == expected.tolist()


@given(scenario_dicts(max_issues=3, max_options=4), st.data())
def test_nash_point_lies_on_the_frontier_and_inside_the_zone(doc, data):
    scenario = Scenario.model_validate(with_extras(doc, data))
    space, prefs, codes, utilities, allowed = expected_table(scenario)
    frontier = pareto_frontier(space, prefs)
    solutions = bargaining_solutions(frontier)
    reservation = to_units(frontier.reservation)
    acceptable = allowed & (utilities >= acceptance_threshold(frontier.reservation)).all(axis=1)
    if not acceptable.any():
        assert solutions["nash"] is None
        return
    nash = solutions["nash"]
    assert nash is not None and nash.package in frontier.packages
    assert acceptable[nash.package]
    gains = np.maximum((utilities[acceptable] - reservation) * UNIT, 0)
    products = np.prod(gains, axis=1)
    nash_row = np.flatnonzero(np.flatnonzero(acceptable) == nash.package)[0]
    assert np.isclose(products[nash_row], products.max(), rtol=0, atol=1e-12)
    for name in ("kalai_smorodinsky", "egalitarian", "utilitarian"):
        assert solutions[name].package in frontier.packages and acceptable[solutions[name].package]
    egalitarian = gains.min(axis=1).max()
    egal_row = np.flatnonzero(np.flatnonzero(acceptable) == solutions["egalitarian"].package)[0]
    assert np.isclose(gains[egal_row].min(), egalitarian, atol=1e-12)


@given(language_scenario_dicts(max_issues=4, max_options=3))
def test_frontier_with_links_and_requires_is_exactly_the_undominated_packages(doc):
    """Links (pairwise terms) and requires-constraints: the issue-by-issue Pareto sums stay exact because partial
    packages are only compared when they agree on every decided option a link or constraint still depends on."""
    scenario = Scenario.model_validate(doc)
    prefs = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    veto = np.flatnonzero(prefs.veto)
    expected = to_units(prefs.expected_contributions)
    utilities = sum(expected[veto][:, i, codes[:, i]] for i in range(codes.shape[1])).T
    for link in prefs.links:
        if link.party in veto:
            both = (codes[:, link.first[0]] == link.first[1]) & (codes[:, link.second[0]] == link.second[1])
            utilities[both, int(np.flatnonzero(veto == link.party)[0])] += to_units(link.delta.mean())
    allowed = space.feasible(codes)
    for p in veto:
        allowed &= ~space.holds_any(codes, list(prefs.red_lines[p]))
    candidates = np.flatnonzero(allowed)
    expected_front = candidates[brute_force_frontier(utilities[candidates])]
    assert pareto_frontier(space, prefs).packages.tolist() == expected_front.tolist()
    # the negotiation set: the same frontier restricted to packages every veto party expects to prefer to its mean
    # reservation, built with bound pruning (nothing else may be dropped, nothing added)
    threshold = acceptance_threshold(prefs.reservation[veto].mean(axis=1))
    rational = expected_front[(utilities[expected_front] >= threshold).all(axis=1)]
    negotiation_set = pareto_frontier(space, prefs, individually_rational=True)
    assert negotiation_set.packages.tolist() == rational.tolist()
    assert (negotiation_set.units >= negotiation_set.threshold).all()


@settings(max_examples=60)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=8), st.integers(1, 4), st.integers(0, 2**16))
def test_stacked_frontiers_have_each_frontiers_own_solutions(sizes, parties, seed):
    """Solutions of frontiers stacked in one (a negotiation chunk's run zones) are each frontier's own, bit for bit:
    empty frontiers, frontiers nothing in is acceptable, ties (utilities on a coarse grid) and one party gaining
    nothing included."""
    rng = np.random.default_rng(seed)
    ids = tuple(f"p{k}" for k in range(parties))
    alone, rows = [], []
    for size in sizes:
        utilities = rng.integers(0, 8, size=(size, parties)) / 7
        utilities[:, 0] *= rng.integers(0, 2)  # sometimes party 0 gains nothing anywhere
        reservation = rng.integers(0, 6, size=parties) / 7
        packages = np.sort(rng.choice(1000, size=size, replace=False))
        codes = rng.integers(0, 3, size=(size, 2))
        alone.append(Frontier.of(ids, packages, codes, utilities, reservation))
        rows.append((packages, codes, utilities, reservation))
    stacked = Frontier.of(
        ids,
        np.concatenate([r[0] for r in rows]),
        np.concatenate([r[1] for r in rows]),
        np.concatenate([r[2] for r in rows]),
        np.stack([r[3] for r in rows]),
    )
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    assert stacked_solutions(stacked, bounds) == [bargaining_solutions(frontier) for frontier in alone]
