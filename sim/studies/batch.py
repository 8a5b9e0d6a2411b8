"""A batch: many scenarios, each an ordinary run in its own directory under one batch directory, side by side.

Every run is named by a *key* that is unique within the batch: the scenario id, or, when two files share an id
(a copied scenario keeps its original's id), ``id~file-stem``. Keys name the run directories, the columns of the
summary tables and the folders of ``--plots-dir``, so one scenario's results can never overwrite another's.
The batch directory itself is claimed atomically, so two batches started at once never share a run directory.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.executors import Executor
from sim.outputs.pipeline import ZoneSettings
from sim.outputs.rundir import atomic_write_json
from sim.outputs.tables import write_csv
from sim.scenario.model import Scenario
from sim.studies.fanout import Progress, RunTask, run_all, threads_per_run
from sim.zone.intervals import proportion_interval

BATCH_FILE = "batch.json"


@dataclass(frozen=True)
class BatchEntry:
    key: str
    path: Path
    scenario: Scenario


def batch_entries(loaded: list[tuple[Path, Scenario]]) -> tuple[list[BatchEntry], list[str]]:
    """Unique keys for the scenarios, and one warning per id that had to be disambiguated."""
    ids = [scenario.id for _, scenario in loaded]
    keys = [scenario.id if ids.count(scenario.id) == 1 else f"{scenario.id}~{path.stem}" for path, scenario in loaded]
    for i, key in enumerate(keys):
        if keys.count(key) > 1:
            keys[i] = f"{key}-{i + 1}"
    warnings = []
    for scenario_id in dict.fromkeys(i for i in ids if ids.count(i) > 1):
        shown = [f"{path} as '{key}'" for (path, s), key in zip(loaded, keys, strict=True) if s.id == scenario_id]
        warnings.append(f"warning: {len(shown)} scenarios share the id '{scenario_id}': " + "; ".join(shown))
    return [BatchEntry(key, path, s) for key, (path, s) in zip(keys, loaded, strict=True)], warnings


def run_batch(
    entries: list[BatchEntry],
    batch_dir: Path,
    samples: int | None = None,
    seed: int | None = None,
    *,
    executor: Executor = Executor.processes,
    workers: int = 2,
    address: str | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Run every entry into ``batch_dir/<key>/``; write ``batch.json`` and ``batch.csv``; return the summaries."""
    threads = threads_per_run(executor, workers)
    tasks = [
        RunTask(
            entry.scenario,
            batch_dir / entry.key,
            ZoneSettings.for_scenario(entry.scenario, samples, seed, threads),
            str(entry.path),
        )
        for entry in entries
    ]
    record = {
        "kind": "batch",
        "status": "running",
        "runs": [{"key": e.key, "scenario_id": e.scenario.id, "file": str(e.path)} for e in entries],
    }
    atomic_write_json(batch_dir / BATCH_FILE, record)
    summaries = run_all(tasks, executor, workers, address, progress)
    write_csv(batch_dir / "batch.csv", summary_rows(entries, summaries, [t.settings.samples for t in tasks]))
    atomic_write_json(batch_dir / BATCH_FILE, {**record, "status": "complete"})
    return summaries


def summary_rows(
    entries: list[BatchEntry], summaries: list[dict[str, Any]], samples: list[int]
) -> list[dict[str, Any]]:
    """One row per scenario and quantity (P(zone non-empty), each offer's P(completion)), with intervals."""
    rows = []
    for entry, summary, n in zip(entries, summaries, samples, strict=True):
        labels = {offer.id: offer.label for offer in entry.scenario.offers}
        quantities = [("p_zone_nonempty", "P(zone non-empty)", summary["p_zone_nonempty"])]
        quantities += [
            (o, label, summary["offers"][o]["p_complete"]) for o, label in labels.items() if o in summary["offers"]
        ]
        for key, label, p in quantities:
            low, high = proportion_interval(round(p * n), n)
            rows.append(
                {
                    "scenario": entry.key,
                    "title": entry.scenario.title,
                    "quantity": key,
                    "label": label,
                    "p": p,
                    "low": float(low),
                    "high": float(high),
                    "zone_mass": summary["zone_mass"],
                    "run_dir": entry.key,
                }
            )
    return rows


def copy_plots(entries: list[BatchEntry], batch_dir: Path, plots_dir: Path) -> list[str]:
    """Copy each run's plots to ``plots_dir/<key>/``; say which earlier folders were replaced (never silently)."""
    messages = []
    for entry in entries:
        target = plots_dir / entry.key
        if target.exists():
            shutil.rmtree(target)
            messages.append(f"replaced {target}/ with the plots of {entry.path}")
        target.mkdir(parents=True)
        for png in sorted((batch_dir / entry.key / "plots").glob("*.png")):
            shutil.copy2(png, target / png.name)
    return messages
