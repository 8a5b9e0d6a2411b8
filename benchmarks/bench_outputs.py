"""What a run writes, timed: tables and plots after scoring, on the baseline and on a synthetic 4^10 space.

Prints the manifest's step timings (score, tables, plots), zone.parquet's row count and peak memory. The synthetic
scenario is ``bench_zone.synthetic`` (most packages out of the zone for some party).
Run: ``.venv/bin/python benchmarks/bench_outputs.py [--issues 10 --options 4 --samples 1000] [--baseline]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_zone import synthetic  # noqa: E402

from sim.outputs.pipeline import ZoneSettings, run_zone  # noqa: E402
from sim.scenario.loading import load_scenario  # noqa: E402
from sim.scenario.model import Scenario  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=10)
    parser.add_argument("--options", type=int, default=4)
    parser.add_argument("--parties", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", action="store_true", help="scenarios/baseline.yaml at its own run.samples")
    args = parser.parse_args()
    if args.baseline:
        scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml")
    else:
        scenario = Scenario.model_validate(synthetic(args.issues, args.options, args.parties, args.samples))
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder) / "run"
        start = time.perf_counter()
        analysis = run_zone(scenario, run_dir, ZoneSettings.for_scenario(scenario, workers=args.workers))
        elapsed = time.perf_counter() - start
        timings = json.loads((run_dir / "manifest.json").read_text())["timings"]
    print(f"{scenario.id}: {analysis.space_size:,} packages, {scenario.run.samples} samples")
    print(f"whole run {elapsed:.2f} s; steps {timings}; zone.parquet rows {analysis.zone_rows:,}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
