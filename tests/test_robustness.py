"""negsim robustness: the headline under each named judgement call, checked against a hand-worked scenario."""

from __future__ import annotations

import csv

import numpy as np

from sim.executors import Executor
from sim.scenario.loading import load_scenario
from sim.studies.robustness import load_cases, robustness_markdown, run_robustness
from tests.conftest import ROOT
from tests.test_cli import negsim

JUDGEMENT = ROOT / "tests" / "data" / "judgement.yaml"


def test_judgement_calls_are_part_of_the_format_and_are_inherited():
    scenario = load_scenario(JUDGEMENT)
    assert [call.id for call in scenario.judgement_calls] == ["gamma_veto", "alpha_bar"]
    assert scenario.judgement_calls[1].alternatives[0].edits == ["--set 'alpha.reservation=0.25'"]
    assert load_scenario(ROOT / "tests" / "data" / "ratified.yaml").content_hash() != scenario.content_hash()


def test_each_alternative_moves_the_headline_as_worked_by_hand():
    """Default: at the table 0.5, ratified 0.25; gamma not binding: ratified 0.5; alpha's bar at 0.25: table 1,
    ratified 0.75 (the fixture's header works each out)."""
    cases = load_cases(JUDGEMENT)
    assert [(c.call, c.alternative) for c in cases] == [
        ("default", "default"),
        ("gamma_veto", "none"),
        ("alpha_bar", "low"),
    ]
    result = run_robustness(cases, 4000, 3)
    expected = [(0.5, 0.25), (0.5, 0.5), (1.0, 0.75)]
    for row, (table, ratified) in zip(result.rows, expected, strict=True):
        h = row.headline
        assert abs(h.table.p - table) < 0.03 and abs(h.ratified.p - ratified) < 0.03, row.case.alternative
        assert h.table.low <= h.table.p <= h.table.high and h.ratified.low <= h.ratified.p <= h.ratified.high
    # common random numbers: the ratifier's veto off changes only the samples it vetoed, all in one direction
    default, no_gamma = result.rows[0].headline, result.rows[1].headline
    assert np.array_equal(default.table_bits, no_gamma.table_bits)
    assert not (default.zone_bits & ~no_gamma.zone_bits).any()
    d, low, high = result.rows[1].ratified_change
    assert abs(d - 0.25) < 0.03 and low > 0
    assert result.span("ratified") == (
        result.rows[0].headline.ratified.p,
        max(r.headline.ratified.p for r in result.rows),
    )
    assert result.rows[0].ratified_change[0] == 0.0


def test_results_do_not_depend_on_the_executor():
    cases = load_cases(JUDGEMENT)
    local = run_robustness(cases, 500, 1)
    pooled = run_robustness(cases, 500, 1, Executor.processes, 2)
    for a, b in zip(local.rows, pooled.rows, strict=True):
        assert np.array_equal(a.headline.zone_bits, b.headline.zone_bits)
        assert np.array_equal(a.headline.table_bits, b.headline.table_bits)


def test_cli_writes_table_figure_page_and_markdown(tmp_path):
    markdown = tmp_path / "robustness.md"
    result = negsim(
        "robustness", str(JUDGEMENT), "--samples", "400", "--out", str(tmp_path / "run"), "--markdown", str(markdown)
    )
    assert "range over the alternatives" in result.stdout
    rows = list(csv.DictReader((tmp_path / "run" / "robustness.csv").read_text().splitlines()))
    assert [r["call"] for r in rows] == ["default", "gamma_veto", "alpha_bar"]
    assert rows[1]["edits"] == "--set 'gamma.veto=false'"
    assert (tmp_path / "run" / "robustness.png").read_bytes()[:4] == b"\x89PNG"
    page = (tmp_path / "run" / "report.html").read_text()
    assert "data:image/png;base64," in page and "gamma does not bind" in page
    text = markdown.read_text()
    assert "**Range over the default and every alternative:**" in text and "`gamma_veto`" in text


def test_a_bad_alternative_is_one_line_naming_the_edit(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(JUDGEMENT.read_text().replace("gamma.veto=false", "gamma.nosuchkey=1"))
    (tmp_path / "ratified.yaml").write_text((ROOT / "tests" / "data" / "ratified.yaml").read_text())
    result = negsim("robustness", str(bad), "--samples", "10", "--out", str(tmp_path / "run"), check=False)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "nosuchkey" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_markdown_names_every_call():
    result = run_robustness(load_cases(JUDGEMENT), 200, 2)
    text = robustness_markdown(result, "negsim robustness tests/data/judgement.yaml")
    assert "gamma_veto" in text and "alpha_bar" in text and "hand-worked fixture" in text


def test_robustness_figure_is_readable_with_long_labels():
    from sim.studies.plots import plot_robustness
    from tests.figure_layout import layout_problems

    long = "an alternative whose label names a plan, its date, the red line it drops and the source it comes from"
    rows = [
        {"call": "default" if k == 0 else f"call_{k}", "label": long, "p_table": 0.1 + k / 100, "p_table_lo": 0.05,
         "p_table_hi": 0.2 + k / 100, "p_ratified": 0.01 * k, "p_ratified_lo": 0.0, "p_ratified_hi": 0.02 * k + 0.01}
        for k in range(25)
    ]  # fmt: skip
    assert layout_problems(plot_robustness(rows, "Robustness: " + long)) == []
