"""Scenario YAML as plain data plus the file position of every value, through ``extends:`` and ``--set``.

Pydantic reports errors by path (``parties.0.weights.alliance``); people need ``baseline.yaml:42:7``. So every
document is loaded together with a map from path to :class:`~sim.errors.Mark`, and the map is carried through
inheritance (``extends:``, where a child's value keeps the child's position) and command-line overrides.
Bytes become nodes in :mod:`sim.scenario.yamlload` (safe loader, limits, encodings); ``extends:`` may only name
regular ``.yaml``/``.yml`` files, so a scenario cannot make negsim read (and echo) ``/etc/passwd`` or ``/proc``.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.yamlload import DataPath, Located, load_located, parse_value

__all__ = ["DataPath", "Located", "load_located", "load_with_extends", "merge_located", "apply_override"]

def _subtree(marks: dict[DataPath, Mark], prefix: DataPath) -> list[tuple[DataPath, Mark]]:
    size = len(prefix)
    return [(path[size:], mark) for path, mark in marks.items() if path[:size] == prefix]


def _copy_marks(
    source: dict[DataPath, Mark], prefix: DataPath, target: dict[DataPath, Mark], new_prefix: DataPath
) -> None:
    for suffix, mark in _subtree(source, prefix):
        target[(*new_prefix, *suffix)] = mark


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in value)


def _merge(
    parent: Located,
    p_path: DataPath,
    child: Located,
    c_path: DataPath,
    out_path: DataPath,
    out_marks: dict[DataPath, Mark],
) -> Any:
    """Child over parent: mappings merge key by key, lists of ``id`` items merge by id, anything else is replaced."""
    p_val = _get(parent.data, p_path)
    c_val = _get(child.data, c_path)
    if isinstance(p_val, dict) and isinstance(c_val, dict):
        out_marks[out_path] = child.marks.get(c_path, parent.mark_for(p_path))
        merged: dict[str, Any] = {}
        for key in list(p_val) + [k for k in c_val if k not in p_val]:
            if key in c_val and key in p_val:
                merged[key] = _merge(parent, (*p_path, key), child, (*c_path, key), (*out_path, key), out_marks)
            elif key in c_val:
                merged[key] = copy.deepcopy(c_val[key])
                _copy_marks(child.marks, (*c_path, key), out_marks, (*out_path, key))
            else:
                merged[key] = copy.deepcopy(p_val[key])
                _copy_marks(parent.marks, (*p_path, key), out_marks, (*out_path, key))
        return merged
    if _is_id_list(p_val) and _is_id_list(c_val):
        out_marks[out_path] = child.marks.get(c_path, parent.mark_for(p_path))
        child_index = {item["id"]: i for i, item in enumerate(c_val)}
        merged_list: list[Any] = []
        for p_index, item in enumerate(p_val):
            c_index = child_index.pop(item["id"], None)
            out_item = (*out_path, len(merged_list))
            if c_index is None:
                merged_list.append(copy.deepcopy(item))
                _copy_marks(parent.marks, (*p_path, p_index), out_marks, out_item)
            else:
                merged_list.append(_merge(parent, (*p_path, p_index), child, (*c_path, c_index), out_item, out_marks))
        for c_index in child_index.values():
            _copy_marks(child.marks, (*c_path, c_index), out_marks, (*out_path, len(merged_list)))
            merged_list.append(copy.deepcopy(c_val[c_index]))
        return merged_list
    _copy_marks(child.marks, c_path, out_marks, out_path)
    return copy.deepcopy(c_val)


def _get(data: Any, path: DataPath) -> Any:
    for step in path:
        data = data[step]
    return data


def merge_located(parent: Located, child: Located) -> Located:
    """Apply a child document over its parent (``extends:``), keeping each value's own position."""
    marks: dict[DataPath, Mark] = {}
    data = _merge(parent, (), child, (), (), marks)
    return Located(data, marks)


def load_with_extends(path: Path, _chain: tuple[Path, ...] = ()) -> Located:
    """Load a scenario file and, recursively, the files it ``extends`` (relative to itself); cycles are errors."""
    resolved = path.resolve()
    child = load_located(path)
    parent_ref = child.data.get("extends")
    if parent_ref is None:
        return child
    mark = child.marks.get(("extends",), Mark(str(path)))
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(mark, "'extends' must be a file path", "extends")])
    parent_path = path.parent / parent_ref
    if not _is_scenario_file(parent_path):
        raise ScenarioError(
            [Problem(mark, "'extends' must name a regular .yaml or .yml scenario file", "extends")]
        )
    chain = (*_chain, resolved)
    if parent_path.resolve() in chain:
        cycle = " -> ".join(p.name for p in (*chain, parent_path.resolve()))
        raise ScenarioError([Problem(mark, f"cyclic 'extends': {cycle}", "extends")])
    if not parent_path.is_file():
        raise ScenarioError([Problem(mark, f"'extends' names a file that does not exist: {parent_path}", "extends")])
    parent = load_with_extends(parent_path, chain)
    child.data.pop("extends")
    child.marks = {p: m for p, m in child.marks.items() if p[:1] != ("extends",)}
    merged = merge_located(parent, child)
    merged.data.pop("extends", None)
    return merged


def _is_scenario_file(path: Path) -> bool:
    """A regular ``.yaml``/``.yml`` file (after following links), or a missing one (reported as missing)."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return False
    if target.suffix.lower() not in (".yaml", ".yml") or path.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        return not target.exists() or target.is_file()
    except OSError:
        return False


def _keys_at(container: Any) -> list[str]:
    if isinstance(container, dict):
        return [str(k) for k in container]
    if _is_id_list(container):
        return [str(item["id"]) for item in container]
    return []


def apply_override(located: Located, assignment: str) -> None:
    """Apply one ``--set dotted.path=value`` in place; the value is parsed as YAML (``[0.3,0.5]`` is a range).

    Lists of items with ``id`` are addressed by id (``parties.russia.weights.alliance``), and a leading party id
    is a shorthand for ``parties.<id>``. An unknown step names the valid keys nearest to it.
    """
    origin = f"--set {assignment}"
    if "=" not in assignment:
        raise ScenarioError([Problem(Mark(origin), "expected KEY=VALUE, e.g. russia.weights.alliance=0.4")])
    key, raw = assignment.split("=", 1)
    steps = [s for s in key.strip().split(".") if s]
    try:
        value = parse_value(raw)
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(Mark(origin), f"value is not valid YAML: {exc}")]) from None
    data = located.data
    if steps and steps[0] not in data and steps[0] in _keys_at(data.get("parties", [])):
        steps = ["parties", *steps]
    if not steps:
        raise ScenarioError([Problem(Mark(origin), "empty key")])
    container: Any = data
    path: DataPath = ()
    for depth, step in enumerate(steps):
        last = depth == len(steps) - 1
        if isinstance(container, dict):
            if step not in container and not last:
                if step not in _ADDABLE_MAPS:
                    _unknown_step(origin, steps, depth, container)
                container[step] = {}
            if last:
                if step not in container and not _may_add(path):
                    _unknown_step(origin, steps, depth, container)
                container[step] = value
                path = (*path, step)
                break
            container, path = container[step], (*path, step)
        elif _is_id_list(container):
            ids = [item["id"] for item in container]
            if step not in ids or last:
                _unknown_step(origin, steps, depth, container)
            index = ids.index(step)
            container, path = container[index], (*path, index)
        else:
            _unknown_step(origin, steps, depth, container)
    for stale in [p for p in located.marks if p[: len(path)] == path]:
        del located.marks[stale]
    located.marks[path] = Mark(origin)


_ADDABLE_MAPS = {"weights", "values", "reasons", "run", "strategy", "fix", "fixed"}


def _may_add(path: DataPath) -> bool:
    """New keys may be added inside per-issue maps and settings, but not invented at model level."""
    return bool(path) and str(path[-1]) in _ADDABLE_MAPS or (len(path) >= 2 and path[-2] == "values")


def _unknown_step(origin: str, steps: list[str], depth: int, container: Any) -> None:
    valid = _keys_at(container)
    where = ".".join(steps[:depth]) or "the top level"
    near = difflib.get_close_matches(steps[depth], valid, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    listing = f"; valid keys: {', '.join(valid)}" if valid else f"; {where} is a value, not a mapping"
    raise ScenarioError([Problem(Mark(origin), f"no '{steps[depth]}' under {where}{hint}{listing}", ".".join(steps))])
