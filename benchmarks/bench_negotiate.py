"""Negotiation throughput and agreement: runs per minute of the Mesa model, for both protocols, on the same seeds.

Target (issue 13): >= 10,000 runs per minute on the baseline with 2 processes, for both protocols, and the mediated
protocol agreeing more often than alternating offers on the baseline and on the held-out scenario
(``tests/data/talks-heldout.yaml``). The machine is shared: run it at a quiet moment, repeat, and report the load.
``.venv/bin/python benchmarks/bench_negotiate.py [--runs 4000 --workers 2 --scenario scenarios/baseline.yaml]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sim.negotiation.model import Protocol
from sim.negotiation.runs import run_negotiations
from sim.scenario.model import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--protocol", type=Protocol, action="append")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    print(f"{scenario.id}: runs {args.runs:,}, workers {args.workers}, rounds {scenario.run.rounds}, seed {args.seed}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for protocol in args.protocol or list(Protocol):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            summary = run_negotiations(
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
        versus = summary["talks_vs_zone"]
        print(
            f"{protocol.value:>11}: {args.runs / elapsed * 60:>8,.0f} runs/min ({elapsed:.1f} s incl. start-up), "
            f"agreement {summary['agreement_rate']:.4f}, zone exists {versus['zone_exists']['share']:.4f}, "
            f"failed with a zone {versus['failed_with_zone']['share']:.4f}, median round {summary['median_rounds']}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
