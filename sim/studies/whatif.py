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

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.scenario.model import Offer, Party, Scenario
from sim.studies.zone_pairs import ZonePairs, accepted_alone, others_pairs, party_alone, samples_hit, zone_pairs
from sim.zone.intervals import proportion_interval
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
class IssueChange:
    changes: dict[str, tuple[str, str]]
    probability: float
    sponsor_loss: float


@dataclass
class WhatIf:
    offer: str
    target: float
    baseline: float
    issue_change: IssueChange | None
    party_moves: list[dict[str, Any]] = field(default_factory=list)
    candidates_evaluated: int = 0
    samples: int = 1

    def interval(self, probability: float) -> tuple[float, float]:
        """95 % Monte-Carlo interval of a probability estimated from this study's samples."""
        low, high = proportion_interval(round(probability * self.samples), self.samples)
        return float(low), float(high)

    def as_json(self) -> dict[str, Any]:
        change = self.issue_change
        return {
            "offer": self.offer,
            "target": self.target,
            "baseline_probability": self.baseline,
            "baseline_interval": self.interval(self.baseline),
            "candidates_evaluated": self.candidates_evaluated,
            "issue_change": None
            if change is None
            else {
                "issues_moved": len(change.changes),
                "changes": {issue: {"from": old, "to": new} for issue, (old, new) in change.changes.items()},
                "probability": change.probability,
                "probability_interval": self.interval(change.probability),
                "sponsor_loss": change.sponsor_loss,
            },
            "party_moves": self.party_moves,
        }


def _loss(preferences: Preferences, payers: list[int], fix: dict[int, int], moved: dict[int, int]) -> float:
    expected = preferences.expected_contributions
    return float(sum(expected[p, i, fix[i]] - expected[p, i, o] for p in payers for i, o in moved.items()))


def smallest_issue_change(
    scenario: Scenario,
    preferences: Preferences,
    offer: Offer,
    target: float,
    max_candidates: int = MAX_CANDIDATES,
    zone: ZonePairs | None = None,
) -> tuple[IssueChange | None, int]:
    """Fewest fixed issues moved to reach ``target``; ties by least utility lost by the sponsor.

    At most ``max_candidates`` changes are considered (the best found so far is returned when the budget runs out).
    ``zone`` (the zone's pairs under ``preferences``) is found here when not given."""
    space = PackageSpace.from_scenario(scenario)
    fix = offer_fix(space, offer)
    if zone is None:
        zone = zone_pairs(space, preferences, tail_max=scenario.run.chunk_size)
    fixed = sorted(fix)
    radices = [space.radices[i] for i in fixed]
    hits = completion_hits(zone, fixed, radices, preferences.samples)
    ids = list(preferences.party_ids)
    payers = [ids.index(offer.sponsor)] if offer.sponsor else list(np.flatnonzero(preferences.veto))
    evaluated = 0
    for size in range(len(fix) + 1):
        found: list[IssueChange] = []
        for issues in itertools.combinations(fixed, size):
            alternatives = [[o for o in range(space.radices[i]) if o != fix[i]] for i in issues]
            for options in itertools.product(*alternatives):
                moved = dict(zip(issues, options, strict=True))
                evaluated += 1
                if evaluated > max_candidates:
                    return (min(found, key=lambda c: (c.sponsor_loss, -c.probability)) if found else None), evaluated
                candidate = {**fix, **moved}
                key = int(np.ravel_multi_index(tuple(candidate[i] for i in fixed), radices)) if fixed else 0
                probability = int(hits[key]) / preferences.samples
                if probability >= target:
                    changes = {
                        space.issue_ids[i]: (space.option_ids[i][fix[i]], space.option_ids[i][o])
                        for i, o in moved.items()
                    }
                    found.append(IssueChange(changes, probability, _loss(preferences, payers, fix, moved)))
        if found:
            return min(found, key=lambda c: (c.sponsor_loss, -c.probability)), evaluated
    return None, evaluated


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

    def reservation_cut(self, steps: int = 10) -> float | None:
        """Smallest cut of the party's reservation range (both ends) reaching the target, by bisection."""

        def cut(amount: float) -> Party:
            low, high = self.party.reservation
            return self.party.model_copy(update={"reservation": (max(0.0, low - amount), max(0.0, high - amount))})

        if not self.reaches(cut(1.0)):
            return None
        low, high = 0.0, 1.0
        for _ in range(steps):
            middle = (low + high) / 2
            low, high = (low, middle) if self.reaches(cut(middle)) else (middle, high)
        return high

    def weight_rescale(self) -> tuple[str, float] | None:
        """The rescaling of one issue weight closest to 1 (in log terms) that reaches the target."""
        for factor in sorted(WEIGHT_FACTORS, key=lambda f: abs(np.log(f))):
            for issue_id, (low, high) in self.party.weights.items():
                weights = {**self.party.weights, issue_id: (low * factor, high * factor)}
                if self.reaches(self.party.model_copy(update={"weights": weights})):
                    return issue_id, factor
        return None


def what_would_it_take(
    scenario: Scenario, offer_id: str, target: float, samples: int, seed: int, party_moves: bool = True
) -> WhatIf:
    offer = next((o for o in scenario.offers if o.id == offer_id), None)
    if offer is None:
        raise KeyError(f"no offer '{offer_id}'; offers: {', '.join(o.id for o in scenario.offers)}")
    draws = draw_uniforms(scenario, samples, np.random.default_rng(seed))
    preferences = preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    zone = zone_pairs(space, preferences, tail_max=scenario.run.chunk_size)
    fix = offer_fix(space, offer)
    baseline = samples_hit(zone.samples[zone.matching(fix)], samples) / samples
    change, evaluated = smallest_issue_change(scenario, preferences, offer, target, zone=zone)
    result = WhatIf(offer_id, target, baseline, change, candidates_evaluated=evaluated, samples=samples)
    if party_moves:
        for party in scenario.veto_parties:
            in_the_way = [f"{i}.{o}" for i, o in offer.fix.items() if f"{i}.{o}" in party.red_line_options]
            search = PartyMoveSearch.build(scenario, party, offer, target, draws, preferences, space)
            rescale = search.weight_rescale()
            result.party_moves.append(
                {
                    "party": party.id,
                    "red_lines_in_the_way": in_the_way,
                    "reservation_cut": search.reservation_cut(),
                    "weight_issue": rescale[0] if rescale else None,
                    "weight_factor": rescale[1] if rescale else None,
                }
            )
    return result
