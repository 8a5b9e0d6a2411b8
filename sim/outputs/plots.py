"""Figures for a zone run. Each ``*_dataset`` function prepares numbers; each ``plot_*`` only draws them.

Plots return a :class:`~matplotlib.figure.Figure` (``ax=None`` makes one) so tests check structure, not pixels.
Every plot's title names its scenario and run (``caption``), so a PNG read on its own still says what it shows;
every probability is drawn with its 95 % Monte-Carlo interval where one exists.
"""

from __future__ import annotations

import io
import re
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
from matplotlib.text import Text  # noqa: E402

from sim.outputs.rundir import atomic_write  # noqa: E402

RED_LINE = "#d62728"


def plain_text(text: str) -> str:
    """Scenario text drawn literally: every unescaped ``$`` escaped, so ``$x$`` in a label is not matplotlib mathtext
    (an invalid formula once crashed the run's plotting). negsim never draws mathtext on purpose."""
    return re.sub(r"(?<!\\)\$", r"\\$", text)


def wrap(label: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax  # type: ignore[return-value]


def save_figure(fig: Figure, path: Path) -> None:
    """Write ``fig`` as PNG. All text is drawn literally (:func:`plain_text` on every text artist: titles, ticks,
    legends, annotations), and a glyph missing from the font (scenario text may hold any script) is drawn as a box."""
    for artist in fig.findobj(Text):
        artist.set_text(plain_text(artist.get_text()))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, lambda file: file.write(buffer.getvalue()))


def marginal_dataset(
    rows: list[dict[str, Any]], issue_titles: dict[str, str], party_names: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Per issue title, its options in scenario order: label, probability, interval, and what rules it out."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        issue = str(row["target"]).split(".")[0]
        blocked = [party_names.get(p, p) for p in str(row.get("red_lined_by") or "").split(",") if p]
        p = float(row["p_complete"])
        grouped.setdefault(issue_titles.get(issue, issue), []).append(
            {
                "label": str(row["label"]),
                "p": p,
                "lo": float(row["p_complete_lo"]),
                "hi": float(row["p_complete_hi"]),
                "note": f"red line: {', '.join(blocked)}" if blocked else ("never in the zone" if p == 0 else ""),
            }
        )
    return grouped


def plot_option_marginals(dataset: dict[str, list[dict[str, Any]]], caption: str = "") -> Figure:
    """One panel per issue: how often some package with each option is in the zone (bar: estimate, whisker: 95 %
    interval); an option a veto party red-lines is hatched red and says whose red line it is."""
    n = len(dataset)
    cols = 2 if n > 1 else 1
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 2.2 * rows + 1.0), squeeze=False)
    for ax, (title, bars) in zip(axes.flat, dataset.items(), strict=False):
        y = np.arange(len(bars))
        p = np.array([b["p"] for b in bars])
        error = np.array([[b["p"] - b["lo"] for b in bars], [b["hi"] - b["p"] for b in bars]])
        red = [b["note"].startswith("red line") for b in bars]
        ax.barh(y, p, color=["#f4c7c3" if r else "#3b7dd8" for r in red], hatch=None)
        ax.errorbar(p, y, xerr=error, fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        for row, bar in enumerate(bars):
            if bar["note"]:
                colour = RED_LINE if red[row] else "#555555"
                ax.text(max(bar["hi"], 0) + 0.02, row, bar["note"], va="center", fontsize=6.5, color=colour)
        ax.set_yticks(y, [wrap(b["label"], 34) for b in bars], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(wrap(title, 60), fontsize=9)
        ax.set_xlabel("P(some package with this option is in the zone), 95 % interval", fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(_titled("Zone probability by option", caption), fontsize=11)
    fig.tight_layout()
    return fig


def _titled(title: str, caption: str) -> str:
    return f"{title}\n{caption}" if caption else title


def offer_dataset(
    rows: list[dict[str, Any]], party_ids: list[str], party_labels: list[str]
) -> tuple[list[str], list[str], np.ndarray]:
    """Offer labels (marked when the completion shown is the closest, not a best one), columns, and a matrix:
    completion probability, then each party's acceptance of the completion shown."""
    labels = []
    for row in rows:
        kind = " [closest completion: none in zone]" if row.get("completion") == "closest" else ""
        labels.append(wrap(str(row["label"]) + kind, 42))
    columns = ["P(some completion\nin zone)", *(wrap(label, 14) for label in party_labels)]
    matrix = np.array(
        [[row["p_complete"], *(row[f"p_accept_{p}"] for p in party_ids)] for row in rows], dtype=float
    ).reshape(len(rows), len(columns))
    return labels, columns, matrix


def plot_offer_acceptance(
    labels: list[str], columns: list[str], matrix: np.ndarray, ax: Axes | None = None, caption: str = ""
) -> Figure:
    """Heatmap: offers x (zone completion, each party's acceptance of the completion shown)."""
    fig, ax = _axes(ax, (2.5 + 1.3 * len(columns), 1.6 + 0.6 * max(len(labels), 1)))
    image = ax.imshow(
        matrix if matrix.size else np.zeros((1, len(columns))), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto"
    )
    ax.set_xticks(range(len(columns)), columns, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for (r, c), value in np.ndenumerate(matrix):
        ax.text(c, r, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_title(
        _titled("Offers: P(completion in zone); each party's acceptance of the best (or closest) completion", caption),
        fontsize=9,
    )
    fig.colorbar(image, ax=ax, fraction=0.03, label="probability")
    fig.tight_layout()
    return fig


def plot_zone_histogram(histogram: dict[str, Any], ax: Axes | None = None, caption: str = "") -> Figure:
    """How many packages have each zone probability (packages never in the zone shown apart)."""
    fig, ax = _axes(ax, (7, 3.8))
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
    title = f"Distribution of zone probability ({histogram['zero']:,} packages never in the zone)"
    ax.set_title(_titled(title, caption), fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_tornado(
    dataset: list[tuple[str, float, float]], baseline: float, ax: Axes | None = None, measure: str = "zone mass"
) -> Figure:
    """Change in the measure when each parameter goes to its low end (or is switched off) and to its high end."""
    fig, ax = _axes(ax, (9, 1.0 + 0.34 * max(len(dataset), 1)))
    names = [name for name, _, _ in dataset]
    rows = np.arange(len(dataset))
    ax.barh(rows, [low for _, low, _ in dataset], color="#3b7dd8", label="low end / red line off")
    ax.barh(rows, [high for _, _, high in dataset], color="#f28e2b", label="high end")
    ax.set_yticks(rows, [wrap(n, 48) for n in names], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change in {measure} (baseline {baseline:.3g})")
    ax.set_title(f"What moves the {measure}: one-at-a-time sensitivity", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
