"""Analysis speed: the studies on top of the zone, and the Pareto frontier with bargaining solutions.

``--studies`` (issue 12 part 3; targets on this 2-core machine: sensitivity of the baseline at 2,000 samples
<= 2 min, whatif on the Article 5 offer <= 5 s, whole command) times, in fresh processes:

* ``negsim sensitivity scenarios/baseline.yaml --samples N`` (every perturbation from one shared base), and for
  scale the straightforward path — one fresh ``compute_zone`` per perturbation, as before issue 12 — timed on its
  first ``--reference`` perturbations and extrapolated to all of them (said so in the output);
* ``negsim whatif scenarios/baseline.yaml --offer article5_no_membership`` at the scenario's samples.

Without ``--studies``: the Pareto frontier and bargaining solutions over about 10^6 packages and 5 veto parties
(target under 10 s), and the brute-force alternative on a sample. Other engineers share the machine: the load
average is printed with every time, and wall time is printed next to CPU time.

Run: ``.venv/bin/python benchmarks/bench_analysis.py --studies [--samples 2000] [--reference 5]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_zone import synthetic

from sim.zone.bargaining import bargaining_solutions, pareto_frontier, pareto_mask
from sim.zone.preferences import expected_utility
from sim.zone.sampling import sample_preferences
from sim.zone.space import PackageSpace

ROOT = Path(__file__).resolve().parents[1]
NEGSIM = Path(sys.executable).parent / "negsim"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def whole_command(label: str, args: list[str]) -> float:
    """Wall and CPU time of one fresh ``negsim`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(NEGSIM), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{label:<58} {wall:7.1f} s wall  {cpu:7.1f} s CPU  ({load()})", flush=True)
    return wall


def straightforward_sensitivity(samples: int, first: int) -> None:
    """One fresh zone run per perturbation (the path before issue 12), on the first ``first`` perturbations."""
    from sim.scenario.loading import load_scenario
    from sim.studies.sensitivity import apply_perturbation, perturbations
    from sim.zone.scoring import compute_zone

    scenario = load_scenario(BASELINE)
    changes = perturbations(scenario)
    start = time.perf_counter()
    for change in changes[:first]:
        compute_zone(apply_perturbation(scenario, change), samples, scenario.run.seed, workers=2, with_options=False)
    each = (time.perf_counter() - start) / first
    print(
        f"{'straightforward: fresh compute_zone per perturbation':<58} {each:7.2f} s each, x {len(changes) + 1} "
        f"= {each * (len(changes) + 1) / 60:.1f} min extrapolated from {first}  ({load()})"
    )


def studies(samples: int, reference: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        whole_command(
            f"negsim sensitivity baseline --samples {samples}",
            ["sensitivity", str(BASELINE), "--samples", str(samples), "--out", f"{tmp}/sensitivity"],
        )
        whole_command(
            "negsim whatif baseline --offer article5_no_membership",
            ["whatif", str(BASELINE), "--offer", "article5_no_membership", "--out", f"{tmp}/whatif.json"],
        )
        whole_command("for scale: negsim validate baseline (load + check only)", ["validate", str(BASELINE)])
    if reference:
        straightforward_sensitivity(samples, reference)


def frontier(issues: int, options: int, parties: int) -> None:
    scenario = synthetic(issues, options, parties, 200)
    preferences = sample_preferences(scenario, 200, np.random.default_rng(1))
    space = PackageSpace.from_scenario(scenario)
    start = time.perf_counter()
    found = pareto_frontier(space, preferences)
    solutions = bargaining_solutions(found)
    elapsed = time.perf_counter() - start
    print(f"packages {space.size:,}  veto parties {parties}")
    print(f"frontier {len(found.packages):,} packages + 4 bargaining solutions in {elapsed:.2f} s  (target < 10 s)")
    print(f"nash package {solutions['nash'].package if solutions['nash'] else None}")
    sample = np.random.default_rng(0).choice(space.size, size=20_000, replace=False)
    utilities = expected_utility(preferences, space.codes(sample)).T
    start = time.perf_counter()
    pareto_mask(utilities)
    print(f"for scale: sort-and-sweep filter on a 20,000-package sample took {time.perf_counter() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", action="store_true", help="time sensitivity and whatif (issue 12 part 3)")
    parser.add_argument("--samples", type=int, default=2000, help="sensitivity samples per perturbation")
    parser.add_argument("--reference", type=int, default=5, help="perturbations timed on the straightforward path")
    parser.add_argument("--issues", type=int, default=6)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--parties", type=int, default=5)
    args = parser.parse_args()
    if args.studies:
        studies(args.samples, args.reference)
    else:
        frontier(args.issues, args.options, args.parties)


if __name__ == "__main__":
    main()
