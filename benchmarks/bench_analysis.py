"""Pareto frontier and bargaining solutions over about 10^6 packages and 5 veto parties.

Target on this 2-core machine: under 10 s. Run: ``.venv/bin/python benchmarks/bench_analysis.py``.
Also times the brute-force alternative on a sample, to show what the issue-by-issue construction saves.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_zone import synthetic

from sim.zone.bargaining import bargaining_solutions, pareto_frontier, pareto_mask
from sim.zone.preferences import expected_utility, sample_preferences
from sim.zone.space import PackageSpace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=6)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--parties", type=int, default=5)
    args = parser.parse_args()
    scenario = synthetic(args.issues, args.options, args.parties, 200)
    preferences = sample_preferences(scenario, 200, np.random.default_rng(1))
    space = PackageSpace.from_scenario(scenario)
    start = time.perf_counter()
    frontier = pareto_frontier(space, preferences)
    solutions = bargaining_solutions(frontier)
    elapsed = time.perf_counter() - start
    print(f"packages {space.size:,}  veto parties {args.parties}")
    print(f"frontier {len(frontier.packages):,} packages + 4 bargaining solutions in {elapsed:.2f} s  (target < 10 s)")
    print(f"nash package {solutions['nash'].package if solutions['nash'] else None}")
    sample = np.random.default_rng(0).choice(space.size, size=20_000, replace=False)
    utilities = expected_utility(preferences, space.codes(sample)).T
    start = time.perf_counter()
    pareto_mask(utilities)
    print(f"for scale: sort-and-sweep filter on a 20,000-package sample took {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
