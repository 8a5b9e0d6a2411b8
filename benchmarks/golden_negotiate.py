"""Bit-identity check for speed work on the talks: save ``play_chunk``'s outputs, change the code, compare.

Saves the outcome rows and the traced round rows (every column, with its Python type) of both protocols on the
imported GENIUS Laptop domain and shipped scenarios that between them use every tactic, leverage, drift, ratifiers
and frequency beliefs; ``compare`` says which rows differ. Not a test: the goldens are whatever the code did before
the change (tests/test_model.py and friends hold the reviewed ones).

``.venv/bin/python benchmarks/golden_negotiate.py save /tmp/before.pkl`` then, after a change,
``.venv/bin/python benchmarks/golden_negotiate.py compare /tmp/before.pkl``.
"""

from __future__ import annotations

import argparse
import math
import pickle
import tempfile
from pathlib import Path
from typing import Any

from bench_negotiate import imported

from sim.negotiation.model import Protocol
from sim.negotiation.runs import Chunk, mediator_seed, play_chunk, run_seeds
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("genius:Laptop", 400),
    ("genius:ItexvsCypress", 200),
    ("scenarios/baseline.yaml", 120),
    ("scenarios/us-leverage.yaml", 120),
    ("scenarios/hardline-both.yaml", 100),
    ("tests/data/talks-heldout.yaml", 200),
    ("tests/data/talks-heldout-2.yaml", 200),
    ("tests/data/ratified.yaml", 100),
    ("tests/data/reciprocal.yaml", 100),
]
TRACED = 5
SEED = 3

Rows = list[dict[str, Any]]
Outputs = dict[tuple[str, str], tuple[Rows, Rows]]


def outputs() -> Outputs:
    """Every case's outcome and round rows, both protocols, the first ``TRACED`` runs traced."""
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, runs in CASES:
            path = (
                imported(ROOT / "tests" / "data" / "genius" / name.split(":")[1], Path(folder))
                if name.startswith("genius:")
                else ROOT / name
            )
            scenario = load_scenario(path)
            for protocol in Protocol:
                chunk = Chunk(
                    scenario,
                    protocol,
                    0,
                    tuple(run_seeds(SEED, runs)),
                    tuple(run < TRACED for run in range(runs)),
                    mediator_seed(SEED),
                )
                found[(name, protocol.value)] = play_chunk(chunk)
                print(name, protocol.value, "agreed", sum(row["agreed"] for row in found[(name, protocol.value)][0]))
    return found


def same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return type(x) is type(y) and x == y


def differences(before: Outputs, after: Outputs) -> int:
    assert before.keys() == after.keys(), "not the same cases"
    bad = 0
    for key in before:
        for rows_before, rows_after in zip(before[key], after[key], strict=True):
            if len(rows_before) != len(rows_after):
                print("DIFF", key, "rows", len(rows_before), len(rows_after))
                bad += 1
                continue
            for x, y in zip(rows_before, rows_after, strict=True):
                if list(x) != list(y) or not all(same(x[c], y[c]) for c in x):
                    bad += 1
                    if bad <= 5:
                        print("DIFF", key, {c: (x[c], y.get(c)) for c in x if not same(x[c], y.get(c))})
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    found = outputs()
    if args.action == "save":
        args.file.write_bytes(pickle.dumps(found))
        return
    bad = differences(pickle.loads(args.file.read_bytes()), found)
    print("identical" if not bad else f"{bad} rows differ")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
