"""Figures over many runs: compare overlays (option marginals, offers x runs) and sweep curves and heatmaps.

As in ``sim.outputs.plots``, each ``*_dataset`` function prepares numbers and each ``plot_*`` only draws them and
returns a :class:`~matplotlib.figure.Figure`, so tests check structure (titles, labels, legends), not pixels.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.outputs.plots import _axes, styled
from sim.studies.compare import Cell

COLOURS = matplotlib.colormaps["tab10"].colors


def series_colours(count: int) -> list[Any]:
    """One distinct colour per series: the headline black, then tab10, tab20's light halves, then a sampled map
    (two series in one colour read as one; the sweep once drew P(zone non-empty) and an offer both blue)."""
    palette = ["black", *COLOURS, *matplotlib.colormaps["tab20"].colors[1::2]]
    if count <= len(palette):
        return palette[:count]
    return palette + [matplotlib.colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, count - len(palette))]


def fitted_top(values: np.ndarray) -> float:
    """The colour scale's top: 1 when values reach past one half, else the largest value (rounded up to 0.05): a
    0-1 scale makes every value below 0.2 the same colour."""
    finite = values[np.isfinite(values)]
    largest = float(finite.max()) if finite.size else 0.0
    return 1.0 if largest > 0.5 else max(0.05, float(np.ceil(largest * 20) / 20))


def _wrap(label: str, width: int) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _ink(share_of_scale: float) -> str:
    """Text colour readable on viridis at this share of its scale: white on the dark half, black on the light."""
    return "white" if share_of_scale < 0.55 else "black"


def compare_dataset(cells: list[Cell], kind: str) -> tuple[list[str], list[str], np.ndarray]:
    """Quantity labels, run names and ``[quantity, run, (p, low, high, beyond_noise)]`` (NaN where absent)."""
    labels = list(dict.fromkeys(c.label for c in cells if c.kind == kind))
    runs = list(dict.fromkeys(c.run for c in cells))
    data = np.full((len(labels), len(runs), 4), np.nan)
    for c in cells:
        if c.kind == kind:
            data[labels.index(c.label), runs.index(c.run)] = (c.p, c.low, c.high, float(c.beyond_noise))
    return labels, runs, data


@styled
def plot_compare_marginals(
    labels: list[str], runs: list[str], data: np.ndarray, title: str, ax: Axes | None = None
) -> Figure:
    """Every option's marginal in every run on one chart: a dot per run with its 95 % interval."""
    height = 1.4 + 0.24 * len(labels) * max(1, min(len(runs), 3)) / 1.6
    fig, ax = _axes(ax, (10, max(3.0, height)))
    rows = np.arange(len(labels))
    offsets = (np.arange(len(runs)) - (len(runs) - 1) / 2) * min(0.7 / max(len(runs), 1), 0.25)
    for r, run in enumerate(runs):
        p, low, high, flag = data[:, r, 0], data[:, r, 1], data[:, r, 2], data[:, r, 3] == 1
        ax.errorbar(
            p,
            rows + offsets[r],
            xerr=np.vstack([p - low, high - p]),
            fmt="o",
            ms=3.5,
            lw=0.9,
            color=COLOURS[r % len(COLOURS)],
            label=run,
        )
        if flag.any():
            ax.scatter(p[flag], rows[flag] + offsets[r], s=60, facecolors="none", edgecolors="black", lw=0.8)
    if len(runs) > 1:
        ax.scatter([], [], s=60, facecolors="none", edgecolors="black", label="differs from first run beyond noise")
    ax.set_yticks(rows, [_wrap(label, 70) for label in labels], fontsize=6.5)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(-0.02, 1.02)
    ax.grid(axis="x", color="#eee")
    ax.set_xlabel("P(some package with this option is in the zone), 95 % interval")
    ax.tick_params(axis="x", labeltop=len(labels) > 20)  # a tall chart gets its scale at the top too
    top = 1 - 0.75 / fig.get_figheight()
    fig.suptitle(_wrap(title, 100), fontsize=10, y=1 - 0.12 / fig.get_figheight())
    fig.legend(
        *ax.get_legend_handles_labels(),
        fontsize=8,
        loc="upper center",
        ncol=3,
        bbox_to_anchor=(0.5, 1 - 0.4 / fig.get_figheight()),
    )
    fig.tight_layout(rect=(0, 0, 1, top))
    return fig


@styled
def plot_runs_heatmap(
    labels: list[str], runs: list[str], data: np.ndarray, title: str, what: str, ax: Axes | None = None
) -> Figure:
    """Quantities x runs heatmap of probabilities; a cell beyond noise from the first run is outlined and starred."""
    fig, ax = _axes(ax, (3.5 + 1.6 * len(runs), 1.5 + 0.5 * max(len(labels), 1)))
    values = data[:, :, 0] if data.size else np.zeros((1, max(len(runs), 1)))
    top = fitted_top(values)
    image = ax.imshow(values, vmin=0, vmax=top, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(runs)), [_wrap(run, 22) for run in runs], fontsize=8)
    ax.set_yticks(range(len(labels)), [_wrap(label, 45) for label in labels], fontsize=8)
    for (r, c), value in np.ndenumerate(values if data.size else np.zeros((0, 0))):
        if np.isnan(value):
            ax.text(c, r, "absent", ha="center", va="center", fontsize=7, color="#666")
            continue
        star = " *" if data[r, c, 3] == 1 else ""
        text = f"{value:.2f}{star}\n[{data[r, c, 1]:.2f}, {data[r, c, 2]:.2f}]"
        ax.text(c, r, text, ha="center", va="center", fontsize=7, color=_ink(value / top))
    ax.set_title(_wrap(title, 80) + "\n(* differs from the first run beyond Monte-Carlo noise)", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04, label=f"{what} (scale 0 to {top:g})")
    fig.tight_layout()
    return fig


def sweep_curves_dataset(rows: list[dict[str, Any]], parameter: str) -> dict[str, Any]:
    """For a 1-D sweep: x values and, per quantity label, (p, low, high) arrays in x order."""
    order = np.argsort([row[parameter] for row in rows], kind="stable")
    x = np.array([rows[i][parameter] for i in order], dtype=float)
    series: dict[str, np.ndarray] = {}
    for label in dict.fromkeys(row["label"] for row in rows[0]["quantities"]):
        series[label] = np.array(
            [[q["p"], q["low"], q["high"]] for i in order for q in rows[i]["quantities"] if q["label"] == label]
        )
    return {"x": x, "series": series}


@styled
def plot_sweep_curves(dataset: dict[str, Any], parameter: str, title: str, ax: Axes | None = None) -> Figure:
    """P(zone non-empty) and each offer's P(completion) against the swept value, with 95 % bands."""
    series = list(dataset["series"].items())
    names = [_wrap(label + (" (0 at every point)" if values[:, 0].max() == 0 else ""), 55) for label, values in series]
    legend_lines = sum(name.count("\n") + 1 for name in names[::2]) + 1
    fig, ax = _axes(ax, (9, 4.2 + 0.14 * legend_lines))
    for colour, name, (_, values) in zip(series_colours(len(series)), names, series, strict=True):
        headline = colour == "black"
        ax.plot(dataset["x"], values[:, 0], "-" if headline else "--", marker="o", ms=3.5, color=colour, label=name,
                lw=2.0 if headline else 1.3)  # fmt: skip
        ax.fill_between(dataset["x"], values[:, 1], values[:, 2], color=colour, alpha=0.12, lw=0)
    ax.set_xlabel(parameter)
    ax.set_ylabel("probability (band: 95 % interval)")
    highest = max((float(np.nanmax(values[:, 2])) for _, values in series), default=1.0)
    ax.set_ylim(0, min(1.0, max(0.02, 1.1 * highest)))
    ax.grid(color="#eee")
    ax.set_title(_wrap(f"P(zone non-empty) and each offer's P(completion in zone): {title}", 100), fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    fig.tight_layout()  # counts the legend below the axes (matplotlib >= 3.8)
    return fig


def sweep_grid_dataset(rows: list[dict[str, Any]], parameters: list[str], label: str) -> dict[str, Any]:
    """For a 2-D sweep and one quantity: the two axes' values and ``[y, x, (p, low, high)]``."""
    xs = sorted({row[parameters[0]] for row in rows})
    ys = sorted({row[parameters[1]] for row in rows})
    grid = np.full((len(ys), len(xs), 3), np.nan)
    for row in rows:
        q = next(q for q in row["quantities"] if q["label"] == label)
        grid[ys.index(row[parameters[1]]), xs.index(row[parameters[0]])] = (q["p"], q["low"], q["high"])
    return {"x": xs, "y": ys, "grid": grid, "label": label}


@styled
def plot_sweep_heatmap(dataset: dict[str, Any], parameters: list[str], title: str, ax: Axes | None = None) -> Figure:
    """One quantity over a 2-D grid: colour is the estimate, each cell also prints its 95 % interval."""
    xs, ys, grid = dataset["x"], dataset["y"], dataset["grid"]
    fig, ax = _axes(ax, (2.5 + 1.1 * len(xs), 1.8 + 0.6 * len(ys)))
    top = fitted_top(grid[:, :, 0])
    image = ax.imshow(grid[:, :, 0], vmin=0, vmax=top, cmap="viridis", origin="lower", aspect="auto")
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs], fontsize=8)
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys], fontsize=8)
    for (r, c), value in np.ndenumerate(grid[:, :, 0]):
        text = f"{value:.2f}\n[{grid[r, c, 1]:.2f}, {grid[r, c, 2]:.2f}]"
        ax.text(c, r, text, ha="center", va="center", fontsize=6.5, color=_ink(value / top))
    ax.set_xlabel(parameters[0])
    ax.set_ylabel(parameters[1])
    ax.set_title(_wrap(f"{dataset['label']}: {title}", 70), fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.05, label=f"probability (scale 0 to {top:g})")
    fig.tight_layout()
    return fig


def robustness_dataset(rows: list[dict[str, Any]]) -> tuple[list[str], np.ndarray]:
    """Row labels (call: alternative) and ``[row, (table p, lo, hi, ratified p, lo, hi)]`` from robustness.csv
    rows, the default first."""
    labels = ["default (as stated)" if r["call"] == "default" else f"{r['call']}: {r['label']}" for r in rows]
    keys = ("p_table", "p_table_lo", "p_table_hi", "p_ratified", "p_ratified_lo", "p_ratified_hi")
    return labels, np.array([[float(r[k]) for k in keys] for r in rows]).reshape(len(rows), 6)


@styled
def plot_robustness(rows: list[dict[str, Any]], title: str, ax: Axes | None = None) -> Figure:
    """Forest plot: each judgement-call alternative's headline (at the table, ratified) with 95 % intervals, the
    default's values as dashed lines and the span of the ratified share shaded."""
    labels, data = robustness_dataset(rows)
    n = len(labels)
    fig, ax = _axes(ax, (10, 1.2 + 0.42 * n))
    y = np.arange(n)[::-1]
    low, high = data[:, 3].min(), data[:, 3].max()
    ax.axvspan(low, high, color=COLOURS[1], alpha=0.12, label=f"span of 'ratified' ({low:.1%}–{high:.1%})")
    for column, colour, name, offset in ((0, COLOURS[0], "at the table", 0.15), (3, COLOURS[1], "ratified", -0.15)):
        p, lo, hi = data[:, column], data[:, column + 1], data[:, column + 2]
        ax.errorbar(p, y + offset, xerr=[p - lo, hi - p], fmt="o", color=colour, capsize=3, label=name)
        ax.axvline(p[0], color=colour, linestyle="--", linewidth=0.8)
    ax.set_yticks(y, [_wrap(label, 60) for label in labels], fontsize=8)
    ax.set_xlabel("share of Monte-Carlo samples with some package in the zone (95 % intervals)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(left=0)
    ax.set_title(_wrap(title, 90), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
