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


TOP_LEVEL = {"executors", "__version__"}  # sim's own modules and names below every package (no sim imports)


def sim_imports(path: Path) -> set[str]:
    """The parts of ``sim`` a module imports: ``sim.X...`` gives X; ``from sim import X`` gives X; a bare
    ``import sim`` gives ``sim`` (the public API, which imports every package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "sim":
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] if "." in a.name else "sim" for a in node.names if a.name.split(".")[0] == "sim"
            )
    return found


def test_each_package_imports_only_those_before_it():
    wrong = []
    for package in FLOW:
        for module in sorted((ROOT / "sim" / package).glob("*.py")):
            extra = sim_imports(module) - ALLOWED[package] - TOP_LEVEL
            if extra:
                wrong.append(f"{module.relative_to(ROOT)} imports {sorted(extra)}")
    assert not wrong, wrong


def test_the_layout_check_sees_every_form_of_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import sim\nfrom sim import zone\nfrom sim.outputs import tables\nimport sim.cli.app\n")
    assert sim_imports(module) == {"sim", "zone", "outputs", "cli"}


def test_top_level_modules_import_no_package_above_them():
    """``sim/executors.py`` sits below every package; ``sim/api.py`` (the public API) may use every package but the
    CLI, and the CLI does not import it (the CLI is a face on the library, not on the API)."""
    assert not sim_imports(ROOT / "sim" / "executors.py") - {"executors"}
    assert "cli" not in sim_imports(ROOT / "sim" / "api.py")
    assert not any("api" in sim_imports(m) for m in (ROOT / "sim").rglob("*.py") if m.name != "__init__.py")


def test_modules_stay_small():
    long = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in (ROOT / "sim").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 450
    ]
    assert not long, long


def test_the_scenario_layer_has_no_import_circles():
    """Module-level and deferred imports alike: ``model`` -> ``loading`` -> ``model`` and ``checks`` <-> ``citations``
    were circles (issue 18 item 5)."""
    modules = {path.stem: path for path in (ROOT / "sim" / "scenario").glob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {
            node.module.split(".")[2]
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim.scenario.")
        }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(d == goal or (d not in seen and reaches(d, goal, seen | {d})) for d in graph.get(start, ()))

    assert [name for name in graph if reaches(name, name, set())] == []


def test_one_entry_point_draws_samples():
    """A run's samples come from ``sim.zone.settings`` (``run_preferences`` / ``run_draws``); the one other draw is
    the negotiation's (``belief.draw_parties``: a generator the Mesa model keeps drawing from). Issue 18 item 2."""
    drawers = {"sample_preferences", "draw_uniforms"}
    allowed = {"sim/zone/sampling.py", "sim/zone/settings.py", "sim/negotiation/belief.py"}
    callers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "sim").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in drawers
    }
    assert callers <= allowed, sorted(callers - allowed)
