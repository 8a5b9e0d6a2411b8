"""Edits to a loaded scenario document: ``--set PATH=VALUE``, ``--unset PATH`` and an ``extends:`` child's ``unset:``.

Tweaking preferences is the core use of negsim, so removing must be as easy as adding (issue 9 part 4). One path
syntax addresses everything, in ``--set``, ``--unset`` and ``unset:``:

* steps are separated by dots: ``russia.weights.alliance`` (a leading party id is short for ``parties.<id>``);
* lists of items with an ``id`` (parties, issues, options, offers) are addressed by id:
  ``issues.army.options.deep_caps``;
* red lines by their option: ``russia.red_lines.donbas.frozen_line`` (the two steps after ``red_lines`` are the ref);
* other lists (constraints, links) by index, ``constraints.0``, or by the options they name, in brackets and
  comma-separated, in any order: ``constraints[army.deep_caps,troops.coalition_force]``,
  ``russia.links[troops.no_nato_troops,guarantees.article5_bilateral]``;
* a key holding dots is written in brackets with quotes: ``russia.reasons["red_lines.donbas.frozen_line"]``
  (brackets work for any step: ``russia.red_lines["donbas.frozen_line"].holds``).

Unsetting removes a key (it falls back to its default) or a list item. A reason whose subject an edit removes (a red
line, an issue) is removed with it. Errors name the edit (``--unset PATH``) or the ``unset:`` entry's file:line.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.scenario.edit_values import PATH_HELP, Edit, SetValue, Unset
from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.model import StrictModel
from sim.scenario.reasons import prune_orphan_reasons, red_line_ref
from sim.scenario.references import Reference, Shape, non_empty, references, removable, shape_at
from sim.scenario.yamlload import parse_value
from sim.scenario.yamlsource import DataPath, Located, is_id_list

__all__ = ["PATH_HELP", "Edit", "SetValue", "Unset", "apply_edits", "apply_unset", "child_unsets"]

_TOKEN = re.compile(r"""\s*(?:\[\s*(?:"([^"]*)"|'([^']*)'|([^\]]*))\s*\]|([^.\[\]]+))\s*(\.)?""")


@dataclass(frozen=True)
class Step:
    """One path step: a ``name`` (bare or quoted) or a bracketed ``selector`` (index or option refs)."""

    text: str
    bracketed: bool = False
    quoted: bool = False


def parse_path(path: str, origin: Mark) -> list[Step]:
    """Split a path into steps; a malformed path is a one-line error naming the edit."""
    steps: list[Step] = []
    position = 0
    text = path.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            _fail(origin, f"cannot read the path at '{text[position:]}' ({PATH_HELP})", path)
        double, single, selector, bare = match.group(1, 2, 3, 4)
        if bare is not None:
            steps.append(Step(bare.strip()))
        elif double is not None or single is not None:
            steps.append(Step(double if double is not None else single, bracketed=True, quoted=True))
        else:
            steps.append(Step(selector.strip(), bracketed=True))
        position = match.end()
        if match.group(5) is None and position < len(text) and text[position] != "[":
            _fail(origin, f"cannot read the path at '{text[position:]}' ({PATH_HELP})", path)
    if not steps or any(not step.text for step in steps):
        _fail(origin, f"empty step in path '{path}' ({PATH_HELP})", path)
    return steps


def _fail(origin: Mark, message: str, field: str = "") -> None:
    raise ScenarioError([Problem(origin, message, field)])


def _item_refs(item: Any, shape: Shape | None) -> frozenset[str]:
    """The option refs a constraint or link names (what brackets select it by), per the reference graph."""
    if shape is None or not isinstance(item, dict):
        return frozenset()
    return frozenset(ref.name for ref in references(item, shape) if ref.kind == "option_ref")


def _labels(container: Any, parent_key: str | int | None) -> list[str]:
    if isinstance(container, dict):
        return [str(k) for k in container]
    if parent_key == "red_lines" and isinstance(container, list):
        return [red_line_ref(item) for item in container]
    if is_id_list(container):
        return [str(item["id"]) for item in container]
    if isinstance(container, list):
        return [str(i) for i in range(len(container))]
    return []


def resolve(data: Any, steps: list[Step], origin: Mark, raw: str, *, create: bool = False) -> DataPath:
    """The data path that ``steps`` address; with ``create``, a missing last key (or addable map) is allowed."""
    if steps and not steps[0].bracketed and steps[0].text not in data:
        parties = data.get("parties")
        if is_id_list(parties) and steps[0].text in _labels(parties, "parties"):
            steps = [Step("parties"), *steps]
    container: Any = data
    path: DataPath = ()
    index = 0
    while index < len(steps):
        step = steps[index]
        parent_key = path[-1] if path else None
        if isinstance(container, dict):
            if step.text not in container:
                if create and (step.text in ADDABLE_MAPS or _may_add(path)):
                    return (*path, *(s.text for s in steps[index:]))
                _unknown(origin, raw, steps, index, container, parent_key)
            container, path = container[step.text], (*path, step.text)
        elif isinstance(container, list):
            position, used = _list_position(container, path, steps, index)
            if position is None:
                _unknown(origin, raw, steps, index, container, parent_key)
            container, path = container[position], (*path, position)
            index += used - 1
        else:
            _unknown(origin, raw, steps, index, container, parent_key)
        index += 1
    return path


def _list_position(container: list, path: DataPath, steps: list[Step], index: int) -> tuple[int | None, int]:
    """Which item of a list a step selects, and how many steps it used (a red line ref written with a dot uses 2)."""
    step = steps[index]
    parent_key = path[-1] if path else None
    if parent_key == "red_lines":
        refs = [red_line_ref(item) for item in container]
        ref = step.text
        used = 1
        if not step.bracketed and "." not in ref and index + 1 < len(steps) and not steps[index + 1].bracketed:
            ref, used = f"{ref}.{steps[index + 1].text}", 2
        if ref in refs:
            return refs.index(ref), used
    if is_id_list(container) and not (step.bracketed and not step.quoted and step.text.isdigit()):
        ids = [str(item["id"]) for item in container]
        return (ids.index(step.text) if step.text in ids else None), 1
    if step.text.isdigit() and not step.quoted:
        position = int(step.text)
        return (position if position < len(container) else None), 1
    if step.bracketed and not step.quoted:
        wanted = frozenset(ref.strip() for ref in step.text.split(",") if ref.strip())
        shape = shape_at(path)
        item_shape = shape.item if shape is not None else None
        matches = [i for i, item in enumerate(container) if _item_refs(item, item_shape) == wanted]
        return (matches[0] if len(matches) == 1 else None), 1
    return None, 1


ADDABLE_MAPS = {"weights", "values", "reasons", "run", "strategy", "fix", "fixed"}


def _field_names(model: type[StrictModel]) -> set[str]:
    return set(model.model_fields).union(*(_field_names(sub) for sub in model.__subclasses__()))


FIELD_NAMES = _field_names(StrictModel)  # keys a --set may add where the model has them (typos still fail there)


def _unknown(origin: Mark, raw: str, steps: list[Step], index: int, container: Any, parent_key: Any) -> None:
    if index == 0 and isinstance(container, dict) and is_id_list(container.get("parties")):
        _unknown_start(origin, raw, steps[0].text, container)
    valid = _labels(container, parent_key)
    where = ".".join(s.text for s in steps[:index]) or "the top level"
    wanted = steps[index].text
    if parent_key == "red_lines" and index + 1 < len(steps) and "." not in wanted:
        wanted = f"{wanted}.{steps[index + 1].text}"
    near = difflib.get_close_matches(wanted, valid, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    if isinstance(container, list) and not container:
        listing = f"; {where} is empty"
    elif isinstance(container, list) and not is_id_list(container) and parent_key != "red_lines":
        listing = f"; {where} is a list: give an index (0..{len(container) - 1}) or [the,option.refs] it names"
    elif valid:
        listing = f"; valid keys: {', '.join(valid)}"
    else:
        listing = f"; {where} is a value, not a mapping"
    _fail(origin, f"no '{wanted}' under {where}{hint}{listing}", raw)


def _unknown_start(origin: Mark, raw: str, wanted: str, data: dict) -> None:
    """A path's first step is a party id (``russia.reservation``) or a top-level key: suggest party ids first, since
    that is what a path mostly starts with (``rusia.reservation`` once got "did you mean run?")."""
    parties = _labels(data["parties"], "parties")
    near = difflib.get_close_matches(wanted, parties, n=3, cutoff=0.6)
    if near:
        hint = f"; did you mean party {' or '.join(near)}?"
    else:
        keys = difflib.get_close_matches(wanted, [str(k) for k in data], n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(keys)}?" if keys else ""
    _fail(
        origin,
        f"no party or key '{wanted}'{hint}; a path starts with a party id ({', '.join(parties)}) or a top-level "
        f"key ({', '.join(map(str, data))})",
        raw,
    )


def apply_set(located: Located, assignment: str) -> None:
    """Apply one ``--set PATH=VALUE`` in place; the value is parsed as YAML (``[0.3,0.5]`` is a range)."""
    origin = Mark(f"--set {_shortened(assignment)}")
    if "=" not in assignment:
        _fail(origin, "expected PATH=VALUE, e.g. russia.weights.alliance=0.4")
    key, raw = _split_assignment(assignment)
    try:
        value = parse_value(raw, str(origin))  # YAML 1.2 numbers, as in files
    except yaml.YAMLError as exc:
        _fail(origin, f"value is not valid YAML: {exc}")
    assign(located, key, value, origin)


def assign(located: Located, key: str, value: Any, origin: Mark) -> None:
    """Set what the path ``key`` addresses to ``value`` (plain data, as YAML gives it), in place."""
    steps = parse_path(key, origin)
    path = resolve(located.data, steps[:-1], origin, key, create=True) if len(steps) > 1 else ()
    last = steps[-1]
    target = _walk_or_create(located.data, path)
    if isinstance(target, dict):
        if last.text not in target and not _may_add(path) and last.text not in FIELD_NAMES:
            _unknown(origin, key, steps, len(steps) - 1, target, path[-1] if path else None)
        target[last.text] = value
        path = (*path, last.text)
    elif isinstance(target, list):
        path = resolve(located.data, steps, origin, key)
        _set_at(located.data, path, value)
    elif isinstance(target, str) and path[-2:-1] == ("red_lines",):
        if last.text not in {"holds", "sources", "why", "option"}:
            _unknown(origin, key, steps, len(steps) - 1, {"option": 0, "holds": 0, "sources": 0, "why": 0}, None)
        _set_at(located.data, path, {"option": target, last.text: value})
        path = (*path, last.text)
    else:
        _unknown(origin, key, steps, len(steps) - 1, target, path[-1] if path else None)
    for stale in [p for p in located.marks if p[: len(path)] == path]:
        del located.marks[stale]
    located.marks[path] = origin


def _shortened(text: str, limit: int = 80) -> str:
    """An edit as errors name it: a 30,000-character value is not echoed back whole."""
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text):,} characters)"


def _split_assignment(assignment: str) -> tuple[str, str]:
    """Split at the first ``=`` outside brackets, so quoted keys may hold ``=``."""
    depth = 0
    for position, char in enumerate(assignment):
        depth += char == "["
        depth -= char == "]"
        if char == "=" and depth == 0:
            return assignment[:position].strip(), assignment[position + 1 :]
    return assignment, ""


def _walk_or_create(data: Any, path: DataPath) -> Any:
    for step in path:
        if isinstance(data, dict) and step not in data:
            data[step] = {}
        data = data[step]
    return data


def _set_at(data: Any, path: DataPath, value: Any) -> None:
    _walk_or_create(data, path[:-1])[path[-1]] = value


def _may_add(path: DataPath) -> bool:
    """New keys may be added inside per-issue maps and settings, but not invented at model level."""
    return bool(path) and str(path[-1]) in ADDABLE_MAPS or (len(path) >= 2 and path[-2] == "values")


def apply_unset(located: Located, unset: Unset) -> None:
    """Remove what ``unset.path`` addresses (a key falls back to its default; a list item goes), in place."""
    origin = unset.where
    before = copy.deepcopy(located.data)
    path = resolve(located.data, parse_path(unset.path, origin), origin, unset.path)
    if not path:
        _fail(origin, "cannot unset the whole scenario", unset.path)
    container = _walk_or_create(located.data, path[:-1])
    if isinstance(container, list):
        removed = container[int(path[-1])]
        remove_list_item(located, path[:-1], int(path[-1]))
        _cascade(located, path, removed)
    else:
        del container[path[-1]]
        for stale in [p for p in located.marks if p[: len(path)] == path]:
            del located.marks[stale]
    located.marks[path] = origin  # an error about what is now missing points at the edit that removed it
    prune_orphan_reasons(before, located)


def _cascade(located: Located, path: DataPath, removed: Any) -> None:
    """Removing an issue, an option or a party removes what names it, so no dangling reference is left behind.

    What names it is read off the reference graph (:mod:`sim.scenario.references`): parties' and chamber members'
    weights and values for an issue, red lines and links on it, offers' and ``fixed`` settings of it (an offer
    that fixes nothing else goes), constraints naming it (a constraint on an option no package can hold never
    applies); for a party, the offers it sponsors lose it as sponsor and ``follows`` or leverage on it goes. What
    goes is the smallest part that cannot stand without the reference (:func:`removable`). Reasons about removed
    things go too (:func:`prune_orphan_reasons`).
    """
    data = located.data
    if not isinstance(removed, dict) or path[:1] not in (("parties",), ("issues",)):
        return
    if path[:1] == ("parties",) and len(path) == 2:
        gone = {("party", str(removed.get("id")))}
    elif len(path) == 2:
        gone = {("issue", str(removed.get("id")))}
    elif len(path) == 4 and path[2] == "options":
        gone = {("option", f"{data['issues'][path[1]].get('id')}.{removed.get('id')}")}
    else:
        return
    doomed = {removable(ref.path) for ref in references(data) if gone & _names(ref)}
    doomed = {p for p in doomed if not any(q != p and p[: len(q)] == q for q in doomed)}
    keys = [p for p in doomed if not isinstance(p[-1], int)]
    for key_path in keys:
        container = _walk_or_create(data, key_path[:-1])
        del container[key_path[-1]]
        _drop_marks(located, key_path)
        model = shape_at(key_path[:-2])
        if (
            not container
            and model is not None
            and model.model is not None
            and non_empty(model.model, str(key_path[-2]))
        ):
            doomed.add(removable(key_path[:-1]))  # an offer that fixes nothing else goes
    items = sorted((p for p in doomed if isinstance(p[-1], int)), key=_sort_key, reverse=True)
    for item_path in items:
        remove_list_item(located, item_path[:-1], int(item_path[-1]))


def _names(ref: Reference) -> set[tuple[str, str]]:
    """What a reference names, as ``(kind, id)``: an option ref names its issue and the option."""
    if ref.kind == "party":
        return {("party", ref.name)}
    if ref.kind == "issue":
        return {("issue", ref.name)}
    if ref.kind == "option" and ref.issue is not None:
        return {("issue", ref.issue), ("option", f"{ref.issue}.{ref.name}")}
    if ref.kind == "option_ref":
        return {("issue", ref.name.partition(".")[0]), ("option", ref.name)}
    return set()


def _sort_key(path: DataPath) -> tuple[tuple[int, str, int], ...]:
    return tuple((1, "", step) if isinstance(step, int) else (0, str(step), 0) for step in path)


def _drop_marks(located: Located, path: DataPath) -> None:
    for stale in [p for p in located.marks if p[: len(path)] == path]:
        del located.marks[stale]


def remove_list_item(located: Located, list_path: DataPath, position: int) -> None:
    """Delete one list item and shift the marks of the items after it."""
    del _walk_or_create(located.data, list_path)[position]
    size = len(list_path)
    moved: dict[DataPath, Mark] = {}
    for path in list(located.marks):
        if path[:size] == list_path and len(path) > size and isinstance(path[size], int) and path[size] >= position:
            mark = located.marks.pop(path)
            if path[size] > position:
                moved[(*list_path, path[size] - 1, *path[size + 1 :])] = mark
    located.marks.update(moved)


def apply_edits(located: Located, edits: Sequence[Edit]) -> None:
    """Apply ``--unset`` and ``--set`` edits in order (the command line lists every ``--unset`` first)."""
    for edit in edits:
        if isinstance(edit, Unset):
            apply_unset(located, edit)
        elif isinstance(edit, SetValue):
            assign(located, edit.path, edit.value, Mark(f"--set {_shortened(f'{edit.path}={edit.value!r}')}"))
        else:
            apply_set(located, edit)


def child_unsets(child: Located) -> list[Unset]:
    """An ``extends:`` child's ``unset: [PATH, ...]`` entries, each with its own file:line; removes the key."""
    raw = child.data.pop("unset", None)
    marks = {p: m for p, m in child.marks.items() if p[:1] == ("unset",)}
    for path in marks:
        del child.marks[path]
    if raw is None:
        return []
    where = marks.get(("unset",), Mark("<unknown>"))
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        _fail(
            where, f"'unset' must be a list of paths, e.g. unset: [russia.red_lines.donbas.frozen_line] ({PATH_HELP})"
        )
    return [Unset(item, marks.get(("unset", i), where)) for i, item in enumerate(raw)]
