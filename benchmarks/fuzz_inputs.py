"""Long hostile-input campaign (``make fuzz``): N generated scenario files through the real loader and validator.

Each input is a mutated shipped scenario or byte soup (``tests/hostile.py``, the same generator the hypothesis
properties use). Every outcome is counted: ``ok`` (a valid scenario), ``clean`` (a ScenarioError: one
``file:line:col: message`` line per problem), ``traceback`` (any other exception: a bug), ``hang`` (over
``--timeout`` seconds) and ``memory`` (MemoryError under the ``--memory`` address-space cap). ``--cli K`` also
sends K of the inputs through the real ``negsim validate`` subprocess and checks exit codes and stderr. The first
three inputs of each failing kind are kept in ``runs/fuzz-findings/`` to reproduce.

    python benchmarks/fuzz_inputs.py --inputs 10000 --seed 1 --cli 200
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.scenario.advice import validate_findings  # noqa: E402
from sim.scenario.errors import ScenarioError  # noqa: E402
from sim.scenario.loading import load_scenario_located  # noqa: E402
from tests.hostile import hostile_input, write_beside_shipped  # noqa: E402

NEGSIM = Path(sys.executable).parent / "negsim"
FINDINGS = Path(__file__).resolve().parent.parent / "runs" / "fuzz-findings"
ONE_LINE = re.compile(r"^\S.*: .+$")


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def classify(path: Path, timeout: float) -> tuple[str, str]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        scenario, located = load_scenario_located(path)
        validate_findings(scenario, located)  # reads the cited files: the containment and FIFO classes
        return "ok", ""
    except ScenarioError as exc:
        lines = str(exc).splitlines()
        bad = [line for line in lines if not ONE_LINE.match(line)]
        return ("clean", "") if lines and not bad else ("unclear", repr(bad[:1] or lines[:1]))
    except Hang:
        return "hang", ""
    except MemoryError:
        return "memory", ""
    except Exception as exc:  # noqa: BLE001 - every other exception is a finding
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return "traceback", f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def cli_check(path: Path, timeout: float) -> tuple[str, str]:
    try:
        result = subprocess.run([str(NEGSIM), "validate", str(path)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", f"over {timeout:.0f} s"
    if "Traceback" in result.stderr or result.returncode not in (0, 2):
        return "traceback", f"exit {result.returncode}: {result.stderr.strip().splitlines()[-1:]!r}"
    odd = [line for line in result.stderr.splitlines() if line and not ONE_LINE.match(line)]
    if result.returncode == 2 and odd:
        return "unclear", repr(odd[:1])
    return ("ok" if result.returncode == 0 else "clean"), ""


def report(args: argparse.Namespace, lines_state: dict, final: bool) -> list[str]:
    """The counters as lines: printed (flushed) every ``--every`` inputs and at the end, and written to ``--summary``
    each time, so a campaign cut short still leaves what it had counted."""
    counts, cli, findings = lines_state["counts"], lines_state["cli"], lines_state["findings"]
    done = sum(counts.values())
    lines = [
        f"{'final' if final else 'progress'}: inputs {done}/{args.inputs} (seed {args.seed}) "
        f"in {lines_state['in_process']:.0f} s, slowest {lines_state['slowest']:.2f} s",
        "in-process: "
        + ", ".join(f"{key} {counts[key]}" for key in ("ok", "clean", "unclear", "traceback", "hang", "memory")),
    ]
    if args.cli:
        lines.append(
            f"CLI {sum(cli.values())}/{args.cli} in {lines_state['cli_seconds']:.0f} s: "
            + ", ".join(f"{key} {cli[key]}" for key in ("ok", "clean", "unclear", "traceback", "hang"))
        )
    lines += [f"  {count:5d}  {finding}" for finding, count in findings.most_common(25)]
    lines += [f"  CLI {finding}" for finding in lines_state["cli_findings"][:25]]
    print("\n".join(lines), flush=True)
    args.summary.parent.mkdir(parents=True, exist_ok=True)
    args.summary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before an input counts as a hang")
    parser.add_argument("--cli-timeout", type=float, default=60.0, help="seconds before a CLI input counts as a hang")
    parser.add_argument("--memory", type=float, default=2.0, help="address-space cap in GiB")
    parser.add_argument("--cli", type=int, default=0, help="also run this many inputs through `negsim validate`")
    parser.add_argument("--every", type=int, default=100, help="print the counters every this many inputs")
    parser.add_argument("--summary", type=Path, default=FINDINGS.parent / "fuzz-summary.txt")
    args = parser.parse_args()
    limit = int(args.memory * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    rng = random.Random(args.seed)
    state: dict = {
        "counts": collections.Counter(),
        "cli": collections.Counter(),
        "findings": collections.Counter(),
        "cli_findings": [],
        "slowest": 0.0,
        "in_process": 0.0,
        "cli_seconds": 0.0,
    }
    counts, cli, findings = state["counts"], state["cli"], state["findings"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.inputs):
            path = write_beside_shipped(Path(folder), hostile_input(rng))
            begin = time.perf_counter()
            outcome, detail = classify(path, args.timeout)
            state["slowest"] = max(state["slowest"], time.perf_counter() - begin)
            state["in_process"] = time.perf_counter() - started
            counts[outcome] += 1
            if detail:
                findings[f"{outcome}: {detail}"] += 1
            if outcome in ("unclear", "hang", "memory", "traceback") and counts[outcome] <= 3:
                FINDINGS.mkdir(parents=True, exist_ok=True)  # the first three of each kind, to reproduce
                (FINDINGS / f"{outcome}-{index}.yaml").write_bytes(path.read_bytes())
            if (index + 1) % args.every == 0:
                report(args, state, final=False)
        started = time.perf_counter()
        for index in range(args.cli):
            path = write_beside_shipped(Path(folder), hostile_input(rng))
            outcome, detail = cli_check(path, args.cli_timeout)
            state["cli_seconds"] = time.perf_counter() - started
            cli[outcome] += 1
            if outcome not in ("ok", "clean"):
                state["cli_findings"].append(f"{outcome}: {detail}")
                if cli[outcome] <= 3:
                    FINDINGS.mkdir(parents=True, exist_ok=True)
                    (FINDINGS / f"cli-{outcome}-{index}.yaml").write_bytes(path.read_bytes())
            if (index + 1) % max(1, args.every // 5) == 0:
                report(args, state, final=False)
    report(args, state, final=True)


if __name__ == "__main__":
    main()
