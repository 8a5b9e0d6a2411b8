"""whatif: hand-worked change sets, and the property (the answer, applied, reaches the target; no smaller set
does) checked by brute force on tiny scenarios."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.loading import load_scenario
from sim.scenario.model import Offer, Scenario
from sim.studies.changeset import MAX_CUT
from sim.studies.whatif import offer_hits, what_would_it_take
from sim.studies.whatif_answer import Change, apply_changes
from sim.zone.sampling import draw_uniforms, sample_preferences
from sim.zone.space import PackageSpace
from tests.conftest import ROOT
from tests.strategies import language_scenario_dicts, scenario_dicts

GOLDEN = """
negsim: 1
id: whatif-golden
title: hand-worked change sets
issues:
  - {id: x, title: X, options: [{id: x1, label: x1}, {id: x2, label: x2}]}
  - {id: y, title: Y, options: [{id: y1, label: y1}, {id: y2, label: y2}]}
parties:
  - {id: a, name: A, role: negotiator, weights: {x: 0.5, y: 0.5},
     values: {x: {x1: 1, x2: 0}, y: {y1: 1, y2: 0}}, reservation: 0.5}
  - {id: b, name: B, role: negotiator, weights: {x: 0.5, y: 0.5},
     values: {x: {x1: 0, x2: 1}, y: {y1: 0.2, y2: 1}}, reservation: 0.5}
offers:
  - {id: o, label: the offer, sponsor: a, fix: {x: x1, y: y1}}
run: {samples: 20, seed: 3}
"""


def golden(extra_party: str = "") -> Scenario:
    doc = yaml.safe_load(GOLDEN)
    if extra_party:
        doc["parties"].append(yaml.safe_load(extra_party))
    return Scenario.model_validate(doc)


def test_golden_one_party_cut_beats_a_dearer_issue_move():
    """Offer (x1, y1): A gets 1, B gets 0.5*0 + 0.5*0.2 = 0.1 against 0.5. One change reaches every sample: B
    cuts its reservation by 0.4 (concession 0.4), or the offer moves x or y (A, the sponsor, loses 0.5 either way);
    the smallest is B's cut of 0.4000 (the tie tolerance is inside the 4th decimal). With cuts capped at 0.25 the
    cut is out of reach and the move is the answer."""
    answer = what_would_it_take(golden(), "o", 1.0, 20, 3, max_cut=0.5)
    assert answer.baseline.p == 0.0 and answer.changes is not None
    assert [(c.kind, c.party) for c in answer.changes] == [("reservation", "b")]
    assert answer.changes[0].concession == pytest.approx(0.4, abs=1e-9)
    assert answer.reached is not None and answer.reached.p == 1.0
    capped = what_would_it_take(golden(), "o", 1.0, 20, 3, max_cut=0.25)
    assert capped.changes is not None and [c.kind for c in capped.changes] == ["issue"]
    assert capped.total_concession == pytest.approx(0.5)


def test_golden_fewest_changes_come_before_least_concession():
    """A third party C (weight only on x, values x1 0 and x2 1, reservation 0.5) is also short by 0.5: two cuts
    (B 0.4 + C 0.5 = 0.9) or one move of x to x2 (A loses 0.5; A 0.5, B 0.6, C 1 all reach 0.5): one change wins."""
    c = "{id: c, name: C, role: negotiator, weights: {x: 1}, values: {x: {x1: 0, x2: 1}}, reservation: 0.5}"
    answer = what_would_it_take(golden(c), "o", 1.0, 20, 3, max_cut=0.5)
    assert answer.changes is not None and answer.reached is not None
    assert [(ch.kind, ch.subject, ch.after) for ch in answer.changes] == [("issue", "x", "x2")]
    assert answer.total_concession == pytest.approx(0.5)
    assert answer.reached.p == 1.0


def test_golden_proof_when_the_budget_is_too_small():
    """With C's red line on x2 (certain) the move no longer works: it takes two cuts (B and C), so with at most
    one change the answer is a proof, naming B and C as what stays short."""
    c = (
        "{id: c, name: C, role: negotiator, weights: {x: 1}, values: {x: {x1: 0, x2: 1}}, reservation: 0.5,"
        " red_lines: [x.x2]}"
    )
    answer = what_would_it_take(golden(c), "o", 1.0, 20, 3, max_changes=1, max_cut=0.5)
    assert answer.changes is None and answer.best_within.p < 1.0
    assert {s.party for s in answer.what_stays} >= {"b", "c"}
    two = what_would_it_take(golden(c), "o", 1.0, 20, 3, max_changes=2, max_cut=0.5)
    assert two.changes is not None
    assert sorted((ch.kind, ch.party) for ch in two.changes) == [("reservation", "b"), ("reservation", "c")]
    assert two.total_concession == pytest.approx(0.9, abs=1e-9)


def test_a_red_line_softens_exactly_as_far_as_its_own_numbers_need():
    """C red-lines x2 (the second option: red lines of one issue share one number per sample, after the copula)
    with holds 0.6, and x1 for sure; A and B accept (x2, y1) in every sample, so C alone keeps the offer (x2, y
    open) out. To reach 0.9 C's holds must drop to the 4-decimal floor of the number ranked ceil(0.9 n)-th from the
    top: the answer says exactly that, and the scenario changed by it reaches 0.9 when scored afresh."""
    from sim.zone.copula import correlate
    from sim.zone.sampling import red_line_numbers

    c = "{id: c, name: C, role: negotiator, weights: {y: 1}, values: {y: {y1: 1, y2: 1}}, reservation: 0,"
    scenario = golden(c + " red_lines: [x.x1, {option: x.x2, holds: 0.6}]}")  # x1 ruled out: no move helps
    offer = Offer(id="x2", label="x2", sponsor="b", fix={"x": "x2"})
    scenario = scenario.model_copy(update={"offers": [offer]})
    samples, seed = 40, 4
    answer = what_would_it_take(scenario, "x2", 0.9, samples, seed)
    assert answer.changes is not None and [(c.kind, c.party, c.subject) for c in answer.changes] == [
        ("red_line", "c", "x.x2")
    ]
    draws = draw_uniforms(scenario, samples, np.random.default_rng(seed))
    numbers = red_line_numbers(correlate(scenario, draws))[2, :, 0]
    need = np.where(numbers < 0.6, 0.6 - np.floor(numbers / 1e-4) * 1e-4, 0.0)
    exact = np.sort(need)[math.ceil(0.9 * samples) - 1]
    assert answer.changes[0].concession == pytest.approx(exact, abs=1e-9)
    changed, changed_offer = apply_changes(scenario, offer, answer.changes)
    assert offer_hits(changed, changed_offer, draws) >= math.ceil(0.9 * samples)


def unlimited(scenario: Scenario, offer: Offer, chosen: list[tuple[str, ...]]) -> tuple[Scenario, Offer]:
    """A change set with every amount at its most generous (the largest reservation cut searched, red line
    dropped): reaching is monotone in the amounts, so if this does not reach the target, no amounts do."""
    changes = []
    for slot in chosen:
        if slot[0] == "issue":
            changes.append(Change("issue", "", slot[1], "", slot[2], 0.0, ""))
        elif slot[0] == "reservation":
            changes.append(Change("reservation", slot[1], "reservation", "", "", MAX_CUT, ""))
        else:
            changes.append(Change("red_line", slot[1], slot[2], "", "holds 0", 1.0, ""))
    return apply_changes(scenario, offer, tuple(changes))


def slots(scenario: Scenario, offer: Offer) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for issue, option in offer.fix.items():
        found += [("issue", issue, o.id) for o in scenario.issue(issue).options if o.id != option]
    for party in scenario.veto_parties:
        found.append(("reservation", party.id))
        found += [("red_line", party.id, red.option) for red in party.red_lines]
    return found


@settings(max_examples=12, deadline=None)
@given(scenario_dicts(max_issues=3, max_options=3, max_parties=3, red_lines=True), st.floats(0.05, 0.9))
def test_whatif_answer_reaches_the_target_and_no_smaller_set_does(doc, target):
    """The property, by brute force on tiny scenarios: the answer, applied to the scenario and scored afresh by
    the zone's own search, reaches the target; and no set of fewer changes (every amount unlimited) does."""
    fix = {"i0": "o0", **({"i1": "o1"} if len(doc["issues"]) > 1 else {})}
    doc["offers"] = [{"id": "o", "label": "offer", "fix": fix, "sponsor": "p0"}]
    scenario = Scenario.model_validate(doc)
    offer = scenario.offers[0]
    samples, seed, budget = 16, 5, 2
    answer = what_would_it_take(scenario, "o", target, samples, seed, max_changes=budget)
    draws = draw_uniforms(scenario, samples, np.random.default_rng(seed))
    need = math.ceil(round(target * samples, 9))
    if answer.changes is not None:
        changed, changed_offer = apply_changes(scenario, offer, answer.changes)
        assert offer_hits(changed, changed_offer, draws) >= need
    below = len(answer.changes) if answer.changes is not None else budget + 1
    for size in range(below):
        for chosen in itertools.combinations(slots(scenario, offer), size):
            issues = [slot[1] for slot in chosen if slot[0] == "issue"]
            if len(issues) != len(set(issues)):
                continue
            changed, changed_offer = unlimited(scenario, offer, list(chosen))
            assert offer_hits(changed, changed_offer, draws) < need, chosen


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
