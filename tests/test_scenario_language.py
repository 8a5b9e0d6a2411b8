"""The modelling language of issue 9 in the format: red lines with ``holds``, links, requires-constraints, ratifiers.

Each malformed use of a new key is reported at its own file:line (and by the CLI with exit 2); each well-formed use
reaches the model with the meaning the format documents.
"""

from __future__ import annotations

import itertools
import subprocess

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.model import Role, Scenario
from sim.zone.sampling import point_preferences, sample_preferences
from sim.zone.space import PackageSpace
from tests.conftest import DATA, NEGSIM
from tests.strategies import language_scenario_dicts

GOLDEN = (DATA / "golden.yaml").read_text()
ALPHA_WEIGHTS = "    weights: {land: 0.75, money: 0.25}\n"
BETA_RED_LINES = "red_lines: [land.a_keeps]"
OFFERS = "offers:\n"


def with_alpha(extra: str) -> tuple[str, str]:
    return ALPHA_WEIGHTS, ALPHA_WEIGHTS + extra


def with_constraint(constraint: str) -> tuple[str, str]:
    return OFFERS, f"constraints:\n  - {constraint}\n{OFFERS}"


# (name, (old, new), expected message, text marking the expected line)
CASES = [
    (
        "red_line_holds_above_one",
        (BETA_RED_LINES, "red_lines: [{option: land.a_keeps, holds: 1.5}]"),
        "less than or equal to 1",
        "holds: 1.5",
    ),
    (
        "red_line_holds_nan",
        (BETA_RED_LINES, "red_lines: [{option: land.a_keeps, holds: .nan}]"),
        "finite number",
        "holds: .nan",
    ),
    (
        "red_line_unknown_key",
        (BETA_RED_LINES, "red_lines: [{option: land.a_keeps, hold: 0.5}]"),
        "unknown key 'hold'",
        "hold: 0.5",
    ),
    (
        "red_line_without_option",
        (BETA_RED_LINES, "red_lines: [{holds: 0.5}]"),
        "missing required key 'option'",
        "red_lines: [{holds",
    ),
    (
        "red_line_twice",
        (BETA_RED_LINES, "red_lines: [land.a_keeps, {option: land.a_keeps, holds: 0.5}]"),
        "lists red line 'land.a_keeps' twice",
        "red_lines: [land.a_keeps, {",
    ),
    (
        "link_unknown_option",
        with_alpha("    links: [{when: money.b_pays, option: land.nowhere, value: 0.5}]\n"),
        "link 'land.nowhere' names unknown option 'nowhere'",
        "links:",
    ),
    (
        "link_same_issue",
        with_alpha("    links: [{when: land.split, option: land.a_keeps, value: 0.5}]\n"),
        "must join options of two different issues",
        "links:",
    ),
    (
        "link_value_out_of_range",
        with_alpha("    links: [{when: money.b_pays, option: land.split, value: [0.5, 1.5]}]\n"),
        "must lie in [0, 1]",
        "links:",
    ),
    (
        "link_missing_value",
        with_alpha("    links: [{when: money.b_pays, option: land.split}]\n"),
        "missing required key 'value'",
        "links:",
    ),
    (
        "link_twice",
        with_alpha(
            "    links:\n      - {when: money.b_pays, option: land.split, value: 0.5}\n"
            "      - {when: money.b_pays, option: land.split, value: 0.6}\n"
        ),
        "links 'money.b_pays' -> 'land.split' twice",
        "value: 0.6",
    ),
    (
        "link_on_unweighted_issue",
        (
            ALPHA_WEIGHTS,
            "    weights: {land: 0.75}\n    links: [{when: land.split, option: money.b_pays, value: 0.5}]\n",
        ),
        "gives issue 'money' no weight",
        "links:",
    ),
    (
        "constraint_both_forms",
        with_constraint("{forbid: [land.split, money.a_pays], requires: [land.split], one_of: [money.b_pays]}"),
        "either {forbid",
        "  - {forbid",
    ),
    (
        "constraint_requires_without_one_of",
        with_constraint("{requires: [land.split]}"),
        "together with one_of",
        "  - {requires",
    ),
    (
        "constraint_requires_unknown_option",
        with_constraint("{requires: [land.nowhere], one_of: [money.b_pays]}"),
        "constraint 'land.nowhere' names unknown option",
        "  - {requires",
    ),
    (
        "constraint_one_of_same_issue_as_requires",
        with_constraint("{requires: [land.split], one_of: [land.a_keeps, money.b_pays]}"),
        "one_of option 'land.a_keeps' is of an issue that requires already settles",
        "  - {requires",
    ),
    (
        "constraint_empty_one_of",
        with_constraint("{requires: [land.split], one_of: []}"),
        "at least 1 item",
        "  - {requires",
    ),
    (
        "party_with_no_positive_weight",
        (ALPHA_WEIGHTS, "    weights: {land: [0, 0.5], money: 0}\n"),
        "needs a weight above 0 on at least one issue",
        "weights: {land: [0, 0.5]",
    ),
    (
        "unknown_role",
        ("  - id: beta\n    name: Beta\n", "  - id: beta\n    name: Beta\n    role: ratifyer\n"),
        "'ratifier'",
        "role: ratifyer",
    ),
    (
        "after_failed_ratification_unknown",
        ("run: {samples: 4000, seed: 3}", "run: {samples: 4000, seed: 3, after_failed_ratification: retry}"),
        "'reopen' or 'end'",
        "after_failed_ratification: retry",
    ),
    (
        "power_nan",
        ("    name: Alpha\n", "    name: Alpha\n    power: .nan\n"),
        "finite number",
        "power: .nan",
    ),
    (
        "reservation_nan",
        ("reservation: [0.25, 0.5]", "reservation: [.nan, 0.5]"),
        "expected a finite number",
        "reservation: [.nan",
    ),
    (
        "exponent_infinite",
        (BETA_RED_LINES, BETA_RED_LINES + "\n    strategy: {concession: boulware, exponent: .inf}"),
        "finite number",
        "exponent: .inf",
    ),
    (
        "weight_infinite",
        (ALPHA_WEIGHTS, "    weights: {land: .inf, money: 0.25}\n"),
        "finite number",
        "land: .inf",
    ),
]


def bad_text(case: tuple) -> str:
    _, (old, new), _, _ = case
    assert old in GOLDEN, case[0]
    return GOLDEN.replace(old, new, 1)


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_new_key_is_reported_at_its_line(tmp_path, case):
    name, _, message, marker = case
    text = bad_text(case)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    relevant = [p for p in caught.value.problems if message in p.message]
    assert relevant, str(caught.value)
    assert relevant[0].mark.origin == str(path)
    assert relevant[0].mark.line == line_of(text, marker), str(caught.value)


def test_cli_reports_every_malformed_new_key_with_its_line_and_exits_2(tmp_path):
    """One ``negsim validate`` over every bad file: each error on its own line at its own file:line."""
    for case in CASES:
        (tmp_path / f"{case[0]}.yaml").write_text(bad_text(case))
    result = subprocess.run(
        [str(NEGSIM), "validate", *(f"{c[0]}.yaml" for c in CASES)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for name, _, message, marker in CASES:
        line = line_of(bad_text(next(c for c in CASES if c[0] == name)), marker)
        assert any(row.startswith(f"{name}.yaml:{line}:") and message in row for row in result.stderr.splitlines()), (
            name,
            result.stderr,
        )


RATIFIED = GOLDEN.replace(
    "offers:\n",
    "  - id: public\n    name: Public\n    role: ratifier\n    weights: {land: 1}\n"
    "    values: {land: {a_keeps: 0, split: 0.5, b_keeps: 1}}\n    reservation: 0.4\n"
    "constraints:\n  - {requires: [land.split], one_of: [money.b_pays]}\n"
    "offers:\n",
).replace(BETA_RED_LINES, "red_lines: [land.a_keeps, {option: money.a_pays, holds: 0.25, why: stated}]")


def test_ratifier_red_lines_and_requires_reach_the_model(tmp_path):
    path = tmp_path / "ratified.yaml"
    path.write_text(RATIFIED)
    scenario = load_scenario(path)
    public = scenario.parties[2]
    assert public.role is Role.ratifier and public.has_veto and public in scenario.veto_parties
    assert public.weight_range("money") == (0.0, 0.0) and public.value_range("money", "a_pays") == (0.0, 0.0)
    assert public.weight_range("land") == (1.0, 1.0)
    beta = scenario.parties[1]
    assert [(r.option, r.holds) for r in beta.red_lines] == [("land.a_keeps", 1.0), ("money.a_pays", 0.25)]
    assert scenario.run.after_failed_ratification.value == "reopen"
    # the omitted issue weighs nothing: the ratifier's utility is its land value alone
    prefs = sample_preferences(scenario, 16, np.random.default_rng(0))
    assert np.all(prefs.weights[:, 2, 1] == 0) and np.allclose(prefs.weights[:, 2, 0], 1)
    assert point_preferences(scenario).weights[0, 2].tolist() == [1.0, 0.0]
    # requires land.split -> one_of money.b_pays: (split, a_pays) is the one infeasible package
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    infeasible = {tuple(space.describe(k).values()) for k in np.flatnonzero(~space.feasible(codes))}
    assert infeasible == {("split", "a_pays")}
    # the resolved scenario round-trips, bare red lines staying bare
    again = tmp_path / "again.yaml"
    again.write_text(scenario.to_yaml())
    assert load_scenario(again) == scenario
    assert "- land.a_keeps\n" in scenario.to_yaml()


def test_hyphenated_ids_and_words_not_regexes_in_id_errors(tmp_path):
    text = GOLDEN.replace("id: golden", "id: article5-no-membership").replace("split_deal", "split-deal")
    (tmp_path / "ok.yaml").write_text(text)
    assert load_scenario(tmp_path / "ok.yaml").id == "article5-no-membership"
    (tmp_path / "bad.yaml").write_text(GOLDEN.replace("id: golden", "id: Golden.Case"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "bad.yaml")
    message = str(caught.value)
    assert "lowercase letters, digits, '_' and '-'" in message and "^" not in message
    assert f"bad.yaml:{line_of(GOLDEN, 'id: golden')}:" in message


def brute_force_feasible(scenario: Scenario, package: dict[str, str]) -> bool:
    """The definition, one package at a time: no forbid set fully held; every triggered requires has a one_of."""
    held = {f"{issue}.{option}" for issue, option in package.items()}
    for constraint in scenario.constraints:
        if constraint.forbid and set(constraint.forbid) <= held:
            return False
        if constraint.requires and set(constraint.requires) <= held and not held & set(constraint.one_of or []):
            return False
    return all(package[issue] == option for issue, option in scenario.fixed.items())


@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=2), st.data())
def test_feasible_equals_the_definition_package_by_package(doc, data):
    if len(doc["issues"]) >= 2 and data.draw(st.booleans()):
        doc.setdefault("constraints", []).append({"forbid": ["i0.o0", "i1.o1"]})
    scenario = Scenario.model_validate(doc)
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    expected = [
        brute_force_feasible(scenario, dict(zip(space.issue_ids, combo, strict=True)))
        for combo in itertools.product(*space.option_ids)
    ]
    assert space.feasible(codes).tolist() == expected


@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3))
def test_generated_language_scenarios_pass_every_reference_check(doc):
    from sim.scenario.checks import reference_problems

    scenario = Scenario.model_validate(doc)
    assert reference_problems(scenario) == []
    assert Scenario.model_validate(yaml.safe_load(scenario.to_yaml())) == scenario  # resolved YAML round-trips
    for party in scenario.parties:
        assert all(0 <= r.holds <= 1 for r in party.red_lines)
        assert any(party.weight_range(issue.id)[0] > 0 for issue in scenario.issues)


def test_validate_warns_when_weights_are_far_from_summing_to_one(tmp_path):
    from sim.scenario.advice import validate_findings
    from sim.scenario.loading import load_scenario_located

    path = tmp_path / "heavy.yaml"
    path.write_text(GOLDEN.replace(ALPHA_WEIGHTS, "    weights: {land: 1.5, money: 0.5}\n"))
    scenario, located = load_scenario_located(path)
    warnings = [w for w in validate_findings(scenario, located)[1] if "sum to" in w.message]
    assert len(warnings) == 1 and "party 'alpha' weights sum to 2" in warnings[0].message
    assert "normalised" in warnings[0].message and warnings[0].mark.line == line_of(GOLDEN, "land: 0.75")
