"""Edits that remove: ``--unset PATH`` and an ``extends:`` child's ``unset:``, with the path syntax of
:mod:`sim.scenario.edits`, reasons following their subjects, and errors at the user's own file:line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from sim.scenario.edits import Unset
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from tests.conftest import DATA, NEGSIM

# golden, plus: a second red line with a reason, a quoted-key reason, a link, two constraints
BASE = (
    (DATA / "golden.yaml")
    .read_text()
    .replace(
        "    red_lines: [land.a_keeps]\n",
        "    red_lines: [land.a_keeps, {option: money.a_pays, holds: 0.5}]\n"
        "    links: [{when: money.b_pays, option: land.split, value: 0.8}]\n"
        "    reasons:\n"
        '      red_lines.land.a_keeps: {why: "never", sources: [T]}\n'
        '      red_lines.money.a_pays: {why: "probably never", sources: [T]}\n'
        '      weights.land: {why: "land first", sources: [T]}\n',
    )
    .replace(
        "offers:\n",
        "constraints:\n  - {forbid: [land.b_keeps, money.b_pays]}\n"
        "  - {requires: [land.split], one_of: [money.a_pays]}\n"
        "offers:\n",
    )
)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(BASE)
    return path


def beta(scenario):
    return next(p for p in scenario.parties if p.id == "beta")


def test_unset_red_line_by_ref_takes_its_reason_along(base):
    scenario = load_scenario(base, [Unset("beta.red_lines.land.a_keeps")])
    assert beta(scenario).red_line_options == ["money.a_pays"]
    assert "red_lines.land.a_keeps" not in beta(scenario).reasons
    assert "red_lines.money.a_pays" in beta(scenario).reasons
    same = load_scenario(base, [Unset('parties.beta.red_lines["money.a_pays"]')])
    assert beta(same).red_line_options == ["land.a_keeps"] and "red_lines.money.a_pays" not in beta(same).reasons


def test_unset_quoted_key_index_refs_and_whole_keys(base):
    scenario = load_scenario(
        base,
        [
            Unset('beta.reasons["weights.land"]'),
            Unset("constraints[money.b_pays, land.b_keeps]"),
            Unset("beta.links[land.split,money.b_pays]"),
            Unset("offers.split_deal"),
        ],
    )
    assert "weights.land" not in beta(scenario).reasons
    assert [c.requires for c in scenario.constraints] == [["land.split"]]
    assert beta(scenario).links == [] and scenario.offers == []
    assert load_scenario(base, [Unset("constraints.1")]).constraints[0].forbid == ["land.b_keeps", "money.b_pays"]


def test_unset_a_required_key_is_reported_at_the_edit(base):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(base, [Unset("alpha.reservation")])
    assert str(caught.value).startswith("--unset alpha.reservation: missing required key 'reservation'")


def test_unset_an_option_removes_what_is_about_it(base):
    scenario = load_scenario(base, [Unset("issues.land.options.split")])
    assert scenario.issue("land").option_ids == ["a_keeps", "b_keeps"]
    assert beta(scenario).links == [] and scenario.offers == []  # the link and the offer were about land.split
    assert [c.forbid for c in scenario.constraints] == [["land.b_keeps", "money.b_pays"]]
    assert all("split" not in party.values["land"] for party in scenario.parties)
    dropped = load_scenario(base, [Unset("issues.money")])
    assert [i.id for i in dropped.issues] == ["land"] and dropped.constraints == []
    assert beta(dropped).red_line_options == ["land.a_keeps"] and "money" not in beta(dropped).weights


def test_set_reaches_red_line_fields_and_quoted_reasons(base):
    scenario = load_scenario(
        base,
        [
            "beta.red_lines.land.a_keeps.holds=0.25",
            'beta.reasons["red_lines.money.a_pays"].why=moved',
            "beta.links.0.value=[0.1,0.2]",
        ],
    )
    assert [(r.option, r.holds) for r in beta(scenario).red_lines] == [("land.a_keeps", 0.25), ("money.a_pays", 0.5)]
    assert beta(scenario).reasons["red_lines.money.a_pays"].why == "moved"
    assert beta(scenario).links[0].value == (0.1, 0.2)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (Unset("beta.red_lines.land.nowhere"), "no 'land.nowhere' under parties.beta.red_lines; did you mean"),
        (Unset("constraints.7"), "give an index (0..1)"),
        (Unset('beta.reasons["nothing"]'), "no 'nothing' under parties.beta.reasons"),
        (Unset("beta.reasons[weights.land"), "cannot read the path"),
        ("beta.red_lines.land.a_keeps.hold=0.5", "no 'hold' under"),
    ],
)
def test_bad_edits_name_the_edit(base, edit, message):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(base, [edit])
    text = str(caught.value)
    assert message in text and text.startswith("--")


def write_child(folder: Path, text: str) -> Path:
    path = folder / "child.yaml"
    path.write_text(text)
    return path


def test_child_unset_and_replaced_red_lines_drop_inherited_reasons(base):
    child = write_child(
        base.parent,
        "extends: base.yaml\nid: child\nunset:\n  - beta.red_lines.money.a_pays\n  - constraints.0\n",
    )
    scenario = load_scenario(child)
    assert beta(scenario).red_line_options == ["land.a_keeps"] and len(scenario.constraints) == 1
    assert set(beta(scenario).reasons) == {"red_lines.land.a_keeps", "weights.land"}
    replaced = write_child(base.parent, "extends: base.yaml\nid: child\nparties:\n  - id: beta\n    red_lines: []\n")
    assert set(beta(load_scenario(replaced)).reasons) == {"weights.land"}


def test_child_reason_for_a_removed_red_line_is_an_error_in_the_child(base):
    child = write_child(
        base.parent,
        "extends: base.yaml\nid: child\nunset: [beta.red_lines.money.a_pays]\nparties:\n  - id: beta\n"
        "    reasons:\n      red_lines.money.a_pays: {why: rewritten}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    problem = caught.value.problems[0]
    assert problem.mark.origin == str(child) and problem.mark.line == 7, str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("unset:\n  - beta.red_lines.land.nowhere\n", 4, "no 'land.nowhere'"),
        ("unset: beta.red_lines\n", 3, "'unset' must be a list of paths"),
        ("parties:\n  - id: beta\n    power: 2\n  - id: beta\n    power: 3\n", 6, "'beta' is listed twice"),
        ("parties:\n  beta: {power: 2}\n", 3, "write '- id: beta' items, not a mapping"),
    ],
)
def test_child_file_errors_point_into_the_child(base, text, line, message):
    child = write_child(base.parent, "extends: base.yaml\nid: child\n" + text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    problem = caught.value.problems[0]
    assert message in problem.message and problem.mark.origin == str(child) and problem.mark.line == line


def test_unset_without_extends_is_an_error(tmp_path):
    path = tmp_path / "alone.yaml"
    path.write_text(BASE.replace("offers:\n", "unset: [constraints.0]\noffers:\n"))
    with pytest.raises(ScenarioError, match="needs 'extends'"):
        load_scenario(path)


def negsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEGSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def resolved_beta(run_dir: Path) -> dict:
    document = yaml.safe_load((run_dir / "scenario.resolved.yaml").read_text())
    return next(p for p in document["parties"] if p["id"] == "beta")


def test_cli_removal_via_unset_and_via_extends(base):
    folder = base.parent
    result = negsim(
        "run", "base.yaml", "--unset", "beta.red_lines.land.a_keeps", "--unset", 'beta.reasons["weights.land"]',
        "--samples", "20", "--out", "runs/unset", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    party = resolved_beta(folder / "runs" / "unset")
    assert [(r["option"], r["holds"]) for r in party["red_lines"]] == [("money.a_pays", 0.5)]
    assert set(party["reasons"]) == {"red_lines.money.a_pays"}
    write_child(folder, "extends: base.yaml\nid: child\nunset: [beta.red_lines.money.a_pays, beta.links.0]\n")
    result = negsim("catalogue", "child.yaml", "--markdown", "child.md", cwd=folder)
    assert result.returncode == 0, result.stderr
    beta_section = (folder / "child.md").read_text().split("### Beta")[1]
    assert "**Red line** `land.a_keeps`. never" in beta_section
    assert "money.a_pays" not in beta_section.split("| issue |")[0] and "**Link**" not in beta_section
    bad = negsim("validate", "base.yaml", "--unset", "beta.red_lines.land.nowhere", cwd=folder)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("--unset beta.red_lines.land.nowhere: no 'land.nowhere'")
    write_child(folder, "extends: base.yaml\nid: child\nunset: [beta.links.3]\n")
    bad = negsim("run", "child.yaml", "--samples", "20", "--out", "runs/bad", cwd=folder)
    assert bad.returncode == 2 and "child.yaml:3:" in bad.stderr and not (folder / "runs" / "bad").exists()


def test_a_misspelled_party_suggests_party_ids(base):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(base, ["alpah.reservation=0.5"])
    message = str(caught.value)
    assert "did you mean party alpha?" in message and "run" not in message.split("did you mean")[1].split("?")[0]
