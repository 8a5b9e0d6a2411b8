"""One zone run, scenario to complete run directory, in resumable steps.

Steps: sample preferences -> score every block of the package space into ``parts/`` -> assemble tables ->
plots and report -> mark complete. Each step's outputs are atomic files; a step whose outputs exist is skipped,
which is all ``--resume`` needs. Samples are drawn from the run seed, so a resumed run equals an uninterrupted one.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.executors import Executor, map_tasks
from sim.outputs.budget import assembly_too_large
from sim.outputs.rundir import (
    RunDirError,
    atomic_write_json,
    finish_manifest,
    load_arrays,
    resume_manifest,
    save_arrays,
    start_manifest,
)
from sim.outputs.tables import (
    issue_columns,
    nulls,
    rows_table,
    table_metadata,
    with_interval,
    write_csv,
    write_parquet,
    write_parquet_stream,
    write_sample_hits,
    zone_rows,
)
from sim.outputs.targets import TargetContext, headline, target_rows
from sim.scenario.model import Scenario
from sim.zone.bargaining import bargaining_solutions, pareto_frontier
from sim.zone.electorate import body_shares
from sim.zone.intervals import METHOD, mean_interval
from sim.zone.preferences import Preferences, expected_utility
from sim.zone.sampling import sample_preferences
from sim.zone.scoring import (
    Block,
    BlockScore,
    Target,
    ZoneScorer,
    acceptance_counts,
    combine_targets,
    lookup_counts,
    scenario_targets,
    score_blocks,
)
from sim.zone.space import PackageSpace

HISTOGRAM_BINS = 20
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

    def recorded(self) -> dict[str, int | None]:
        """What determines the results (workers does not, so it is not part of a run's identity)."""
        return {"samples": self.samples, "seed": self.seed, "chunk_size": self.chunk_size}


def run_zone(
    scenario: Scenario,
    run_dir: Path,
    settings: ZoneSettings,
    *,
    resume: bool = False,
    scenario_file: str | None = None,
    progress: Progress | None = None,
    make_plots: bool = True,
    pair: tuple[str, str] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Run (or finish) a zone run in ``run_dir``; returns the summary stored in the manifest. ``force`` replaces
    negsim's own earlier outputs in ``run_dir`` (never a file it did not write)."""
    if resume:
        manifest = resume_manifest(run_dir, scenario, "zone")
        if manifest["status"] == "complete":
            return manifest["summary"]
        settings = ZoneSettings(
            workers=settings.workers, executor=settings.executor, address=settings.address, **manifest["settings"]
        )
    else:
        manifest = start_manifest(run_dir, scenario, "zone", settings.recorded(), scenario_file, force)
    timings = manifest["timings"]
    clock = time.perf_counter()
    # not with a process pool: forking while another thread holds an import lock could hang a worker
    local = settings.executor is Executor.local
    plotting = _import_in_background("sim.outputs.report") if make_plots and local else None
    preferences = sample_preferences(scenario, settings.samples, np.random.default_rng(settings.seed))
    space = PackageSpace.from_scenario(scenario)
    targets = scenario_targets(scenario, space)
    scorer = ZoneScorer(space, preferences, targets, tail_max=settings.chunk_size)
    parts = run_dir / "parts"
    todo = [block for block in scorer.blocks if not _part_complete(parts, block)]
    done = len(scorer.blocks) - len(todo)
    if progress:
        progress(done, len(scorer.blocks))

    def save(score: BlockScore) -> None:
        nonlocal done
        _save_part(parts, score)
        done += 1
        if progress:
            progress(done, len(scorer.blocks))

    if settings.executor is Executor.local:
        for _ in score_blocks(scorer, todo, settings.workers, on_done=save):
            pass
    else:  # blocks are independent: each is scored wherever the executor runs it, and saved here as it returns
        for score in map_tasks(scorer.score, todo, settings.executor, settings.workers, settings.address):
            save(score)
    timings["score_s"] = round(timings.get("score_s", 0) + time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    too_large = assembly_too_large(sum(_part_path(parts, block).stat().st_size for block in scorer.blocks))
    if too_large:
        raise RunDirError(f"{run_dir}: {too_large} (--resume {run_dir})")
    summary = assemble(run_dir, scenario, space, preferences, targets, scorer)
    timings["tables_s"] = round(time.perf_counter() - clock, 3)
    if make_plots:
        clock = time.perf_counter()
        if plotting:
            plotting.join()
        from sim.outputs.report import write_zone_report  # plotting pulls in matplotlib: only when drawing

        write_zone_report(run_dir, scenario, summary, pair, preferences)
        timings["plots_s"] = round(time.perf_counter() - clock, 3)
    finish_manifest(run_dir, manifest, summary)
    return summary


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


ZONE_TABLE_ROWS = 2**17  # rows of zone.parquet built and written at a time


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
    "accept_count",
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


def _zone_list(parts: list[BlockScore]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every package in the zone in some sample (sorted), its zone count and each party's acceptance count, from
    the blocks' scores."""
    packages = np.concatenate([part.packages for part in parts]) if parts else np.zeros(0, dtype=np.int64)
    counts = np.concatenate([part.zone_count for part in parts]) if parts else np.zeros(0, dtype=np.int32)
    accepts = np.concatenate([part.accept_count for part in parts], axis=1) if parts else np.zeros((0, 0), np.int32)
    order = np.argsort(packages, kind="stable")
    order = order[counts[order] > 0]
    return packages[order], counts[order], accepts[:, order]


def assemble(
    run_dir: Path,
    scenario: Scenario,
    space: PackageSpace,
    preferences: Preferences,
    targets: list[Target],
    scorer: ZoneScorer,
) -> dict[str, Any]:
    """Build offers.parquet, marginals.csv, frontier, solutions, then stream the parts into zone.parquet.

    zone.parquet holds every package that some sample puts in the zone plus every package the run names (offers'
    completions, bargaining solutions, the closest package): its size follows the zone, not the space.
    """
    samples = preferences.samples
    parts = [_load_part(run_dir / "parts", block) for block in scorer.blocks]  # read once; everything below uses it
    scores = combine_targets(parts, targets, samples)
    listed, listed_counts, listed_accepts = _zone_list(parts)

    def counts_of(packages: np.ndarray) -> np.ndarray:
        return lookup_counts(listed, listed_counts, np.asarray(packages, dtype=np.int64))

    context = TargetContext(scenario, space, preferences)
    offer_rows = target_rows(context, scores, "offer", counts_of)
    marginal_rows = target_rows(context, scores, "option", counts_of)
    head = headline(context, scores, counts_of)
    solutions = write_frontier(run_dir, space, preferences, counts_of)
    named = {int(row["completion_package"]) for row in offer_rows if row["completion_package"] >= 0}
    named |= {int(sol["package"]) for sol in solutions.values() if sol}
    if head["best_package_number"] is not None:
        named.add(int(head["best_package_number"]))
    if head.get("closest_package"):
        named.add(int(head["closest_package"]["package"]))
    metadata = table_metadata(preferences.party_ids, preferences.veto, space, context.labels)
    named_packages = np.array(sorted(named), dtype=np.int64)
    table = _write_zone_table(
        run_dir, space, preferences, (listed, listed_counts, listed_accepts), named_packages, metadata
    )
    for row in marginal_rows:
        i, o = context.index(row["target"])
        count = table.option_count[i][o]
        row["mean_p_zone"] = float(table.zone_sum[i][o] / samples / count) if count else 0.0
    write_parquet(run_dir / "offers.parquet", rows_table(offer_rows, metadata))
    write_csv(run_dir / "marginals.csv", nulls(marginal_rows))
    write_sample_hits(run_dir, scores)
    feasible = int(table.option_count[0].sum())
    offer_keys = (
        "p_complete",
        "p_complete_lo",
        "p_complete_hi",
        "completion",
        "completion_p_zone",
        "completion_p_zone_lo",
        "completion_p_zone_hi",
        "blocker",
    )
    return {
        "space_size": space.size,
        "feasible_packages": feasible,
        "zone_rows": table.rows,
        "zone_table": "packages with p_zone > 0, plus those named by offers, solutions and the summary",
        "zone_mass": float(table.zone_sum[0].sum()) / samples,
        "zone_mass_interval": list(mean_interval(sum(part.zone_sizes.astype(np.int64) for part in parts))),
        **head,
        "interval": f"95 % Monte-Carlo interval: {METHOD}",
        "p_zone_histogram": {
            "edges": np.linspace(0, 1, HISTOGRAM_BINS + 1).tolist(),
            "zero": feasible - int(table.histogram.sum()),
            "counts": table.histogram.tolist(),
        },
        "offers": {row["target"]: {k: row[k] for k in (*offer_keys, "reason")} for row in offer_rows},
        "solutions": {name: (sol["package"] if sol else None) for name, sol in solutions.items()},
        "parties": list(preferences.party_ids),
        "veto_parties": [p for p, v in zip(preferences.party_ids, preferences.veto, strict=True) if v],
    }


@dataclass(frozen=True)
class ZoneTable:
    """What streaming zone.parquet learns on the way: per-option zone-count sums and feasible counts, the p_zone
    histogram of packages in the zone at least once, and the number of rows written."""

    zone_sum: list[np.ndarray]
    option_count: list[np.ndarray]
    histogram: np.ndarray
    rows: int


def _write_zone_table(
    run_dir: Path,
    space: PackageSpace,
    preferences: Preferences,
    zone_list: tuple[np.ndarray, np.ndarray, np.ndarray],
    named: np.ndarray,
    metadata: dict[str, str],
) -> ZoneTable:
    """zone.parquet: every package in the zone in some sample plus the feasible ``named`` ones, with every column.
    Per-option sums come from the sparse zone list; per-option feasible counts are exact counts, not enumerations."""
    samples = preferences.samples
    listed, zone, accepts = zone_list
    named = named[space.feasible(space.codes(named))] if named.size else named
    keep = np.union1d(listed, named).astype(np.int64)
    listed_codes = space.codes(listed)
    zone_sum = [np.bincount(listed_codes[:, i], weights=zone, minlength=r)[:r] for i, r in enumerate(space.radices)]
    option_count = [
        np.array([space.count_feasible({i: o}) for o in range(r)], dtype=np.float64)
        for i, r in enumerate(space.radices)
    ]

    def chunk(start: int) -> pa.Table:
        packages = keep[start : start + ZONE_TABLE_ROWS]
        codes = space.codes(packages)
        zone_counts = lookup_counts(listed, zone, packages)
        return zone_rows(
            space,
            preferences.party_ids,
            packages,
            codes,
            zone_counts,
            _acceptance(preferences, space, listed, accepts, packages),
            expected_utility(preferences, codes),
            samples,
            body_shares(preferences, codes, zone_counts > 0),
        ).replace_schema_metadata(metadata)

    first = chunk(0)  # streamed in bounded chunks: memory does not grow with the zone
    rows = write_parquet_stream(
        run_dir / "zone.parquet",
        itertools.chain([first], (chunk(start) for start in range(ZONE_TABLE_ROWS, keep.size, ZONE_TABLE_ROWS))),
        first.schema,
    )
    return ZoneTable(zone_sum, option_count, _histogram(zone, samples), rows)


def _acceptance(
    preferences: Preferences, space: PackageSpace, listed: np.ndarray, accepts: np.ndarray, packages: np.ndarray
) -> np.ndarray:
    """Each party's acceptance count of sorted ``packages``: the scorer's counts for listed ones, computed for the
    few others (packages named by offers or solutions but never in the zone)."""
    at = np.searchsorted(listed, packages)
    found = at < listed.size
    found[found] = listed[at[found]] == packages[found]
    counts = np.zeros((preferences.n_parties, packages.size), dtype=np.int32)
    counts[:, found] = accepts[:, at[found]]
    if not found.all():
        counts[:, ~found] = acceptance_counts(preferences, space, packages[~found])
    return counts


def _histogram(positive_counts: np.ndarray, samples: int) -> np.ndarray:
    """20 equal bins of p_zone over (0, 1] for packages in the zone in at least one sample."""
    bins = np.minimum((np.ceil(positive_counts / samples * HISTOGRAM_BINS) - 1).astype(np.int64), HISTOGRAM_BINS - 1)
    return np.bincount(bins, minlength=HISTOGRAM_BINS)


def write_frontier(
    run_dir: Path, space: PackageSpace, preferences: Preferences, counts_of: Callable[[np.ndarray], np.ndarray]
) -> dict[str, dict[str, Any] | None]:
    """frontier.parquet (one row per frontier package) and solutions.json (Nash, Kalai–Smorodinsky, ...)."""
    frontier = pareto_frontier(space, preferences, individually_rational=True)
    samples = preferences.samples
    zone = counts_of(frontier.packages)
    eu = expected_utility(preferences, frontier.codes)
    columns: dict[str, Any] = {"package": pa.array(frontier.packages.astype(np.int64))}
    columns.update(issue_columns(space, frontier.codes))
    columns.update({k: pa.array(v) for k, v in with_interval("p_zone", zone, samples).items()})
    for p, party in enumerate(preferences.party_ids):
        columns[f"eu_{party}"] = pa.array(eu[p])
    write_parquet(run_dir / "frontier.parquet", pa.table(columns))
    solutions: dict[str, dict[str, Any] | None] = {}
    for name, solution in bargaining_solutions(frontier).items():
        if solution is None:
            solutions[name] = None
            continue
        codes = np.array([solution.codes])
        solutions[name] = {
            "package": solution.package,
            "options": space.describe(solution.package),
            "expected_utility": dict(
                zip(preferences.party_ids, expected_utility(preferences, codes)[:, 0].tolist(), strict=True)
            ),
            "gain_over_reservation": dict(zip(frontier.party_ids, solution.gains, strict=True)),
            **{
                k: float(v)
                for k, v in with_interval("p_zone", int(counts_of(np.array([solution.package]))[0]), samples).items()
            },
        }
    atomic_write_json(
        run_dir / "solutions.json",
        {
            "definition": "among packages breaking no veto party's red line whose expected utility reaches every "
            "veto party's mean reservation; ties broken by the larger utility sum",
            "frontier": "the negotiation set: Pareto-efficient packages (expected utilities of veto parties) that "
            "break no veto party's red line and reach every veto party's mean reservation",
            "frontier_size": int(len(frontier.packages)),
            "reservation": dict(zip(frontier.party_ids, frontier.reservation.tolist(), strict=True)),
            "solutions": solutions,
        },
    )
    return solutions
