"""A figure a reviewer can read, checked from matplotlib's own text boxes (structure, not pixels): titles, axis
labels, tick labels and legends inside the canvas, and no two tick labels of one axis on top of each other."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

TOLERANCE = 2.0  # pixels: anti-aliasing may spill a pixel over the edge


def _inside(box: Bbox, canvas: Bbox) -> bool:
    return (
        box.x0 >= canvas.x0 - TOLERANCE
        and box.y0 >= canvas.y0 - TOLERANCE
        and box.x1 <= canvas.x1 + TOLERANCE
        and box.y1 <= canvas.y1 + TOLERANCE
    )


def _overlap(a: Bbox, b: Bbox) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE and min(a.y1, b.y1) - max(a.y0, b.y0) > TOLERANCE


def layout_problems(fig: Figure) -> list[str]:
    """What a reader could not read: text outside the canvas, overlapping tick labels, a legend off the figure."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    problems = []
    texts = [("suptitle", fig._suptitle)] if fig._suptitle is not None else []
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        texts += [
            (f"axes {k} title", ax.title),
            (f"axes {k} xlabel", ax.xaxis.label),
            (f"axes {k} ylabel", ax.yaxis.label),
        ]
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            low, high = sorted(axis.get_view_interval())
            ticks = [
                t.label1 if t.label1.get_visible() else t.label2
                for t in axis.get_major_ticks()
                if low - 1e-9 <= t.get_loc() <= high + 1e-9 and (t.label1.get_visible() or t.label2.get_visible())
            ]
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ticks if t.get_text()]
            for label, box in boxes:
                if not _inside(box, page):
                    problems.append(f"axes {k} {name} tick label {label[:40]!r} outside the canvas")
            boxes.sort(key=lambda item: (item[1].x0, item[1].y0))
            for (a, box_a), (b, box_b) in zip(boxes, boxes[1:], strict=False):
                if _overlap(box_a, box_b):
                    problems.append(f"axes {k} {name} tick labels {a[:30]!r} and {b[:30]!r} overlap")
        if ax.get_legend() is not None and not _inside(ax.get_legend().get_window_extent(renderer), page):
            problems.append(f"axes {k} legend outside the canvas")
    for legend in fig.legends:
        if not _inside(legend.get_window_extent(renderer), page):
            problems.append("figure legend outside the canvas")
    for name, text in texts:
        if text.get_visible() and text.get_text() and not _inside(text.get_window_extent(renderer), page):
            problems.append(f"{name} {text.get_text()[:40]!r} outside the canvas")
    return problems
