"""Negotiation throughput and agreement: runs per minute of the Mesa model, for both protocols, on the same seeds.

Target (issue 13): >= 10,000 runs per minute on the baseline with 2 processes, for both protocols, and the mediated
protocol agreeing more often than alternating offers on the baseline and on the held-out scenario
(``tests/data/talks-heldout.yaml``). The machine is shared: run it at a quiet moment, repeat, and report the load.
Besides the whole command (``run_negotiations``: worker start-up, set-up, talks, talks versus zone, tables), it
prints one process's cost per run (wall and CPU time of ``play_chunk``; CPU time is less sensitive to other load)
and peak memory (this process, and the largest worker).
``.venv/bin/python benchmarks/bench_negotiate.py [--runs 4000 --workers 2 --scenario scenarios/baseline.yaml]``.

Issue 23 compares one process with NegMAS on an imported GENIUS domain: ``--genius tests/data/genius/Laptop
--workers 1`` imports the folder's domain and profiles (``negsim import-genius``: same domain, same utilities) and
plays it, and, when NegMAS is installed (the benchmark-only extra, ``pip install -e ".[bench]"``), times NegMAS's
``SAOMechanism`` with two ``BoulwareTBNegotiator`` on the same folder, in this process, with as many steps as the
scenario's rounds (``--negmas-runs``; without NegMAS that line says so). Target: >= 100x NegMAS's runs per minute.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import yaml

from sim.negotiation.model import Protocol
from sim.negotiation.runs import Chunk, mediator_seed, play_chunk, run_negotiations, run_seeds, setup_for
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def set_up(scenario_path: Path, seed: int) -> float:
    """Seconds to build a scenario's table and the mediator's prior (once per process)."""
    start = time.perf_counter()
    setup_for(load_scenario(scenario_path)).mediator_prior(mediator_seed(seed))
    return time.perf_counter() - start


def one_process(scenario_path: Path, protocol: Protocol, runs: int, seed: int) -> tuple[float, float]:
    """Wall and CPU ms per run of ``play_chunk`` in this process (set-up excluded)."""
    scenario = load_scenario(scenario_path)
    seeds = tuple(run_seeds(seed, runs))
    wall, cpu = time.perf_counter(), time.process_time()
    play_chunk(Chunk(scenario, protocol, 0, seeds, (False,) * runs, mediator_seed(seed)))
    return (time.perf_counter() - wall) / runs * 1e3, (time.process_time() - cpu) / runs * 1e3


def imported(folder: Path, into: Path) -> Path:
    """The scenario ``negsim import-genius`` writes for a GENIUS folder (its ``*domain*.xml`` and the profiles)."""
    from sim.scenario.genius import genius_scenario

    domain = next(folder.glob("*domain*.xml"))
    profiles = sorted(p for p in folder.glob("*.xml") if p != domain)
    document, _ = genius_scenario(domain, profiles)
    path = into / f"{folder.name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path


def negmas_runs_per_minute(folder: Path, runs: int, steps: int) -> tuple[float, float, float] | None:
    """NegMAS's SAO runs per wall minute and per CPU minute on a GENIUS folder (two Boulware time-based negotiators,
    ``steps`` steps, in this process), and its agreement rate; None without NegMAS."""
    try:
        from negmas import BoulwareTBNegotiator, SAOMechanism
        from negmas.inout import Scenario as NegmasScenario
    except ImportError:
        return None
    domain = NegmasScenario.from_genius_folder(folder, ignore_discount=True)
    assert domain is not None, f"NegMAS cannot read {folder}"
    agreed, start, cpu = 0, time.perf_counter(), time.process_time()
    for _ in range(runs):
        mechanism = SAOMechanism(outcome_space=domain.outcome_space, n_steps=steps)
        for ufun in domain.ufuns:
            mechanism.add(BoulwareTBNegotiator(), ufun=ufun)
        agreed += mechanism.run().agreement is not None
    wall_min, cpu_min = (time.perf_counter() - start) / 60, (time.process_time() - cpu) / 60
    return runs / wall_min, runs / cpu_min, agreed / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--protocol", type=Protocol, action="append")
    parser.add_argument("--single-runs", type=int, default=500, help="runs for the one-process figure (0: skip)")
    parser.add_argument("--genius", type=Path, help="a GENIUS folder to import and play instead of --scenario")
    parser.add_argument("--negmas-runs", type=int, default=200, help="NegMAS runs on the --genius folder (0: skip)")
    args = parser.parse_args()
    imports = tempfile.TemporaryDirectory()
    if args.genius:
        args.scenario = imported(args.genius, Path(imports.name))
    scenario = load_scenario(args.scenario)
    print(f"{scenario.id}: runs {args.runs:,}, workers {args.workers}, rounds {scenario.run.rounds}, seed {args.seed}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    if args.single_runs:
        print(f"set-up (table, mediator's prior), once per process: {set_up(args.scenario, args.seed):.2f} s")
    cpu_per_run: dict[Protocol, float] = {}
    for protocol in args.protocol or list(Protocol):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            run_negotiations(
                scenario,
                Path(folder) / "run",
                protocol,
                args.runs,
                args.seed,
                0,
                workers=args.workers,
                make_plots=False,
            )
            elapsed = time.perf_counter() - start
            summary = json.loads((Path(folder) / "run" / "manifest.json").read_text())["summary"]  # shares, intervals
        versus = summary["talks_vs_zone"]
        agreed = versus["agreed"]
        print(
            f"{protocol.value:>11}: {args.runs / elapsed * 60:>8,.0f} runs/min ({elapsed:.1f} s incl. start-up), "
            f"agreement {summary['agreement_rate']:.4f} [{agreed['low']:.4f}, {agreed['high']:.4f}], "
            f"zone exists {versus['zone_exists']['share']:.4f}, "
            f"failed with a zone {versus['failed_with_zone']['share']:.4f}, median round {summary['median_rounds']}"
        )
        if args.single_runs:
            wall_ms, cpu_ms = one_process(args.scenario, protocol, args.single_runs, args.seed)
            cpu_per_run[protocol] = cpu_ms
            print(
                f"{'':>11}  one process: {wall_ms:.2f} ms/run wall ({60_000 / wall_ms:,.0f} runs/min), "
                f"{cpu_ms:.2f} ms/run CPU ({60_000 / cpu_ms:,.0f} runs per CPU minute), {args.single_runs} runs"
            )
    if len(cpu_per_run) == 2:
        ratio = cpu_per_run[Protocol.mediated] / cpu_per_run[Protocol.alternating]
        print(f"mediated / alternating, one process, CPU per run: {ratio:.2f}x (issue 23: within 2x)")
    if args.genius and args.negmas_runs:
        negmas = negmas_runs_per_minute(args.genius, args.negmas_runs, scenario.run.rounds)
        print(
            "NegMAS: not installed (pip install -e '.[bench]')"
            if negmas is None
            else f"{'NegMAS':>11}: {negmas[0]:>8,.0f} runs/min wall, {negmas[1]:,.0f} per CPU minute, in this process "
            f"(SAOMechanism, 2 x BoulwareTB, {scenario.run.rounds} steps, {args.negmas_runs} runs), "
            f"agreement {negmas[2]:.3f}"
        )
    imports.cleanup()
    workers_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    this_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"peak memory: this process {this_gb:.2f} GB, largest worker {workers_gb:.2f} GB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
