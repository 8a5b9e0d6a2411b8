"""Zone speed, whole command and scorer: negsim (exact pruning) vs the unpruned numpy path vs NegMAS.

Prints, for each case, in one run on the same scenarios (with the load average: quote medians and the load):

* the whole command ``negsim run SCENARIO`` (a fresh process: imports, sampling, scoring, tables, plots, report),
  its wall time and peak memory, and the share of (package, sample) pairs the bound settled without scoring;
* the scorer alone with pruning (``compute_zone``) and without (``prune=False``: every pair carried to the end);
* NegMAS's ``LinearAdditiveUtilityFunction`` called once per package and party (the way a NegMAS user scores
  outcomes), timed on a subset and extrapolated to the whole space and every sample — said so in the output.
  NegMAS is a benchmark-only extra (``pip install -e ".[bench]"``); without it that column is skipped.

Evaluations are package x sample x party utility-versus-reservation decisions. Cases:

* ``baseline``: scenarios/baseline.yaml at its 2,000 samples;
* ``synthetic-4^10``: 4^10 = 1,048,576 packages x 1,000 samples x 5 parties, built like real scenarios (opposed
  preferences, a red line each, reservations that leave most packages out for some party);
* ``linked``: the same with links and uncertain red lines (issue 9's language), to compare rates;
* ``dense-4^10``: 4^10 packages x 1,000 samples x 5 parties whose interests are *not* opposed (independent values,
  reservations 0.35-0.5): the zone holds ~83 % of all (package, sample) pairs, the case pair-carrying search lost;
* ``synthetic-3^17``: 3^17 = 129,140,163 packages x 1,000 samples x 5 parties (``--big``; whole command only);
* ``synthetic-3^19``: 3^19 = 1,162,261,467 packages x 1,000 samples x 5 parties (``--huge``; whole command only;
  issue 23's target: <= 10 minutes and <= 1 GiB on a 2-core machine).

Run: ``.venv/bin/python benchmarks/bench_zone.py [--big] [--huge] [--cases baseline,synthetic-4^10] [--repeat 3]
[--figures none] [--whole-only] [--executor dask --workers 2]`` (--whole-only: the whole command alone, with its
stages; --executor/--workers: how the whole command scores, e.g. Dask with 1 and then 2 workers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.zone.sampling import sample_preferences
from sim.zone.scoring import compute_zone
from sim.zone.space import PackageSpace

ROOT = Path(__file__).resolve().parent.parent
NEGSIM = Path(sys.executable).parent / "negsim"


def synthetic(issues: int, options: int, parties: int, samples: int, linked: bool = False) -> dict[str, Any]:
    """Opposed parties (each prefers a rotated order of options), one red line each, demanding reservations."""
    issue_docs = [
        {
            "id": f"i{i}",
            "title": f"Issue {i}",
            "options": [{"id": f"o{o}", "label": f"Option {o}"} for o in range(options)],
        }
        for i in range(issues)
    ]
    party_docs = []

    def rank(option: int, party: int, issue: int) -> float:
        return ((option + party * issue) % options) / (options - 1)

    for p in range(parties):
        values = {
            f"i{i}": {
                f"o{o}": [
                    max(0.0, ((o + p * i) % options) / (options - 1) - 0.15),
                    ((o + p * i) % options) / (options - 1),
                ]
                for o in range(options)
            }
            for i in range(issues)
        }
        party: dict[str, Any] = {
            "id": f"p{p}",
            "name": f"Party {p}",
            "weights": {f"i{i}": [0.5, 1.5] for i in range(issues)},
            "values": values,
            "reservation": [0.5, 0.62],
            "red_lines": [f"i{(p * 2) % issues}.o{(p * 3) % options}"],
        }
        if linked:
            party["red_lines"].append({"option": f"i{(p * 2 + 1) % issues}.o{(p + 1) % options}", "holds": 0.5})
            party["links"] = [
                {
                    "when": f"i{(p + 1) % issues}.o{p % options}",
                    "option": f"i{p % issues}.o{(p + 2) % options}",
                    "value": [0.6, 1.0],
                }
            ]
        party_docs.append(party)
    return {
        "negsim": 1,
        "id": f"bench-{options}-{issues}{'-linked' if linked else ''}",
        "title": f"benchmark {options}^{issues}{' with links' if linked else ''}",
        "issues": issue_docs,
        "parties": party_docs,
        "run": {"samples": samples, "seed": 1},
        "offers": [{"id": "first", "label": "an offer", "fix": {"i0": "o1", "i1": "o2"}}],
    }


def dense(issues: int, options: int, parties: int, samples: int) -> dict[str, Any]:
    """Interests that are *not* opposed: every party's option values drawn independently (seeded), lenient
    reservations (0.35-0.5): most packages are acceptable to everyone, the case that defeats pair-carrying search."""
    rng = np.random.default_rng(23)
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
        values = {}
        for i in range(issues):
            centres = 0.15 + 0.85 * rng.random(options)
            values[f"i{i}"] = {
                f"o{o}": [round(max(0.0, float(c) - 0.1), 3), round(min(1.0, float(c) + 0.1), 3)]
                for o, c in enumerate(centres)
            }
        party_docs.append(
            {
                "id": f"p{p}",
                "name": f"Party {p}",
                "weights": {f"i{i}": [0.5, 1.5] for i in range(issues)},
                "values": values,
                "reservation": [0.35, 0.5],
            }
        )
    return {
        "negsim": 1,
        "id": f"dense-{options}-{issues}",
        "title": f"benchmark {options}^{issues}, interests not opposed",
        "issues": issue_docs,
        "parties": party_docs,
        "run": {"samples": samples, "seed": 1},
        "offers": [{"id": "first", "label": "an offer", "fix": {"i0": "o1", "i1": "o2"}}],
    }


STAGES = ("score_s", "analyse_s", "tables_s", "answers_s", "plots_s")


def whole_command(path: Path, out: Path, figures: str, scoring: tuple[str, ...] = ()) -> dict[str, Any]:
    """``negsim run`` in a fresh process under ``/usr/bin/time``: wall time, that process's CPU (user + system),
    peak resident memory and system time, the stage timings it records (score, analyse, tables, plots: the figures
    and the report page) and start-up: the wall time its stages do not account for (imports, parsing, sampling is
    in score). ``scoring``: further options (``--executor dask --workers 2``). Peak memory is the largest single
    process's (a Dask worker's, or the report's drawing child, which shares its parent's pages)."""
    start = time.perf_counter()
    command = [str(NEGSIM), "run", str(path), "--out", str(out), "--figures", figures, *scoring]
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M %S %U", *command],
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    peak_kib, system_s, user_s = done.stderr.strip().splitlines()[-1].split()
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    return {
        "seconds": elapsed,
        "cpu_s": float(user_s) + float(system_s),
        "peak_gib": int(peak_kib) / 2**20,
        "system_s": float(system_s),
        "timings": timings,
        "startup_s": elapsed - sum(timings.values()),  # every stage it times (answers_s: the page's answers)
    }


def roofline(samples: int, parties: int, seconds: float = 1.0) -> tuple[float, float]:
    """Brute-force evaluations per wall second and per CPU second of this process, on this machine now: numpy
    broadcast add + compare of int32 utilities, ``head[h, 1, s] + tail[t, s] >= threshold[s]``, one package x sample
    x party decision per cell. On a loaded machine the CPU rate is the steadier figure."""
    rng = np.random.default_rng(0)
    tail = rng.integers(0, 10**8, (64, samples), dtype=np.int32)
    head = rng.integers(0, 10**8, (64, 1, samples), dtype=np.int32)
    threshold = rng.integers(0, 2 * 10**8, samples, dtype=np.int32)
    cells, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        cells += ((head + tail) >= threshold).size
    return cells / (time.perf_counter() - start), cells / max(time.process_time() - cpu, 1e-9)


def scorer(scenario: Scenario, prune: bool) -> tuple[float, float, float, int]:
    """``compute_zone`` on 2 threads: wall seconds, CPU seconds (both threads), zone mass, pairs compared."""
    start, cpu = time.perf_counter(), time.process_time()
    result = compute_zone(scenario, workers=2, prune=prune)
    return time.perf_counter() - start, time.process_time() - cpu, result.zone_mass, result.pairs_checked


def negmas_rate(scenario: Scenario, calls: int = 20_000) -> float | None:
    """NegMAS evaluations per second: one ``LinearAdditiveUtilityFunction`` call per (package, party) on a subset."""
    try:
        from negmas.outcomes import make_issue
        from negmas.preferences import LinearAdditiveUtilityFunction
    except ImportError:
        return None
    prefs = sample_preferences(scenario, 1, np.random.default_rng(0))
    space = PackageSpace.from_scenario(scenario)
    issues = [
        make_issue(list(options), name=issue) for issue, options in zip(space.issue_ids, space.option_ids, strict=True)
    ]
    functions = []
    for p in range(prefs.n_parties):
        values = {
            issue: {option: float(prefs.values[0, p, i, o]) for o, option in enumerate(space.option_ids[i])}
            for i, issue in enumerate(space.issue_ids)
        }
        weights = {issue: float(prefs.weights[0, p, i]) for i, issue in enumerate(space.issue_ids)}
        functions.append(LinearAdditiveUtilityFunction(values=values, weights=weights, issues=issues))
    rng = np.random.default_rng(1)
    outcomes = [space.describe(int(k)) for k in rng.integers(0, space.size, calls // prefs.n_parties)]
    outcomes = [tuple(o.values()) for o in outcomes]
    start = time.perf_counter()
    for outcome in outcomes:
        for function in functions:
            function(outcome)
    return len(outcomes) * len(functions) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", action="store_true", help="also the 3^17 (1.3e8 packages) whole command")
    parser.add_argument("--huge", action="store_true", help="also the 3^19 (1.16e9 packages) whole command")
    parser.add_argument("--cases", default="baseline,synthetic-4^10,linked,dense-4^10")
    parser.add_argument("--repeat", type=int, default=1, help="whole commands per case (the median is printed)")
    parser.add_argument("--figures", default="all", choices=("all", "key", "light", "none"), help="the whole command's")
    parser.add_argument("--whole-only", action="store_true", help="skip the in-process scorer, roofline and NegMAS")
    parser.add_argument("--executor", choices=("local", "processes", "dask"), help="the whole command's (negsim's)")
    parser.add_argument("--workers", type=int, help="the whole command's threads / processes / Dask workers")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    cases: dict[str, tuple[Path | None, dict[str, Any] | None]] = {
        "baseline": (ROOT / "scenarios" / "baseline.yaml", None),
        "synthetic-4^10": (None, synthetic(10, 4, 5, 1000)),
        "linked": (None, synthetic(10, 4, 5, 1000, linked=True)),
        "dense-4^10": (None, dense(10, 4, 5, 1000)),
        "synthetic-3^17": (None, synthetic(17, 3, 5, 1000)),
        "synthetic-3^19": (None, synthetic(19, 3, 5, 1000)),
    }
    chosen = [c for c in args.cases.split(",") if c] + (["synthetic-3^17"] if args.big else [])
    chosen += ["synthetic-3^19"] if args.huge else []
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'case':<16}{'packages':>14}{'samples':>8}{'parties':>8}  {'whole cmd':>10}{'CPU':>8}{'score':>8}"
        f"{'analyse':>8}{'tables':>8}{'answers':>8}{'plots':>8}{'start-up':>9}{'peak':>8}{'sys':>7}{'pruned':>9}"
        f"  {'scorer':>8}{'brute':>8}{'x brute':>8}{'unpruned':>10}{'NegMAS':>10}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name in chosen:
            path, document = cases[name]
            if path is None:
                path = Path(folder) / f"{name}.yaml"
                path.write_text(yaml.safe_dump(document, sort_keys=False))
            scenario = load_scenario(path)
            space = PackageSpace.from_scenario(scenario)
            parties = int(sum(p.has_veto for p in scenario.parties))
            evaluations = space.size * scenario.run.samples * parties
            scoring = (*(("--executor", args.executor) if args.executor else ()),)
            scoring += ("--workers", str(args.workers)) if args.workers else ()
            runs = [
                whole_command(path, Path(folder) / f"run-{name}-{k}", args.figures, scoring) for k in range(args.repeat)
            ]
            whole = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
            timings = whole["timings"]
            stages = "".join(f"{timings.get(stage, 0):>7.2f}s" for stage in STAGES)
            head = (
                f"{name:<16}{space.size:>14,}{scenario.run.samples:>8,}{parties:>8}  {whole['seconds']:>9.2f}s"
                f"{whole['cpu_s']:>7.2f}s{stages}{whole['startup_s']:>8.2f}s{whole['peak_gib']:>7.2f}G"
                f"{whole['system_s']:>6.1f}s"
            )
            walls = [round(r["seconds"], 2) for r in runs]
            if args.whole_only or space.size > 2 * 10**8:  # in-process scorer and roofline: not at this size
                print(f"{head}\n    whole commands {walls}; CPU {[round(r['cpu_s'], 2) for r in runs]}")
                continue
            before = roofline(scenario.run.samples, parties)
            pruned_s, pruned_cpu, mass, checked = scorer(scenario, prune=True)
            after = roofline(scenario.run.samples, parties)
            brute_s = evaluations / ((before[0] + after[0]) / 2)
            brute_cpu = evaluations / ((before[1] + after[1]) / 2)
            pairs = evaluations / parties
            unpruned_s = scorer(scenario, prune=False)[0] if space.size <= 2 * 10**6 else float("nan")
            negmas = negmas_rate(scenario)
            print(
                f"{head}{1 - checked / pairs:>9.2%}  {pruned_s:>7.2f}s{brute_s:>7.2f}s"
                f"{pruned_s / brute_s:>8.2f}{unpruned_s:>9.2f}s"
                f"{(evaluations / negmas) if negmas else float('nan'):>9.0f}s"
            )
            print(
                f"    zone mass {mass:.2f}; pairs {pairs:.3e}; whole commands {walls};"
                f" CPU: scorer {pruned_cpu:.2f}s, brute {brute_cpu:.2f}s, x brute {pruned_cpu / brute_cpu:.2f}"
            )
    print("whole cmd: `negsim run --figures F` in a fresh process (median of --repeat), CPU its user + system time;")
    print("score/analyse/tables/answers/plots: its own timings (answers: the page's what-would-it-take; plots:")
    print("figures and report page; score includes sampling);")
    print("start-up: the rest (imports, parsing). scorer: compute_zone on 2 threads in this process; brute:")
    print("the same evaluations at the numpy add+compare rate measured just before and after it (x brute: ratio;")
    print("the CPU line compares CPU seconds, steadier on a loaded machine).")
    print("NegMAS: one LinearAdditiveUtilityFunction call per package and party on a 20,000-call subset, extrapolated")
    print("to the whole space and every sample.")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
