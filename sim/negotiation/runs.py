"""Repeated negotiation runs: N independent runs of the Mesa model, resumable, identical for any worker count.

Each run's seed is drawn up front from the run seed (``SeedSequence.spawn``), and runs are grouped in chunks
that are saved as they finish (``parts/chunk-NNNN.parquet``), so neither the number of workers nor an
interruption changes the results. A chunk is at least ``CHUNK_RUNS`` runs and an eighth of them, up to
``MAX_CHUNK_RUNS`` (a function of the number of runs alone, so a resumed run cuts its chunks as before): saving a
part costs two fsyncs and a ledger line, ~10-25 ms, as much as 50-100 short runs.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.executors import Executor, map_tasks
from sim.negotiation.model import NegotiationModel, NegotiationSetup, Protocol
from sim.negotiation.result import NegotiationResult, RoundRecord, read_negotiations
from sim.negotiation.versus_zone import RUN_GROUP, run_zones, talks_versus_zone
from sim.outputs.figure_choice import Figures
from sim.outputs.rundir import (
    finish_manifest,
    lock_run_dir,
    record_summary,
    resume_manifest,
    start_manifest,
    unlock_run_dir,
)
from sim.outputs.tables import write_parquet, write_parquet_stream
from sim.scenario.model import Scenario
from sim.zone.settings import RunSettings, run_preferences
from sim.zone.space import PackageSpace

CHUNK_RUNS = 250
MAX_CHUNK_RUNS = 2000
CHUNKS = 8
ZONE_SAMPLES = 1000
Progress = Callable[[int, int], None]


def run_seeds(seed: int, runs: int) -> list[int]:
    """One independent 63-bit seed per run, derived from the run seed alone."""
    return [
        int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        for child in np.random.SeedSequence(seed).spawn(runs)
    ]


def mediator_seed(seed: int) -> int:
    """The seed of the mediator's belief: its own stream, derived from the run seed, shared by every run."""
    return int(np.random.SeedSequence([seed, 0x6D656469]).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class Chunk:
    scenario: Scenario
    protocol: Protocol
    first_run: int
    seeds: tuple[int, ...]
    traced: tuple[bool, ...]
    belief_seed: int = 0


_SETUPS: dict[str, NegotiationSetup] = {}


def setup_for(scenario: Scenario) -> NegotiationSetup:
    """The per-scenario constants, built once per process (a worker plays many chunks of one scenario)."""
    key = scenario.content_hash()
    if key not in _SETUPS:
        _SETUPS.clear()
        _SETUPS[key] = NegotiationSetup.build(scenario)
    return _SETUPS[key]


def play_chunk(chunk: Chunk) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Play a chunk of runs: one outcome row per run, and the round-by-round trace of the traced ones.

    Runs go in groups of ``RUN_GROUP``: a group's preferences are drawn together (each run's from its own seed,
    ``NegotiationModel.group``) and its zones are scored together (``run_zones``), so neither depends on the group.
    """
    setup = setup_for(chunk.scenario)
    outcomes: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    for start in range(0, len(chunk.seeds), RUN_GROUP):
        seeds = list(chunk.seeds[start : start + RUN_GROUP])
        models = NegotiationModel.group(
            setup, chunk.protocol, seeds, list(chunk.traced[start : start + RUN_GROUP]), chunk.belief_seed
        )
        agreed = []
        for offset, (seed, model) in enumerate(zip(seeds, models, strict=True)):
            run = chunk.first_run + start + offset
            model.run_model()
            outcomes.append({"run": run, "seed": seed, **model.outcome(with_zone=False)})
            agreed.append(model.agreed_utilities)
            if model.trace:
                rounds.extend(record.row() for record in trace_records(model, run))
            model.release()
        zones = run_zones(setup.space, models[0].preferences)
        for row, zone, utilities in zip(outcomes[-len(seeds) :], zones, agreed, strict=True):
            row.update(zone.row(utilities))
    return outcomes, rounds


def trace_records(model: NegotiationModel, run: int) -> list[RoundRecord]:
    """The DataCollector's records: one per round and party (a traced run's)."""
    assert model.datacollector is not None, "only a traced run records its rounds"
    agents = model.datacollector.get_agent_vars_dataframe().reset_index()
    offers = model.datacollector.get_model_vars_dataframe()
    names = {agent.unique_id: agent.party.id for agent in model.parties}
    rows = []
    for record in agents.itertuples(index=False):
        if record.AgentID not in names:
            continue
        step = int(record.Step)
        rows.append(
            RoundRecord(
                run=run,
                round=step,
                party=names[record.AgentID],
                aspiration=float(record.aspiration),
                reply=str(record.reply),
                offer_utility=float(record.offer_utility),
                proposer=str(offers["proposer"].iloc[step - 1]),
                offer=int(offers["offer"].iloc[step - 1]),
            )
        )
    return rows


def run_negotiations(
    scenario: Scenario,
    run_dir: Path,
    protocol: Protocol,
    runs: int,
    seed: int,
    trace: int,
    *,
    workers: int = 1,
    executor: Executor = Executor.processes,
    address: str | None = None,
    resume: bool = False,
    scenario_file: str | None = None,
    progress: Progress | None = None,
    make_plots: bool = True,
    force: bool = False,
    figures: Figures = Figures.all,
    page: Callable[[Path], None] | None = None,
) -> NegotiationResult:
    """Play ``runs`` negotiations into ``run_dir``; write the tables, the plots ``figures`` asks for (none without
    ``make_plots``) and ``page`` (the report), then mark the run complete; returns the run as a value (what
    ``read_negotiations`` reads back from the directory). A complete run whose page is missing gets it."""
    settings = {"protocol": protocol.value, "runs": runs, "seed": seed, "trace": trace}
    if resume:
        manifest = resume_manifest(run_dir, scenario, "negotiate")
        if manifest["status"] == "complete":
            if page is not None and not (run_dir / "report.html").is_file():
                lock_run_dir(run_dir)
                page(run_dir)
                unlock_run_dir(run_dir)
            return read_negotiations(run_dir)
        settings = manifest["settings"]
        protocol, runs, seed, trace = (
            Protocol(settings["protocol"]),
            settings["runs"],
            settings["seed"],
            settings["trace"],
        )
    else:
        manifest = start_manifest(run_dir, scenario, "negotiate", settings, scenario_file, force)
    clock = time.perf_counter()
    seeds = run_seeds(seed, runs)
    size = chunk_runs(runs)
    chunks = [
        Chunk(
            scenario,
            protocol,
            start,
            tuple(seeds[start : start + size]),
            tuple(run < trace for run in range(start, min(start + size, runs))),
            mediator_seed(seed),
        )
        for start in range(0, runs, size)
    ]
    parts = run_dir / "parts"
    todo = [(k, c) for k, c in enumerate(chunks) if not _part_done(parts, k, c)]
    done = len(chunks) - len(todo)
    tasks = map_tasks(play_chunk, [c for _, c in todo], executor, workers, address)
    for (index, _), (outcomes, rounds) in zip(todo, tasks, strict=True):
        write_parquet(_part(parts, index, "rounds"), _table(rounds, ROUND_SCHEMA))
        write_parquet(_part(parts, index, "outcomes"), pa.Table.from_pylist(outcomes))
        done += 1
        if progress:
            progress(done, len(chunks))
    manifest["timings"]["play_s"] = round(manifest["timings"].get("play_s", 0) + time.perf_counter() - clock, 3)
    outcomes_table = pa.concat_tables(
        [pq.read_table(_part(parts, k, "outcomes")) for k in range(len(chunks))], promote_options="default"
    )  # a chunk with no agreement has null columns
    write_parquet(run_dir / "negotiations.parquet", outcomes_table)
    schema = pq.read_schema(_part(parts, 0, "rounds"))
    write_parquet_stream(
        run_dir / "rounds.parquet", (pq.read_table(_part(parts, k, "rounds")) for k in range(len(chunks))), schema
    )
    summary = summarise(scenario, outcomes_table.to_pylist(), seed)
    if make_plots and figures is not Figures.none:  # matplotlib is imported only to draw
        from sim.negotiation.plots import write_negotiation_plots

        write_negotiation_plots(run_dir, scenario, summary, figures)
    if page is not None:
        record_summary(run_dir, manifest, summary)  # the page shows it
        page(run_dir)
    finish_manifest(run_dir, manifest, summary)
    return read_negotiations(run_dir)


def negotiate(
    scenario: Scenario,
    protocol: str,
    runs: int,
    seed: int,
    *,
    trace: int = 0,
    workers: int = 1,
    out: str | Path | None = None,
) -> NegotiationResult:
    """Play ``runs`` negotiations (into ``out``, or a temporary directory removed afterwards) and return them."""
    executor = Executor.local if workers <= 1 else Executor.processes

    def play(run_dir: Path) -> NegotiationResult:
        return run_negotiations(
            scenario,
            run_dir,
            Protocol(protocol),
            runs,
            seed,
            trace,
            workers=workers,
            executor=executor,
            make_plots=out is not None,
        )

    if out is not None:
        return play(Path(out))
    with tempfile.TemporaryDirectory(prefix="negsim-negotiate-") as where:
        return play(Path(where) / "run")


ROUND_SCHEMA = pa.schema(
    [
        ("run", pa.int64()),
        ("round", pa.int64()),
        ("party", pa.string()),
        ("aspiration", pa.float64()),
        ("reply", pa.string()),
        ("offer_utility", pa.float64()),
        ("proposer", pa.string()),
        ("offer", pa.int64()),
    ]
)


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def chunk_runs(runs: int) -> int:
    """Runs per chunk: an eighth of the runs, at least ``CHUNK_RUNS`` and at most ``MAX_CHUNK_RUNS``."""
    return min(max(-(-runs // CHUNKS), CHUNK_RUNS), MAX_CHUNK_RUNS)


def _part(parts: Path, index: int, kind: str) -> Path:
    return parts / f"chunk-{index:05d}-{kind}.parquet"


def _part_done(parts: Path, index: int, chunk: Chunk) -> bool:
    """Whether this chunk's runs are saved: its outcomes part holds exactly its runs (a part cut with another chunk
    size, by an earlier negsim, is played again)."""
    path = _part(parts, index, "outcomes")
    if not path.exists():
        return False
    runs = pq.read_table(path, columns=["run"]).column("run").to_pylist()
    return runs == list(range(chunk.first_run, chunk.first_run + len(chunk.seeds)))


def zone_probability_of(scenario: Scenario, packages: list[int], seed: int) -> dict[int, float]:
    """Monte-Carlo zone probability of a few packages (same definition as ``sim.zone.scoring``)."""
    if not packages:
        return {}
    preferences = run_preferences(scenario, RunSettings(ZONE_SAMPLES, seed))
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.array(packages))
    accepts = preferences.acceptable(space, codes)[preferences.veto].all(axis=0) & space.feasible(codes)[:, None]
    return dict(zip(packages, accepts.mean(axis=1).tolist(), strict=True))


def summarise(scenario: Scenario, outcomes: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """Agreement rate, agreements by round (cumulative rate, and each frequent package's rounds), talks vs zone."""
    agreed = [o for o in outcomes if o["agreed"]]
    rounds_of: dict[int, list[int]] = {}
    for o in agreed:
        rounds_of.setdefault(o["package"], []).append(o["round"])
    top = sorted(rounds_of.items(), key=lambda item: (-len(item[1]), item[0]))[:20]
    zone = zone_probability_of(scenario, [package for package, _ in top], seed)
    space = PackageSpace.from_scenario(scenario)
    histogram = np.bincount([o["round"] for o in agreed], minlength=scenario.run.rounds + 1)
    summary: dict[str, Any] = {
        "runs": len(outcomes),
        "agreement_rate": len(agreed) / len(outcomes) if outcomes else 0.0,
        "median_rounds": float(np.median([o["round"] for o in agreed])) if agreed else None,
        "rounds_histogram": histogram.tolist(),
        "agreement_rate_by_round": (np.cumsum(histogram) / max(len(outcomes), 1)).round(6).tolist(),
        "blocked_at_ratification": (
            sum(not o["agreed"] and o.get("ratification_failures", 0) > 0 for o in outcomes) / len(outcomes)
            if outcomes
            else 0.0
        ),
        "top_agreements": [
            {
                "package": package,
                "share": len(rounds) / len(outcomes),
                "options": space.describe(package),
                "p_zone": zone[package],
                "median_round": float(np.median(rounds)),
                "first_round": int(min(rounds)),
            }
            for package, rounds in top
        ],
    }
    if outcomes and "zone_exists" in outcomes[0]:
        summary["talks_vs_zone"] = talks_versus_zone(outcomes)
        summary["talks_vs_zone_headline"] = summary["talks_vs_zone"]["headline"]  # a line the report page shows
    return summary
