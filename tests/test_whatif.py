from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.model import Offer, Scenario, load_scenario
from sim.studies.whatif import what_would_it_take
from sim.zone.preferences import sample_preferences
from sim.zone.scoring import compute_zone
from sim.zone.space import PackageSpace
from tests.conftest import ROOT
from tests.strategies import scenario_dicts


def zone_probability_of(scenario: Scenario, fix: dict[str, str], samples: int, seed: int) -> float:
    """Independent path: the offer's completion probability from the bit-packed zone scorer."""
    probe = scenario.model_copy(update={"offers": [Offer(id="probe", label="probe", fix=fix)]})
    result = compute_zone(probe, samples, seed, with_options=False)
    return float(result.targets.p_complete[0])


@settings(max_examples=25)
@given(scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.floats(0.05, 0.9))
def test_whatif_answer_reaches_the_target_and_no_smaller_change_does(doc, target):
    doc["offers"] = [
        {
            "id": "o",
            "label": "offer",
            "fix": {"i0": "o0", **({"i1": "o1"} if len(doc["issues"]) > 1 else {})},
            "sponsor": "p0",
        }
    ]
    scenario = Scenario.model_validate(doc)
    samples, seed = 64, 5
    answer = what_would_it_take(scenario, "o", target, samples, seed, party_moves=False)
    fix = scenario.offers[0].fix
    space = PackageSpace.from_scenario(scenario)
    prefs = sample_preferences(scenario, samples, np.random.default_rng(seed))
    expected = prefs.expected_contributions[0]
    reachable: dict[int, list[tuple[float, dict[str, str]]]] = {}
    issues = list(fix)
    for size in range(len(issues) + 1):
        for moved in itertools.combinations(issues, size):
            options = [[o.id for o in scenario.issue(i).options if o.id != fix[i]] for i in moved]
            for choice in itertools.product(*options):
                candidate = {**fix, **dict(zip(moved, choice, strict=True))}
                if zone_probability_of(scenario, candidate, samples, seed) >= target:
                    index = {i: space.issue_ids.index(i) for i in moved}
                    loss = sum(
                        expected[index[i], space.option_ids[index[i]].index(fix[i])]
                        - expected[index[i], space.option_ids[index[i]].index(c)]
                        for i, c in zip(moved, choice, strict=True)
                    )
                    reachable.setdefault(size, []).append((loss, candidate))
    if not reachable:
        assert answer.issue_change is None
        return
    smallest = min(reachable)
    change = answer.issue_change
    assert change is not None and len(change.changes) == smallest
    applied = {**fix, **{issue: new for issue, (_, new) in change.changes.items()}}
    assert zone_probability_of(scenario, applied, samples, seed) >= target
    assert np.isclose(change.sponsor_loss, min(loss for loss, _ in reachable[smallest]), atol=1e-9)


def test_memorandum_needs_ukraines_red_lines_moved():
    """In the baseline, Russia's memorandum holds four of Ukraine's red lines; no change of fewer issues can
    bring it into the zone, and no move by Ukraine's weights or reservation alone can either."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    answer = what_would_it_take(scenario, "russia_istanbul_memo", 0.3, 16, 7)
    assert answer.baseline == 0.0
    change = answer.issue_change  # None: no change of its fixed issues reaches the target at all
    assert change is None or (len(change.changes) >= 4 and {"crimea", "donbas", "south", "army"} <= set(change.changes))
    ukraine = next(m for m in answer.party_moves if m["party"] == "ukraine")
    assert ukraine["reservation_cut"] is None and ukraine["weight_issue"] is None
    assert "crimea.recognised_russian" in ukraine["red_lines_in_the_way"]


def test_party_acceptance_is_the_same_whatever_the_sample_slices(monkeypatch):
    import sim.studies.whatif as whatif

    scenario = load_scenario(ROOT / "tests" / "data" / "golden.yaml")
    preferences = sample_preferences(scenario, 50, np.random.default_rng(1))
    space = PackageSpace.from_scenario(scenario)
    whole = [whatif.party_acceptance(preferences, space, {0: 1}, p) for p in range(2)]
    monkeypatch.setattr(whatif, "UTILITY_CELLS", 3)  # slices of one sample
    assert all(np.array_equal(a, whatif.party_acceptance(preferences, space, {0: 1}, p)) for p, a in enumerate(whole))
