"""Hypothesis strategies for small random scenarios, shared by every test module."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sim.scenario.model import Scenario

unit = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def unit_range(draw: st.DrawFn) -> float | list[float]:
    low, high = sorted((draw(unit), draw(unit)))
    return low if draw(st.booleans()) else [low, high]


@st.composite
def scenario_dicts(draw: st.DrawFn, max_issues: int = 4, max_options: int = 4, max_parties: int = 4) -> dict[str, Any]:
    """A valid scenario document with 1..max_issues issues and 2..max_parties parties (all with a veto)."""
    n_issues = draw(st.integers(1, max_issues))
    radices = [draw(st.integers(2, max_options)) for _ in range(n_issues)]
    issues = [
        {
            "id": f"i{i}",
            "title": f"Issue {i}",
            "options": [{"id": f"o{o}", "label": f"Option {o}"} for o in range(r)],
        }
        for i, r in enumerate(radices)
    ]
    n_parties = draw(st.integers(2, max_parties))
    parties = []
    for p in range(n_parties):
        weights = {}
        for i in range(n_issues):
            low = draw(st.floats(0.05, 1).map(lambda x: round(x, 3)))
            weights[f"i{i}"] = low if draw(st.booleans()) else [low, round(low + draw(st.floats(0, 0.5)), 3)]
        values = {f"i{i}": {f"o{o}": draw(unit_range()) for o in range(r)} for i, r in enumerate(radices)}
        parties.append(
            {
                "id": f"p{p}",
                "name": f"Party {p}",
                "weights": weights,
                "values": values,
                "reservation": draw(unit_range()),
            }
        )
    return {
        "negsim": 1,
        "id": "random",
        "title": "Random scenario",
        "issues": issues,
        "parties": parties,
        "run": {"samples": draw(st.integers(1, 40)), "seed": draw(st.integers(0, 2**16))},
    }


def scenarios(**kwargs: int) -> st.SearchStrategy[Scenario]:
    return scenario_dicts(**kwargs).map(Scenario.model_validate)


concessions = st.sampled_from(["boulware", "linear", "conceder", "reciprocal", "hardliner"])


@st.composite
def negotiation_scenarios(draw: st.DrawFn) -> Scenario:
    """Small scenarios with random tactics, beliefs, red lines, deadlines and sometimes a mediator."""
    doc = draw(scenario_dicts(max_issues=3, max_options=3, max_parties=3))
    for party in doc["parties"]:
        party["strategy"] = {
            "concession": draw(concessions),
            "beliefs": draw(st.sampled_from(["published", "frequency"])),
        }
        if draw(st.booleans()):
            i = draw(st.integers(0, len(doc["issues"]) - 1))
            party["red_lines"] = [f"i{i}.o{draw(st.integers(0, len(doc['issues'][i]['options']) - 1))}"]
    doc["run"]["rounds"] = draw(st.integers(1, 12))
    if draw(st.booleans()):
        doc["parties"].append(
            {**doc["parties"][0], "id": "med", "name": "Mediator", "role": "mediator", "red_lines": []}
        )
    return Scenario.model_validate(doc)
