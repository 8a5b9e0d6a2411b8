"""Many ordinary zone runs at once (a batch, the points of a sweep), each in its own directory, on any executor.

Each task carries its scenario, seed and directory, decided before fan-out, so results are bit-identical
whichever executor runs them and however many workers it has. A task whose directory already holds a complete run
is not run again and an interrupted one is resumed, which is all a study's ``--resume`` needs. One run uses all
the threads it is given when runs go one after another (``local``), and one thread when runs are spread over
processes: on a small machine whole runs side by side scale better than blocks of one run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sim.executors import Executor, collect_tasks
from sim.outputs.answers import Answer
from sim.outputs.figure_choice import Figures
from sim.outputs.pipeline import ZoneSettings, run_zone
from sim.outputs.rundir import MANIFEST
from sim.outputs.runmanifest import RunManifest
from sim.outputs.runsummary import RunSummary
from sim.outputs.zonerun import run_summary
from sim.scenario.model import Scenario

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunTask:
    """One run; ``run_dir`` is made absolute, since a Dask worker on another machine has another working directory."""

    scenario: Scenario
    run_dir: Path
    settings: ZoneSettings
    scenario_file: str | None = None
    figures: Figures = Figures.all
    answers: tuple[Answer, ...] = ()  # the page's further answers (sim.outputs.answers); picklable for a pool

    def __post_init__(self) -> None:
        object.__setattr__(self, "run_dir", self.run_dir.absolute())


def run_task(task: RunTask) -> RunSummary:
    """Run, resume or reuse one zone run; returns its summary (from the manifest once complete). A summary, not the
    analysis: it crosses processes, and the analysis holds the run's samples."""
    if (task.run_dir / MANIFEST).is_file():
        manifest = RunManifest.read(task.run_dir)
        if manifest.complete:
            return RunSummary.read(dict(manifest.summary))
        resumed = run_zone(
            task.scenario,
            task.run_dir,
            task.settings,
            resume=True,
            scenario_file=task.scenario_file,
            figures=task.figures,
            answers=task.answers,
        )
        return run_summary(resumed)
    # killed before its manifest: it holds nothing to resume, and only what negsim wrote there is replaced
    return run_summary(
        run_zone(
            task.scenario,
            task.run_dir,
            task.settings,
            scenario_file=task.scenario_file,
            force=True,
            figures=task.figures,
            answers=task.answers,
        )
    )


@dataclass(frozen=True)
class Fanout:
    """How a study's runs are carried out and kept, none of which changes a result: the executor, its workers and
    Dask scheduler ``address``, a progress callback, whether an interrupted study is resumed, and whether negsim's
    own earlier outputs may be replaced (``force``). One value for what a batch and a sweep take alike."""

    executor: Executor = Executor.processes
    workers: int = 2
    address: str | None = None
    progress: Progress | None = None
    resume: bool = False
    force: bool = False

    @property
    def threads_per_run(self) -> int:
        """A run's scoring threads: all of them when runs go one after another, one when runs go side by side."""
        return self.workers if self.executor is Executor.local or self.workers <= 1 else 1


def run_all(tasks: list[RunTask], fanout: Fanout) -> list[RunSummary]:
    """Every task's summary, in task order; complete runs are read back, not recomputed."""
    return collect_tasks(run_task, tasks, fanout.executor, fanout.workers, fanout.address, fanout.progress)


def claim_directory(root: Path, stem: str) -> Path:
    """A new directory ``root/<time>-<stem>`` that no other process can also get (``mkdir`` is atomic).

    Two batches or sweeps started in the same second get ``...-2``, ``...-3``: they never share a run directory.
    """
    root.mkdir(parents=True, exist_ok=True)
    base = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{stem}"
    for attempt in range(1, 10_000):
        path = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free directory name under {root} for {base}")
