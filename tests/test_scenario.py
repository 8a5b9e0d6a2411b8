"""Malformed scenarios: each gives its own one-line message at the right file:line, exit 2, no run directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from tests.conftest import DATA, NEGSIM

GOLDEN = (DATA / "golden.yaml").read_text()


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# (name, old text, new text, expected message, text marking the expected line)
CASES = [
    ("bad_yaml", "    title: Money", "    title: [Money", "invalid YAML", "title: [Money"),
    ("unknown_top_key", "offers:", "ofers:", "unknown key 'ofers'", "ofers:"),
    (
        "unknown_party_key",
        "    weights: {land: 0.5, money: 0.5}",
        "    wieghts: {land: 0.5, money: 0.5}",
        "unknown key 'wieghts'",
        "wieghts",
    ),
    (
        "red_line_unknown_option",
        "red_lines: [land.a_keeps]",
        "red_lines: [land.nowhere]",
        "red line 'land.nowhere' names unknown option 'nowhere'",
        "land.nowhere",
    ),
    (
        "negative_weight",
        "weights: {land: 0.75, money: 0.25}",
        "weights: {land: -1, money: 0.25}",
        "weights must be >= 0",
        "land: -1",
    ),
    (
        "reversed_range",
        "reservation: [0.25, 0.75]",
        "reservation: [0.8, 0.2]",
        "range [0.8, 0.2] has lo > hi",
        "[0.8, 0.2]",
    ),
    (
        "value_out_of_range",
        "money: {a_pays: 0, b_pays: 1}",
        "money: {a_pays: 0, b_pays: 1.5}",
        "must lie in [0, 1]",
        "b_pays: 1.5",
    ),
    (
        "duplicate_issue_id",
        "  - id: money",
        "  - id: land",
        "duplicate issue id 'land'",
        "  - id: land\n    title: Money",
    ),
    (
        "missing_values",
        "      money: {a_pays: 1, b_pays: 0}\n",
        "",
        "party 'beta' has no values for issue 'money'",
        "    values:\n      land: {a_keeps: 0",
    ),
    (
        "undefined_source",
        '{id: split, label: "Land split", sources: [T]}',
        '{id: split, label: "Land split", sources: [NOPE]}',
        "cites undefined source 'NOPE'",
        "sources: [NOPE]",
    ),
    (
        "one_veto_party",
        "  - id: beta\n    name: Beta\n",
        "  - id: beta\n    name: Beta\n    role: mediator\n",
        "at least two parties must hold a veto",
        "parties:",
    ),
    (
        "duplicate_yaml_key",
        "    reservation: [0.25, 0.5]\n",
        "    reservation: [0.25, 0.5]\n    reservation: 0.3\n",
        "duplicate key 'reservation'",
        "reservation: 0.3",
    ),
    (
        "offer_unknown_issue",
        "fix: {land: split}",
        "fix: {lnd: split}",
        "names unknown issue 'lnd'",
        "fix: {lnd",
    ),
    ("missing_required", "    name: Alpha\n", "", "missing required key 'name'", "  - id: alpha"),
]


def expected_line(text: str, marker: str) -> int:
    if "\n" in marker:
        index = text.index(marker)
        return text[:index].count("\n") + 1
    return line_of(text, marker)


@pytest.mark.parametrize(("name", "old", "new", "message", "marker"), CASES, ids=[c[0] for c in CASES])
def test_malformed_scenario_is_reported_at_its_line(tmp_path, name, old, new, message, marker):
    assert old in GOLDEN, name
    text = GOLDEN.replace(old, new, 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    first = caught.value.problems[0]
    assert message in str(caught.value)
    relevant = next(p for p in caught.value.problems if message in p.message)
    assert relevant.mark.origin == str(path)
    assert relevant.mark.line == expected_line(text, marker), str(caught.value)
    assert first.mark.line > 0


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEGSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["bad_yaml", "negative_weight", "red_line_unknown_option", "reversed_range"])
def test_cli_exits_2_with_one_line_and_no_run_directory(tmp_path, name):
    case = next(c for c in CASES if c[0] == name)
    text = GOLDEN.replace(case[1], case[2], 1)
    (tmp_path / "bad.yaml").write_text(text)
    result = run_cli("run", "bad.yaml", "--out", "runs/x", "--samples", "10", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"bad.yaml:{expected_line(text, case[4])}:" in result.stderr
    assert case[3] in result.stderr
    assert not (tmp_path / "runs").exists()


def test_extends_error_points_into_the_child_file(tmp_path):
    (tmp_path / "base.yaml").write_text(GOLDEN)
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\nid: child\nparties:\n  - id: beta\n    reservation: [0.9, 0.1]\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "child.yaml")
    problem = caught.value.problems[0]
    assert problem.mark.origin.endswith("child.yaml") and problem.mark.line == 5
    assert "lo > hi" in problem.message


def test_bad_extends_path_and_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: missing.yaml\nid: a\n")
    with pytest.raises(ScenarioError, match="does not exist") as caught:
        load_scenario(tmp_path / "a.yaml")
    assert caught.value.problems[0].mark.line == 1
    (tmp_path / "b.yaml").write_text("extends: c.yaml\nid: b\n")
    (tmp_path / "c.yaml").write_text("id: c\nextends: b.yaml\n")
    with pytest.raises(ScenarioError, match="cyclic 'extends'"):
        load_scenario(tmp_path / "b.yaml")


def test_extends_merges_lists_by_id_and_keeps_the_rest(tmp_path):
    (tmp_path / "base.yaml").write_text(GOLDEN)
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nid: child\nparties:\n  - id: beta\n    red_lines: []\n")
    child = load_scenario(tmp_path / "child.yaml")
    base = load_scenario(tmp_path / "base.yaml")
    assert (
        child.id == "child" and child.parties[1].red_lines == [] and child.parties[1].weights == base.parties[1].weights
    )
    assert child.issues == base.issues


def test_set_overrides_and_bad_set_path(golden_path):
    scenario = load_scenario(golden_path, ["alpha.weights.land=0.6", "beta.reservation=[0.3,0.5]", "run.samples=9"])
    assert scenario.parties[0].weights["land"] == (0.6, 0.6)
    assert scenario.parties[1].reservation == (0.3, 0.5)
    assert scenario.run.samples == 9
    with pytest.raises(ScenarioError) as caught:
        load_scenario(golden_path, ["alpha.wieghts.land=0.6"])
    text = str(caught.value)
    assert "--set alpha.wieghts.land=0.6" in text and "did you mean weights" in text
    with pytest.raises(ScenarioError, match=r"lo > hi"):
        load_scenario(golden_path, ["beta.reservation=[0.9,0.1]"])


def test_yaml_is_loaded_safely(tmp_path):
    (tmp_path / "evil.yaml").write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(tmp_path / "evil.yaml")


def test_resolved_scenario_round_trips_and_hash_is_stable(tmp_path, golden_path):
    scenario = load_scenario(golden_path)
    (tmp_path / "resolved.yaml").write_text(scenario.to_yaml())
    again = load_scenario(tmp_path / "resolved.yaml")
    assert again == scenario and again.content_hash() == scenario.content_hash()


def example_block(document: Path) -> str:
    import re

    blocks = re.findall(r"```yaml\n(.*?)```", document.read_text(), re.S)
    return next(block for block in blocks if "article5-no-membership" in block)


def test_design_scenario_example_validates(tmp_path):
    """DESIGN's example (hyphenated id, extends, reasons) with references that resolve against the baseline."""
    from tests.conftest import ROOT

    (tmp_path / "baseline.yaml").write_text((ROOT / "scenarios" / "baseline.yaml").read_text())
    (tmp_path / "example.yaml").write_text((DATA / "examples" / "design.yaml").read_text())
    scenario = load_scenario(tmp_path / "example.yaml")
    russia = next(p for p in scenario.parties if p.id == "russia")
    assert scenario.id == "article5-no-membership" and russia.red_line_options == ["alliance.membership_path"]
    # the inherited reasons for red lines the example drops went with them, the rest stayed
    assert "red_lines.alliance.membership_path" in russia.reasons and "reservation" in russia.reasons
    assert not [
        key for key in russia.reasons if key.startswith("red_lines.") and key[10:] not in russia.red_line_options
    ]


def test_readme_example_block_itself_validates(tmp_path):
    """The README's own example, as printed: extends, unset, holds, links, requires (with the baseline's sources)."""
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "scenarios", tmp_path, dirs_exist_ok=True)
    (tmp_path / "example.yaml").write_text(example_block(ROOT / "README.md"))
    scenario = load_scenario(tmp_path / "example.yaml")
    russia = next(p for p in scenario.parties if p.id == "russia")
    assert scenario.id == "article5-no-membership"
    assert russia.red_line_options == ["alliance.membership_path", "troops.coalition_force"]
    assert [r.holds for r in russia.red_lines] == [1.0, 0.7] and len(russia.links) == 1
    assert any(c.requires for c in scenario.constraints)


def test_structure_and_reference_errors_come_in_one_pass(tmp_path):
    text = (
        GOLDEN.replace("    weights: {land: 0.75", "    wieghts: {land: 0.75")
        .replace("red_lines: [land.a_keeps]", "red_lines: [land.nowhere]")
        .replace("fix: {land: split}", "fix: {lnd: split}")
    )
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "bad.yaml")
    found = {(p.mark.line, p.message.split(" (")[0]) for p in caught.value.problems}
    assert (line_of(text, "wieghts"), "unknown key 'wieghts'") in found
    assert any(line == line_of(text, "land.nowhere") and "unknown option 'nowhere'" in m for line, m in found)
    assert any(line == line_of(text, "fix: {lnd") and "unknown issue 'lnd'" in m for line, m in found)


def test_generated_format_reference_is_current():
    from sim.scenario.formatdoc import format_markdown
    from tests.conftest import ROOT

    assert (ROOT / "docs" / "format.md").read_text() == format_markdown(), "stale docs/format.md: run `make docs`"


def test_format_reference_documents_every_key_with_meaning_and_example():
    from sim.scenario.formatdoc import SECTIONS, meaning_and_example

    for _, model in SECTIONS:
        for name, field in model.model_fields.items():
            meaning, example = meaning_and_example(field)
            assert meaning and example, f"{model.__name__}.{name} needs a docstring with 'Example:'"
    text = (DATA.parent.parent / "docs" / "format.md").read_text()
    for key in ("power", "veto", "hardliner", "beliefs", "fixed", "reasons", "sponsor", "chunk_size", "holds", "links"):
        assert f"`{key}`" in text or key in text


def test_a_variant_item_with_a_misspelled_id_gets_a_hint(tmp_path, golden_path):
    (tmp_path / "golden.yaml").write_text(golden_path.read_text())
    child = tmp_path / "child.yaml"
    child.write_text("negsim: 1\nextends: golden.yaml\nid: child\nparties:\n  - id: alpah\n    reservation: 0.5\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert all("did you mean 'alpha'?" in p.message for p in caught.value.problems)
    assert "missing required key 'name'" in str(caught.value)


def test_validate_reports_structure_and_references_of_one_party_together(golden_path):
    """A reservation of 1.5 and a misspelled red line in the same party come out in one pass."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(golden_path, ["beta.reservation=1.5", "beta.red_lines=[land.a_keep]"])
    messages = [p.message for p in caught.value.problems]
    assert any("must lie in [0, 1]" in m for m in messages)
    assert any("unknown option 'a_keep'" in m for m in messages)
    assert len(messages) == 2, messages
