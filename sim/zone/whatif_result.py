"""What would it take, as values: the changes of a change set (each with its concession and a sentence a reader
needs no glossary for), ``negsim whatif``'s answer for one offer (the offer now, the target and why, the change set
or the proof that none of at most K changes reaches it, what stays), and its JSON form.

The search that makes them is :mod:`sim.studies.whatif`; the values live here, below the outputs, so that a run
directory can keep the answers for its named offers and its report page can read them back (``load(save(x)) == x``)
without importing the studies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sim.zone.estimate import Estimate


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
    max_cut: float = 0.25  # the largest reservation cut searched (sim.studies.changeset.MAX_CUT unless stated)

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
            searched = (
                "Not even the offer as it stands was searched"
                if self.proven < 0
                else (
                    "The offer as it stands does not reach it"
                    if self.proven == 0
                    else f"No set of at most {self.proven} changes reaches {self.target:.4f} (proven over every "
                    "such set)"
                )
            )
            return (
                f"{searched}; sets of {self.proven + 1} change(s) were not all searched: the offer leaves so much "
                "open that each choice of conceding parties is a branch and bound over the space, and the search "
                f"stops after {self.skeletons_expanded:,} of them (deterministic budget). Try --max-changes "
                f"{self.proven + 1} with fewer --samples."
            )
        if self.changes is None:
            most = (
                f"The most any set of {self.max_changes} reaches is {self.best_within}, and only with amounts beyond "
                f"those searched (a reservation cut above {self.max_cut:g}): within them it stays below the target."
                if self.best_within.p >= self.target
                else f"Even with unlimited amounts (any reservation cut, any red line dropped), the most any set of "
                f"{self.max_changes} reaches is {self.best_within}."
            )
            return (
                f"No set of at most {self.max_changes} changes reaches {self.target:.4f}: proven over every such set "
                f"({self.skeletons_bounded:,} choices of issues and conceding parties bounded). {most}"
            )
        if not self.changes:
            return (
                f"No change needed: some completion of the offer is in the zone in {self.baseline} of samples, at "
                f"least the target {self.target:.4f}. That counts any completion, chosen per sample; a text that "
                "commits to one completion is in the zone less often."
            )
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
            "max_cut": self.max_cut,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WhatIfResult:
        """The answer :meth:`as_json` wrote (a run directory's ``whatif.json`` read back for its page)."""
        changes = data["changes"]
        reached = data["reached"]
        return cls(
            data["offer"],
            data["label"],
            data["target"],
            data["target_reason"],
            data["samples"],
            data["seed"],
            Estimate(**data["baseline"]),
            data["max_changes"],
            None if changes is None else tuple(Change(**c) for c in changes),
            None if reached is None else Estimate(**reached),
            data["total_concession"],
            data["cost_exact"],
            Estimate(**data["best_within_max_changes"]),
            data["proven_up_to"],
            tuple(Shortfall(**s) for s in data["what_stays"]),
            tuple(WeightMove(**w) for w in data["weight_moves"]),
            data["skeletons_bounded"],
            data["skeletons_expanded"],
            data["seconds"],
            data.get("max_cut", 0.25),
        )


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


def _estimate_json(estimate: Estimate) -> dict[str, float]:
    return {"p": estimate.p, "lo": estimate.lo, "hi": estimate.hi}


@dataclass(frozen=True)
class OffersWhatIf:
    """A run's "what would it take" for its named offers: whatif's answer for each offer searched (same samples,
    seed, target and ``max_changes`` as the command shown beside it), and the offers left to that command because
    their search is not cheap (``not_searched``, with why). ``seconds`` is the CPU the answers took."""

    max_changes: int
    target: float
    target_reason: str
    answers: tuple[WhatIfResult, ...]
    not_searched: tuple[str, ...]
    why_not_searched: str
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "max_changes": self.max_changes,
            "target": self.target,
            "target_reason": self.target_reason,
            "answers": [a.as_json() for a in self.answers],
            "not_searched": list(self.not_searched),
            "why_not_searched": self.why_not_searched,
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OffersWhatIf:
        return cls(
            data["max_changes"],
            data["target"],
            data["target_reason"],
            tuple(WhatIfResult.from_json(a) for a in data["answers"]),
            tuple(data["not_searched"]),
            data["why_not_searched"],
            data["seconds"],
        )
