"""The tree is the architecture: each package of ``sim`` imports only the packages before it in the flow."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

FLOW = ["scenario", "zone", "outputs", "studies", "negotiation", "explore", "cli"]
ALLOWED = {
    "scenario": {"scenario"},
    "zone": {"scenario", "zone"},
    "outputs": {"scenario", "zone", "outputs", "executors"},
    "studies": {"scenario", "zone", "outputs", "studies", "executors"},
    "negotiation": {"scenario", "zone", "outputs", "negotiation", "executors"},
    "explore": {"scenario", "zone", "outputs", "studies", "negotiation", "explore", "executors"},
    "cli": set(FLOW) | {"executors"},
}


def sim_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sim."))
    return found


def test_each_package_imports_only_those_before_it():
    wrong = []
    for package in FLOW:
        for module in sorted((ROOT / "sim" / package).glob("*.py")):
            extra = sim_imports(module) - ALLOWED[package]
            if extra:
                wrong.append(f"{module.relative_to(ROOT)} imports {sorted(extra)}")
    assert not wrong, wrong


def test_modules_stay_small():
    long = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in (ROOT / "sim").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 450
    ]
    assert not long, long
