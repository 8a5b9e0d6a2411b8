"""The format's reference graph (:mod:`sim.scenario.references`): read off the models, it lists every place that
names an id, an unknown id at any of them is reported at that place's line, and removing what a place names
removes that place."""

from __future__ import annotations

import copy
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.scenario.checks import _WORDING, RESOLVED_HERE
from sim.scenario.edits import Unset
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.scenario.references import (
    INDEX,
    KEY,
    Reference,
    _unwrapped,
    kind_at,
    matches,
    reference_fields,
    references,
)
from sim.scenario.values import RefersTo, _check_id
from tests.conftest import DATA

# Every place that names an id, used at least once (bare and mapping forms of red lines, citations and follows).
RICH: dict[str, Any] = {
    "negsim": 1,
    "id": "rich",
    "title": "Every reference of the format",
    "sources": {"T": {"title": "Test", "date": "2026-01-01", "file": "golden.yaml"}, "U": {"title": "Other"}},
    "issues": [
        {
            "id": "land",
            "title": "Land",
            "sources": ["U"],
            "options": [
                {"id": "a_keeps", "label": "A keeps", "sources": [{"T": "Two issues"}]},
                {"id": "split", "label": "Split"},
                {"id": "b_keeps", "label": "B keeps"},
            ],
        },
        {"id": "money", "title": "Money", "options": [{"id": "a_pays", "label": "A"}, {"id": "b_pays", "label": "B"}]},
    ],
    "parties": [
        {
            "id": "alpha",
            "name": "Alpha",
            "sources": ["U"],
            "weights": {"land": 0.75, "money": 0.25},
            "values": {"land": {"a_keeps": 1, "split": 0.5, "b_keeps": 0}, "money": {"a_pays": 0, "b_pays": 1}},
            "reservation": [0.25, 0.5],
            "red_lines": ["land.b_keeps", {"option": "money.a_pays", "holds": 0.5, "sources": ["U"]}],
            "links": [{"when": "money.b_pays", "option": "land.split", "value": 0.8, "sources": ["U"]}],
            "strategy": {"leverage": {"target": "beta", "cut": 0.01}},
            "reasons": {"weights.land": {"why": "land first", "sources": ["U"]}},
        },
        {
            "id": "beta",
            "name": "Beta",
            "weights": {"land": 0.5, "money": 0.5},
            "values": {"land": {"a_keeps": 0, "split": 0.5, "b_keeps": 1}, "money": {"a_pays": 1, "b_pays": 0}},
            "reservation": [0.25, 0.75],
            "red_lines": ["land.a_keeps"],
        },
        {
            "id": "gamma",
            "name": "Gamma",
            "role": "ratifier",
            "weights": {"land": 1},
            "values": {"land": {"a_keeps": 0, "split": 1, "b_keeps": 1}},
            "reservation": 0.4,
            "follows": "beta",
            "electorate": {
                "members": [
                    {
                        "id": "m1",
                        "seats": 2,
                        "weights": {"land": 1},
                        "values": {"land": {"a_keeps": 1, "split": 0, "b_keeps": 0}},
                    },
                    {
                        "id": "m2",
                        "seats": 1,
                        "red_lines": ["land.a_keeps", {"option": "land.b_keeps", "sources": ["U"]}],
                    },
                ]
            },
        },
        {
            "id": "delta",
            "name": "Delta",
            "role": "ratifier",
            "weights": {"money": 1, "land": 0.5},
            "values": {"money": {"a_pays": 0, "b_pays": 1}, "land": {"a_keeps": 0, "split": 1, "b_keeps": 1}},
            "reservation": 0.2,
            "follows": {"party": "alpha", "rho": 0.5},
        },
    ],
    "constraints": [
        {"forbid": ["land.b_keeps", "money.b_pays"], "sources": ["U"]},
        {"requires": ["land.split"], "one_of": ["money.a_pays"]},
    ],
    "fixed": {"money": "a_pays"},
    "offers": [{"id": "deal", "label": "Deal", "fix": {"land": "split"}, "sponsor": "alpha", "sources": ["U"]}],
    "judgement_calls": [
        {
            "id": "call",
            "what": "?",
            "default": "0.25",
            "why": "no source",
            "sources": ["U"],
            "alternatives": [
                {"id": "alt", "label": "a", "set": ["alpha.reservation=0.3"], "unset": ["beta.red_lines"]}
            ],
        }
    ],
    "correlations": [{"between": ["alpha.weights.land", "beta.weights.land"], "rho": 0.5, "sources": ["U"]}],
}
# The kinds whose unknown ids are reported at the place itself; a correlation's quantity is reported at the
# correlation (sim.scenario.dependence), a judgement call's edit when `negsim robustness` applies it.
AT_THEIR_LINE = (*RESOLVED_HERE, "reason")


@pytest.fixture(scope="module")
def rich_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rich")
    (folder / "golden.yaml").write_text((DATA / "golden.yaml").read_text())
    path = folder / "rich.yaml"
    path.write_text(yaml.safe_dump(RICH, sort_keys=False))
    return path


def test_the_rich_scenario_is_valid_and_names_every_place_of_the_graph(rich_file):
    scenario = load_scenario(rich_file)
    used = {(ref.owner, _pattern(ref.path)) for ref in references(scenario)}
    for field in reference_fields():
        assert (field.owner, field.reported) in used, f"add a use of {'.'.join(field.pattern)} to RICH"
    assert {ref for ref in references(scenario)} == set(references(RICH))  # a model and its document agree


def _pattern(path: tuple[Any, ...]) -> tuple[str, ...]:
    """The graph's pattern for a concrete path of RICH (map keys that are ids become ``KEY``)."""
    return next(field.reported for field in reference_fields() if matches(field.reported, path))


def test_the_graph_holds_the_keys_the_format_describes():
    table = {(".".join(f.pattern), f.kind, f.at_key) for f in reference_fields()}
    assert ("parties.[].red_lines.[].option", "option_ref", False) in table
    assert ("parties.[].weights.{}", "issue", True) in table
    assert ("offers.[].fix.{}", "issue", True) in table and ("offers.[].fix.{}", "option", False) in table
    assert ("parties.[].follows.party", "party", False) in table
    assert ("correlations.[].between.[]", "quantity", False) in table
    assert not any(f.pattern[:1] == ("sources",) for f in reference_fields())  # where sources are defined
    assert kind_at(("parties", 0, "red_lines", 1)) == "option_ref" and kind_at(("parties", 0, "name")) is None


def test_every_checked_place_has_its_wording():
    owners = {field.owner for field in reference_fields() if field.kind in RESOLVED_HERE}
    assert owners <= set(_WORDING)


TEXT = {"label", "title", "name", "why", "note", "description", "what", "default", "publisher", "author", "date"}
TEXT |= {"file", "url", "quote", "rule"}


def _string_places(model: type[BaseModel], seen: set[type] | None = None) -> list[tuple[str, str, tuple[Any, ...]]]:
    """``(Model.field, where, markers)`` for every string a model reachable from ``model`` holds."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        stack = [(info.annotation, tuple(info.metadata), "value")]
        while stack:
            annotation, metadata, where = stack.pop()
            base, markers = _unwrapped(annotation, metadata)
            origin, args = typing.get_origin(base), typing.get_args(base)
            if base is str:
                found.append((f"{model.__name__}.{name}", where, markers))
            elif origin is list:
                stack.append((args[0], (), where))
            elif origin is dict:
                stack += [(args[0], (), "key"), (args[1], (), where)]
            elif origin is not None:  # a union such as str | float
                stack += [(arg, markers, where) for arg in args if arg is not type(None)]
            elif isinstance(base, type) and issubclass(base, BaseModel):
                found += _string_places(base, seen)
    return found


def test_every_string_of_the_format_is_text_an_id_or_a_reference():
    """A new field naming an id must say so (``RefersTo``), or the graph and every check on it miss it."""
    for owner, where, markers in _string_places(Scenario):
        field = owner.split(".")[1]
        refers = any(isinstance(m, RefersTo) for m in markers)
        defines = any(getattr(m, "func", None) is _check_id for m in markers) and field == "id"
        source_ids = owner == "Scenario.sources" and where == "key"
        assert refers or defines or source_ids or field in TEXT, (
            f"{owner} ({where}) is a string that is neither text, an id nor marked RefersTo(kind)"
        )


def _places(document: dict[str, Any]) -> list[Reference]:
    """One reference per place of the graph whose unknown ids are reported there, and per form (bare or mapping)."""
    chosen: dict[tuple[str, tuple[str, ...], bool], Reference] = {}
    for ref in references(document):
        if ref.kind in AT_THEIR_LINE:
            chosen.setdefault((ref.owner, _pattern(ref.path), isinstance(ref.item, str)), ref)
    return list(chosen.values())


RICH_PLACES = _places(RICH)


def _replace(document: dict[str, Any], ref: Reference, token: str) -> None:
    """Write ``token`` where ``ref`` names its id (renaming a map key in place, keeping the key order)."""
    container: Any = document
    for step in ref.path[:-1]:
        container = container[step]
    last = ref.path[-1]
    value = container[last]
    if isinstance(container, dict) and ref.item == last and ref.name == str(last):  # the id is the map key
        items = list(container.items())
        container.clear()
        container.update({(token if key == last else key): item for key, item in items})
    elif isinstance(value, dict) and list(value) == [ref.name]:  # a citation with its quote, {S: "words"}
        container[last] = {token: value[ref.name]}
    elif isinstance(value, dict):  # a model written as a mapping: its bare field
        value[next(key for key, item in value.items() if item == ref.name)] = token
    else:
        container[last] = token


@pytest.mark.parametrize("place", RICH_PLACES, ids=lambda ref: ".".join(map(str, ref.path)))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unknown=st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
def test_an_unknown_id_anywhere_is_reported_at_its_line(rich_file, place, unknown):
    token = f"zq{unknown}"
    if place.kind == "option_ref":
        token = f"{place.name.partition('.')[0]}.{token}" if len(unknown) % 2 else f"{token}.{token}"
    elif place.kind == "reason":
        token = f"weights.{token}"
    document = copy.deepcopy(RICH)
    _replace(document, place, token)
    text = yaml.safe_dump(document, sort_keys=False, width=1000)
    lines = [number for number, line in enumerate(text.splitlines(), 1) if token in line]
    assert len(lines) == 1
    path = rich_file.parent / "unknown.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert any(problem.mark.line == lines[0] for problem in caught.value.problems), (place, str(caught.value))


@pytest.mark.parametrize("removed", ["issues.money", "issues.land.options.a_keeps", "alpha", "beta"])
def test_removing_a_thing_removes_every_place_naming_it(rich_file, removed):
    """What an unset takes along is the graph's: members' red lines and values, ``follows`` and leverage included,
    and the scenario is valid after it."""
    path = rich_file.parent / "removing.yaml"
    document = copy.deepcopy(RICH)
    document.pop("correlations")  # a quantity is not taken along: a correlation on a removed party is an error
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    scenario = load_scenario(path, [Unset(removed)])
    name = removed.split(".")[-1]
    for ref in references(scenario):
        if ref.kind in RESOLVED_HERE:
            assert name not in (ref.name, ref.issue, *ref.name.split(".")), ref


def test_patterns_match_concrete_paths():
    assert matches(("parties", INDEX, "weights", KEY), ("parties", 3, "weights", "land"))
    assert not matches(("parties", INDEX, "weights", KEY), ("parties", "x", "weights", "land"))
    assert not matches(("parties", INDEX), ("parties", 0, "weights"))
