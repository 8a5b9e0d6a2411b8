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
def scenario_dicts(
    draw: st.DrawFn,
    max_issues: int = 4,
    max_options: int = 4,
    max_parties: int = 4,
    links: bool = False,
    requires: bool = False,
    ratifiers: bool = False,
    red_lines: bool = False,
) -> dict[str, Any]:
    """A valid scenario document with 1..max_issues issues and 2..max_parties parties (all with a veto).

    The flags add the modelling language of issue 9, each sometimes (so shrinking can drop it): ``links``
    (pairwise values, when there are two issues or more), ``requires`` (a ``requires``/``one_of`` constraint),
    ``ratifiers`` (a ``role: ratifier`` party that omits some issues) and ``red_lines`` (red lines, some with
    ``holds`` below 1).
    """
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
    doc: dict[str, Any] = {
        "negsim": 1,
        "id": "random",
        "title": "Random scenario",
        "issues": issues,
        "parties": parties,
        "run": {"samples": draw(st.integers(1, 40)), "seed": draw(st.integers(0, 2**16))},
    }
    if ratifiers and draw(st.booleans()):
        doc["parties"].append(draw(ratifier_dicts(radices)))
    if red_lines:
        for party in doc["parties"]:
            party["red_lines"] = draw(red_line_lists(radices))
    if links and n_issues >= 2:
        for party in doc["parties"]:
            party["links"] = draw(link_lists(radices, party["weights"]))
    if requires and n_issues >= 2 and draw(st.booleans()):
        doc["constraints"] = [draw(requires_constraints(radices))]
    return doc


def option_refs(radices: list[int], issues: list[int] | None = None) -> st.SearchStrategy[str]:
    """``i<k>.o<j>`` references to options of the given issues (all issues by default)."""
    chosen = issues if issues is not None else list(range(len(radices)))
    return st.sampled_from(chosen).flatmap(lambda i: st.integers(0, radices[i] - 1).map(lambda o: f"i{i}.o{o}"))


@st.composite
def red_line_lists(draw: st.DrawFn, radices: list[int]) -> list[Any]:
    """0-2 red lines on distinct options, each a bare ref (holds 1) or ``{option, holds}`` with holds in [0, 1]."""
    refs = draw(st.lists(option_refs(radices), max_size=2, unique=True))
    return [ref if draw(st.booleans()) else {"option": ref, "holds": draw(unit)} for ref in refs]


@st.composite
def link_lists(draw: st.DrawFn, radices: list[int], weights: dict[str, Any]) -> list[dict[str, Any]]:
    """0-3 links of one party: for each linked option, every link conditions on the same other issue."""
    weighted = [i for i in range(len(radices)) if f"i{i}" in weights]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    condition: dict[str, int] = {}
    for _ in range(draw(st.integers(0, 3))):
        option = draw(option_refs(radices, weighted))
        issue = int(option.split(".")[0][1:])
        if option not in condition:
            condition[option] = draw(st.sampled_from([i for i in range(len(radices)) if i != issue]))
        when = draw(option_refs(radices, [condition[option]]))
        found[(when, option)] = {"when": when, "option": option, "value": draw(unit_range())}
    return list(found.values())


@st.composite
def requires_constraints(draw: st.DrawFn, radices: list[int]) -> dict[str, Any]:
    """``{requires: [a], one_of: [...]}`` with one_of drawn from the issues other than a's."""
    first = draw(option_refs(radices))
    others = [i for i in range(len(radices)) if i != int(first.split(".")[0][1:])]
    return {"requires": [first], "one_of": draw(st.lists(option_refs(radices, others), min_size=1, max_size=3))}


@st.composite
def ratifier_dicts(draw: st.DrawFn, radices: list[int]) -> dict[str, Any]:
    """A ``role: ratifier`` party that weighs a non-empty subset of the issues and omits the others entirely."""
    purview = draw(st.lists(st.integers(0, len(radices) - 1), min_size=1, max_size=len(radices), unique=True))
    return {
        "id": "ratifier",
        "name": "Ratifier",
        "role": "ratifier",
        "weights": {f"i{i}": draw(st.floats(0.05, 1).map(lambda x: round(x, 3))) for i in purview},
        "values": {f"i{i}": {f"o{o}": draw(unit_range()) for o in range(radices[i])} for i in purview},
        "reservation": draw(unit_range()),
    }


@st.composite
def language_scenario_dicts(draw: st.DrawFn, **kwargs: int) -> dict[str, Any]:
    """Scenario documents that may use every new key: links, requires-constraints, ratifiers, uncertain red lines."""
    return draw(scenario_dicts(**kwargs, links=True, requires=True, ratifiers=True, red_lines=True))


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


def dense_scenario_dict(issues: int = 6, options: int = 4, seed: int = 23) -> dict[str, Any]:
    """A fixed scenario whose zone is dense (interests not opposed, lenient reservations) with a ratifier that
    refuses part of it: every block of its space holds zone packages and packages agreed only at the table."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = [f"i{i}" for i in range(issues)]

    def party(n: int, role: str, reservation: list[float]) -> dict[str, Any]:
        values = {
            issue: {
                f"o{o}": [round(float(c) - 0.1, 3), round(float(c) + 0.1, 3)]
                for o, c in enumerate(0.15 + 0.7 * rng.random(options))
            }
            for issue in ids
        }
        return {
            "id": f"p{n}",
            "name": f"Party {n}",
            "role": role,
            "weights": {issue: [0.5, 1.5] for issue in ids},
            "values": values,
            "reservation": reservation,
        }

    return {
        "negsim": 1,
        "id": "dense",
        "title": "interests not opposed",
        "issues": [
            {"id": issue, "title": issue, "options": [{"id": f"o{o}", "label": f"Option {o}"} for o in range(options)]}
            for issue in ids
        ],
        "parties": [party(n, "negotiator", [0.3, 0.45]) for n in range(3)] + [party(3, "ratifier", [0.4, 0.55])],
        "run": {"samples": 100, "seed": 1},
        "offers": [{"id": "first", "label": "an offer", "fix": {"i0": "o1", "i1": "o2"}}],
    }
