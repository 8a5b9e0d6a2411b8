"""Scenario YAML as plain data plus the file position of every value, through ``extends:`` and ``--set``.

Pydantic reports errors by path (``parties.0.weights.alliance``); people need ``baseline.yaml:42:7``. So every
document is loaded together with a map from path to :class:`~sim.errors.Mark`, and the map is carried through
inheritance (``extends:``, where a child's value keeps the child's position) and command-line overrides.
Bytes become nodes in :mod:`sim.scenario.yamlload` (safe loader, size/depth/alias limits, encodings).
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.yamlload import DataPath, Located, load_located

__all__ = ["DataPath", "Located", "is_id_list", "load_located", "merge_located"]


def _subtree(marks: dict[DataPath, Mark], prefix: DataPath) -> list[tuple[DataPath, Mark]]:
    size = len(prefix)
    return [(path[size:], mark) for path, mark in marks.items() if path[:size] == prefix]


def _copy_marks(
    source: dict[DataPath, Mark], prefix: DataPath, target: dict[DataPath, Mark], new_prefix: DataPath
) -> None:
    for suffix, mark in _subtree(source, prefix):
        target[(*new_prefix, *suffix)] = mark


def is_id_list(value: Any) -> bool:
    """Lists merged and addressed by id: parties, issues, options, offers."""
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
    if is_id_list(p_val) and p_val and isinstance(c_val, dict):
        where = ".".join(map(str, c_path))
        raise ScenarioError(
            [
                Problem(
                    child.mark_for(c_path),
                    f"'{where}' is a list of items with an id: write '- id: {next(iter(c_val), 'x')}' items, "
                    "not a mapping",
                    where,
                )
            ]
        )
    if is_id_list(p_val) and is_id_list(c_val):
        out_marks[out_path] = child.marks.get(c_path, parent.mark_for(p_path))
        child_index = _index_by_id(child, c_path, c_val)
        merged_list: list[Any] = []
        for p_index, item in enumerate(p_val):
            c_index = child_index.pop(item["id"], None)
            out_item = (*out_path, len(merged_list))
            if c_index is None:
                merged_list.append(copy.deepcopy(item))
                _copy_marks(parent.marks, (*p_path, p_index), out_marks, out_item)
            else:
                merged_list.append(_merge(parent, (*p_path, p_index), child, (*c_path, c_index), out_item, out_marks))
        parent_ids = [str(item["id"]) for item in p_val]
        for new_id, c_index in child_index.items():
            near = difflib.get_close_matches(str(new_id), parent_ids, n=1, cutoff=0.75)
            if near:
                kind = _ITEM_NAMES.get(str(out_path[-1]) if out_path else "", "item")
                out_marks[_HINT, *out_path, len(merged_list)] = Mark(  # type: ignore[index]
                    f"'{new_id}' is a new {kind}: the parent has none with that id; did you mean '{near[0]}'?"
                )
            _copy_marks(child.marks, (*c_path, c_index), out_marks, (*out_path, len(merged_list)))
            merged_list.append(copy.deepcopy(c_val[c_index]))
        return merged_list
    _copy_marks(child.marks, c_path, out_marks, out_path)
    return copy.deepcopy(c_val)


def _index_by_id(child: Located, c_path: DataPath, items: list[dict]) -> dict[Any, int]:
    """Positions of a child's list items by id; an id listed twice is an error (one would silently be lost)."""
    index: dict[Any, int] = {}
    problems = []
    for position, item in enumerate(items):
        if item["id"] in index:
            where = ".".join(map(str, c_path))
            problems.append(
                Problem(
                    child.mark_for((*c_path, position)),
                    f"'{item['id']}' is listed twice in {where}: state each item once",
                    where,
                )
            )
        index[item["id"]] = position
    if problems:
        raise ScenarioError(problems)
    return index


def _get(data: Any, path: DataPath) -> Any:
    for step in path:
        data = data[step]
    return data


_HINT = "<hint>"
_ITEM_NAMES = {"parties": "party", "issues": "issue", "options": "option", "offers": "offer"}


def merge_located(parent: Located, child: Located) -> Located:
    """Apply a child document over its parent (``extends:``), keeping each value's own position.

    A child's list item whose id is new but close to a parent's (``- id: rusia``) is most likely a typo: it gets a
    hint (:attr:`Located.hints`) that problems inside it repeat (issue 21 item 8).
    """
    marks: dict[DataPath, Mark] = {}
    data = _merge(parent, (), child, (), (), marks)
    hints = {path[1:]: mark.origin for path, mark in marks.items() if path[:1] == (_HINT,)}
    marks = {path: mark for path, mark in marks.items() if path[:1] != (_HINT,)}
    return Located(data, marks, parent.roots, {**parent.hints, **child.hints, **hints})
