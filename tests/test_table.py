"""The negotiating table: which packages the talks bargain over."""

from __future__ import annotations

import numpy as np

from sim.negotiation.table import TABLE_SAMPLES, candidate_table, table_seed
from sim.scenario.loading import load_scenario
from sim.zone.sampling import point_preferences, sample_preferences
from sim.zone.space import PackageSpace
from tests.conftest import DATA


def _setting(name: str):
    scenario = load_scenario(DATA / name)
    space = PackageSpace.from_scenario(scenario)
    veto = [p for p, party in enumerate(scenario.parties) if party.has_veto]
    return scenario, space, veto


def _is_candidate(scenario, space, veto, packages):
    codes = space.codes(packages)
    red_lines = point_preferences(scenario).red_lines
    banned = [ref for p in veto for ref in red_lines[p]]
    return space.feasible(codes) & ~space.holds_any(codes, banned)


def test_a_small_space_is_tabled_whole():
    scenario, space, veto = _setting("talks-heldout.yaml")
    table = candidate_table(scenario, space, veto)
    everything = np.arange(space.size)
    assert table.tolist() == everything[_is_candidate(scenario, space, veto, everything)].tolist()


def test_a_large_space_keeps_the_packages_most_often_in_the_zone():
    """With room for 20 packages out of 216 candidates, the table holds the 20 packages most often in the zone of the
    table's own samples (ties: agreed at the table more often, then lower number), each a candidate; with room
    for 150 (more than the 93 packages ever agreed at the table) the rest is filled with other candidates."""
    scenario, space, veto = _setting("talks-heldout.yaml")
    preferences = sample_preferences(scenario, TABLE_SAMPLES, np.random.default_rng(table_seed(scenario)))
    everything = np.arange(space.size)
    candidates = everything[_is_candidate(scenario, space, veto, everything)]
    codes = space.codes(candidates)
    accepted = preferences.acceptable(space, codes, parties=veto).all(axis=0)
    zone_count = accepted.sum(axis=1)
    order = np.lexsort((candidates, -zone_count))
    small = candidate_table(scenario, space, veto, size=20)
    assert small.tolist() == sorted(candidates[order[:20]].tolist())
    large = candidate_table(scenario, space, veto, size=150)
    assert large.size == 150 and np.all(np.diff(large) > 0)
    assert _is_candidate(scenario, space, veto, large).all()
    assert set(candidates[zone_count > 0].tolist()) <= set(large.tolist())
