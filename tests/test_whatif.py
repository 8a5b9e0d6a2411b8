from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.loading import load_scenario
from sim.scenario.model import Offer, Scenario
from sim.studies.whatif import what_would_it_take
from sim.zone.sampling import sample_preferences
from sim.zone.scoring import compute_zone
from sim.zone.space import PackageSpace
from tests.conftest import ROOT
from tests.strategies import language_scenario_dicts, scenario_dicts


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


def reference_probability(scenario: Scenario, changed, fix: dict[int, int], samples: int, seed: int) -> float:
    """The definition, afresh: re-sample the changed scenario, every veto party's verdict on every completion."""
    from sim.studies.whatif import party_acceptance

    edited = scenario.model_copy(update={"parties": [changed if p.id == changed.id else p for p in scenario.parties]})
    preferences = sample_preferences(edited, samples, np.random.default_rng(seed))
    space = PackageSpace.from_scenario(edited)
    accepted = np.ones(1, dtype=bool)
    for party in np.flatnonzero(preferences.veto):
        accepted = accepted & party_acceptance(preferences, space, fix, int(party))
    return float(accepted.any(axis=0).mean())


@settings(max_examples=20, deadline=None)
@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.integers(0, 2**16), st.data())
def test_one_party_moves_are_judged_exactly_as_afresh(doc, seed, data):
    """A move judged on the pairs the other veto parties accept, with only the moving party rebuilt from the
    shared draws, gives the offer's probability of a fresh run of the changed scenario, exactly."""
    from sim.studies.whatif import PartyMoveSearch, offer_fix
    from sim.zone.sampling import draw_uniforms, preferences_from_draws

    fixed = data.draw(st.lists(st.integers(0, len(doc["issues"]) - 1), min_size=1, max_size=2, unique=True))
    doc["offers"] = [{"id": "o", "label": "offer", "fix": {f"i{i}": "o1" for i in fixed}}]
    scenario = Scenario.model_validate(doc)
    samples = 24
    draws = draw_uniforms(scenario, samples, np.random.default_rng(seed))
    preferences = preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    fix = offer_fix(space, scenario.offers[0])
    for party in scenario.veto_parties:
        search = PartyMoveSearch.build(scenario, party, scenario.offers[0], 0.5, draws, preferences, space)
        low, high = party.reservation
        moves = [party, party.model_copy(update={"reservation": (max(0.0, low - 0.2), max(0.0, high - 0.2))})]
        for issue_id, (w_low, w_high) in list(party.weights.items())[:2]:
            moves.append(party.model_copy(update={"weights": {**party.weights, issue_id: (w_low * 2, w_high * 2)}}))
        for move in moves:
            probability = search.probability(move)
            assert probability == reference_probability(scenario, move, fix, samples, seed)
            assert probability <= search.ceiling  # what lets a hopeless party skip scoring its moves
