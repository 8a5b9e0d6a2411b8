"""Plot structure (titles, labels, legend entries), not pixels."""

from __future__ import annotations

import numpy as np
import pytest

from sim.outputs.plots import marginal_dataset, offer_dataset, plot_offer_acceptance, plot_option_marginals
from sim.outputs.plots_review import (
    IssueAxis,
    UtilityPairs,
    blockers_dataset,
    convergence_dataset,
    option_pair_dataset,
    plot_blockers,
    plot_convergence,
    plot_option_pairs,
    plot_utility_pairs,
    zone_shades,
)
from sim.zone.intervals import proportion_interval
from tests.conftest import ROOT

CAPTION = "demo · run r1 · 100 samples, seed 1"


def _option(target: str, p: float, red: str = "") -> dict:
    low, high = proportion_interval(round(p * 100), 100)
    return {
        "target": target,
        "label": target.upper(),
        "p_complete": p,
        "p_complete_lo": float(low),
        "p_complete_hi": float(high),
        "red_lined_by": red,
        "completion": "best" if p else "none",
        "p_accept_a": 0.5,
        "p_accept_b": 1.0,
    }


def test_zone_by_option_tells_a_red_line_from_never_in_the_zone():
    rows = [_option("x.one", 0.4), _option("x.two", 0.0, red="a"), _option("x.three", 0.0)]
    dataset = marginal_dataset(rows, {"x": "Issue X"}, {"a": "Alpha"})
    notes = [bar["note"] for bar in dataset["Issue X"]]
    assert notes == ["", "red line: Alpha", "never in the zone"]
    fig = plot_option_marginals(dataset, caption=CAPTION)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"red line: Alpha", "never in the zone"} <= texts
    assert CAPTION in fig.axes[0].get_title()
    bold = [tick.get_text() for tick in fig.axes[0].get_yticklabels() if tick.get_fontweight() == "bold"]
    assert bold == ["Issue X"]


def test_offer_heatmap_labels_closest_completions_and_non_veto_parties():
    rows = [
        {"label": "Deal", "completion": "closest", "p_complete": 0.0, "p_accept_a": 0.2, "p_accept_m": 1.0},
        {"label": "Other", "completion": "best", "p_complete": 0.3, "p_accept_a": 0.9, "p_accept_m": 1.0},
    ]
    labels, columns, matrix = offer_dataset(rows, ["a", "m"], ["Alpha", "Med (mediator, no veto)"])
    assert "closest completion" in labels[0] and "closest" not in labels[1]
    assert "no veto" in columns[2].replace("\n", " ")
    fig = plot_offer_acceptance(labels, columns, matrix, caption=CAPTION)
    assert CAPTION in fig.axes[0].get_title() and matrix.shape == (2, 3)


def test_convergence_ends_at_the_full_estimate_with_its_interval():
    bits = np.random.default_rng(0).random(1000) < 0.3
    dataset = convergence_dataset({"P(zone non-empty)": bits})
    series = dataset["series"]["P(zone non-empty)"]
    assert dataset["n"][-1] == 1000 and len(dataset["n"]) <= 300
    assert series["estimate"][-1] == bits.mean()
    assert series["lo"][-1] < bits.mean() < series["hi"][-1]
    fig = plot_convergence(dataset, caption=CAPTION)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["P(zone non-empty)"]
    assert fig.axes[0].get_xlabel() == "samples used (log scale)"


def test_convergence_draws_the_headline_and_only_the_leading_offers():
    rng = np.random.default_rng(0)
    hits = {"P(zone non-empty)": rng.random(500) < 0.3}
    hits.update({f"offer {k}": np.arange(500) < 5 * k for k in range(12)})  # offer k: 5k hits of 500
    fig = plot_convergence(convergence_dataset(hits), caption=CAPTION)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == "P(zone non-empty)" and legend[1:] == ["offer 11", "offer 10", "offer 9", "offer 8", "offer 7"]
    assert "7 offers with lower estimates not drawn" in fig.axes[0].get_title()


def test_option_pairs_take_the_best_package_per_pair():
    issue_a = IssueAxis("A", ["a0", "a1"], ["A zero", "A one"])
    issue_b = IssueAxis("B", ["b0", "b1", "b2"], ["B0", "B1", "B2"])
    dataset = option_pair_dataset(np.array([0.2, 0.5, 0.1]), np.array([0, 0, 1]), np.array([1, 1, 2]), issue_a, issue_b)
    assert np.array_equal(dataset.matrix, [[0, 0.5, 0], [0, 0, 0.1]])
    fig = plot_option_pairs(dataset, caption=CAPTION)
    assert fig.axes[0].get_xlabel() == "B" and fig.axes[0].get_ylabel() == "A"


def test_blockers_split_red_lines_from_reservations():
    rows = [_option("x.one", 0.4), _option("x.two", 0.0, red="a")]
    dataset = blockers_dataset(rows, ["a", "b"], {"a": "Alpha", "b": "Beta"}, {"x": "X"})
    assert dataset["red_line"].tolist() == [[0, 0], [1, 0]]
    assert dataset["reservation"].tolist() == [[0.5, 0.0], [0.0, 0.0]]
    fig = plot_blockers(dataset, caption=CAPTION)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Alpha", "Beta"]
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells == ["0.50", "0", "red line", "0"]  # a probability per cell, never stacked across parties


def test_utility_pairs_merge_coinciding_solutions_and_scale_colours_to_the_data():
    dataset = UtilityPairs(
        parties=["A", "B", "C"],
        background=np.random.default_rng(1).random((50, 3)),
        zone=np.random.default_rng(2).random((5, 3)),
        zone_p=np.array([0.1, 0.2, 0.36, 0.05, 0.3]),
        frontier=np.random.default_rng(3).random((4, 3)),
        solutions={"nash": [0.5, 0.5, 0.5], "kalai_smorodinsky": [0.5, 0.5, 0.5], "utilitarian": [0.6, 0.4, 0.5]},
        reservation=[0.3, 0.3, 0.3],
    )
    fig = plot_utility_pairs(dataset, caption=CAPTION)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "nash = kalai–smorodinsky" in labels and "utilitarian" in labels
    colorbar = next(ax for ax in fig.axes if ax.get_ylabel().startswith("zone probability"))
    assert colorbar.get_ylim()[1] == 0.36


def test_a_large_negotiation_set_is_drawn_as_an_even_subset_and_says_so(monkeypatch):
    """At 3^19 the negotiation set's 20,411 black outlines hid every zone dot: beyond FRONTIER_POINTS the figure draws
    an even subset (its first and last points kept) and its legend says how many of how many."""
    import sim.outputs.zonefigures as zonefigures
    from sim.api import load, zone

    analysis = zone(load(ROOT / "scenarios" / "baseline.yaml"), samples=100, seed=3)
    full = zonefigures.ZoneFigures(analysis, CAPTION).utility_pairs_dataset()
    assert full.frontier_size == len(full.frontier) > 3  # the baseline's set is small: all of it drawn
    monkeypatch.setattr(zonefigures, "FRONTIER_POINTS", len(full.frontier) // 3)
    cut = zonefigures.ZoneFigures(analysis, CAPTION).utility_pairs_dataset()
    assert len(cut.frontier) == len(full.frontier) // 3 and cut.frontier_size == len(full.frontier)
    assert (cut.frontier[0] == full.frontier[0]).all() and (cut.frontier[-1] == full.frontier[-1]).all()
    labels = [t.get_text() for t in plot_utility_pairs(cut, caption=CAPTION).legends[0].get_texts()]
    assert f"negotiation set (efficient, acceptable): {len(cut.frontier):,} of {len(full.frontier):,} drawn" in labels


def test_zone_shades_hold_every_zone_point_once_lowest_first():
    p_zone = np.array([0.1, 0.2, 0.36, 0.05, 0.3, 0.36, 0.0001])
    shades = zone_shades(p_zone, 0.36)
    rows = np.concatenate([at for _, at in shades])
    assert sorted(rows.tolist()) == list(range(p_zone.size))
    levels = [level for level, _ in shades]
    assert levels == sorted(levels) and levels[-1] == 0.36
    for level, at in shades:  # each point is drawn at the upper end of its step, never below its own p_zone
        assert (p_zone[at] <= level + 1e-12).all() and (p_zone[at] > level - 0.36 / 12 - 1e-12).all()
    assert zone_shades(np.zeros(0), 1.0) == []


def _bar_figure(height: float):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.bar(["a"], [height])
    return figure


def _broken_figure():
    raise ValueError("a plotting bug")


def test_figures_drawn_in_two_processes_are_all_written_and_a_failure_surfaces(tmp_path):
    """Each list is drawn in a forked child: every file appears, and a child's error is raised here."""
    from sim.outputs.drawing import start_drawing

    start_drawing([[(lambda: _bar_figure(1), "a.png")], [(lambda: _bar_figure(2), "b.png")]], tmp_path).finish()
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="a plotting bug"):
        start_drawing([[(lambda: _bar_figure(1), "c.png")], [(_broken_figure, "d.png")]], tmp_path).finish()
    assert (tmp_path / "c.png").exists() and not (tmp_path / "d.png").exists()
