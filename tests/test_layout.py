"""The tree is the architecture: each package of ``sim`` imports only the packages before it in the flow."""

from __future__ import annotations

import ast
from functools import cache
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


TOP_LEVEL = {"executors", "memory", "__version__"}  # sim's own modules and names below every package (no sim imports)


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
    the negotiation's (``draws.draw_parties``: a generator the Mesa model keeps drawing from). Issue 18 item 2."""
    drawers = {"sample_preferences", "draw_uniforms"}
    allowed = {"sim/zone/sampling.py", "sim/zone/settings.py", "sim/negotiation/draws.py"}
    callers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "sim").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in drawers
    }
    assert callers <= allowed, sorted(callers - allowed)


def _package(module: str) -> str:
    """``sim.zone.offers`` -> ``zone``; a top-level module (``sim.api``, ``sim.executors``) is its own package."""
    return module.split(".")[1]


@cache
def _signatures(module: str, root: Path) -> dict[str, str]:
    """The annotations of a module's public functions, its classes' public methods and fields, by name."""
    path = root / Path(*module.split(".")).with_suffix(".py")
    found: dict[str, str] = {}

    def signature(node: ast.FunctionDef) -> str:
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        returns = ast.unparse(node.returns) if node.returns else ""
        return " ".join(ast.unparse(a.annotation) for a in args if a.annotation) + " -> " + returns

    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = signature(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    found[f"{node.name}.{item.name}"] = signature(item)
                elif isinstance(item, ast.AnnAssign):
                    found[f"{node.name}.{ast.unparse(item.target)}"] = ast.unparse(item.annotation)
    return found


def untyped_crossings(root: Path = ROOT) -> set[str]:
    """Functions, methods and fields that one package of ``sim`` imports from another and whose annotations hold
    ``dict[str, Any]``: a value crossing a package boundary as an untyped mapping. It reads signatures, so it sees
    what is imported by name (a function, a class's methods and fields), not what a returned value holds."""
    crossing = set()
    for path in (root / "sim").rglob("*.py"):
        importer = ".".join(path.relative_to(root).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.count(".") >= 2):
                continue
            if not node.module.startswith("sim.") or _package(node.module) == _package(importer):
                continue
            signatures = _signatures(node.module, root)
            for alias in node.names:
                crossing |= {
                    f"{node.module}.{name}"
                    for name, annotation in signatures.items()
                    if (name == alias.name or name.startswith(f"{alias.name}.")) and "dict[str, Any]" in annotation
                }
    return crossing


# What still crosses as dict[str, Any] (issue 18 item 2), and why. The list only shrinks: a new crossing fails the
# test below, and so does an entry that no longer crosses (remove it).
UNTYPED_CROSSINGS = {
    # JSON as such: a value's own serialisation, its inverse, or a JSON document written as it is
    "sim.zone.whatif_result.WhatIfResult.as_json": "serialisation",
    "sim.zone.whatif_result.WhatIfResult.from_json": "serialisation",
    "sim.zone.whatif_result.OffersWhatIf.as_json": "serialisation",
    "sim.zone.whatif_result.OffersWhatIf.from_json": "serialisation",
    "sim.outputs.answers.TalksLine.as_json": "serialisation",
    "sim.outputs.answers.TalksLine.from_json": "serialisation",
    "sim.studies.sweep.Vary.as_json": "serialisation",
    "sim.studies.sweep.SweepPoint.row": "serialisation: the point's table row (the API's DataFrame)",
    "sim.studies.sweep.SweepPoint.of": "serialisation: the inverse of row",
    "sim.scenario.genius.genius_scenario": "a scenario document, written as YAML by the CLI",
    "sim.outputs.rundir.start_manifest": "the manifest being written (read as RunManifest)",
    "sim.outputs.rundir.resume_manifest": "the manifest being written (read as RunManifest)",
    "sim.outputs.rundir.record_summary": "the manifest being written (read as RunManifest)",
    "sim.outputs.rundir.finish_manifest": "the manifest being written (read as RunManifest)",
    "sim.outputs.tables.write_csv": "a table writer: rows are what it writes",
    "sim.explore.server.Explorer.change": "the page's JSON response",
    "sim.explore.server.Explorer.reset": "the page's JSON response",
    "sim.explore.server.Explorer.save": "the page's JSON response",
    "sim.explore.server.Explorer.cancel_whatif": "the page's JSON response",
    "sim.negotiation.model.NegotiationModel.outcome": "a row of negotiations.parquet (the explorer: talks_outcome)",
    "sim.negotiation.result.RoundRecord.row": "the value's own serialisation (a row of rounds.parquet)",
    "sim.explore.server.Explorer.talks": "the page's JSON response",
    "sim.explore.server.Explorer.what_would_it_take": "the page's JSON response",
}


def test_no_new_untyped_value_crosses_a_package_boundary():
    found = untyped_crossings()
    assert found - set(UNTYPED_CROSSINGS) == set(), "type these values (a dataclass) or say why they are JSON"
    assert set(UNTYPED_CROSSINGS) - found == set(), "these no longer cross untyped: remove them from the list"


def test_the_crossing_check_sees_functions_methods_and_fields(tmp_path):
    for folder in ("sim/a", "sim/b"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "sim/a/values.py").write_text(
        "class Row:\n    data: dict[str, Any]\n    def as_row(self) -> int: ...\n"
        "def rows() -> list[dict[str, Any]]: ...\ndef typed() -> Row: ...\n"
    )
    (tmp_path / "sim/b/use.py").write_text("from sim.a.values import Row, rows, typed\n")
    (tmp_path / "sim/a/same.py").write_text("from sim.a.values import rows\n")  # inside its package: no crossing
    assert untyped_crossings(tmp_path) == {"sim.a.values.Row.data", "sim.a.values.rows"}
