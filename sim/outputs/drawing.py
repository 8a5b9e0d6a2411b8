"""Drawing a run's figures beside the rest of its work: forked children draw while the run writes its tables and
answers.

matplotlib draws on one core, and since matplotlib 3.11 (text laid out by libraqm/HarfBuzz) the label-heavy charts
cost most of a run's time after scoring: on the baseline at 2,000 samples the seven figures take ~4 s of CPU
against ~0.8 s for the tables and the page's answers (issue 23). The figures need only the analysis, so two
children start drawing as soon as it exists, each half of the figures, while the run itself writes the tables and
answers; the page, which lists the figures drawn, is written once they are done.

Each figure is written atomically by whichever process draws it. A child that fails (a full disk, a plotting bug)
exits with status 1 and no traceback of its own; its figures are then drawn again in the run's own process, so the
error surfaces there once, with its traceback. Drawing is serial where there is one core or no ``fork``, and inside
a worker process (a batch or sweep already keeps every core busy, and a daemonic pool worker may not have
children). Forking is safe only with no other thread alive (one holding an import lock would hang the child): the
caller joins its background imports first.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported only when a figure is drawn: a run asked for no figures writes its page without it.
Drawing = tuple[Callable[[], "Figure"], str]


def _draw(drawings: Sequence[Drawing], folder: Path) -> None:
    from sim.outputs.plots import save_figure

    for make, name in drawings:
        save_figure(make(), folder / name)


def _draw_in_child(drawings: Sequence[Drawing], folder: Path) -> None:
    try:
        _draw(drawings, folder)
    except BaseException:  # noqa: BLE001 - surfaced by the parent's redraw
        sys.exit(1)


def _can_fork() -> bool:
    worker = multiprocessing.parent_process() is not None or multiprocessing.current_process().daemon
    return not worker and (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


@dataclass
class PendingFigures:
    """Figures being drawn in forked children (or, without them, drawn by :meth:`finish`)."""

    halves: list[list[Drawing]]
    folder: Path
    children: list[BaseProcess | None]

    def finish(self) -> None:
        """Wait for the children; draw here what a child failed to draw (or every half, when none was forked)."""
        failed = []
        for half, child in zip(self.halves, self.children, strict=True):
            if child is not None:
                child.join()
            if child is None or child.exitcode != 0:
                failed.append(half)
        for half in failed:
            _draw(half, self.folder)


def start_drawing(halves: Sequence[Sequence[Drawing]], folder: Path) -> PendingFigures:
    """Start drawing each non-empty half of the figures in its own forked child; :meth:`PendingFigures.finish`
    waits for them. With no fork to be had, nothing starts here and ``finish`` draws every half itself."""
    kept = [list(half) for half in halves if half]
    if not kept or not _can_fork():
        return PendingFigures(kept, folder, [None] * len(kept))
    context = multiprocessing.get_context("fork")
    children: list[BaseProcess | None] = []
    for half in kept:
        child = context.Process(target=_draw_in_child, args=(half, folder))
        child.start()
        children.append(child)
    return PendingFigures(kept, folder, children)


def split_in_two(drawings: Sequence[Drawing], cost: Callable[[str], float]) -> list[list[Drawing]]:
    """The drawings in two lists of about equal drawing time (the costliest first, each to the lighter list), in
    their given order within each list."""
    order = sorted(range(len(drawings)), key=lambda k: -cost(drawings[k][1]))
    halves: list[list[int]] = [[], []]
    load = [0.0, 0.0]
    for k in order:
        lighter = 0 if load[0] <= load[1] else 1
        halves[lighter].append(k)
        load[lighter] += cost(drawings[k][1])
    return [[drawings[k] for k in sorted(half)] for half in halves]
