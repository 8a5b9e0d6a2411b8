"""What would it take: the smallest change that brings an offer's zone probability up to a target.

An offer's zone probability here is the share of samples in which some completion of it is accepted by every
veto party (as in ``sim.zone.scoring``). Two views:

* **issue changes** — move as few of the offer's fixed issues as possible to other options; among equally
  small changes, the one costing its sponsor (or, without a sponsor, all veto parties) the least expected
  utility; searched exhaustively, smallest first;
* **one party moves** — for each veto party, the smallest cut in its reservation, or the smallest rescaling of
  one of its issue weights, that does the same (same draws: common random numbers, so only the change acts).

Work is shared, not repeated (issue 12): the zone's (package, sample) pairs are found once by the zone's branch and
bound, and every candidate issue change is a count over them (a candidate changes only which options of the fixed
issues a completion must hold, never any verdict); a party's moves are judged only on the completions, per sample,
that every *other* veto party accepts (found once per party), and each move rebuilds only that party's preferences
from the same uniform draws. The answers are those of scoring each candidate afresh, exactly.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sim.scenario.model import Offer, Party, Scenario
from sim.studies.changeset import MAX_CUT, ChangeSearch, Found
from sim.studies.zone_pairs import (
    ZonePairs,
    accepted_alone,
    completions_in_zone,
    others_pairs,
    party_alone,
    samples_hit,
    zone_pairs,
)
from sim.zone.intervals import proportion_interval
from sim.zone.own_best import own_best_completion
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws, draw_uniforms, preferences_from_draws
from sim.zone.space import PackageSpace, option_index

WEIGHT_FACTORS = (0.75, 1.5, 0.5, 2.0, 0.25, 4.0)
MAX_CANDIDATES = 50_000
UTILITY_CELLS = 2**24


def completion_codes(space: PackageSpace, fix: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every package matching a partial package as option-index rows, in the order of ``grid_sums`` over the
    free issues, and which of them are feasible."""
    free = [i for i in range(len(space.radices)) if i not in fix]
    size = int(np.prod([space.radices[i] for i in free]))
    codes = np.zeros((size, len(space.radices)), dtype=np.int64)
    if free:
        codes[:, free] = np.stack(np.unravel_index(np.arange(size), [space.radices[i] for i in free]), axis=-1)
    for issue, option in fix.items():
        codes[:, issue] = option
    return codes, space.feasible(codes)


def party_acceptance(
    preferences: Preferences,
    space: PackageSpace,
    fix: dict[int, int],
    party: int,
    completions: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Whether one party accepts each completion of ``fix`` in each sample, ``[completion, sample]``: the one
    acceptance rule (``Preferences.acceptable``), a slice of samples at a time so memory stays within
    ``UTILITY_CELLS`` integers. ``completions`` (codes, feasible) may be passed when already built."""
    codes, feasible = completions if completions is not None else completion_codes(space, fix)
    accepts = np.empty((codes.shape[0], preferences.samples), dtype=bool)
    step = max(1, UTILITY_CELLS // max(codes.shape[0], 1))
    for start in range(0, preferences.samples, step):
        samples = slice(start, min(start + step, preferences.samples))
        accepts[:, samples] = preferences.acceptable(space, codes, [party], samples)[0]
    accepts[~feasible] = False
    return accepts


def completion_hits(zone: ZonePairs, issues: list[int], radices: list[int], samples: int) -> np.ndarray:
    """For every combination of options of ``issues`` (mixed-radix order), in how many samples some package
    holding it is in the zone: an offer fixing those issues is in the zone in exactly those samples."""
    if not issues:
        return np.array([samples_hit(zone.samples, samples)])
    key = np.ravel_multi_index(tuple(zone.codes[:, issues].T), radices) if len(zone) else np.zeros(0, np.int64)
    first = np.unique(key * samples + zone.samples) // samples
    return np.bincount(first, minlength=int(np.prod(radices)))


def offer_fix(space: PackageSpace, offer: Offer) -> dict[int, int]:
    return dict(option_index(space.issue_ids, space.option_ids, f"{i}.{o}") for i, o in offer.fix.items())


@dataclass
class PartyMoveSearch:
    """The completions of an offer, per sample, that every veto party but one accepts and that the one's red lines
    allow, found once per party.

    A move by one party changes only that party's acceptance, so each candidate move rebuilds only that party's
    preferences (from the study's draws: common random numbers) and judges only these pairs (package, sample),
    since no other pair can be in the zone whatever the party does. Their share of samples (``ceiling``) bounds
    every move's probability: when it is below the target, no move is scored at all.
    """

    scenario: Scenario
    party: Party
    draws: Draws
    target: float
    samples: int
    pairs: ZonePairs

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        party: Party,
        offer: Offer,
        target: float,
        draws: Draws,
        preferences: Preferences,
        space: PackageSpace,
    ) -> PartyMoveSearch:
        index = preferences.party_ids.index(party.id)
        fix = offer_fix(space, offer)
        pairs = others_pairs(space, preferences, index, fix, scenario.run.chunk_size)
        assert pairs is not None
        return cls(scenario, party, draws.party(index), target, preferences.samples, pairs)

    def probability(self, changed: Party) -> float:
        """The offer's zone probability once the party is ``changed`` (everyone else as sampled)."""
        accepted = accepted_alone(party_alone(self.scenario, changed, self.draws), self.pairs)
        return samples_hit(accepted.samples, self.samples) / self.samples

    @property
    def ceiling(self) -> float:
        """The offer's zone probability if the party accepted everything its red lines allow."""
        return samples_hit(self.pairs.samples, self.samples) / self.samples

    def reaches(self, changed: Party) -> bool:
        return self.ceiling >= self.target and self.probability(changed) >= self.target

    def weight_rescale(self) -> tuple[str, float] | None:
        """The rescaling of one issue weight closest to 1 (in log terms) that reaches the target: both ends of the
        party's weight range on that issue multiplied by the factor, before its weights are normalised to sum 1."""
        for factor in sorted(WEIGHT_FACTORS, key=lambda f: abs(np.log(f))):
            for issue_id, (low, high) in self.party.weights.items():
                weights = {**self.party.weights, issue_id: (low * factor, high * factor)}
                if self.reaches(self.party.model_copy(update={"weights": weights})):
                    return issue_id, factor
        return None


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
    below: float
    mean_shortfall: float


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


SMALLEST = (
    "smallest = fewest changes, then least total concession; a change is an offer's fixed issue moved to another "
    "option (concession: the expected utility its sponsor loses, 0 if it gains), a veto party's reservation cut "
    "(concession: the cut; cuts up to --max-cut are searched), or a red line made less likely to hold "
    "(concession: the drop in its holds; to 0 = dropped); amounts to 4 decimals, rounded up so that the set, "
    "applied, reaches the target"
)


def _range(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{low:.4g}" if low == high else f"{low:.4g}–{high:.4g}"


def describe_found(scenario: Scenario, space: PackageSpace, found: Found, fix: dict[int, int]) -> tuple[Change, ...]:
    """The search's indices as readable changes (names, labels, before and after)."""
    changes = []
    sponsor = "the sponsor"
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
                f"{issue_model.title}: '{old.label}' -> '{new.label}' (the offer moves; {sponsor} pays)",
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
                    _range(party.reservation),
                    _range(after),
                    amount,
                    f"{party.name} lowers its reservation by {amount:.4f} ({_range(party.reservation)} -> "
                    f"{_range(after)}): it accepts packages worth that much less to it",
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
    """The scenario and offer with a change set applied (reservation cuts shift both ends of the range; a red
    line's ``holds`` is set to its new value), for checking that the set reaches what the search says."""
    fix = dict(offer.fix)
    parties = {party.id: party for party in scenario.parties}
    for change in changes:
        if change.kind == "issue":
            fix[change.subject] = change.after
        elif change.kind == "reservation":
            party = parties[change.party]
            low, high = party.reservation
            cut = change.concession
            parties[party.id] = party.model_copy(update={"reservation": (low - cut, high - cut)})
        else:
            party = parties[change.party]
            holds = float(change.after.split()[-1])
            red = [r.model_copy(update={"holds": holds}) if r.option == change.subject else r for r in party.red_lines]
            parties[party.id] = party.model_copy(update={"red_lines": red})
    changed = scenario.model_copy(update={"parties": [parties[p.id] for p in scenario.parties]})
    return changed, offer.model_copy(update={"fix": fix})


def offer_hits(scenario: Scenario, offer: Offer, draws: Draws) -> int:
    """In how many samples of ``draws`` some completion of the offer is in the zone (the zone's own search)."""
    preferences = preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    pairs = completions_in_zone(space, preferences, offer_fix(space, offer), scenario.run.chunk_size)
    return samples_hit(pairs.samples, preferences.samples)


def default_target(scenario: Scenario, preferences: Preferences, space: PackageSpace) -> tuple[float, str]:
    """The best package's zone probability: reachable by construction (moving the offer onto that package)."""
    zone = zone_pairs(space, preferences, tail_max=scenario.run.chunk_size)
    if len(zone) == 0:
        return 0.0, "no package is in the zone in any sample; nothing to reach without concessions"
    best = int(np.bincount(zone.packages).max()) if zone.packages.max() < 2**26 else _best_count(zone.packages)
    return best / preferences.samples, (
        f"the best package's zone probability ({best} of {preferences.samples} samples): as likely as the most "
        "likely package in the whole space"
    )


def _best_count(packages: np.ndarray) -> int:
    return int(np.unique(packages, return_counts=True)[1].max())


def what_would_it_take(
    scenario: Scenario,
    offer_id: str,
    target: float | None,
    samples: int,
    seed: int,
    max_changes: int = 3,
    weight_moves: bool = False,
    max_cut: float = MAX_CUT,
) -> WhatIfResult:
    """The smallest change set bringing ``offer_id`` to ``target`` (default: :func:`default_target`)."""
    started = time.perf_counter()
    offer = next((o for o in scenario.offers if o.id == offer_id), None)
    if offer is None:
        raise KeyError(f"no offer '{offer_id}'; offers: {', '.join(o.id for o in scenario.offers)}")
    draws = draw_uniforms(scenario, samples, np.random.default_rng(seed))
    preferences = preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    reason = "stated with --target"
    if target is None:
        target, reason = default_target(scenario, preferences, space)
    fix = offer_fix(space, offer)
    ids = list(preferences.party_ids)
    payers = [ids.index(offer.sponsor)] if offer.sponsor else [int(p) for p in np.flatnonzero(preferences.veto)]
    count = max(1, math.ceil(round(target * samples, 9)))
    search = ChangeSearch(space, preferences, draws, fix, count, max_changes, payers, max_cut=max_cut)
    found = search.search()
    baseline = Estimate.of(offer_hits(scenario, offer, draws), samples)
    changes, reached, stays = None, None, ()
    if found is not None:
        changes = describe_found(scenario, space, found, fix)
        changes = tuple(
            dataclasses.replace(c, concession=search.move_cost(*m)) if c.kind == "issue" else c
            for c, m in zip(changes, [*found.moves, *[(0, 0)] * len(found.amounts)], strict=True)
        )
        changed, changed_offer = apply_changes(scenario, offer, changes)
        reached = Estimate.of(offer_hits(changed, changed_offer, draws), samples)
    else:
        stays = what_stays(scenario, preferences, space, fix)
    best_within = Estimate.of(search.best_reach.reached if search.best_reach else 0, samples)
    moves = _weight_moves(scenario, offer, target, draws, preferences, space) if weight_moves else ()
    return WhatIfResult(
        offer.id,
        offer.label,
        target,
        reason,
        samples,
        seed,
        baseline,
        max_changes,
        changes,
        reached,
        found.cost if found else math.nan,
        found.exact if found else True,
        best_within,
        search.proven if found is None else len(changes or ()),
        stays,
        moves,
        search.skeletons_bounded,
        search.skeletons_expanded,
        time.perf_counter() - started,
    )


def what_stays(
    scenario: Scenario, preferences: Preferences, space: PackageSpace, fix: dict[int, int]
) -> tuple[Shortfall, ...]:
    """Veto parties whose own best completion of the offer is below their reservation, most often first."""
    certain = [list(preferences.red_lines[p]) for p in range(preferences.n_parties)]
    own = own_best_completion(space, preferences, fix, certain)
    rows = [
        Shortfall(party.id, party.name, float(own.below[p]), float(own.shortfall[p]))
        for p, party in enumerate(scenario.parties)
        if preferences.veto[p] and own.below[p] > 0
    ]
    return tuple(sorted(rows, key=lambda s: (-s.below, -s.mean_shortfall)))


def _weight_moves(
    scenario: Scenario, offer: Offer, target: float, draws: Draws, preferences: Preferences, space: PackageSpace
) -> tuple[WeightMove, ...]:
    moves = []
    for party in scenario.veto_parties:
        rescale = PartyMoveSearch.build(scenario, party, offer, target, draws, preferences, space).weight_rescale()
        if rescale is None:
            continue
        issue, factor = rescale
        low, high = party.weight_range(issue)
        moves.append(
            WeightMove(
                party.id,
                issue,
                factor,
                f"{party.name}'s weight on {scenario.issue(issue).title} x{factor:g}: its range {_range((low, high))} "
                f"becomes {_range((low * factor, high * factor))} before its weights are normalised to sum 1",
            )
        )
    return tuple(moves)
