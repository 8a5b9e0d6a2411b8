"""whatif's answer made readable and checkable: the search's indices as changes with names and sentences, and
applying a change set to a scenario (what the tests check it against). The values themselves (``Change``,
``WhatIfResult``, ...) live in :mod:`sim.zone.whatif_result`, so a run directory and its page can hold them.
"""

from __future__ import annotations

from sim.scenario.edits import Edit, SetValue
from sim.scenario.loading import edited
from sim.scenario.model import Offer, Scenario
from sim.studies.changeset import Found
from sim.zone.estimate import Estimate
from sim.zone.space import PackageSpace
from sim.zone.whatif_result import (
    NOT_EXACT,
    SMALLEST,
    Change,
    Shortfall,
    WeightMove,
    WhatIfResult,
    range_text,
)

__all__ = [
    "NOT_EXACT",
    "SMALLEST",
    "Change",
    "Estimate",
    "Shortfall",
    "WeightMove",
    "WhatIfResult",
    "apply_changes",
    "describe_found",
    "range_text",
]


def describe_found(
    scenario: Scenario, space: PackageSpace, found: Found, fix: dict[int, int], payer: str = "the sponsor"
) -> tuple[Change, ...]:
    """The search's indices as readable changes (names, labels, before and after); ``payer`` is who an issue move
    costs (the sponsor's name, or the veto parties on average)."""
    changes = []
    sponsor = payer
    for issue, option in found.moves:
        issue_model = scenario.issues[issue]
        old, new = issue_model.options[fix[issue]], issue_model.options[option]
        changes.append(
            Change(
                "issue",
                "",
                issue_model.id,
                old.id,
                new.id,
                0.0,
                f"{issue_model.title}: '{old.label}' -> '{new.label}' (the offer moves; the concession is what "
                f"{sponsor} loses in expected utility)",
            )
        )
    for dim, amount in found.amounts:
        party = scenario.parties[dim.party]
        if dim.kind == "reservation":
            after = (party.reservation[0] - amount, party.reservation[1] - amount)
            changes.append(
                Change(
                    "reservation",
                    party.id,
                    "reservation",
                    range_text(party.reservation),
                    range_text(after),
                    amount,
                    f"{party.name} lowers its reservation by {amount:.4f} ({range_text(party.reservation)} -> "
                    f"{range_text(after)}): it accepts packages worth that much less to it",
                )
            )
        else:
            ref = f"{space.issue_ids[dim.option[0]]}.{space.option_ids[dim.option[0]][dim.option[1]]}"
            label = scenario.issues[dim.option[0]].options[dim.option[1]].label
            after_holds = max(0.0, round(dim.holds - amount, 4))
            how = "drops it" if after_holds == 0 else f"holds {dim.holds:g} -> {after_holds:g}"
            changes.append(
                Change(
                    "red_line",
                    party.id,
                    ref,
                    f"holds {dim.holds:g}",
                    f"holds {after_holds:g}",
                    amount,
                    f"{party.name}'s red line on '{label}' ({ref}) softens: {how} (the red line is not assumed "
                    "dropped unless it says 0)",
                )
            )
    return tuple(changes)


def apply_changes(scenario: Scenario, offer: Offer, changes: tuple[Change, ...]) -> tuple[Scenario, Offer]:
    """The scenario and its offer with a change set applied, for checking that the set reaches what the search says:
    an issue move sets the offer's option, a reservation cut shifts both ends of the range, a red line's ``holds``
    is set to its new value. Applied as ``--set`` would apply them (:func:`sim.scenario.loading.edited`, validated).

    One change the format cannot state: the search lowers each sample's reservation by the cut, and a cut larger
    than the low end of the range takes that end below 0 (in those samples the party accepts any package), which
    a scenario file refuses (a reservation is a utility in [0, 1]). Such a range is set on the validated scenario
    afterwards, so the check stays exact; the answer's text shows the range as it is (``describe_found``).
    """
    parties = {party.id: party for party in scenario.parties}
    edits: list[Edit] = []
    below_zero: dict[str, tuple[float, float]] = {}
    for change in changes:
        if change.kind == "issue":
            edits.append(SetValue(f"offers.{offer.id}.fix.{change.subject}", change.after))
        elif change.kind == "reservation":
            low, high = parties[change.party].reservation
            cut = change.concession
            if low - cut < 0:
                below_zero[change.party] = (low - cut, high - cut)
            else:
                edits.append(SetValue(f"{change.party}.reservation", [low - cut, high - cut]))
        else:
            holds = float(change.after.split()[-1])
            edits.append(SetValue(f'{change.party}.red_lines["{change.subject}"].holds', holds))
    changed = edited(scenario, edits)
    if below_zero:
        changed = changed.model_copy(
            update={
                "parties": [
                    p.model_copy(update={"reservation": below_zero[p.id]}) if p.id in below_zero else p
                    for p in changed.parties
                ]
            }
        )
    return changed, next(o for o in changed.offers if o.id == offer.id)
