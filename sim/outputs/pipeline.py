"""One zone run, scenario to complete run directory, in resumable steps.

Steps: sample preferences -> score every block of the package space into ``parts/`` -> assemble tables ->
plots and report -> mark complete. Each step's outputs are atomic files; a step whose outputs exist is skipped,
which is all ``--resume`` needs. Samples are drawn from the run seed, so a resumed run equals an uninterrupted one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.outputs.rundir import (
    atomic_write_json,
    finish_manifest,
    load_arrays,
    resume_manifest,
    save_arrays,
    start_manifest,
)
from sim.outputs.tables import issue_columns, write_csv, write_parquet, zone_rows
from sim.scenario.model import Scenario
from sim.zone.bargaining import bargaining_solutions, blocking_detail, pareto_frontier
from sim.zone.preferences import Preferences, expected_utility, sample_preferences
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

    @classmethod
    def for_scenario(
        cls, scenario: Scenario, samples: int | None = None, seed: int | None = None, workers: int = 1
    ) -> ZoneSettings:
        samples = samples or scenario.run.samples
        return cls(
            samples,
            scenario.run.seed if seed is None else seed,
            scenario.run.chunk_size,
            workers,
        )

    def recorded(self) -> dict[str, int | None]:
        """What a run was asked for (only samples and seed determine its results)."""
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
) -> dict[str, Any]:
    """Run (or finish) a zone run in ``run_dir``; returns the summary stored in the manifest."""
    if resume:
        manifest = resume_manifest(run_dir, scenario, "zone")
        if manifest["status"] == "complete":
            return manifest["summary"]
        settings = ZoneSettings(workers=settings.workers, **manifest["settings"])
    else:
        manifest = start_manifest(run_dir, scenario, "zone", settings.recorded(), scenario_file)
    timings = manifest["timings"]
    clock = time.perf_counter()
    preferences = sample_preferences(scenario, settings.samples, np.random.default_rng(settings.seed))
    space = PackageSpace.from_scenario(scenario)
    targets = scenario_targets(scenario, space)
    scorer = ZoneScorer(space, preferences, targets, tail_max=settings.chunk_size)
    parts = run_dir / "parts"
    todo = [block for block in scorer.blocks if not _part_path(parts, block).exists()]
    done = len(scorer.blocks) - len(todo)
    if progress:
        progress(done, len(scorer.blocks))

    def save(score: BlockScore) -> None:
        nonlocal done
        _save_part(parts, score)
        done += 1
        if progress:
            progress(done, len(scorer.blocks))

    for _ in score_blocks(scorer, todo, settings.workers, on_done=save):
        pass
    timings["score_s"] = round(timings.get("score_s", 0) + time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    summary = assemble(run_dir, scenario, space, preferences, targets, scorer)
    timings["tables_s"] = round(time.perf_counter() - clock, 3)
    if make_plots:
        clock = time.perf_counter()
        from sim.outputs.report import write_zone_report  # plotting pulls in matplotlib: only when drawing

        write_zone_report(run_dir, scenario, summary)
        timings["plots_s"] = round(time.perf_counter() - clock, 3)
    finish_manifest(run_dir, manifest, summary)
    return summary


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
)


def _save_part(parts: Path, score: BlockScore) -> None:
    save_arrays(_part_path(parts, score.block), {name: getattr(score, name) for name in PART_ARRAYS})


def _load_part(parts: Path, block: Block) -> BlockScore:
    return BlockScore(block=block, **load_arrays(_part_path(parts, block)))


def assemble(
    run_dir: Path,
    scenario: Scenario,
    space: PackageSpace,
    preferences: Preferences,
    targets: list[Target],
    scorer: ZoneScorer,
) -> dict[str, Any]:
    """Build zone.parquet (packages with some sample in the zone), offers.parquet, marginals.csv and the summary."""
    samples = preferences.samples
    parts = [_load_part(run_dir / "parts", block) for block in scorer.blocks]
    packages = np.concatenate([part.packages for part in parts])
    zone = np.concatenate([part.zone_count for part in parts])
    order = np.argsort(packages, kind="stable")
    packages, zone = packages[order], zone[order]
    in_zone = zone > 0
    feasible = space.count_feasible()
    codes = space.codes(packages[in_zone])
    n_options = max(space.radices)
    zone_sum = np.zeros((len(space.issue_ids), n_options))
    option_count = np.zeros((len(space.issue_ids), n_options))
    for i, radix in enumerate(space.radices):
        zone_sum[i, :radix] = np.bincount(codes[:, i], weights=zone[in_zone], minlength=radix)[:radix]
        option_count[i, :radix] = [space.count_feasible({i: o}) for o in range(radix)]
    histogram = _histogram(zone[in_zone], samples)
    histogram[0] = feasible - int(in_zone.sum())
    totals = {"feasible": feasible, "zone_mass": float(zone.sum()) / samples}
    table = zone_rows(
        space,
        preferences.party_ids,
        packages[in_zone],
        codes,
        zone[in_zone],
        acceptance_counts(preferences, space, packages[in_zone]),
        expected_utility(preferences, codes),
        samples,
    )
    write_parquet(run_dir / "zone.parquet", table)
    rows = table.num_rows
    scores = combine_targets(parts, targets, samples)
    offer_rows = target_rows(scenario, space, preferences, scores, kind="offer")
    marginal_rows = target_rows(scenario, space, preferences, scores, kind="option")
    for row in marginal_rows:
        issue, option = row["target"].split(".")
        i = space.issue_ids.index(issue)
        o = space.option_ids[i].index(option)
        row["mean_p_zone"] = zone_sum[i, o] / samples / option_count[i, o] if option_count[i, o] else 0.0
    write_parquet(
        run_dir / "offers.parquet",
        pa.Table.from_pylist(offer_rows) if offer_rows else pa.table({"offer": pa.array([], pa.string())}),
    )
    write_csv(run_dir / "marginals.csv", marginal_rows)
    solutions = write_frontier(run_dir, space, preferences, scorer)
    whole = next(i for i, t in enumerate(targets) if t.kind == "space")
    best = int(scores.best_package[whole])
    return {
        "space_size": space.size,
        "feasible_packages": totals["feasible"],
        "zone_rows": rows,
        "zone_table": "packages with p_zone > 0 (every other package is in the zone in no sample)",
        "zone_mass": totals["zone_mass"],
        "p_zone_nonempty": float(scores.p_complete[whole]),
        "best_package": space.describe(best) if best >= 0 else None,
        "best_p_zone": float(scores.best_count[whole]) / samples if best >= 0 else 0.0,
        "p_zone_histogram": {
            "edges": np.linspace(0, 1, HISTOGRAM_BINS + 1).tolist(),
            "zero": int(histogram[0]),
            "counts": histogram[1:].tolist(),
        },
        "offers": {
            row["target"]: {
                "p_complete": row["p_complete"],
                "best_p_zone": row["best_p_zone"],
                "blocker": row["blocker"],
            }
            for row in offer_rows
        },
        "solutions": {name: (sol["package"] if sol else None) for name, sol in solutions.items()},
        "parties": list(preferences.party_ids),
        "veto_parties": [p for p, v in zip(preferences.party_ids, preferences.veto, strict=True) if v],
    }


def _histogram(zone_count: np.ndarray, samples: int) -> np.ndarray:
    """Packages never in the zone, then 20 equal bins of p_zone over (0, 1]."""
    positive = zone_count[zone_count > 0] / samples
    bins = np.minimum((np.ceil(positive * HISTOGRAM_BINS) - 1).astype(np.int64), HISTOGRAM_BINS - 1)
    return np.concatenate([[np.count_nonzero(zone_count == 0)], np.bincount(bins, minlength=HISTOGRAM_BINS)])


def target_rows(
    scenario: Scenario, space: PackageSpace, preferences: Preferences, scores: Any, kind: str
) -> list[dict[str, Any]]:
    """One row per offer (or option): completion probability, best completion, who rejects that most often."""
    labels = {offer.id: offer.label for offer in scenario.offers}
    for issue in scenario.issues:
        labels.update({f"{issue.id}.{o.id}": o.label for o in issue.options})
    rows = []
    for t, target in enumerate(scores.targets):
        if target.kind != kind:
            continue
        best = int(scores.best_package[t])
        row: dict[str, Any] = {
            "target": target.name,
            "label": labels.get(target.name, target.name),
            "p_complete": float(scores.p_complete[t]),
            "best_p_zone": max(float(scores.best_count[t]), 0.0) / scores.samples,
        }
        if kind == "offer":
            row["fixed"] = ", ".join(f"{space.issue_ids[i]}={space.option_ids[i][o]}" for i, o in target.fix)
        accept = (
            preferences.acceptable(space, space.codes(np.array([best])))[:, 0, :].mean(axis=1)
            if best >= 0
            else np.full(len(preferences.party_ids), np.nan)
        )
        row["best_package"] = best
        if kind == "offer":
            row.update(space.describe(best) if best >= 0 else {i: None for i in space.issue_ids})
        for p, party in enumerate(preferences.party_ids):
            row[f"p_accept_{party}"] = float(accept[p])
        veto = np.flatnonzero(preferences.veto)
        reject = 1 - accept[veto]
        worst = int(veto[np.nanargmax(reject)]) if best >= 0 else -1
        row["blocker"] = preferences.party_ids[worst] if worst >= 0 and reject.max() > 0 else ""
        row["blocker_reject"] = float(np.nanmax(reject)) if best >= 0 else float("nan")
        if kind == "offer":
            row.update(_blocker_columns(preferences, space, best, worst, target))
        rows.append(row)
    return rows


def zone_counts_of(run_dir: Path, scorer: ZoneScorer, packages: np.ndarray) -> np.ndarray:
    """Zone counts of given packages, read from the saved (sparse) parts; 0 for a package never in the zone."""
    parts = [_load_part(run_dir / "parts", block) for block in scorer.blocks]
    listed = np.concatenate([part.packages for part in parts])
    counts = np.concatenate([part.zone_count for part in parts])
    order = np.argsort(listed, kind="stable")
    return lookup_counts(listed[order], counts[order], np.asarray(packages, dtype=np.int64))


def write_frontier(
    run_dir: Path, space: PackageSpace, preferences: Preferences, scorer: ZoneScorer
) -> dict[str, dict[str, Any] | None]:
    """frontier.parquet (one row per frontier package) and solutions.json (Nash, Kalai–Smorodinsky, ...)."""
    frontier = pareto_frontier(space, preferences)
    samples = preferences.samples
    p_zone = zone_counts_of(run_dir, scorer, frontier.packages) / samples
    eu = expected_utility(preferences, frontier.codes)
    columns: dict[str, Any] = {"package": pa.array(frontier.packages.astype(np.int64))}
    columns.update(issue_columns(space, frontier.codes))
    columns["p_zone"] = pa.array(p_zone)
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
            "p_zone": float(zone_counts_of(run_dir, scorer, np.array([solution.package]))[0] / samples),
        }
    atomic_write_json(
        run_dir / "solutions.json",
        {
            "definition": "among packages breaking no veto party's red line whose expected utility reaches every "
            "veto party's mean reservation; ties broken by the larger utility sum",
            "frontier_size": int(len(frontier.packages)),
            "reservation": dict(zip(frontier.party_ids, frontier.reservation.tolist(), strict=True)),
            "solutions": solutions,
        },
    )
    return solutions


def _blocker_columns(
    preferences: Preferences, space: PackageSpace, best: int, blocker: int, target: Target
) -> dict[str, Any]:
    """For an offer's best completion: the blocker's red line, the fixed issue it loses most on, its shortfall."""
    if best < 0 or blocker < 0:
        return {
            "blocker_red_line": "",
            "blocker_issue": "",
            "blocker_issue_loss": float("nan"),
            "blocker_shortfall": float("nan"),
        }
    codes = space.codes(np.array([best]))[0]
    detail = blocking_detail(preferences, codes, blocker, [issue for issue, _ in target.fix])
    red_line = str(detail["red_line"])
    if red_line:
        issue, option = (int(x) for x in red_line.split("."))
        red_line = f"{space.issue_ids[issue]}.{space.option_ids[issue][option]}"
    issue_index = int(detail["issue"])  # type: ignore[call-overload]
    return {
        "blocker_red_line": red_line,
        "blocker_issue": space.issue_ids[issue_index] if issue_index >= 0 else "",
        "blocker_issue_loss": detail["issue_loss"],
        "blocker_shortfall": detail["shortfall"],
    }
