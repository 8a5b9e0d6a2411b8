"""Figures for a zone run. Each ``*_dataset`` function prepares numbers; each ``plot_*`` only draws them.

Plots return a :class:`~matplotlib.figure.Figure` (``ax=None`` makes one) so tests check structure, not pixels.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.outputs.rundir import atomic_write  # noqa: E402


def plain_text(text: str) -> str:
    """Scenario text drawn literally: ``$`` escaped, so ``$x$`` in a label is not matplotlib mathtext (an invalid
    formula once crashed the run's plotting)."""
    return text.replace("$", r"\$")


def _wrap(label: str, width: int = 38) -> str:
    return plain_text("\n".join(textwrap.wrap(label, width)) or label)


def marginal_dataset(rows: list[dict[str, Any]], issue_titles: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    """Per issue title, (option label, probability that some package with it is in the zone), in scenario order."""
    grouped: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        issue = str(row["target"]).split(".")[0]
        grouped.setdefault(issue_titles.get(issue, issue), []).append((str(row["label"]), float(row["p_complete"])))
    return grouped


def plot_option_marginals(dataset: dict[str, list[tuple[str, float]]]) -> Figure:
    """One panel per issue: how often each option can be part of a package every veto party accepts."""
    n = len(dataset)
    cols = 2 if n > 1 else 1
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 2.2 * rows + 0.8), squeeze=False)
    for ax, (title, bars) in zip(axes.flat, dataset.items(), strict=False):
        labels = [_wrap(label, 34) for label, _ in bars]
        ax.barh(range(len(bars)), [value for _, value in bars], color="#3b7dd8")
        ax.set_yticks(range(len(bars)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(_wrap(title, 60), fontsize=9)
        ax.set_xlabel("P(some package with this option is in the zone)", fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Zone probability by option", fontsize=12)
    fig.tight_layout()
    return fig


def offer_dataset(rows: list[dict[str, Any]], party_ids: list[str]) -> tuple[list[str], list[str], np.ndarray]:
    """Offer labels, column names, and a matrix: completion probability, then each party's acceptance."""
    labels = [_wrap(str(row["label"]), 40) for row in rows]
    columns = ["any completion\nin zone", *party_ids]
    matrix = np.array(
        [[row["p_complete"], *(row[f"p_accept_{p}"] for p in party_ids)] for row in rows], dtype=float
    ).reshape(len(rows), len(columns))
    return labels, columns, matrix


def plot_offer_acceptance(labels: list[str], columns: list[str], matrix: np.ndarray, ax: Axes | None = None) -> Figure:
    """Heatmap: offers x (zone completion, each party's acceptance of the offer's best completion)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(2 + 1.3 * len(columns), 1.2 + 0.55 * max(len(labels), 1)))
    else:
        fig = ax.figure
    image = ax.imshow(
        matrix if matrix.size else np.zeros((1, len(columns))), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto"
    )
    ax.set_xticks(range(len(columns)), columns, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for (r, c), value in np.ndenumerate(matrix):
        ax.text(c, r, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_title("Offers: P(completion in zone) and each party's acceptance of the best completion", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.03, label="probability")
    fig.tight_layout()
    return fig


def plot_zone_histogram(histogram: dict[str, Any], ax: Axes | None = None) -> Figure:
    """How many packages have each zone probability (packages never in the zone shown apart)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.6))
    else:
        fig = ax.figure
    edges = np.asarray(histogram["edges"])
    counts = np.asarray(histogram["counts"])
    ax.bar(
        edges[:-1],
        counts,
        width=np.diff(edges),
        align="edge",
        color="#3b7dd8",
        edgecolor="white",
        label="packages with p_zone in bin",
    )
    ax.set_yscale("symlog")
    ax.set_xlabel("zone probability (share of samples in which every veto party accepts)")
    ax.set_ylabel("packages")
    ax.set_title(f"Distribution of zone probability ({histogram['zero']:,} packages never in the zone)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path: Path) -> None:
    """Write ``fig`` as PNG; a glyph missing from the font (scenario text may hold any script) is drawn as a box."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, lambda file: file.write(buffer.getvalue()))


def plot_utility_pairs(dataset: dict[str, Any]) -> Figure:
    """Every pair of veto parties: sampled packages (grey), zone packages (by p_zone), frontier, solutions.

    ``dataset`` holds ``parties`` (veto party ids) and, per layer, arrays of expected utilities ``[n, parties]``:
    ``background``, ``zone`` (with ``zone_p``), ``frontier``; ``solutions`` maps a name to a utility vector.
    """
    parties = dataset["parties"]
    pairs = [(a, b) for a in range(len(parties)) for b in range(a + 1, len(parties))]
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4.2 * rows), squeeze=False)
    markers = {"nash": "*", "kalai_smorodinsky": "D", "egalitarian": "s", "utilitarian": "^"}
    for ax, (a, b) in zip(axes.flat, pairs, strict=False):
        back = dataset["background"]
        ax.scatter(back[:, a], back[:, b], s=2, c="#cccccc", label="packages (sample)", rasterized=True)
        zone = dataset["zone"]
        if len(zone):
            points = ax.scatter(
                zone[:, a],
                zone[:, b],
                s=6,
                c=dataset["zone_p"],
                cmap="viridis",
                vmin=0,
                vmax=1,
                label="in zone (colour: p_zone)",
            )
            if a == 0 and b == 1:
                fig.colorbar(points, ax=ax, fraction=0.046, label="zone probability")
        front = dataset["frontier"]
        ax.scatter(
            front[:, a],
            front[:, b],
            s=10,
            facecolors="none",
            edgecolors="black",
            linewidths=0.6,
            label="Pareto frontier",
        )
        for name, utilities in dataset["solutions"].items():
            ax.scatter(
                [utilities[a]],
                [utilities[b]],
                marker=markers.get(name, "o"),
                s=90,
                c="#d62728",
                edgecolors="white",
                label=name.replace("_", "–"),
            )
        ax.axvline(dataset["reservation"][a], color="#d62728", lw=0.6, ls=":")
        ax.axhline(dataset["reservation"][b], color="#d62728", lw=0.6, ls=":")
        ax.set_xlabel(f"{parties[a]} expected utility")
        ax.set_ylabel(f"{parties[b]} expected utility")
    for ax in list(axes.flat)[len(pairs) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, markerscale=1.5)
    fig.suptitle("Expected utilities, pair by pair (dotted: mean reservations)", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    return fig


def plot_tornado(dataset: list[tuple[str, float, float]], baseline: float, ax: Axes | None = None) -> Figure:
    """Change in zone mass when each parameter goes to its low end (or is switched off) and to its high end."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.9 + 0.32 * max(len(dataset), 1)))
    else:
        fig = ax.figure
    names = [name for name, _, _ in dataset]
    rows = np.arange(len(dataset))
    ax.barh(rows, [low for _, low, _ in dataset], color="#3b7dd8", label="low end / red line off")
    ax.barh(rows, [high for _, _, high in dataset], color="#f28e2b", label="high end")
    ax.set_yticks(rows, names, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change in zone mass (baseline {baseline:.2f} expected packages in the zone)")
    ax.set_title("What moves the zone: one-at-a-time sensitivity", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
