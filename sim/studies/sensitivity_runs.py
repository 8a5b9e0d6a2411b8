"""Studies built on many zone computations (sensitivity sweeps), run resumably into a run directory.

Each task's result is saved as it finishes (``parts/task-NNNN.json``); a resumed study only runs what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.executors import Executor, map_tasks
from sim.outputs.rundir import atomic_write_json, finish_manifest, read_json, resume_manifest, start_manifest
from sim.outputs.tables import write_csv, write_parquet
from sim.scenario.model import Scenario
from sim.studies.sensitivity import SensitivityTask, perturbations, score_task, tornado_dataset, with_deltas

Progress = Callable[[int, int], None]


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
) -> list[dict[str, Any]]:
    """Score the baseline and every perturbation; write sensitivity.csv/.parquet and the tornado plot."""
    import pyarrow as pa

    if resume:
        manifest = resume_manifest(run_dir, scenario, "sensitivity")
        samples, seed = manifest["settings"]["samples"], manifest["settings"]["seed"]
    else:
        manifest = start_manifest(run_dir, scenario, "sensitivity", {"samples": samples, "seed": seed}, scenario_file)
    clock = time.perf_counter()
    threads = workers if executor is Executor.local else 1  # processes already fill the cores on Dask
    tasks = [SensitivityTask(scenario, change, samples, seed, threads) for change in [None, *perturbations(scenario)]]
    parts = run_dir / "parts"
    todo = [i for i in range(len(tasks)) if not (parts / f"task-{i:04d}.json").exists()]
    done = len(tasks) - len(todo)
    for index, row in zip(
        todo, map_tasks(score_task, [tasks[i] for i in todo], executor, workers, address), strict=True
    ):
        atomic_write_json(parts / f"task-{index:04d}.json", row)
        done += 1
        if progress:
            progress(done, len(tasks))
    rows = with_deltas([read_json(parts / f"task-{i:04d}.json") for i in range(len(tasks))])
    write_csv(run_dir / "sensitivity.csv", rows)
    write_parquet(run_dir / "sensitivity.parquet", pa.Table.from_pylist(rows))
    from sim.outputs.plots import plot_tornado, save_figure

    save_figure(plot_tornado(tornado_dataset(rows), rows[0]["zone_mass"]), run_dir / "plots" / "tornado.png")
    manifest["timings"]["sensitivity_s"] = round(time.perf_counter() - clock, 3)
    finish_manifest(
        run_dir,
        manifest,
        {
            "tasks": len(tasks),
            "baseline_zone_mass": rows[0]["zone_mass"],
            "top": [name for name, _, _ in tornado_dataset(rows, top=10)],
        },
    )
    return rows
