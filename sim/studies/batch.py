"""A batch: many scenarios, each an ordinary run in its own directory under one batch directory, side by side.

Every run is named by a *key* that is unique within the batch: the scenario id, or, when two files share an id
(a copied scenario keeps its original's id), ``id~file-stem``. Keys name the run directories, the columns of the
summary tables and the folders of ``--plots-dir``, so one scenario's results can never overwrite another's.
The batch directory itself is claimed atomically, so two batches started at once never share a run directory.
It is a run directory of kind ``batch`` (locked, ``manifest.json`` saying ``complete`` last, after the tables and
the page), so an interrupted batch is finished by ``negsim batch --resume DIR``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.outputs.answers import Answer
from sim.outputs.figure_choice import Figures
from sim.outputs.owned import remove_ours
from sim.outputs.pipeline import ZoneSettings
from sim.outputs.rundir import atomic_write, atomic_write_json, finish_manifest, resume_manifest, start_manifest
from sim.outputs.runsummary import RunSummary
from sim.outputs.tables import write_csv
from sim.scenario.model import Scenario
from sim.studies.fanout import Fanout, RunTask, run_all
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
    fanout: Fanout = Fanout(),
    *,
    page: Callable[[Path], None] | None = None,
    figures: Figures = Figures.key,
    answers: Callable[[str], tuple[Answer, ...]] = lambda key: (),
) -> list[RunSummary]:
    """Run (or finish) every entry into ``batch_dir/<key>/``; write ``batch.json``, ``batch.csv`` and ``page``
    (the report), then mark the batch complete; return the summaries. ``answers(key)``: the further answers of
    that entry's page (:mod:`sim.outputs.answers`). A resumed batch reuses its complete runs,
    resumes the interrupted ones and uses the samples and seed it was started with."""
    runs = [{"key": e.key, "scenario_id": e.scenario.id, "file": str(e.path)} for e in entries]
    if fanout.resume:
        manifest = resume_manifest(batch_dir, None, "batch")
        samples, seed = manifest["settings"]["samples"], manifest["settings"]["seed"]
    else:
        manifest = start_manifest(
            batch_dir, None, "batch", {"samples": samples, "seed": seed, "runs": runs}, None, fanout.force
        )
        atomic_write_json(batch_dir / BATCH_FILE, {"kind": "batch", "status": "running", "runs": runs})
    threads = fanout.threads_per_run
    tasks = [
        RunTask(
            entry.scenario,
            batch_dir / entry.key,
            ZoneSettings.for_scenario(entry.scenario, samples, seed, threads),
            str(entry.path),
            figures,
            answers(entry.key),
        )
        for entry in entries
    ]
    summaries = run_all(tasks, fanout)
    if manifest["status"] == "complete" and (page is None or (batch_dir / "report.html").is_file()):
        return summaries
    write_csv(batch_dir / "batch.csv", summary_rows(entries, summaries, [t.settings.samples for t in tasks]))
    if page is not None:
        page(batch_dir)
    atomic_write_json(batch_dir / BATCH_FILE, {"kind": "batch", "status": "complete", "runs": runs})
    finish_manifest(batch_dir, manifest, {"runs": len(entries)})
    return summaries


def recorded_entries(batch_dir: Path, load: Callable[[Path], Scenario]) -> list[BatchEntry]:
    """The entries a batch was started with, for ``--resume``: each recorded key with its scenario file, loaded
    again by ``load`` (the command line's, which reports a bad file in one line)."""
    from sim.outputs.runmanifest import RunManifest

    runs: Any = RunManifest.read(batch_dir).settings.get("runs", [])
    return [BatchEntry(run["key"], Path(run["file"]), load(Path(run["file"]))) for run in runs]


def summary_rows(entries: list[BatchEntry], summaries: list[RunSummary], samples: list[int]) -> list[dict[str, Any]]:
    """One row per scenario and quantity (P(zone non-empty), each offer's P(completion)), with intervals."""
    rows = []
    for entry, summary, n in zip(entries, summaries, samples, strict=True):
        labels = {offer.id: offer.label for offer in entry.scenario.offers}
        quantities = [("p_zone_nonempty", "P(zone non-empty)", summary.p_nonempty.p)]
        quantities += [(o, label, summary.offers[o].p_complete.p) for o, label in labels.items() if o in summary.offers]
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
                    "zone_mass": summary.zone_mass,
                    "run_dir": entry.key,
                }
            )
    return rows


def copy_plots(entries: list[BatchEntry], batch_dir: Path, plots_dir: Path) -> list[str]:
    """Copy each run's plots to ``plots_dir/<key>/``. Only plots negsim wrote there before are removed (each
    folder's ledger says which); a file of the user's is kept, and one in the way of a new plot is refused."""
    messages = []
    for entry in entries:
        target = plots_dir / entry.key
        if target.is_dir() and not target.is_symlink():
            before = {p.name for p in target.iterdir()}
            kept = remove_ours(target)
            replaced = len(before) - len({p.name for p in target.iterdir()}) if target.is_dir() else len(before)
            if replaced:
                mine = f"; kept {', '.join(p.name for p in kept)} (not written by negsim)" if kept else ""
                messages.append(f"replaced {replaced} earlier plots in {target}/ with those of {entry.path}{mine}")
        for png in sorted((batch_dir / entry.key / "plots").glob("*.png")):
            data = png.read_bytes()
            atomic_write(target / png.name, lambda file, data=data: file.write(data))
    return messages
