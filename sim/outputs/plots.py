"""Figures for a zone run. Each ``*_dataset`` function prepares numbers; each ``plot_*`` only draws them.

Plots return a :class:`~matplotlib.figure.Figure` (``ax=None`` makes one) so tests check structure, not pixels.
Every plot's title names its scenario and run (``caption``), so a PNG read on its own still says what it shows;
every probability is drawn with its 95 % Monte-Carlo interval where one exists.
"""

from __future__ import annotations

import functools
import io
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, NullFormatter

from sim.outputs.rundir import atomic_write

RED_LINE = "#d62728"
PNG_COMPRESSION = 1  # zlib level: a third of the encoding time of the default 6, files about a fifth larger
# Scenario text is drawn literally, wherever a plot puts it: a label or party name holding "$...$" is not mathtext
# (an invalid formula in a label once crashed the run's plotting). No negsim plot uses mathtext on purpose. The style
# is applied only while negsim draws (``styled``), never to the process: importing negsim in a notebook leaves the
# backend and rcParams as they were (matplotlib.use at import once switched a notebook's inline figures off).
STYLE = {"text.parse_math": False}
P = ParamSpec("P")


def styled(draw: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw under negsim's ``STYLE`` and leave every text of the figure literal, even when it is drawn again later
    outside the context (a notebook displaying the returned Figure)."""

    @functools.wraps(draw)
    def drawing(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with matplotlib.rc_context(STYLE):
            fig = draw(*args, **kwargs)
        for text in fig.findobj(Text):
            text.set_parse_math(False)
        return fig

    return drawing


def new_figure(size: tuple[float, float], rows: int = 1, cols: int = 1, **subplots: Any) -> tuple[Figure, Any]:
    """A figure owned by the caller, not by pyplot: no backend is chosen and no global figure list grows (a
    notebook shows it when returned; ``save_figure`` renders it with Agg)."""
    fig = Figure(figsize=size)
    return fig, fig.subplots(rows, cols, **subplots)


def wrap(label: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def plain_ticks(axis: Axis) -> None:
    """Label a log or symlog axis in plain numbers (1, 10, 1,000): its default labels are mathtext, which is off
    (see above), so they would read ``$\\mathdefault{10^{3}}$``."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}" if abs(value) >= 1 else f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        return new_figure(size)
    for text in ax.figure.findobj(Text):  # the caller's axes were made under its own rcParams (titles exist already)
        text.set_parse_math(False)
    return ax.figure, ax  # type: ignore[return-value]


def save_figure(fig: Figure, path: Path) -> None:
    """Write ``fig`` as PNG; a glyph missing from the font (scenario text may hold any script) is drawn as a box."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), matplotlib.rc_context(STYLE):
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig.savefig(buffer, format="png", dpi=100, pil_kwargs={"compress_level": PNG_COMPRESSION})
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


@styled
def plot_option_marginals(
    dataset: dict[str, list[dict[str, Any]]], ax: Axes | None = None, caption: str = ""
) -> Figure:
    """How often some package with each option is in the zone (bar: estimate, whisker: 95 % interval), issues as
    bold headings on one axis (one axis, not a panel per issue: a tenth of the drawing time); an option a veto
    party red-lines is pink and says whose red line it is."""
    rows: list[tuple[str, Any]] = []
    for title, bars in dataset.items():
        rows.append(("issue", title))
        rows.extend(("option", bar) for bar in bars)
    labels = [wrap(str(v if k == "issue" else v["label"]), 60) for k, v in rows]
    fig, ax = _axes(ax, (10, 1.4 + 0.13 * sum(label.count("\n") + 1.5 for label in labels)))
    at = [y for y, (kind, _) in enumerate(rows) if kind == "option"]
    bars = [bar for kind, bar in rows if kind == "option"]
    p = np.array([b["p"] for b in bars])
    # the axis follows the data (a zone probability of 0.04 drawn on a 0-1 axis is invisible), up to 1
    right = float(min(1.0, max(0.05, 1.3 * max((b["hi"] for b in bars), default=0.0))))
    error = np.array([[b["p"] - b["lo"] for b in bars], [b["hi"] - b["p"] for b in bars]]).reshape(2, -1)
    red = [b["note"].startswith("red line") for b in bars]
    ax.barh(at, p, color=["#f4c7c3" if r else "#3b7dd8" for r in red], height=0.7)
    ax.errorbar(p, at, xerr=error, fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    for y, bar, is_red in zip(at, bars, red, strict=True):
        if bar["note"]:
            ax.text(
                bar["hi"] + 0.01 * right,
                y,
                bar["note"],
                va="center",
                fontsize=6.5,
                color=RED_LINE if is_red else "#555",
            )
    ax.set_yticks(range(len(rows)), labels, fontsize=6.5)
    for tick, (kind, _) in zip(ax.get_yticklabels(), rows, strict=True):
        if kind == "issue":
            tick.set_fontweight("bold")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, right)
    ax.set_xlabel("P(some package with this option is in the zone), with its 95 % interval")
    ax.set_title(_titled("Zone probability by option", caption), fontsize=10)
    fig.subplots_adjust(left=0.42, right=0.97, top=1 - 0.7 / fig.get_figheight(), bottom=0.5 / fig.get_figheight())
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


@styled
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


@styled
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
    plain_ticks(ax.yaxis)
    ax.set_xlabel("zone probability (share of samples in which every veto party accepts)", fontsize=9)
    ax.set_ylabel("packages")
    title = f"Distribution of zone probability ({histogram['zero']:,} packages never in the zone)"
    ax.set_title(_titled(title, caption), fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@styled
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
