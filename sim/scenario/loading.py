"""Loading a scenario: file(s) -> inherited document -> edits -> validated model, every problem reported at once.

The steps are: read each YAML file with positions (:mod:`sim.scenario.yamlsource`), apply an ``extends:`` child over
its parent (its ``unset:`` entries first, on what it inherits), apply command-line edits (:mod:`sim.scenario.edits`),
then validate: pydantic for each field, :mod:`sim.scenario.checks` for references. Structure and reference errors
come out in one pass (issue 11 part 6): when some parties, constraints or offers are malformed, the references of
the rest are still checked, so a user fixes every mistake in one go.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sim.scenario.checks import reference_problems
from sim.scenario.edits import Edit, apply_edits, apply_unset, child_unsets
from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.model import Constraint, Offer, Party, Scenario
from sim.scenario.reasons import piecewise_parts, prune_orphan_reasons, stale_reasons
from sim.scenario.references import kind_at, written_at
from sim.scenario.untrusted import containment_hint, outside_roots, resolved
from sim.scenario.values import StrictModel
from sim.scenario.yamlload import is_scenario_file
from sim.scenario.yamlsource import DataPath, Located, load_located, merge_located


def load_with_extends(path: Path, roots: Sequence[Path] = (), _chain: tuple[Path, ...] = ()) -> Located:
    """Load a scenario file and, recursively, the files it ``extends`` (relative to itself); cycles are errors.

    Every file read must lie in the first file's folder tree or in one of ``roots`` (:mod:`sim.scenario.untrusted`):
    a mailed scenario's ``extends: ../private/secrets.yaml`` is refused without being read, so none of that file's
    keys or values can reach an error message.
    """
    if not _chain:
        roots = (resolved(path).parent, *roots)
    resolved_path = resolved(path)
    child = load_located(path, roots)
    child.roots = tuple(roots)
    unsets = child_unsets(child)
    parent_ref = child.data.get("extends")
    if parent_ref is None:
        if unsets:
            raise ScenarioError([Problem(unsets[0].where, "'unset' removes inherited values: it needs 'extends'")])
        return child
    mark = child.marks.get(("extends",), Mark(str(path)))
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(mark, "'extends' must be a file path", "extends")])
    parent_path = path.parent / parent_ref
    if outside_roots(parent_path, roots):
        message = f"'extends' names {parent_ref}, outside the scenario's folder: {containment_hint(roots)}"
        raise ScenarioError([Problem(mark, message, "extends")])
    if not is_scenario_file(parent_path):
        raise ScenarioError([Problem(mark, "'extends' must name a regular .yaml or .yml scenario file", "extends")])
    chain = (*_chain, resolved_path)
    if resolved(parent_path) in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved(parent_path)))
        raise ScenarioError([Problem(mark, f"cyclic 'extends': {cycle}", "extends")])
    if not parent_path.is_file():
        raise ScenarioError([Problem(mark, f"'extends' names a file that does not exist: {parent_path}", "extends")])
    parent = load_with_extends(parent_path, roots, chain)
    for unset in unsets:
        apply_unset(parent, unset)
    child.data.pop("extends")
    child.marks = {p: m for p, m in child.marks.items() if p[:1] != ("extends",)}
    before = copy.deepcopy(parent.data)
    merged = merge_located(parent, child)
    merged.data.pop("extends", None)
    merged.roots = tuple(roots)
    prune_orphan_reasons(before, merged)
    merged.warnings = [*parent.warnings, *stale_reasons(before, merged.data)]
    return merged


def load_scenario(path: str | Path, edits: Sequence[Edit] = (), roots: Sequence[Path] = ()) -> Scenario:
    """Load, inherit, edit and validate a scenario; every problem found is raised together.

    ``edits`` are ``--set`` strings (``PATH=VALUE``) and :class:`~sim.scenario.edits.Unset` removals, in order;
    ``roots`` are folders besides the scenario's own that its ``extends:`` and ``file:`` may read from.
    """
    return load_scenario_located(path, edits, roots)[0]


def load_scenario_located(
    path: str | Path, edits: Sequence[Edit] = (), roots: Sequence[Path] = ()
) -> tuple[Scenario, Located]:
    """Load, inherit, edit (``--unset``/``--set``) and validate; also return the document with its positions."""
    located = load_with_extends(Path(path), tuple(Path(root) for root in roots))
    if edits:
        before = copy.deepcopy(located.data)
        apply_edits(located, edits)
        located.warnings += stale_reasons(before, located.data)
    return validate_located(located), located


def edited(scenario: Scenario, edits: Sequence[Edit]) -> Scenario:
    """``scenario`` with ``edits`` applied by the command line's path: the document is edited as ``--set`` and
    ``--unset`` edit it (cascades, reasons following their subjects) and validated again, schema and references.

    Every edit of a scenario goes through here or :func:`load_scenario` (issue 18 item 5): a study that edits a
    model in place (``model_copy``) skips validation, and a weight of -1 or a red line on a removed option would
    pass unseen. Costs one validation (~30 ms for the baseline on a quiet machine).
    """
    located = Located(scenario.model_dump(mode="json"), {(): Mark(f"<scenario {scenario.id}>")})
    apply_edits(located, edits)
    return validate_located(located)


def validate_located(located: Located) -> Scenario:
    try:
        scenario = Scenario.model_validate(located.data)
    except ValidationError as exc:
        structural = [_problem_from_pydantic(located, error) for error in exc.errors()]
        raise ScenarioError(structural + _salvaged_reference_problems(located, exc)) from None
    problems = [_problem(located, path, message) for path, message in reference_problems(scenario)]
    if problems:
        raise ScenarioError(problems)
    return scenario


_ITEMS = {"parties": Party, "constraints": Constraint, "offers": Offer}


def _salvaged_reference_problems(located: Located, exc: ValidationError) -> list[Problem]:
    """Reference problems of the well-formed part, so structure and reference errors come out in one pass.

    A malformed party, constraint or offer is kept with its well-formed fields (each validated on its own) and the
    whole is checked, as long as the issues are well formed (every reference is checked against them): a misspelled
    red line shows beside a reservation of 1.5 in the same party (issue 21 item 8), not after it is fixed. Findings
    that the malformed fields could explain (about those fields, a reason naming a malformed red line, a sponsor or
    the veto count when an item had to be set aside, unknown sources when sources are malformed) are dropped, so
    nothing is reported that fixing the structural errors could make untrue; what a finding's place names is read
    off the reference graph (:func:`~sim.scenario.references.kind_at`).
    """
    data = located.data if isinstance(located.data, dict) else {}
    fields: dict[str, Any] = {}
    kept: dict[str, list[int]] = {}
    broken: set[str] = set()
    bad_fields: dict[tuple[str, int], set[str]] = {}
    set_aside = False
    for name, info in Scenario.model_fields.items():
        if name not in data:
            continue
        if name in _ITEMS and isinstance(data[name], list):
            items = []
            kept[name] = []
            for index, raw in enumerate(data[name]):
                try:
                    items.append(_ITEMS[name].model_validate(raw))
                except ValidationError:
                    broken.add(name)
                    partial, bad = _partial_item(_ITEMS[name], raw)
                    if partial is None:
                        set_aside = True
                        continue
                    bad_fields[(name, len(items))] = bad
                    items.append(partial)
                kept[name].append(index)
            fields[name] = items
            continue
        try:
            fields[name] = TypeAdapter(info.annotation).validate_python(data[name])
        except ValidationError:
            broken.add(name)
    if "issues" not in fields or "issues" in broken:
        return []
    fields.setdefault("parties", [])
    partial_scenario = Scenario.model_construct(**fields)
    problems = []
    for path, message in reference_problems(partial_scenario):
        if path == ("parties",) and "parties" in broken:
            continue
        kind = kind_at(path)
        if (kind == "party" and set_aside) or (kind == "source" and "sources" in broken):
            continue
        bad = bad_fields.get((str(path[0]), path[1]), set()) if len(path) >= 3 and isinstance(path[1], int) else set()
        if path[2:3] and (path[2] in bad or (kind == "reason" and bad & set(piecewise_parts()))):
            continue
        if path[2:3] == ("links",) and bad & {"weights", "values"} and "weight" in message:
            continue
        original: DataPath = path
        if len(path) >= 2 and path[0] in kept and isinstance(path[1], int):
            original = (path[0], kept[str(path[0])][path[1]], *path[2:])
        problems.append(_problem(located, original, message))
    return problems


def _partial_item(model: type[StrictModel], raw: Any) -> tuple[Any, set[str]]:
    """``model`` built from the fields of ``raw`` that validate on their own, and the names of those that do not
    (a required one given a neutral stand-in); ``(None, ...)`` when nothing can stand in (no valid ``id``)."""
    if not isinstance(raw, dict):
        return None, set()
    fields: dict[str, Any] = {}
    bad: set[str] = set()
    for name, info in model.model_fields.items():
        if name in raw:
            try:
                fields[name] = TypeAdapter(info.annotation).validate_python(raw[name])
                continue
            except ValidationError:
                bad.add(name)
        elif info.is_required():
            bad.add(name)
        if info.is_required() and name in bad:
            if name == "id":
                return None, bad
            stand_in = {dict: {}, list: []}.get(typing.get_origin(info.annotation) or info.annotation, None)
            fields[name] = stand_in if stand_in is not None else (0.0, 0.0) if name == "reservation" else ""
    return model.model_construct(**fields), bad


def _problem_from_pydantic(located: Located, error: Any) -> Problem:
    path = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown key '{path[-1]}'"
    elif kind == "missing":
        message = f"missing required key '{path[-1]}'"
    else:
        message = error["msg"].removeprefix("Value error, ")
    return _problem(located, path, message)


def _problem(located: Located, path: DataPath, message: str) -> Problem:
    """A problem at ``path``, with the hint of the item it is in (``'rusia' is a new party ...``) when there is one."""
    hint = located.hint_for(path)
    mark = located.mark_for(written_at(path, located.marks))
    return Problem(mark, f"{message} ({hint})" if hint else message, ".".join(map(str, path)))
