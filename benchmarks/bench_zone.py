"""Zone scoring throughput: package x sample x party evaluations per second, and peak memory.

A synthetic scenario of about 10^6 packages (6 issues x 10 options), 5 veto parties, 1,000 samples.
Target on a 2-core machine: >= 10^9 evaluations per second, < 2 GiB peak resident memory.
Run: ``.venv/bin/python benchmarks/bench_zone.py [--issues 6 --options 10 --samples 1000 --workers 2]``.
``--run-dir`` goes through the full run pipeline instead (parts on disk, streamed zone.parquet), which is the
path whose memory must stay bounded whatever the space: try ``--issues 7 --samples 200 --run-dir``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sim.outputs.pipeline import ZoneSettings, run_zone
from sim.scenario.model import Scenario
from sim.zone.scoring import compute_zone


def synthetic(issues: int, options: int, parties: int, samples: int) -> Scenario:
    issue_docs = [
        {
            "id": f"i{i}",
            "title": f"Issue {i}",
            "options": [{"id": f"o{o}", "label": f"Option {o}"} for o in range(options)],
        }
        for i in range(issues)
    ]
    party_docs = []
    for p in range(parties):
        party_docs.append(
            {
                "id": f"p{p}",
                "name": f"Party {p}",
                "weights": {f"i{i}": [0.5, 1.5] for i in range(issues)},
                "values": {
                    f"i{i}": {
                        f"o{o}": [max(0.0, ((o + p * i) % options) / options - 0.1), ((o + p * i) % options) / options]
                        for o in range(options)
                    }
                    for i in range(issues)
                },
                "reservation": [0.45, 0.6],
                "red_lines": [f"i{p % issues}.o{(p * 3) % options}"],
            }
        )
    return Scenario.model_validate(
        {
            "id": "bench",
            "title": "benchmark",
            "issues": issue_docs,
            "parties": party_docs,
            "run": {"samples": samples, "seed": 1},
            "offers": [{"id": "o", "label": "offer", "fix": {"i0": "o1", "i1": "o2"}}],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=6)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--parties", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run-dir", action="store_true", help="score through the run pipeline (streams to disk)")
    args = parser.parse_args()
    scenario = synthetic(args.issues, args.options, args.parties, args.samples)
    size = args.options**args.issues
    compute_zone(synthetic(2, 3, args.parties, 8))  # warm-up: imports, allocator
    start = time.perf_counter()
    if args.run_dir:
        with tempfile.TemporaryDirectory() as folder:
            settings = ZoneSettings.for_scenario(scenario, workers=args.workers)
            summary = run_zone(scenario, Path(folder) / "run", settings, make_plots=False)
        elapsed = time.perf_counter() - start
        print(f"packages {size:,}  samples {args.samples:,}  parties {args.parties}  (run pipeline, no plots)")
        print(f"wall time {elapsed:.2f} s incl. tables; zone.parquet rows {summary['zone_rows']:,}")
        print(f"evaluations/s {size * args.samples * args.parties / elapsed:.3e}")
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB  (target < 2 GiB)")
        return
    result = compute_zone(scenario, workers=args.workers)
    elapsed = time.perf_counter() - start
    evaluations = size * args.samples * args.parties
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"packages {size:,}  samples {args.samples:,}  parties {args.parties}  workers {args.workers}")
    print(f"wall time {elapsed:.2f} s  (includes sampling, marginals for {len(result.targets.targets)} targets)")
    print(f"evaluations/s {evaluations / elapsed:.3e}  (target >= 1e9)")
    print(f"peak RSS {peak_gib:.2f} GiB  (target < 2 GiB)")
    print(
        f"P(zone not empty) {result.targets.p_complete[-1]:.3f}  packages ever in zone "
        f"{int((result.zone_count > 0).sum()):,}"
    )


if __name__ == "__main__":
    main()
