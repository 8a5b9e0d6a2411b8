"""Figures over many runs: structure (titles, labels, legend entries), not pixels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sim.studies.compare import Cell
from sim.studies.plots import (
    compare_dataset,
    plot_compare_marginals,
    plot_runs_heatmap,
    plot_sweep_curves,
    plot_sweep_heatmap,
    sweep_curves_dataset,
    sweep_grid_dataset,
)


def _cells() -> list[Cell]:
    cells = []
    for run, shift, flag in (("base", 0.0, False), ("variant", 0.2, True)):
        for i, label in enumerate(["Land: split", "Land: A keeps"]):
            p = 0.3 + shift * (i == 0)
            cells.append(Cell(f"land.{i}", "option", label, run, p, p - 0.05, p + 0.05, beyond_noise=flag and i == 0))
    return cells


def test_compare_marginals_show_every_run_and_mark_changes():
    labels, runs, data = compare_dataset(_cells(), "option")
    assert labels == ["Land: split", "Land: A keeps"] and runs == ["base", "variant"]
    assert data[0, 1, 3] == 1 and data[1, 1, 3] == 0
    fig = plot_compare_marginals(labels, runs, data, "Zone probability by option: base vs variant")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"base", "variant", "differs from first run beyond noise"} <= set(legend)
    assert "base vs variant" in fig._suptitle.get_text()
    plt.close(fig)


def test_runs_heatmap_names_runs_and_explains_the_star():
    fig = plot_runs_heatmap(*compare_dataset(_cells(), "option"), title="Offers", what="probability")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["base", "variant"]
    assert "beyond Monte-Carlo noise" in ax.get_title()
    assert any("*" in t.get_text() for t in ax.texts)
    plt.close(fig)


def _sweep_rows(grid: bool) -> list[dict]:
    rows = []
    for i, (x, y) in enumerate([(0.4, 0.1), (0.4, 0.2), (0.6, 0.1), (0.6, 0.2)] if grid else [(0.4, 0), (0.6, 0)]):
        quantities = [
            {"quantity": "p_zone_nonempty", "label": "P(zone non-empty)", "p": 1 - x, "low": 0.3, "high": 0.7},
            {"quantity": "deal", "label": "offer: Deal", "p": 0.0, "low": 0.0, "high": 0.01},
        ]
        rows.append({"point": i, "a.x": x, "b.y": y, "quantities": quantities})
    return rows


def test_sweep_curves_label_the_axis_and_offers_that_never_complete():
    fig = plot_sweep_curves(sweep_curves_dataset(_sweep_rows(False), "a.x"), "a.x", "golden")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "a.x" and "95 % interval" in ax.get_ylabel() and "golden" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "P(zone non-empty)",
        "offer: Deal (0 at every point)",
    ]
    plt.close(fig)


def test_sweep_heatmap_has_both_parameters_and_each_cell_its_interval():
    dataset = sweep_grid_dataset(_sweep_rows(True), ["a.x", "b.y"], "P(zone non-empty)")
    assert dataset["grid"].shape == (2, 2, 3) and np.allclose(dataset["grid"][:, 0, 0], 0.6)
    fig = plot_sweep_heatmap(dataset, ["a.x", "b.y"], "golden")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a.x", "b.y")
    assert len(ax.texts) == 4 and all("[" in t.get_text() for t in ax.texts)
    plt.close(fig)
