"""Reasons follow their subjects: a reason goes when its subject goes, and is flagged when its subject changes.

A party's ``reasons`` are keyed by what they explain (``reservation``, ``weights.alliance``,
``red_lines.donbas.frozen_line``). An edit (``--unset``, an ``extends:`` child's ``unset:``) that removes the
subject removes an inherited reason with it; an edit that changes the subject's value but not its reason leaves a
reason (and sources) written for another number, which ``validate`` flags as stale (issue 21 item 8: a changed
value kept the baseline's reason in ``catalogue`` without a warning).
"""

from __future__ import annotations

import json
from typing import Any

from sim.scenario.yamlsource import DataPath, Located


def listed(data: Any, key: str) -> list:
    """``data[key]`` when it is a list, else nothing: a document may hold anything (``parties: true``) until it is
    validated, and edits run before validation."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def red_line_ref(item: Any) -> str:
    return str(item.get("option")) if isinstance(item, dict) else str(item)


def subjects(data: Any, party: dict) -> set[str]:
    """The reason keys that name something in this party of this document."""
    issues = [str(i["id"]) for i in listed(data, "issues") if isinstance(i, dict) and "id" in i]
    red_lines = party.get("red_lines") if isinstance(party.get("red_lines"), list) else []
    return {
        *(f"{kind}.{issue}" for kind in ("weights", "values") for issue in issues),
        *(f"red_lines.{red_line_ref(item)}" for item in red_lines),
    }


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
