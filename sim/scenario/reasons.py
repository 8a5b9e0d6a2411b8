"""Reasons follow their subjects: a reason goes when its subject goes, and is flagged when its subject changes.

A party's ``reasons`` are keyed by what they explain (``reservation``, ``weights.alliance``,
``red_lines.donbas.frozen_line``). An edit (``--unset``, an ``extends:`` child's ``unset:``) that removes the
subject removes an inherited reason with it; an edit that changes the subject's value but not its reason leaves a
reason (and sources) written for another number, which ``validate`` flags as stale (issue 21 item 8: a changed
value kept the baseline's reason in ``catalogue`` without a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sim.scenario.model import Party
from sim.scenario.references import model_shape, references
from sim.scenario.yamlsource import DataPath, Located


def listed(data: Any, key: str) -> list:
    """``data[key]`` when it is a list, else nothing: a document may hold anything (``parties: true``) until it is
    validated, and edits run before validation."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def red_line_ref(item: Any) -> str:
    return str(item.get("option")) if isinstance(item, dict) else str(item)


WHOLE_PARTS = ("reservation", "strategy", "power", "role", "electorate", "follows", "weights", "values")
"""The parts of a party a reason may explain as a whole; the parts it may explain piece by piece are read off the
reference graph (:func:`reason_keys`)."""


def _by_issue() -> tuple[str, ...]:
    """The party's maps keyed by issue (``weights``, ``values``): a reason may explain one issue's entry."""
    return tuple(name for name, shape in model_shape(Party).fields.items() if shape.key_kind == "issue")


def piecewise_parts() -> tuple[str, ...]:
    """The parts of a party a reason may explain piece by piece (``weights``, ``values``, ``red_lines``): its maps
    keyed by issue and its lists of items written as one option ref."""
    by_ref = (
        name
        for name, shape in model_shape(Party).fields.items()
        if shape.item is not None
        and shape.item.model is not None
        and shape.item.model.bare is not None
        and shape.item.fields[shape.item.model.bare].kind == "option_ref"
    )
    return (*_by_issue(), *by_ref)


def reason_keys(issues: Iterable[str], party: Any) -> set[str]:
    """The reason keys that name something in this party (a model or a document) of a scenario with ``issues``:
    a whole part, a part's entry for an issue (``weights.alliance``), or a list item the party names by its ref
    (``red_lines.donbas.frozen_line``: a model written as one option ref, per the graph)."""
    items = {
        f"{ref.path[0]}.{ref.name}"
        for ref in references(party, model_shape(Party))
        if len(ref.path) == 2 and isinstance(ref.path[1], int) and ref.kind == "option_ref"
    }
    return {*WHOLE_PARTS, *(f"{part}.{issue}" for part in _by_issue() for issue in issues), *items}


def subjects(data: Any, party: dict) -> set[str]:
    """The reason keys that name something in this party of this document."""
    return reason_keys([str(i["id"]) for i in listed(data, "issues") if isinstance(i, dict) and "id" in i], party)


def prune_orphan_reasons(before: Any, after: Located) -> None:
    """Drop inherited reasons whose subject an edit removed; a reason the edit itself wrote stays (and is checked)."""
    parties_before = {
        p["id"]: p for p in listed(before, "parties") if isinstance(p, dict) and isinstance(p.get("id"), str)
    }
    for index, party in enumerate(listed(after.data, "parties")):
        if (
            not isinstance(party, dict)
            or not isinstance(party.get("id"), str)
            or party["id"] not in parties_before
            or not isinstance(party.get("reasons"), dict)
        ):
            continue
        old = parties_before[party["id"]]
        gone = subjects(before, old) - subjects(after.data, party)
        old_reasons = old.get("reasons") if isinstance(old.get("reasons"), dict) else {}
        for key in [k for k in party["reasons"] if k in gone and old_reasons.get(k) == party["reasons"][k]]:
            del party["reasons"][key]
            prefix = ("parties", index, "reasons", key)
            for stale in [p for p in after.marks if p[: len(prefix)] == prefix]:
                del after.marks[stale]


def _subject(party: dict, key: str) -> Any:
    """The value a reason key explains in a party document (None when there is none)."""
    head, _, rest = key.partition(".")
    value = party.get(head)
    if head == "red_lines":
        items = value if isinstance(value, list) else []
        found = [item for item in items if red_line_ref(item) == rest]
        if not found:
            return None
        item = found[0]
        return item.get("holds", 1) if isinstance(item, dict) else 1
    if rest and head in ("weights", "values"):
        return value.get(rest) if isinstance(value, dict) else None
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= 60 else text[:57] + "..."


def stale_reasons(before: Any, after: Any) -> list[tuple[DataPath, str]]:
    """Reasons an edit left as they were although the value they explain changed: ``(path, message)`` each."""
    parties_before = {
        p["id"]: p for p in listed(before, "parties") if isinstance(p, dict) and isinstance(p.get("id"), str)
    }
    found = []
    for index, party in enumerate(listed(after, "parties")):
        if not isinstance(party, dict) or not isinstance(party.get("id"), str) or party["id"] not in parties_before:
            continue
        old = parties_before[party["id"]]
        reasons, old_reasons = party.get("reasons"), old.get("reasons")
        if not isinstance(reasons, dict) or not isinstance(old_reasons, dict):
            continue
        for key, reason in reasons.items():
            if old_reasons.get(key) != reason or _subject(old, str(key)) == _subject(party, str(key)):
                continue
            found.append(
                (
                    ("parties", index, "reasons", key),
                    f"party '{party['id']}': the reason for '{key}' was written for {_shown(_subject(old, str(key)))}"
                    f", but the value is now {_shown(_subject(party, str(key)))}: update the reason (and its sources)"
                    " or unset it",
                )
            )
    return found
