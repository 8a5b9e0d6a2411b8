"""Speed-up of a sweep on a 2-worker process pool over 1 worker (and optionally Dask), with identical results.

Usage: python benchmarks/bench_sweep.py [--points 6] [--samples 500] [--dask]
Prints the wall and CPU time per executor, the speed-up and the load average: on a shared machine the load says
how much the wall times are inflated by other work, and "cores busy" (CPU / wall) shows whether the pool got two
cores at all. Dask workers are not children of this process, so their CPU is not counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from sim.executors import Executor
from sim.studies.fanout import Fanout
from sim.studies.sweep import Vary, run_sweep

ROOT = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, out: Path, vary: Vary, samples: int, executor: Executor, workers: int) -> float:
    """Wall time of one sweep; also prints the CPU time it used, which a loaded machine inflates less."""
    start, cpu = time.perf_counter(), _cpu()
    run_sweep(ROOT / "scenarios" / "baseline.yaml", [], [vary], out, samples, 7, Fanout(executor, workers))
    seconds = time.perf_counter() - start
    used = _cpu() - cpu
    print(
        f"{label:<28} {seconds:7.1f} s wall, {used:6.1f} s CPU ({used / seconds:.2f} cores busy; "
        f"load average {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=6)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster of 2 workers")
    args = parser.parse_args()
    vary = Vary.parse(f"russia.reservation=0.4:0.7:{args.points}")
    print(
        f"sweep of baseline: {args.points} points x {args.samples} samples; cores {os.cpu_count()}; "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one = timed("1 worker (in process)", root / "one", vary, args.samples, Executor.processes, 1)
        two = timed("process pool, 2 workers", root / "two", vary, args.samples, Executor.processes, 2)
        runs = [("one", one), ("two", two)]
        if args.dask:
            runs.append(
                ("dask", timed("Dask LocalCluster, 2 workers", root / "dask", vary, args.samples, Executor.dask, 2))
            )
        reference = pq.read_table(root / "one" / "sweep.parquet")
        for name, _ in runs[1:]:
            table = pq.read_table(root / name / "sweep.parquet")
            assert table.equals(reference), f"{name} differs from the 1-worker sweep"
        print(f"speed-up of 2 workers over 1: {one / two:.2f}x (results identical)")


if __name__ == "__main__":
    main()
