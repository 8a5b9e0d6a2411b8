"""Negotiation throughput: runs per minute of the Mesa model on the baseline (4 veto agents + mediator, 60 rounds).

Target on a 2-core machine: >= 2,000 runs per minute. Run:
``.venv/bin/python benchmarks/bench_negotiate.py [--runs 4000 --workers 2 --protocol alternating]``.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--protocol", type=Protocol, default=Protocol.alternating)
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        summary = run_negotiations(
            scenario, Path(folder) / "run", args.protocol, args.runs, 1, 0, workers=args.workers, make_plots=False
        )
        elapsed = time.perf_counter() - start
    print(f"runs {args.runs:,}  protocol {args.protocol.value}  workers {args.workers}  rounds {scenario.run.rounds}")
    print(f"wall time {elapsed:.1f} s (includes worker start-up, tables, summary)")
    print(f"runs per minute {args.runs / elapsed * 60:,.0f}  (target >= 2,000)")
    print(f"agreement rate {summary['agreement_rate']:.3f}  median rounds {summary['median_rounds']}")


if __name__ == "__main__":
    main()
