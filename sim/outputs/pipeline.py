"""One zone run, scenario to complete run directory, in resumable steps.

Steps: sample preferences -> score every block of the package space into ``parts/`` -> assemble tables ->
plots and report -> mark complete. Each step's outputs are atomic files; a step whose outputs exist is skipped,
which is all ``--resume`` needs. Samples are drawn from the run seed, so a resumed run equals an uninterrupted one.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from sim.executors import Executor, map_shared
from sim.memory import release_free_memory
from sim.outputs.answers import Answer
from sim.outputs.budget import assembly_too_large
from sim.outputs.figure_choice import Figures
from sim.outputs.rundir import (
    RunDirError,
    atomic_write_text,
    finish_manifest,
    load_arrays,
    resume_manifest,
    save_arrays,
    start_manifest,
)
from sim.outputs.zoneload import load_analysis
from sim.outputs.zonerun import save_analysis
from sim.scenario.model import Scenario
from sim.zone.analyse import ZoneJob
from sim.zone.analysis import ZoneAnalysis
from sim.zone.results import ZoneList
from sim.zone.scoring import Block, BlockScore, ZoneScorer, score_blocks
from sim.zone.settings import RunSettings

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ZoneSettings:
    samples: int
    seed: int
    chunk_size: int | None = None  # largest tail scored densely (None: sim.zone.search's default); no effect on results
    workers: int = 1
    executor: Executor = Executor.local  # local: threads in this process; processes; dask (address: a cluster)
    address: str | None = None

    @classmethod
    def for_scenario(
        cls,
        scenario: Scenario,
        samples: int | None = None,
        seed: int | None = None,
        workers: int = 1,
        executor: Executor = Executor.local,
        address: str | None = None,
    ) -> ZoneSettings:
        samples = samples or scenario.run.samples
        return cls(
            samples,
            scenario.run.seed if seed is None else seed,
            scenario.run.chunk_size,
            workers,
            Executor.dask if address else executor,
            address,
        )

    @property
    def run(self) -> RunSettings:
        """What determines the results (workers and executor do not, so they are not part of a run's identity)."""
        return RunSettings(self.samples, self.seed, self.chunk_size)

    def recorded(self) -> dict[str, int | None]:
        return self.run.recorded()


def run_zone(
    scenario: Scenario,
    run_dir: Path,
    settings: ZoneSettings,
    *,
    resume: bool = False,
    scenario_file: str | None = None,
    progress: Progress | None = None,
    figures: Figures = Figures.all,
    pair: tuple[str, str] | None = None,
    force: bool = False,
    answers: Sequence[Answer] = (),
) -> ZoneAnalysis:
    """Run (or finish) a zone run in ``run_dir``; returns its analysis (read back when the run was complete).
    ``force`` replaces negsim's own earlier outputs in ``run_dir`` (never a file it did not write). ``answers``:
    the page's further answers (:mod:`sim.outputs.answers`: what would it take, talks), each run after the tables
    and before the page."""
    if resume:
        manifest = resume_manifest(run_dir, scenario, "zone")
        if manifest["status"] == "complete":
            return load_analysis(run_dir)
        settings = ZoneSettings(
            workers=settings.workers, executor=settings.executor, address=settings.address, **manifest["settings"]
        )
    else:
        manifest = start_manifest(run_dir, scenario, "zone", settings.recorded(), scenario_file, force)
    timings = manifest["timings"]
    clock = time.perf_counter()
    # not with a process pool: forking while another thread holds an import lock could hang a worker
    local = settings.executor is Executor.local
    imports = [_import_in_background("sim.outputs.zonefigures")] if figures is not Figures.none and local else []
    if local:  # pyarrow imports pandas (a dependency) at its first array, in the tables: ~0.5 s, overlapped too
        imports.append(_import_in_background("pandas"))
    job = ZoneJob.of(scenario, settings.run)
    scorer = job.scorer
    parts = run_dir / "parts"
    todo = [block for block in scorer.blocks if not _part_complete(parts, block)]
    done = len(scorer.blocks) - len(todo)
    if progress:
        progress(done, len(scorer.blocks))

    # every block is folded as it is saved (one scored before a --resume: read back, one at a time), and each
    # party's acceptance counts are read back from the parts when zone.parquet is written: memory follows the
    # block, not the zone
    reducer = job.reducer(stored=lambda block: _load_part_array(parts, block, "zone_accept_count"))
    pending = {block.index for block in todo}
    for block in scorer.blocks:
        if block.index not in pending:
            reducer.add(_load_part(parts, block))

    def fold(score: BlockScore) -> None:
        nonlocal done
        reducer.add(score)
        release_free_memory()  # what the block's scoring freed: resident memory stays that of the blocks at work
        done += 1
        if progress:
            progress(done, len(scorer.blocks))

    if settings.executor is Executor.local:  # each block saved by the thread that scored it
        for _ in score_blocks(scorer, todo, settings.workers, on_done=fold, on_scored=partial(_save_part, parts)):
            pass
    else:  # blocks are independent: each is scored wherever the executor runs it, and saved here as it returns
        for score in map_shared(ZoneScorer.score, scorer, todo, settings.executor, settings.workers, settings.address):
            _save_part(parts, score)
            fold(score)
    timings["score_s"] = round(timings.get("score_s", 0) + time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    too_large = assembly_too_large(sum(_part_path(parts, block).stat().st_size for block in scorer.blocks))
    if too_large:
        raise RunDirError(f"{run_dir}: {too_large} (--resume {run_dir})")
    # the same analysis as sim.zone, from the very arrays each part file holds
    release_free_memory()
    analysis = job.analyse(reducer.result())
    timings["analyse_s"] = round(time.perf_counter() - clock, 3)
    _write_run(run_dir, manifest, analysis, figures, pair, imports, answers)
    # the acceptance counts were read from parts/, which the finished run has removed: not kept, as when read back
    return replace(analysis, zone=ZoneList(analysis.zone.packages, analysis.zone.zone_count))


def save_run(
    analysis: ZoneAnalysis,
    run_dir: Path,
    *,
    plots: bool = True,
    scenario_file: str | None = None,
    force: bool = False,
    answers: Sequence[Answer] = (),
) -> Path:
    """Write an analysis computed in memory (``sim.zone``) as a complete run directory: the same files as
    ``negsim run`` with the same scenario, samples and seed (given the same ``answers``)."""
    manifest = start_manifest(run_dir, analysis.scenario, "zone", analysis.settings.recorded(), scenario_file, force)
    _write_run(run_dir, manifest, analysis, Figures.all if plots else Figures.none, None, [], answers)
    return run_dir


def _write_run(
    run_dir: Path,
    manifest: dict[str, Any],
    analysis: ZoneAnalysis,
    figures: Figures,
    pair: tuple[str, str] | None,
    imports: list[threading.Thread],
    answers: Sequence[Answer] = (),
) -> None:
    """The chosen figures start drawing in forked children (:mod:`sim.outputs.drawing`) while the tables and the
    page's further answers are written; then the report, then the manifest marked complete (with its summary)."""
    timings = manifest["timings"]
    for thread in imports:  # no thread may be importing while the drawing children fork
        thread.join()
    from sim.outputs.report import render_report, start_zone_figures  # the figures pull in matplotlib

    release_free_memory()  # before the drawing children fork: they would share what the analysis freed
    clock = time.perf_counter()
    drawing = start_zone_figures(run_dir, analysis, pair, figures)
    started = time.perf_counter() - clock
    clock = time.perf_counter()
    # the tables are written on a thread while the answers are computed: both spend most of their time outside
    # the interpreter (pyarrow's writers, numpy on whole blocks of samples), so they share the two cores
    with ThreadPoolExecutor(1, thread_name_prefix="tables") as tables:
        written = tables.submit(_timed, save_analysis, analysis, run_dir)
        if answers:
            for answer in answers:
                answer(analysis, run_dir)
            timings["answers_s"] = round(time.perf_counter() - clock, 3)
        summary, timings["tables_s"] = written.result()
    clock = time.perf_counter()
    drawing.finish()
    atomic_write_text(run_dir / "report.html", render_report(run_dir, analysis))
    timings["plots_s"] = round(started + time.perf_counter() - clock, 3)  # waiting for the figures, and the page
    finish_manifest(run_dir, manifest, summary)


def _timed(work: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``work(*args)`` and the seconds it took."""
    clock = time.perf_counter()
    return work(*args), round(time.perf_counter() - clock, 3)


def _import_in_background(module: str) -> threading.Thread:
    """Import ``module`` on a thread: plotting pulls in matplotlib (about half a second), which then overlaps with
    scoring and tables instead of following them. Importing has no effect beyond the module's own (it would be
    imported later anyway); an import error surfaces at the real import."""

    def load() -> None:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the import in the main thread reports it
            pass

    thread = threading.Thread(target=load, name=f"import {module}", daemon=True)
    thread.start()
    return thread


def _part_path(parts: Path, block: Block) -> Path:
    return parts / f"block-{block.index:06d}.npz"


PART_ARRAYS = (
    "packages",
    "zone_count",
    "table_count",
    "target_hits",
    "table_hits",
    "best_count",
    "best_package",
    "zone_sizes",
    "zone_accept_count",
)


def _part_complete(parts: Path, block: Block) -> bool:
    """Whether the block's saved score exists with every array this version writes (a part saved by an older
    version, e.g. without per-sample zone sizes, is scored again on resume rather than read wrong)."""
    path = _part_path(parts, block)
    if not path.exists():
        return False
    with np.load(path) as data:
        return set(PART_ARRAYS) <= set(data.files)


def _save_part(parts: Path, score: BlockScore) -> None:
    save_arrays(_part_path(parts, score.block), {name: getattr(score, name) for name in PART_ARRAYS})


def _load_part(parts: Path, block: Block) -> BlockScore:
    """A saved (sparse) block score: the block's packages agreed at the table in some sample, and target hits."""
    return BlockScore(block=block, **load_arrays(_part_path(parts, block)))


def _load_part_array(parts: Path, block: Block, name: str) -> np.ndarray:
    """One array of a saved block score (an ``.npz`` reads only the member asked for)."""
    with np.load(_part_path(parts, block)) as data:
        return data[name]
