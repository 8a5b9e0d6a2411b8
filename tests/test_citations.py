"""Citations with quotes: each quote is found in its source's file, typography aside, or validate says where not."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sim.scenario.advice import validate_findings
from sim.scenario.citations import normalise
from sim.scenario.loading import load_scenario, load_scenario_located
from sim.scenario.values import Citation
from tests.conftest import DATA, NEGSIM

GOLDEN = (DATA / "golden.yaml").read_text()
ARTICLE = "Moscow said it “would never\n   tolerate” NATO troops — not\u00a0now, not later…\n"


def write_case(folder: Path, quote: str, file: str = "article.txt") -> Path:
    (folder / "article.txt").write_text(ARTICLE)
    text = GOLDEN.replace("file: tests/data/golden.yaml", f"file: {file}").replace(
        '{id: split, label: "Land split", sources: [T]}',
        f'{{id: split, label: "Land split", sources: [{{T: "{quote}"}}]}}',
    )
    path = folder / "case.yaml"
    path.write_text(text)
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_normalise_folds_whitespace_quotes_dashes_and_ellipsis():
    assert normalise(" a\n\t“b”  ‘c’ – d — e…\u00a0f ") == "a \"b\" 'c' - d - e... f"


def test_citation_forms_and_round_trip(tmp_path):
    path = write_case(tmp_path, "would never tolerate")
    scenario = load_scenario(path)
    cited = scenario.issues[0].options[1].sources
    assert cited == [Citation(source="T", quote="would never tolerate")]
    assert scenario.issues[0].options[0].sources == [Citation(source="T")]
    assert "- T: would never tolerate" in scenario.to_yaml() or "T: would never tolerate" in scenario.to_yaml()
    again = tmp_path / "again.yaml"
    again.write_text(scenario.to_yaml())
    assert load_scenario(again) == scenario


def test_quote_found_across_line_breaks_curly_quotes_and_dashes(tmp_path):
    path = write_case(tmp_path, 'it \\"would never tolerate\\" NATO troops - not now, not later...')
    scenario, located = load_scenario_located(path)
    errors, warnings = validate_findings(scenario, located)
    assert errors == []
    assert any("gives no quote" in w.message for w in warnings)  # the other options cite T without a quote


def test_quote_not_found_is_an_error_at_its_line(tmp_path):
    path = write_case(tmp_path, "would always tolerate")
    scenario, located = load_scenario_located(path)
    errors, _ = validate_findings(scenario, located)
    assert len(errors) == 1 and "quote not found in source 'T'" in errors[0].message
    assert errors[0].mark.origin == str(path) and errors[0].mark.line == line_of(path, "would always")


def test_source_file_must_be_a_regular_file(tmp_path):
    (tmp_path / "folder").mkdir()
    path = write_case(tmp_path, "would never tolerate", file="folder")
    scenario, located = load_scenario_located(path)
    messages = [e.message for e in validate_findings(scenario, located)[0]]
    assert any("not a regular file" in m for m in messages)
    assert any("cannot check the quote" in m for m in messages)


def test_inherited_source_resolves_relative_to_the_parent_file(tmp_path):
    parent_dir = tmp_path / "base"
    parent_dir.mkdir()
    write_case(parent_dir, "would never tolerate")
    (tmp_path / "child.yaml").write_text(
        "extends: base/case.yaml\nid: child\nissues:\n  - id: money\n    options:\n"
        '      - {id: a_pays, sources: [{T: "NATO troops"}]}\n'
        '      - {id: b_pays, sources: [{T: "not in the article"}]}\n'
    )
    scenario, located = load_scenario_located(tmp_path / "child.yaml")
    errors, _ = validate_findings(scenario, located)
    assert [(e.mark.origin, e.mark.line) for e in errors] == [(str(tmp_path / "child.yaml"), 7)]


def test_validate_cli_exits_2_on_a_missing_quote(tmp_path):
    write_case(tmp_path, "would always tolerate")
    result = subprocess.run(
        [str(NEGSIM), "validate", "case.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"case.yaml:{line_of(tmp_path / 'case.yaml', 'would always')}:" in result.stderr
    assert "quote not found" in result.stderr


def test_malformed_citation_is_reported_at_its_line(tmp_path):
    from sim.scenario.errors import ScenarioError

    path = write_case(tmp_path, "x")
    path.write_text(path.read_text().replace('[{T: "x"}]', "[{T: [1, 2]}]"))
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert "a quote must be text" in str(exc) and f"case.yaml:{line_of(path, 'T: [1, 2]')}:" in str(exc)
    else:
        raise AssertionError("a non-text quote was accepted")


def test_catalogue_shows_quotes(tmp_path):
    from sim.scenario.catalogue import catalogue_markdown

    scenario = load_scenario(write_case(tmp_path, "would never | tolerate"))
    row = next(line for line in catalogue_markdown(scenario).splitlines() if line.startswith("| `split`"))
    assert "[T: “would never \\| tolerate”]" in row
