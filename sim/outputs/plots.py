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
DPI = 100
HISTOGRAM_BINS = 20
PNG_COMPRESSION = 6  # zlib level of the palette PNG (small images: the default level costs little here)
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


def short_name(name: str) -> str:
    """A party's name without its parenthesis ("EU Council (unanimity of 27 ...)" -> "EU Council") for notes drawn
    inside a chart, where the full name runs off the canvas."""
    return name.split(" (")[0]


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
    """Write ``fig`` as a 256-colour PNG; a glyph missing from the font (scenario text may hold any script) is drawn
    as a box. Charts are flat colours and anti-aliased text: a palette keeps them readable at about a third of the
    bytes (the batch report embeds dozens), and Pillow writes no time or version, so the same figure is the same
    file on every run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image  # matplotlib's own dependency; imported only when a figure is written

    with warnings.catch_warnings(), matplotlib.rc_context(STYLE):
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig.set_dpi(DPI)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    image = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    png = io.BytesIO()
    palette.save(png, format="png", compress_level=PNG_COMPRESSION)
    atomic_write(path, lambda file: file.write(png.getvalue()))


def marginal_dataset(
    rows: list[dict[str, Any]], issue_titles: dict[str, str], party_names: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Per issue title, its options in scenario order: label, probability, interval, and what rules it out."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        issue = str(row["target"]).split(".")[0]
        blocked = [short_name(party_names.get(p, p)) for p in str(row.get("red_lined_by") or "").split(",") if p]
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


def zone_histogram_dataset(p_zone: np.ndarray, samples: int, never: int) -> dict[str, Any]:
    """Packages by zone probability on log-spaced bins from one sample (1/samples) to the largest value seen: the
    zone probabilities of real scenarios sit far below 0.05, where linear bins put every package in one bar."""
    hits = np.rint(np.asarray(p_zone, dtype=float) * samples)  # a zone probability is a count of samples
    hits = hits[hits > 0]
    most = int(hits.max()) if hits.size else 1
    # bins whole counts wide at least (narrower ones between two counts would stay empty and draw as gaps)
    edges_in_hits = np.unique(np.rint(np.geomspace(1, most + 1, HISTOGRAM_BINS + 1))) - 0.5
    counts, _ = np.histogram(hits, bins=edges_in_hits)
    edges = edges_in_hits / max(samples, 1)
    return {"edges": edges, "counts": counts, "zero": int(never), "samples": int(samples)}


@styled
def plot_zone_histogram(histogram: dict[str, Any], ax: Axes | None = None, caption: str = "") -> Figure:
    """How many packages have each zone probability (log-spaced bins; packages never in the zone counted in the
    title, not drawn: they are usually all but a few thousand of millions)."""
    fig, ax = _axes(ax, (7, 3.8))
    edges = np.asarray(histogram["edges"])
    counts = np.asarray(histogram["counts"])
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#3b7dd8", edgecolor="white", lw=0.5)
    ax.set_xscale("log")
    ax.set_yscale("symlog")
    plain_ticks(ax.xaxis)
    plain_ticks(ax.yaxis)
    ax.set_xlabel("zone probability (share of samples in which every veto party accepts; log scale)", fontsize=9)
    ax.set_ylabel("packages (symlog scale)", fontsize=9)
    in_zone = int(counts.sum())
    title = f"Zone probability of the {in_zone:,} packages ever in the zone ({histogram['zero']:,} never are)"
    ax.set_title(_titled(title, caption), fontsize=9)
    fig.tight_layout()
    return fig


@styled
def plot_tornado(
    dataset: list[tuple[str, float, float]], baseline: float, ax: Axes | None = None, measure: str = "zone mass"
) -> Figure:
    """Change in the measure when each parameter goes to its low end (or is switched off) and to its high end."""
    names = [wrap(name, 60) for name, _, _ in dataset]
    lines = sum(name.count("\n") + 1 for name in names)
    fig, ax = _axes(ax, (10, 1.3 + 0.15 * lines + 0.1 * len(dataset)))
    rows = np.arange(len(dataset))
    ax.barh(rows, [low for _, low, _ in dataset], color="#3b7dd8", label="low end / red line off")
    ax.barh(rows, [high for _, _, high in dataset], color="#f28e2b", label="high end")
    ax.set_yticks(rows, names, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change in {measure} (baseline {baseline:.3g})")
    ax.set_title(f"What moves the {measure}: one-at-a-time sensitivity", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
