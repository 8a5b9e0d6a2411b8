"""Ties are decided exactly as the format says: a party accepts when ``u >= reservation``.

Utilities built from decimals people write (0.3, 0.7, 0.28) must compare equal when they are equal, whatever
decimal contributions they are reached through; the reference is an exact ``fractions.Fraction`` computation.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.model import Scenario
from sim.zone.bargaining import pareto_frontier
from sim.zone.sampling import point_preferences, sample_preferences
from sim.zone.scoring import compute_zone
from sim.zone.space import PackageSpace


def two_issue_party(pid: str, weights: dict, values: dict, reservation: float) -> dict:
    return {"id": pid, "name": pid, "weights": weights, "values": values, "reservation": reservation}


def hand_case() -> Scenario:
    """weights {one: 0.3, two: 0.7}; values one {a: 1, b: 0.7}, two {x: 1, y: 0.1}; reservation 0.28.

    u(b, y) = 0.3 * 0.7 + 0.7 * 0.1 = 0.21 + 0.07 = 0.28 exactly: the package sits on the reservation and is
    accepted. (A 2^-20 floor of the contributions made it 0.2799999 and rejected it.)
    """
    issues = [
        {"id": "one", "title": "One", "options": [{"id": "a", "label": "a"}, {"id": "b", "label": "b"}]},
        {"id": "two", "title": "Two", "options": [{"id": "x", "label": "x"}, {"id": "y", "label": "y"}]},
    ]
    weights = {"one": 0.3, "two": 0.7}
    values = {"one": {"a": 1, "b": 0.7}, "two": {"x": 1, "y": 0.1}}
    parties = [two_issue_party("judge", weights, values, 0.28), two_issue_party("other", weights, values, 0.0)]
    return Scenario.model_validate({"id": "tie", "title": "tie", "issues": issues, "parties": parties})


def test_the_hand_tie_is_accepted():
    result = compute_zone(hand_case(), samples=8, seed=0)
    package = result.space.package(np.array([[1, 1]]))[0]
    row = int(np.flatnonzero(result.packages == package)[0])
    assert result.p_accept[0, row] == 1.0 and result.p_zone[row] == 1.0
    assert abs(result.expected_utility[0, row] - 0.28) < 1e-12  # reported utility is the real one, not floored


def test_reported_utility_of_the_ideal_is_one():
    result = compute_zone(hand_case(), samples=4, seed=0)
    assert result.expected_utility[0].max() == 1.0


decimal = st.integers(0, 100).map(lambda k: Fraction(k, 100))


@st.composite
def decimal_scenarios(draw: st.DrawFn) -> tuple[dict, list[list[list[Fraction]]], list[list[Fraction]]]:
    """Point-valued scenarios from 2-decimal numbers whose reservations are *exactly* some package's utility."""
    n_issues = draw(st.integers(1, 4))
    radices = [draw(st.integers(2, 3)) for _ in range(n_issues)]
    n_parties = draw(st.integers(2, 3))
    parties, exact_values, exact_weights = [], [], []
    for p in range(n_parties):
        raw = [draw(st.integers(1, 9)) for _ in range(n_issues)]
        total = sum(raw)
        # weights as decimals summing to 1 when possible (the format normalises them anyway)
        weights = [Fraction(w, total) for w in raw]
        if all((w * 100).denominator == 1 for w in weights):
            written = [float(w) for w in weights]
        else:
            weights = [Fraction(w, 10) for w in raw]
            written = [w / 10 for w in raw]
            weights = [w / sum(weights) for w in weights]
        values = [[draw(decimal) for _ in range(r)] for r in radices]
        target = [draw(st.integers(0, r - 1)) for r in radices]
        tie = sum(weights[i] * values[i][target[i]] for i in range(n_issues))
        exact_weights.append(weights)
        exact_values.append(values)
        reservation = float(tie) if (tie * 10**6).denominator == 1 else round(float(tie), 4)
        parties.append(
            {
                "id": f"p{p}",
                "name": f"P{p}",
                "weights": {f"i{i}": written[i] for i in range(n_issues)},
                "values": {f"i{i}": {f"o{o}": float(v) for o, v in enumerate(vals)} for i, vals in enumerate(values)},
                "reservation": reservation,
            }
        )
    issues = [
        {"id": f"i{i}", "title": f"I{i}", "options": [{"id": f"o{o}", "label": f"o{o}"} for o in range(r)]}
        for i, r in enumerate(radices)
    ]
    return {"id": "ties", "title": "ties", "issues": issues, "parties": parties}, exact_values, exact_weights


@settings(max_examples=60, deadline=None)
@given(decimal_scenarios())
def test_acceptance_equals_exact_fractions(case):
    doc, values, weights = case
    scenario = Scenario.model_validate(doc)
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    prefs = sample_preferences(scenario, 2, np.random.default_rng(0))
    got = prefs.acceptable(space, codes)[:, :, 0]
    for p, party in enumerate(scenario.parties):
        reservation = Fraction(repr(party.reservation[0]))
        for k, row in enumerate(codes):
            utility = sum(weights[p][i] * values[p][i][o] for i, o in enumerate(row))
            assert got[p, k] == (utility >= reservation), (p, row.tolist(), utility, reservation)


def test_equal_utilities_through_different_decimals_are_equal_on_the_frontier():
    """Two packages with equal utilities for one party and a real difference for the other: only one is undominated.

    Party A: 0.3*0.7 + 0.7*0.1 = 0.28 for (b, y) and 0.3*0.0 + 0.7*0.4 = 0.28 for (c, x): equal. Party B prefers
    (c, x). So (b, y) is dominated by (c, x) and must not be on the frontier.
    """
    issues = [
        {"id": "one", "title": "One", "options": [{"id": k, "label": k} for k in ("a", "b", "c")]},
        {"id": "two", "title": "Two", "options": [{"id": k, "label": k} for k in ("w", "x", "y")]},
    ]
    a = two_issue_party(
        "a", {"one": 0.3, "two": 0.7}, {"one": {"a": 0, "b": 0.7, "c": 0.0}, "two": {"w": 0, "x": 0.4, "y": 0.1}}, 0.0
    )
    b = two_issue_party(
        "b", {"one": 0.5, "two": 0.5}, {"one": {"a": 0, "b": 0.2, "c": 0.4}, "two": {"w": 0, "x": 0.6, "y": 0.2}}, 0.0
    )
    scenario = Scenario.model_validate({"id": "f", "title": "f", "issues": issues, "parties": [a, b]})
    space = PackageSpace.from_scenario(scenario)
    frontier = pareto_frontier(space, point_preferences(scenario))
    by_options = {tuple(space.describe(k).values()) for k in frontier.packages.tolist()}
    assert ("c", "x") in by_options and ("b", "y") not in by_options
