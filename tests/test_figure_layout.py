"""Every figure negsim draws passes the layout check (``tests/figure_layout.py``) on real runs and on the data
shapes that broke figures before (long labels, many series, values far below 1), and stays within its size budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.negotiation import plots as talk_plots
from sim.outputs import plots
from sim.outputs.report import zone_drawings
from sim.outputs.zoneload import load_analysis
from sim.studies import plots as study_plots
from tests.conftest import ROOT
from tests.figure_layout import layout_problems
from tests.test_cli import negsim

PNG_BUDGET = 300_000  # bytes per figure


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figures") / "baseline"
    result = negsim(
        "run", str(ROOT / "scenarios" / "baseline.yaml"), "--samples", "300", "--figures", "all", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    return out


def test_every_zone_figure_of_the_baseline_is_readable(baseline_run):
    drawings = zone_drawings(baseline_run, load_analysis(baseline_run))
    problems = {name: layout_problems(draw()) for draw, name in drawings}
    assert {name: p for name, p in problems.items() if p} == {}
    assert len(problems) == 7


def test_every_png_of_a_run_is_within_the_size_budget(baseline_run):
    sizes = {p.name: p.stat().st_size for p in (baseline_run / "plots").glob("*.png")}
    assert len(sizes) == 7
    assert {name: size for name, size in sizes.items() if size > PNG_BUDGET} == {}


LONG = "A very long option label that names a plan, its date and the article it comes from (28-point plan pt 7)"


def test_study_figures_with_long_labels_and_many_series_are_readable():
    rows = [
        {"x": x, "quantities": [{"label": f"offer {k}: {LONG}", "p": p, "low": p / 2, "high": min(1, 2 * p)}
                                for k, p in enumerate([0.004 * x, 0.002, 0.001 * x] * 4)]}
        for x in (0.1, 0.2, 0.3)
    ]  # fmt: skip
    curves = study_plots.plot_sweep_curves(study_plots.sweep_curves_dataset(rows, "x"), "russia.reservation", LONG)
    assert layout_problems(curves) == []
    colours = {line.get_color() for line in curves.axes[0].get_lines()}
    assert len(colours) == len(curves.axes[0].get_lines()), "two series share a colour"
    tornado = plots.plot_tornado([(f"{LONG} {k}", -0.01 * k, 0.02) for k in range(30)], 0.05)
    assert layout_problems(tornado) == []
    data = np.random.default_rng(1).random((12, 3, 4)) * 0.1
    data[..., 1], data[..., 2], data[..., 3] = data[..., 0] * 0.5, data[..., 0] * 1.5, 0
    heat = study_plots.plot_runs_heatmap([f"{LONG} {k}" for k in range(12)], ["a", "b", "c"], data, LONG, "p")
    assert layout_problems(heat) == []
    assert heat.axes[0].images[0].get_clim()[1] < 0.5, "colour scale not fitted to values below 0.2"


def test_negotiation_figures_name_the_top_agreement_and_fit_their_axes():
    labels = ["#1: " + LONG, *(f"#{k}: alliance=neutral" for k in range(2, 12))]
    freq = talk_plots.plot_agreement_frequency(labels, [0.3] + [0.05] * 10)
    assert layout_problems(freq) == []
    versus = talk_plots.plot_agreements_vs_zone([0.0031, 0.0033, 0.0035], [0.01, 0.02, 0.015])
    assert layout_problems(versus) == []
    assert versus.axes[0].get_ylim()[0] == 0, "share axis must start at 0, not zoom into noise"
