"""whatif's answer as values: the changes of a change set (each with its concession and a sentence a reader needs
no glossary for), the result (the offer now, the target and why, the change set or the proof that none of at most
K changes reaches it, what stays), and applying a change set to a scenario (what the tests check it against).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sim.scenario.edits import Edit, SetValue
from sim.scenario.loading import edited
from sim.scenario.model import Offer, Scenario
from sim.studies.changeset import Found
from sim.zone.intervals import proportion_interval
from sim.zone.space import PackageSpace


@dataclass(frozen=True)
class Change:
    """One change of a change set, with what it costs and a sentence a reader needs no glossary for."""

    kind: str  # "issue" (the offer moves), "reservation" (a party cuts it), "red_line" (a party's holds lowered)
    party: str  # party id ("" for an issue move)
    subject: str  # issue id, or the red line's option ref
    before: str
    after: str
    concession: float
    text: str


@dataclass(frozen=True)
class Shortfall:
    """What stays when no change set reaches the target: a veto party whose own best completion of the offer
    stays below its reservation, how often and by how much on average."""

    party: str
    name: str
    below: float  # share of samples the party stays short in
    mean_shortfall: float  # mean utility shortfall of its own best completion (0 for a red line)
    what: str  # "its own best completion is below its reservation", or the red line that holds


@dataclass(frozen=True)
class WeightMove:
    """One party's single weight rescale reaching the target alone (searched apart from the change sets)."""

    party: str
    issue: str
    factor: float
    text: str


@dataclass(frozen=True)
class WhatIfResult:
    """``negsim whatif``'s answer as a value: the offer now, the target and why, and the smallest change set (or
    the proof that none of at most ``max_changes`` changes reaches it, with what stays)."""

    offer: str
    label: str
    target: float
    target_reason: str
    samples: int
    seed: int
    baseline: Estimate
    max_changes: int
    changes: tuple[Change, ...] | None
    reached: Estimate | None
    total_concession: float
    cost_exact: bool
    best_within: Estimate
    proven: int  # every set of at most this many changes was searched (== max_changes unless the budget ran out)
    what_stays: tuple[Shortfall, ...]
    weight_moves: tuple[WeightMove, ...]
    skeletons_bounded: int
    skeletons_expanded: int
    seconds: float

    @property
    def found(self) -> bool:
        return self.changes is not None

    def now_text(self) -> str:
        """Where the offer stands and what it is asked to reach, as the command prints it first."""
        return (
            f"{self.label} ({self.offer}): zone probability now {self.baseline} ({self.samples} samples, 95 % "
            f"interval); target {self.target:.4f} ({self.target_reason})"
        )

    def verdict(self) -> str:
        """The answer in a sentence: the change set's size, total concession and what the changed offer reaches;
        no change needed; or the proof that no set of at most K changes reaches the target (or, when the budget
        stopped the search, up to which size that is proven)."""
        if self.changes is None and self.proven < self.max_changes:
            return (
                f"No set of at most {self.proven} changes reaches {self.target:.4f} (proven over every such set); "
                f"sets of {self.proven + 1} were not all searched: the offer leaves so much open that each choice of "
                "conceding parties is a branch and bound over the space, and the search stops after "
                f"{self.skeletons_expanded:,} of them (deterministic budget). Try --max-changes {self.proven + 1} "
                "with fewer --samples."
            )
        if self.changes is None:
            return (
                f"No set of at most {self.max_changes} changes reaches {self.target:.4f}: proven over every such set "
                f"({self.skeletons_bounded:,} choices of issues and conceding parties bounded). The most any set of "
                f"{self.max_changes} reaches, with unlimited amounts, is {self.best_within}."
            )
        if not self.changes:
            return "No change needed: the offer reaches the target as it is."
        return (
            f"Smallest change set: {len(self.changes)} change(s), total concession "
            f"{self.total_concession:.4f}{'' if self.cost_exact else NOT_EXACT}; the offer, changed, reaches "
            f"{self.reached}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "label": self.label,
            "target": self.target,
            "target_reason": self.target_reason,
            "samples": self.samples,
            "seed": self.seed,
            "definition": SMALLEST,
            "baseline": _estimate_json(self.baseline),
            "max_changes": self.max_changes,
            "found": self.found,
            "changes": None if self.changes is None else [asdict(c) for c in self.changes],
            "reached": None if self.reached is None else _estimate_json(self.reached),
            "total_concession": self.total_concession,
            "cost_exact": self.cost_exact,
            "best_within_max_changes": _estimate_json(self.best_within),
            "proven_up_to": self.proven,
            "what_stays": [asdict(s) for s in self.what_stays],
            "weight_moves": [asdict(w) for w in self.weight_moves],
            "skeletons_bounded": self.skeletons_bounded,
            "skeletons_expanded": self.skeletons_expanded,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class Estimate:
    """A share of Monte-Carlo samples with its 95 % interval (same fields as the zone's Estimate)."""

    p: float
    lo: float
    hi: float

    @classmethod
    def of(cls, count: int, samples: int) -> Estimate:
        low, high = proportion_interval(count, samples)
        return cls(count / samples, float(low), float(high))

    def __str__(self) -> str:
        return f"{self.p:.3f} [{self.lo:.3f}, {self.hi:.3f}]"


def _estimate_json(estimate: Estimate) -> dict[str, float]:
    return {"p": estimate.p, "lo": estimate.lo, "hi": estimate.hi}


NOT_EXACT = " (fewest changes proven; least concession among the choices searched)"
SMALLEST = (
    "smallest = fewest changes, then least total concession; a change is an offer's fixed issue moved to another "
    "option (concession: the expected utility its sponsor loses, 0 if it gains), a veto party's reservation cut "
    "(concession: the cut; cuts up to --max-cut are searched), or a red line made less likely to hold "
    "(concession: the drop in its holds; to 0 = dropped); amounts to 4 decimals, rounded up so that the set, "
    "applied, reaches the target"
)


def range_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{low:.4g}" if low == high else f"{low:.4g}–{high:.4g}"


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
