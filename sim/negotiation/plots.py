"""Figures for repeated negotiations: what is agreed, how fast, how aspirations move, and versus the zone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outputs.figure_choice import Figures
from sim.outputs.plots import _axes, new_figure, save_figure, styled, wrap
from sim.scenario.model import Scenario


def agreement_labels(summary: dict[str, Any], scenario: Scenario, width: int = 4) -> list[str]:
    """Short labels for the top agreements: the options that differ from the most frequent agreement."""
    top = summary["top_agreements"]
    if not top:
        return []
    reference = top[0]["options"]
    labels = ["#1: " + ", ".join(f"{k}={v}" for k, v in reference.items())]  # the reference named in full
    for rank, item in enumerate(top[1:], start=2):
        differing = [f"{k}={v}" for k, v in item["options"].items() if v != reference[k]][:width]
        labels.append(f"#{rank}: " + (", ".join(differing) if differing else "same as #1"))
    return labels


@styled
def plot_agreement_frequency(labels: list[str], shares: list[float], ax: Axes | None = None) -> Figure:
    wrapped = [wrap(label, 70) for label in labels]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    fig, ax = _axes(ax, (10, 1.3 + 0.16 * lines + 0.12 * len(labels)))
    ax.barh(range(len(labels)), shares, color="#3b7dd8", label="share of runs")
    ax.set_yticks(range(len(labels)), wrapped, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("share of runs ending in this agreement")
    ax.set_title("Most frequent agreements (#1 in full; the others: options differing from #1)", fontsize=10)
    fig.tight_layout()
    return fig


@styled
def plot_rounds_histogram(histogram: list[int], ax: Axes | None = None) -> Figure:
    fig, ax = _axes(ax, (7, 3.4))
    ax.bar(range(len(histogram)), histogram, color="#3b7dd8", label="agreements")
    ax.set_xlabel("round of agreement")
    ax.set_ylabel("runs")
    ax.set_title("Rounds to agreement", fontsize=10)
    fig.tight_layout()
    return fig


@styled
def plot_aspiration_paths(rows: list[dict[str, Any]], ax: Axes | None = None) -> Figure:
    """One traced run: each party's aspiration by round, and its utility of the offer on the table."""
    fig, ax = _axes(ax, (7, 3.8))
    for party in sorted({row["party"] for row in rows}):
        mine = [row for row in rows if row["party"] == party]
        line = ax.plot([r["round"] for r in mine], [r["aspiration"] for r in mine], label=f"{party} aspiration")
        ax.scatter([r["round"] for r in mine], [r["offer_utility"] for r in mine], s=8, color=line[0].get_color())
    ax.set_xlabel("round")
    ax.set_ylabel("utility")
    ax.set_title("Aspiration paths of traced run 0 (dots: utility of the offer on the table)", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


@styled
def plot_agreements_vs_zone(shares: list[float], p_zone: list[float], ax: Axes | None = None) -> Figure:
    fig, ax = _axes(ax, (5.5, 4.2))
    ax.scatter(p_zone, shares, color="#d62728", label="agreed package")
    ax.set_xlabel("Monte-Carlo zone probability of the package")
    ax.set_ylabel("share of runs agreeing on it")
    # both axes from 0 (a zoom into 0.0031-0.0035 made noise look like a trend), to the data's range
    ax.set_xlim(0, min(1.0, max(0.01, 1.15 * max(p_zone, default=0.0))))
    ax.set_ylim(0, min(1.0, max(0.01, 1.15 * max(shares, default=0.0))))
    ax.set_title("Agreements against the zone", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def talks_vs_zone_dataset(summary: dict[str, Any]) -> tuple[list[str], list[float], list[list[float]]]:
    """Bars (label, share) with their 95 % interval half-widths below and above."""
    versus = summary["talks_vs_zone"]
    keys = [("zone_exists", "a zone exists"), ("agreed", "talks agree"), ("failed_with_zone", "fail with a zone")]
    shares = [versus[key]["share"] for key, _ in keys]
    errors = [
        [versus[key]["share"] - versus[key]["low"] for key, _ in keys],
        [versus[key]["high"] - versus[key]["share"] for key, _ in keys],
    ]
    return [label for _, label in keys], shares, errors


@styled
def plot_talks_vs_zone(summary: dict[str, Any], ax: tuple[Axes, Axes] | None = None) -> Figure:
    """Left: zone / agreement / missed-zone shares of runs; right: cumulative agreement rate by round."""
    labels, shares, errors = talks_vs_zone_dataset(summary)
    if ax is None:
        fig, (left, right) = new_figure((10, 3.6), 1, 2)
    else:
        left, right = ax
        fig = left.figure
    left.bar(labels, shares, yerr=errors, capsize=4, color=["#7f7f7f", "#2ca02c", "#d62728"], label="share of runs")
    left.set_ylim(0, 1)
    left.set_ylabel("share of runs (95 % interval)")
    left.set_title("Talks versus each run's own zone", fontsize=10)
    by_round = summary["agreement_rate_by_round"]
    right.step(range(len(by_round)), by_round, where="post", color="#3b7dd8", label="agreed by this round")
    right.axhline(summary["talks_vs_zone"]["zone_exists"]["share"], color="#7f7f7f", ls="--", label="zone exists")
    right.set_xlabel("round")
    right.set_ylabel("share of runs")
    right.set_ylim(0, 1)
    right.set_title("Agreement rate by round", fontsize=10)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def write_negotiation_plots(
    run_dir: Path, scenario: Scenario, summary: dict[str, Any], figures: Figures = Figures.all
) -> None:
    """Draw the figures ``figures`` asks for into ``run_dir/plots``."""
    top = summary["top_agreements"]
    plots = run_dir / "plots"
    if figures.draws("agreement_frequency.png"):
        save_figure(
            plot_agreement_frequency(agreement_labels(summary, scenario), [t["share"] for t in top]),
            plots / "agreement_frequency.png",
        )
    if figures.draws("rounds_histogram.png"):
        save_figure(plot_rounds_histogram(summary["rounds_histogram"]), plots / "rounds_histogram.png")
    if figures.draws("aspiration_paths.png"):
        traced = pq.read_table(run_dir / "rounds.parquet", filters=[("run", "=", 0)]).to_pylist()
        if traced:
            save_figure(plot_aspiration_paths(traced), plots / "aspiration_paths.png")
    if figures.draws("agreements_vs_zone.png"):
        save_figure(
            plot_agreements_vs_zone([t["share"] for t in top], [t["p_zone"] for t in top]),
            plots / "agreements_vs_zone.png",
        )
    if summary.get("talks_vs_zone") and figures.draws("talks_vs_zone.png"):
        save_figure(plot_talks_vs_zone(summary), plots / "talks_vs_zone.png")
