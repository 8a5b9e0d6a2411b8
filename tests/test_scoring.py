"""The Monte-Carlo zone: equal to its definition package by package, whatever the cut, pruned or not."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.zone.sampling import sample_preferences
from sim.zone.scoring import ZoneResult, compute_zone
from sim.zone.space import PackageSpace
from tests.strategies import scenario_dicts

FAST = settings(max_examples=40, deadline=None)


def with_offer(doc: dict) -> dict:
    doc = dict(doc)
    doc["offers"] = [{"id": "first", "label": "first option of issue 0", "fix": {"i0": "o0"}}]
    return doc


def brute_force(scenario: Scenario, samples: int, seed: int):
    """The zone by the definition, package by package, with the reference utility path."""
    prefs = sample_preferences(scenario, samples, np.random.default_rng(seed))
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    accepts = prefs.acceptable(space, codes)
    in_zone = accepts[prefs.veto].all(axis=0) & space.feasible(codes)[:, None]
    return in_zone, accepts, space.feasible(codes)


def dense(result: ZoneResult, counts: np.ndarray) -> np.ndarray:
    full = np.zeros(result.space.size, dtype=np.int64)
    full[result.packages] = counts
    return full


def same(a: ZoneResult, b: ZoneResult) -> bool:
    return (
        np.array_equal(a.packages, b.packages)
        and np.array_equal(a.zone_count, b.zone_count)
        and np.array_equal(a.table_count, b.table_count)
        and np.array_equal(a.accept_count, b.accept_count)
        and np.array_equal(a.targets.hits, b.targets.hits)
        and np.array_equal(a.targets.table_hits, b.targets.table_hits)
        and np.array_equal(a.targets.best_package, b.targets.best_package)
    )


@FAST
@given(scenario_dicts(), st.integers(1, 50), st.integers(1, 40))
def test_the_cut_changes_nothing(doc, tail_max, min_blocks):
    """However the space is cut into blocks and tails, and on 1 or 2 threads, every count is identical."""
    scenario = Scenario.model_validate(with_offer(doc))
    whole = compute_zone(scenario, tail_max=10**9, min_blocks=1)
    cut = compute_zone(scenario, tail_max=tail_max, min_blocks=min_blocks, workers=2)
    assert same(whole, cut)


@FAST
@given(scenario_dicts(), st.integers(1, 50))
def test_pruning_changes_nothing_but_the_work(doc, tail_max):
    """Pruned and brute-force scoring agree on every count, hit and best package, bit for bit."""
    scenario = Scenario.model_validate(with_offer(doc))
    assert same(compute_zone(scenario, tail_max=tail_max), compute_zone(scenario, tail_max=tail_max, prune=False))


@FAST
@given(scenario_dicts())
def test_zone_matches_the_definition_package_by_package(doc):
    scenario = Scenario.model_validate(with_offer(doc))
    result = compute_zone(scenario, tail_max=7)
    in_zone, accepts, feasible = brute_force(scenario, scenario.run.samples, scenario.run.seed)
    assert np.array_equal(dense(result, result.zone_count), in_zone.sum(axis=1))
    assert np.array_equal(result.accept_count, accepts.sum(axis=2)[:, result.packages])
    assert result.feasible == int(feasible.sum())
    assert np.array_equal(result.zone_sizes, in_zone.sum(axis=0))  # per-sample zone sizes (the zone mass interval)
    offer_rows = result.space.codes(np.arange(result.space.size))[:, 0] == 0
    expected = in_zone[offer_rows].any(axis=0).mean()
    assert result.targets.p_complete[0] == expected
    codes = result.space.codes(np.arange(result.space.size))
    counts = in_zone.sum(axis=1)
    for t, target in enumerate(result.targets.targets):  # every option (one pass per issue) and the whole space
        rows = np.ones(result.space.size, dtype=bool)
        for issue, option in target.fix:
            rows &= codes[:, issue] == option
        hit = np.unpackbits(result.targets.hits[t])[: scenario.run.samples].astype(bool)
        assert np.array_equal(hit, in_zone[rows].any(axis=0)), target
        best = np.flatnonzero(rows & (counts > 0))
        expected_best = best[np.argmax(counts[best])] if best.size else -1
        assert result.targets.best_package[t] == expected_best, target


def assert_is_the_definition(result: ZoneResult, scenario: Scenario) -> None:
    """Every count, per-sample size, hit and best completion of ``result`` equals the package-by-package zone."""
    in_zone, accepts, feasible = brute_force(scenario, scenario.run.samples, scenario.run.seed)
    at_table = accepts[result.preferences.veto & ~result.preferences.ratifier].all(axis=0) & feasible[:, None]
    counts = in_zone.sum(axis=1)
    assert np.array_equal(result.packages, np.flatnonzero(at_table.any(axis=1)))
    assert np.array_equal(dense(result, result.zone_count), counts)
    assert np.array_equal(dense(result, result.table_count), at_table.sum(axis=1))
    assert np.array_equal(result.accept_count, accepts.sum(axis=2)[:, result.packages])
    assert np.array_equal(result.zone_sizes, in_zone.sum(axis=0))
    codes = result.space.codes(np.arange(result.space.size))
    for t, target in enumerate(result.targets.targets):
        rows = np.ones(result.space.size, dtype=bool)
        for issue, option in target.fix:
            rows &= codes[:, issue] == option
        hit = np.unpackbits(result.targets.hits[t])[: scenario.run.samples].astype(bool)
        table_hit = np.unpackbits(result.targets.table_hits[t])[: scenario.run.samples].astype(bool)
        assert np.array_equal(hit, in_zone[rows].any(axis=0)), target
        assert np.array_equal(table_hit, at_table[rows].any(axis=0)), target
        best = np.flatnonzero(rows & (counts > 0))
        assert result.targets.best_package[t] == (best[np.argmax(counts[best])] if best.size else -1), target


@FAST
@given(
    scenario_dicts(links=True, requires=True, ratifiers=True, red_lines=True),
    st.sampled_from([0.0, 0.3, None, 2.0]),
    st.integers(1, 50),
    st.integers(1, 40),
)
def test_every_path_is_the_definition(doc, dense_share, tail_max, min_blocks):
    """Dense rows everywhere (share 0), pairs only (share 2), the default mix and one in between, pruned or not,
    however cut: every path gives the zone of the definition, bit for bit, on scenarios using the whole language."""
    scenario = Scenario.model_validate(with_offer(doc))
    share = {} if dense_share is None else {"dense_share": dense_share}
    for prune in (True, False):
        result = compute_zone(scenario, tail_max=tail_max, min_blocks=min_blocks, prune=prune, **share)
        assert_is_the_definition(result, scenario)


@FAST
@given(scenario_dicts(), st.data())
def test_adding_a_red_line_never_raises_zone_probability(doc, data):
    before = compute_zone(Scenario.model_validate(doc))
    party = data.draw(st.integers(0, len(doc["parties"]) - 1))
    issue = data.draw(st.integers(0, len(doc["issues"]) - 1))
    option = data.draw(st.integers(0, len(doc["issues"][issue]["options"]) - 1))
    doc["parties"][party]["red_lines"] = [f"i{issue}.o{option}"]
    after = compute_zone(Scenario.model_validate(doc))
    assert (dense(after, after.zone_count) <= dense(before, before.zone_count)).all()
    assert after.targets.p_complete[-1] <= before.targets.p_complete[-1]


@FAST
@given(scenario_dicts(), st.data())
def test_raising_a_reservation_never_raises_zone_probability(doc, data):
    before = compute_zone(Scenario.model_validate(doc))
    party = doc["parties"][data.draw(st.integers(0, len(doc["parties"]) - 1))]
    bump = data.draw(st.floats(0, 0.5))
    old = party["reservation"]
    low, high = (old, old) if isinstance(old, float) else old
    party["reservation"] = [min(1.0, low + bump), min(1.0, high + bump)]
    after = compute_zone(Scenario.model_validate(doc))
    assert (dense(after, after.zone_count) <= dense(before, before.zone_count)).all()


def test_golden_two_issue_zone(golden_path):
    """Hand-worked zone of tests/data/golden.yaml.

    Packages (land, money), numbered land-major: 0 (a_keeps, a_pays), 1 (a_keeps, b_pays), 2 (split, a_pays),
    3 (split, b_pays), 4 (b_keeps, a_pays), 5 (b_keeps, b_pays).
    Alpha: u = 0.75*land + 0.25*money -> 0.75, 1.0, 0.375, 0.625, 0.0, 0.25; reservation ~ U[0.25, 0.5].
      Alpha accepts 0, 1, 3 always; 2 when r <= 0.375 (probability 1/2); 5 when r <= 0.25 (probability 0).
    Beta: u = 0.5*land + 0.5*money -> 0.5, 0.0, 0.75, 0.25, 1.0, 0.5; reservation ~ U[0.25, 0.75];
      red line land.a_keeps rules out 0 and 1. Beta accepts 2 and 4 always, 5 with probability 1/2,
      3 with probability 0.
    Zone: only package 2 (split the land, A pays), with probability 1/2; the offer "split" can be completed
    into the zone exactly when package 2 is in it (1/2); the zone is empty in the other half of samples.
    """
    result = compute_zone(load_scenario(golden_path), samples=20_000, seed=11)
    assert result.packages.tolist() == [2]
    assert abs(result.p_zone[0] - 0.5) < 0.02
    assert result.p_accept[:, 0].tolist()[1] == 1.0 and abs(result.p_accept[0, 0] - 0.5) < 0.02
    offer = result.targets.targets.index(next(t for t in result.targets.targets if t.name == "split_deal"))
    assert result.targets.p_complete[offer] == result.p_zone[0]
    assert result.targets.best_package[offer] == 2
    scenario = load_scenario(golden_path)
    prefs = sample_preferences(scenario, 20_000, np.random.default_rng(11))
    space = PackageSpace.from_scenario(scenario)
    accept = prefs.acceptable(space, space.codes(np.arange(6))).mean(axis=2)
    assert accept[0, [0, 1, 3]].tolist() == [1, 1, 1] and accept[0, 4] == 0
    assert accept[1, [0, 1]].tolist() == [0, 0] and accept[1, [2, 4]].tolist() == [1, 1]
    assert abs(accept[1, 5] - 0.5) < 0.02
    from sim.zone.preferences import expected_utility

    eu = expected_utility(prefs, space.codes(np.arange(6)))
    assert np.allclose(eu[0], [0.75, 1.0, 0.375, 0.625, 0.0, 0.25], atol=1e-12)
