"""Plots a reviewer asks for: convergence of the estimates, option pairs, who blocks each option, utility pairs.

As in ``sim.outputs.plots``: ``*_dataset`` functions prepare small arrays (from the run's tables, never from
millions of markers), ``plot_*`` functions only draw and return a Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.outputs.plots import RED_LINE, _axes, _titled, new_figure, plain_ticks, short_name, styled, wrap
from sim.zone.intervals import proportion_interval

CONVERGENCE_POINTS = 300
CONVERGENCE_SHOWN = 5
UTILITY_PAIR_PARTIES = 4  # the first four veto parties in scenario order: six panels, the table's main pairs
ZONE_SHADES = 12
PARTY_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f")
SOLUTION_STYLE = {
    "nash": ("*", "#d62728"),
    "kalai_smorodinsky": ("D", "#9467bd"),
    "egalitarian": ("s", "#ff7f0e"),
    "utilitarian": ("^", "#17becf"),
}


def convergence_dataset(hits: dict[str, np.ndarray]) -> dict[str, Any]:
    """Running estimate and 95 % interval after n samples, for each named series of per-sample hit bits; at most
    ``CONVERGENCE_POINTS`` values of n (log-spaced), so the plot costs the same for any sample count."""
    samples = len(next(iter(hits.values()))) if hits else 0
    n = np.unique(np.geomspace(1, max(samples, 1), CONVERGENCE_POINTS).astype(np.int64))
    series = {}
    for name, bits in hits.items():
        running = np.cumsum(bits.astype(np.int64))[n - 1]
        low, high = proportion_interval(running, n)
        series[name] = {"estimate": running / n, "lo": low, "hi": high}
    return {"n": n, "series": series}


@styled
def plot_convergence(dataset: dict[str, Any], ax: Axes | None = None, caption: str = "") -> Figure:
    """Running estimate (line) and its 95 % interval (band) against the number of samples used, for the first
    series (the headline) and the ``CONVERGENCE_SHOWN`` others with the highest final estimates: twenty overlaid
    bands blur into one colour, and an offer never in the zone has nothing to converge. The y axis follows the
    estimates once the first samples are past (the first few samples' intervals span 0-1)."""
    items = list(dataset["series"].items())
    head, rest = items[:1], sorted(items[1:], key=lambda item: -float(item[1]["estimate"][-1]))
    shown = head + [item for item in rest[:CONVERGENCE_SHOWN] if item[1]["estimate"][-1] > 0]
    left_out = len(items) - len(shown)
    fig, ax = _axes(ax, (9, 4.6))
    n = np.asarray(dataset["n"])
    start = n >= min(10, int(n[-1])) if n.size else n.astype(bool)  # below ten samples every interval is most of 0-1
    settled = n >= max(20, int(n[-1]) // 50) if n.size else n.astype(bool)
    top = 0.0
    for k, (name, s) in enumerate(shown):
        colour = PARTY_COLOURS[k % len(PARTY_COLOURS)]
        ax.plot(n[start], s["estimate"][start], color=colour, lw=1.6 if k == 0 else 1.1, label=wrap(name, 60))
        ax.fill_between(n[start], s["lo"][start], s["hi"][start], color=colour, alpha=0.18 if k == 0 else 0.1, lw=0)
        top = max(top, float(np.max(s["hi"][settled])) if settled.any() else 1.0)
    ax.set_xscale("log")
    plain_ticks(ax.xaxis)
    ax.set_ylim(0, min(1.0, max(0.01, 1.1 * top)))
    ax.set_xlabel("samples used (log scale)")
    ax.set_ylabel("running estimate (band: 95 % interval)")
    note = f"; {left_out} offers with lower estimates not drawn" if left_out else ""
    ax.set_title(_titled(f"Convergence: P(zone non-empty) and the leading offers{note}", caption), fontsize=9)
    ax.grid(color="#eee")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    fig.subplots_adjust(left=0.09, right=0.97, top=0.87, bottom=0.34)
    return fig


def choose_pair(marginals: list[dict[str, Any]]) -> tuple[str, str]:
    """The two issues whose options matter most: the largest spread of option marginals (ties: scenario order)."""
    spread: dict[str, list[float]] = {}
    for row in marginals:
        spread.setdefault(str(row["target"]).split(".")[0], []).append(float(row["p_complete"]))
    ranked = sorted(spread, key=lambda issue: -(max(spread[issue]) - min(spread[issue])))
    return ranked[0], ranked[1] if len(ranked) > 1 else ranked[0]


@dataclass(frozen=True)
class IssueAxis:
    """One issue on a figure's axis: its title, option ids and option labels (in the scenario's order)."""

    title: str
    ids: list[str]
    labels: list[str]


@dataclass(frozen=True)
class OptionPairs:
    """The option-pairs heatmap's data: ``matrix[row option, column option]``, the best zone probability of any
    package holding both options (0 where none is ever in the zone)."""

    rows: IssueAxis
    columns: IssueAxis
    matrix: np.ndarray


@dataclass(frozen=True)
class UtilityPairs:
    """The utility-pairs figure's data, one column per veto party drawn: expected utilities of ``background``
    (a seeded sample of packages), ``zone`` (the most likely zone packages, with ``zone_p``), ``frontier`` (the
    negotiation set), each solution's utilities, and each party's mean reservation."""

    parties: list[str]
    background: np.ndarray
    zone: np.ndarray
    zone_p: np.ndarray
    frontier: np.ndarray
    solutions: dict[str, list[float]]
    reservation: list[float]
    frontier_size: int | None = None  # the negotiation set's size when ``frontier`` holds an even subset of it


def option_pair_dataset(
    p_zone: np.ndarray, options_a: np.ndarray, options_b: np.ndarray, issue_a: IssueAxis, issue_b: IssueAxis
) -> OptionPairs:
    """Best zone probability of any package holding each pair of options (0 where none is ever in the zone).

    ``p_zone`` per zone package, ``options_a``, ``options_b`` its option indices on the two issues (positions in
    each issue's ``ids``: arrays, never one string per package).
    """
    matrix = np.zeros((len(issue_a.ids), len(issue_b.ids)))
    if len(p_zone):
        a, b = np.asarray(options_a, dtype=np.int64), np.asarray(options_b, dtype=np.int64)
        np.maximum.at(matrix, (a, b), np.asarray(p_zone, dtype=float))
    return OptionPairs(issue_a, issue_b, matrix)


def probability_text(value: float) -> str:
    """A probability in a cell: 0 as "0", small values with the digits that make them differ (0.0035, not 0.00)."""
    if value == 0:
        return "0"
    return f"{value:.2f}" if value >= 0.095 else f"{value:.2g}"


@styled
def plot_option_pairs(dataset: OptionPairs, ax: Axes | None = None, caption: str = "") -> Figure:
    """Heatmap over the options of two issues: the best package's zone probability with both options, the colour
    scale fitted to the largest value (stated on the bar)."""
    matrix = dataset.matrix
    largest = float(matrix.max()) if matrix.size else 0.0
    rows = [wrap(x, 30) for x in dataset.rows.labels]
    lines = max((row.count("\n") + 1 for row in rows), default=1)  # a row of five wrapped lines needs their room
    fig, ax = _axes(ax, (3.4 + 1.5 * matrix.shape[1], 2.2 + max(0.55, 0.12 * lines) * matrix.shape[0]))
    image = ax.imshow(matrix, vmin=0, vmax=largest if largest > 0 else 1.0, cmap="viridis", aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), [wrap(x, 16) for x in dataset.columns.labels], fontsize=7)
    ax.set_yticks(range(matrix.shape[0]), rows, fontsize=7)
    ax.set_xlabel(wrap(dataset.columns.title, 60))
    ax.set_ylabel(wrap(dataset.rows.title, 30))
    for (r, c), value in np.ndenumerate(matrix):
        colour = "white" if value < 0.5 * largest or largest == 0 else "black"
        ax.text(c, r, probability_text(value), ha="center", va="center", fontsize=7, color=colour)
    title = "Best package's P(zone) holding both options" + ("" if largest > 0 else ": no pair is ever in the zone")
    ax.set_title(_titled(title, caption), fontsize=9)
    scale = f"zone probability (scale 0 to {probability_text(largest)})" if largest > 0 else "zone probability"
    fig.colorbar(image, ax=ax, fraction=0.04, label=wrap(scale, 24))  # a long scale must not leave the canvas
    fig.tight_layout()
    return fig


def blockers_dataset(
    marginals: list[dict[str, Any]], veto: list[str], names: dict[str, str], issue_titles: dict[str, str]
) -> dict[str, Any]:
    """Per option: each veto party's share of samples rejecting the option's best (or closest) completion, split
    into red line (the party red-lines the option itself: it rejects every package with it) and reservation."""
    labels, reservation, red, notes = [], [], [], []
    for row in marginals:
        issue = str(row["target"]).split(".")[0]
        labels.append(f"{issue_titles.get(issue, issue)}: {row['label']}")
        red_by = set(str(row.get("red_lined_by") or "").split(","))
        has_completion = row.get("completion") != "none"
        reject = [1.0 - float(row[f"p_accept_{p}"]) if has_completion else 0.0 for p in veto]
        red.append([1.0 if p in red_by else 0.0 for p in veto])
        notes.append("" if has_completion or any(p in red_by for p in veto) else "never in the zone")
        reservation.append([0.0 if p in red_by else r for p, r in zip(veto, reject, strict=True)])
    return {
        "labels": labels,
        "parties": [names.get(p, p) for p in veto],
        "reservation": np.array(reservation).reshape(len(labels), len(veto)),
        "red_line": np.array(red).reshape(len(labels), len(veto)),
        "notes": notes,
    }


@styled
def plot_blockers(dataset: dict[str, Any], ax: Axes | None = None, caption: str = "") -> Figure:
    """Options x veto parties: how often each party rejects the option's best (or closest) completion. A cell is a
    probability on its own (rejections overlap, so they are never stacked); a party that red-lines the option
    itself is marked "red line" (it rejects every package holding it)."""
    labels, parties = dataset["labels"], [wrap(p.split(" (")[0], 12) for p in dataset["parties"]]
    reject = np.asarray(dataset["reservation"], dtype=float).reshape(len(labels), len(parties))
    red = np.asarray(dataset["red_line"], dtype=float).reshape(len(labels), len(parties)) > 0
    notes = dataset.get("notes") or [""] * len(labels)
    rows = [wrap(label + (f" [{note}]" if note else ""), 70) for label, note in zip(labels, notes, strict=True)]
    lines = sum(max(1, row.count("\n") + 1) for row in rows)  # a label of three wrapped lines needs three lines' room
    fig, ax = _axes(
        ax, (6.8 + 0.75 * len(parties), 1.9 + 0.25 * max(len(labels), 1) + 0.09 * max(0, lines - len(rows)))
    )
    shown = np.where(red, 1.0, reject)
    ax.imshow(shown if shown.size else np.zeros((1, 1)), vmin=0, vmax=1, cmap="Reds", aspect="auto")
    for (r, c), value in np.ndenumerate(reject):
        if red[r, c]:
            text, ink = "red line", "white"
        elif notes[r]:
            text, ink = "", "black"
        else:
            text, ink = probability_text(value), "white" if value > 0.6 else "black"
        ax.text(c, r, text, ha="center", va="center", fontsize=6, color=ink)
    ax.set_xticks(range(len(parties)), parties, fontsize=7)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(labels)), rows, fontsize=6)
    ax.set_xlabel(
        "P(party rejects the option's best or closest completion); 'red line': it rejects any package with it"
    )
    ax.set_title(_titled("Who blocks each option", caption), fontsize=9, pad=28)
    fig.tight_layout()
    return fig


@styled
def plot_utility_pairs(dataset: UtilityPairs, ax: Sequence[Axes] | None = None, caption: str = "") -> Figure:
    """Each pair of the first ``UTILITY_PAIR_PARTIES`` veto parties (the table's main actors; 28 panels for eight
    parties made a 1.4 MB image nobody reads): sampled packages (grey), zone packages (by p_zone), frontier, solutions.

    The colour scale runs over the zone probabilities present, in ``ZONE_SHADES`` steps; solutions that fall on
    the same package share one marker whose legend names all of them, so none hides another. Point clouds are
    drawn as rasterized markers of one style per call (Agg stamps one marker image; a scatter of per-point styles
    costs a path per point: seconds over tens of panels of thousands of points).
    """
    parties = dataset.parties
    drawn = min(len(parties), UTILITY_PAIR_PARTIES)
    pairs = [(a, b) for a in range(drawn) for b in range(a + 1, drawn)]
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    if ax is None:
        fig, grid = new_figure((4.6 * cols, 4.2 * rows + 0.8), rows, cols, squeeze=False)
        axes = list(grid.flat)
    else:  # the caller's axes, one per pair
        axes = list(ax)
        fig = axes[0].figure
    zone = dataset.zone
    top = float(np.max(dataset.zone_p)) if len(zone) else 1.0
    shades = zone_shades(np.asarray(dataset.zone_p, dtype=float), top)
    colours = matplotlib.colormaps["viridis"]
    merged: dict[tuple[float, ...], list[str]] = {}
    for name, utilities in dataset.solutions.items():
        merged.setdefault(tuple(round(u, 9) for u in utilities), []).append(name)
    frontier_label = "negotiation set (efficient, acceptable)"
    if dataset.frontier_size is not None and dataset.frontier_size > len(dataset.frontier):
        frontier_label += f": {len(dataset.frontier):,} of {dataset.frontier_size:,} drawn"
    for ax, (a, b) in zip(axes, pairs, strict=False):
        back = dataset.background
        # layers, bottom up: sampled packages, the negotiation set's rings, the zone's dots (a large set's rings once
        # covered every zone dot), the solutions
        ax.plot(back[:, a], back[:, b], ls="none", marker="o", ms=1.4, mew=0, color="#cccccc", rasterized=True,
                label="packages (random sample)", zorder=1.8)  # fmt: skip
        for k, (level, rows_at) in enumerate(shades):
            ax.plot(zone[rows_at, a], zone[rows_at, b], ls="none", marker="o", ms=2.4, mew=0,
                    color=colours(level / top if top > 0 else 0.0), rasterized=True,
                    label="in zone (colour: p_zone)" if k == len(shades) - 1 else "_zone")  # fmt: skip
        if len(zone) and a == 0 and b == 1:
            scale = ScalarMappable(norm=Normalize(0, top), cmap=colours)
            fig.colorbar(scale, ax=ax, fraction=0.046, pad=0.03, label=f"zone probability (max {top:.3g})")
        front = dataset.frontier
        ax.plot(front[:, a], front[:, b], ls="none", marker="o", ms=3.2, mfc="none", mec="black", mew=0.6,
                rasterized=True, label=frontier_label, zorder=1.9)  # fmt: skip
        stack = list(merged.items())[::-1]  # the Nash star, thinnest, last and on top: each marker is drawn
        for k, (utilities, names) in enumerate(stack):  # smaller than the one under it, so neighbours stay visible
            marker, colour = SOLUTION_STYLE.get(names[0], ("o", RED_LINE))
            ax.scatter(
                [utilities[a]], [utilities[b]], marker=marker, s=70 + 30 * (len(stack) - 1 - k), c=colour,
                edgecolors="black", lw=0.7, label=" = ".join(n.replace("_", "–") for n in names), zorder=5 + k,
            )  # fmt: skip
        ax.axvline(dataset.reservation[a], color=RED_LINE, lw=0.6, ls=":")
        ax.axhline(dataset.reservation[b], color=RED_LINE, lw=0.6, ls=":")
        ax.set_xlabel(wrap(f"{short_name(parties[a])} expected utility", 34))
        ax.set_ylabel(wrap(f"{short_name(parties[b])} expected utility", 34))
        ax.xaxis.set_major_locator(MaxNLocator(5))  # ticks cost most of this figure's drawing: 5 per axis read fine
        ax.yaxis.set_major_locator(MaxNLocator(5))
    for ax in axes[len(pairs) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if "in zone (colour: p_zone)" in labels:  # the legend shows a mid-scale shade, not the top one
        at = labels.index("in zone (colour: p_zone)")
        handles[at] = Line2D([], [], ls="none", marker="o", ms=3.5, mew=0, color=colours(0.5))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, markerscale=1.2)
    fig.suptitle(
        _titled(
            f"Expected utilities, pair by pair, of the first {drawn} veto parties (dotted: mean reservations)", caption
        ),
        fontsize=10,
        y=1 - 0.2 / fig.get_figheight(),
    )
    # fixed margins: tight_layout over ten panels costs a quarter of the plot's time and gains nothing here
    height = fig.get_figheight()  # margins in inches: title above, last x labels and the legend below
    fig.subplots_adjust(left=0.07, right=0.98, bottom=1.5 / height, top=1 - 1.0 / height, wspace=0.48, hspace=0.32)
    return fig


def zone_shades(p_zone: np.ndarray, top: float) -> list[tuple[float, np.ndarray]]:
    """Zone points grouped into ``ZONE_SHADES`` steps of p_zone (each step drawn at its upper end), lowest first
    so the most likely packages are drawn on top."""
    if p_zone.size == 0:
        return []
    edges = np.linspace(0.0, top, ZONE_SHADES + 1)
    step = np.clip(np.searchsorted(edges, p_zone, side="left") - 1, 0, ZONE_SHADES - 1)
    return [(float(edges[k + 1]), np.flatnonzero(step == k)) for k in range(ZONE_SHADES) if (step == k).any()]
