"""Studies built on many zone computations (sensitivity sweeps), run resumably into a run directory.

Each task's result is saved as it finishes (``parts/task-NNNN.json``); a resumed study only runs what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sim.executors import Executor, map_tasks
from sim.outputs.rundir import (
    atomic_write_json,
    finish_manifest,
    lock_run_dir,
    read_json,
    record_summary,
    resume_manifest,
    start_manifest,
    unlock_run_dir,
)
from sim.outputs.tables import write_csv, write_parquet
from sim.scenario.model import Scenario
from sim.studies.sensitivity import SensitivityRow, perturbations, tornado_dataset, with_deltas
from sim.studies.sensitivity_scoring import SensitivityTask, score_task

Progress = Callable[[int, int], None]


def _measure_name(measure: str) -> str:
    if measure == "zone_mass":
        return "zone mass"
    if measure == "p_zone_nonempty":
        return "P(zone non-empty)"
    return f"P({measure.removeprefix('offer_')} completes in zone)"


def run_sensitivity(
    scenario: Scenario,
    run_dir: Path,
    samples: int,
    seed: int,
    *,
    resume: bool = False,
    executor: Executor = Executor.local,
    workers: int = 2,
    address: str | None = None,
    scenario_file: str | None = None,
    progress: Progress | None = None,
    measure: str = "zone_mass",
    announce: Callable[[str], None] | None = None,
    force: bool = False,
) -> list[SensitivityRow]:
    """Score the baseline and every perturbation; write sensitivity.csv/.parquet and the tornado plot of ``measure``.

    The baseline is scored first (building the shared base) and ``announce`` is told what follows. The page
    (``report.html``) is written before the study is marked complete; a complete study missing it gets it back.
    """
    import pyarrow as pa

    from sim.studies.review import write_review  # the study's own page (loop's page shell)

    if resume:
        manifest = resume_manifest(run_dir, scenario, "sensitivity")
        samples, seed = manifest["settings"]["samples"], manifest["settings"]["seed"]
        if manifest["status"] == "complete":
            if not (run_dir / "report.html").is_file():
                lock_run_dir(run_dir)
                write_review([run_dir], run_dir / "report.html")
                unlock_run_dir(run_dir)
            return _rows(run_dir)
    else:
        settings = {"samples": samples, "seed": seed}
        manifest = start_manifest(run_dir, scenario, "sensitivity", settings, scenario_file, force)
    clock = time.perf_counter()
    threads = workers if executor is Executor.local else 1  # processes already fill the cores on Dask
    tasks = [SensitivityTask(scenario, change, samples, seed, threads) for change in [None, *perturbations(scenario)]]
    parts = run_dir / "parts"
    todo = [i for i in range(len(tasks)) if not (parts / f"task-{i:04d}.json").exists()]
    if todo and todo[0] == 0:
        started = time.perf_counter()
        atomic_write_json(parts / "task-0000.json", score_task(tasks[0]))
        todo = todo[1:]
        if announce:
            announce(
                f"{len(tasks) - 1} perturbations of {samples} samples each, scored from one shared base (draws, space, "
                f"baseline pairs: {time.perf_counter() - started:.1f} s); each re-scores only what its party can change"
            )
    done = len(tasks) - len(todo)
    for index, row in zip(
        todo, map_tasks(score_task, [tasks[i] for i in todo], executor, workers, address), strict=True
    ):
        atomic_write_json(parts / f"task-{index:04d}.json", row)
        done += 1
        if progress:
            progress(done, len(tasks))
    table = with_deltas([read_json(parts / f"task-{i:04d}.json") for i in range(len(tasks))])
    write_csv(run_dir / "sensitivity.csv", table)
    write_parquet(run_dir / "sensitivity.parquet", pa.Table.from_pylist(table))
    rows = [SensitivityRow.from_columns(row) for row in table]
    from sim.outputs.plots import plot_tornado, save_figure

    baseline = rows[0].measure(measure)
    figure = plot_tornado(tornado_dataset(rows, measure=measure), baseline, measure=_measure_name(measure))
    save_figure(figure, run_dir / "plots" / "tornado.png")
    manifest["timings"]["sensitivity_s"] = round(time.perf_counter() - clock, 3)
    summary = {
        "tasks": len(tasks),
        "baseline_zone_mass": rows[0].zone_mass,
        "baseline_p_zone_nonempty": list(rows[0].estimates["p_zone_nonempty"].columns("p").values()),
        "ranked_by": measure,
        "top": [name for name, _, _ in tornado_dataset(rows, top=10, measure=measure)],
    }
    record_summary(run_dir, manifest, summary)  # the page shows it
    write_review([run_dir], run_dir / "report.html")
    finish_manifest(run_dir, manifest, summary)
    return rows


def _rows(run_dir: Path) -> list[SensitivityRow]:
    """A complete study's rows, read back from its table (its parts are gone once it completes)."""
    import pyarrow.parquet as pq

    return [SensitivityRow.from_columns(row) for row in pq.read_table(run_dir / "sensitivity.parquet").to_pylist()]
