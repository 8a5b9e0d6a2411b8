"""What would it take: the smallest change set that brings an offer's zone probability up to a target.

An offer's zone probability is the share of samples in which some completion of it is accepted by every veto party
(as in ``sim.zone.scoring``). The answer combines the offer's issues moved with concessions by one or several
parties (a reservation cut, a red line's ``holds`` lowered): :class:`sim.studies.changeset.ChangeSearch` finds the
set with fewest changes, then least total concession, exactly, by branch and bound over change sets, or proves that
none of at most K changes exists; :func:`what_stays` then names the parties whose shortfall remains. The target
defaults to the best package's zone probability, which the offer can reach by construction (moved onto that
package). The answer is checked by applying it to the scenario and scoring it afresh (:func:`offer_hits`, the
zone's own search, same draws). Single weight rescales (``PartyMoveSearch.weight_rescale``) are listed apart, on
request: a weight moves every utility of its party, so it is not one of the search's continuous amounts.

The explore page's "what would it take" is this same search (:func:`change_set_answer` on the page's samples), so
page and `negsim whatif` give one answer.

Work is shared, not repeated (issue 12): one party's moves are judged only on the completions, per sample, that
every *other* veto party accepts (found once per party), and each move rebuilds only that party's preferences from
the same uniform draws (common random numbers). The answers are those of scoring each candidate afresh, exactly.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.scenario.model import Offer, Party, Scenario
from sim.studies.changeset import MAX_CUT, ChangeSearch
from sim.studies.whatif_answer import (
    Estimate,
    Shortfall,
    WeightMove,
    WhatIfResult,
    apply_changes,
    describe_found,
    range_text,
)
from sim.studies.zone_pairs import (
    ZonePairs,
    accepted_alone,
    completions_in_zone,
    others_pairs,
    party_alone,
    samples_hit,
    zone_pairs,
)
from sim.zone.copula import correlate
from sim.zone.offers import infeasible_text
from sim.zone.own_best import own_best_completion
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws, preferences_from_draws
from sim.zone.settings import RunSettings, run_draws
from sim.zone.space import PackageSpace, option_index

WEIGHT_FACTORS = (0.75, 1.5, 0.5, 2.0, 0.25, 4.0)
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

    Candidate moves are parties built in place (``model_copy``), not scenario edits: a search tries up to six
    factors per weighted issue per veto party, each valid by construction (weights scaled by a positive factor),
    and the validated edit path (:func:`sim.scenario.loading.edited`, ~30 ms each on the baseline) would add tens of
    seconds to ``--weight-moves``. Nothing built here is shown or saved as a scenario.
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


def offer_hits(scenario: Scenario, offer: Offer, draws: Draws, cancelled: Callable[[], bool] | None = None) -> int:
    """In how many samples of ``draws`` some completion of the offer is in the zone (the zone's own search)."""
    preferences = preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    pairs = completions_in_zone(space, preferences, offer_fix(space, offer), scenario.run.chunk_size, cancelled)
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
    draws = run_draws(scenario, RunSettings(samples, seed))
    preferences = preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    reason = "stated with --target"
    if target is None:
        target, reason = default_target(scenario, preferences, space)
    answer = change_set_answer(
        scenario,
        offer,
        target,
        reason,
        draws,
        seed,
        max_changes=max_changes,
        weight_moves=weight_moves,
        max_cut=max_cut,
        preferences=preferences,
    )
    return dataclasses.replace(answer, seconds=time.perf_counter() - started)


def change_set_answer(
    scenario: Scenario,
    offer: Offer,
    target: float,
    target_reason: str,
    draws: Draws,
    seed: int,
    *,
    max_changes: int = 3,
    weight_moves: bool = False,
    max_cut: float = MAX_CUT,
    preferences: Preferences | None = None,
    baseline_hits: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> WhatIfResult:
    """The answer for ``offer`` on samples already drawn (``draws``; ``seed`` is recorded, not drawn again): what
    ``negsim whatif``, the explore page and a run's page all call, so each page's answer is the command's.
    ``preferences``: the scenario's preferences from ``draws``, and ``baseline_hits``: in how many of them some
    completion of the offer is in the zone (:func:`offer_hits`), when the caller holds them already (a run does).

    An offer that reaches the target as it stands needs no search: the empty change set is the smallest.
    ``cancelled`` is asked between units of work; when it answers True the search stops with ``Cancelled``
    (``sim.studies.zone_pairs``): the explore page calls off a search its analyst no longer waits for."""
    started = time.perf_counter()
    preferences = preferences or preferences_from_draws(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    count_samples = preferences.samples
    fix = offer_fix(space, offer)
    ids = list(preferences.party_ids)
    payers = [ids.index(offer.sponsor)] if offer.sponsor else [int(p) for p in np.flatnonzero(preferences.veto)]
    count = max(1, math.ceil(round(target * count_samples, 9)))
    hits = offer_hits(scenario, offer, draws, cancelled) if baseline_hits is None else baseline_hits
    baseline = Estimate.of(hits, count_samples)
    if hits >= count:
        return _no_change(offer, target, target_reason, (count_samples, seed), baseline, max_changes, max_cut, started)
    correlated = correlate(scenario, draws)
    search = ChangeSearch(
        space, preferences, correlated, fix, count, max_changes, payers, max_cut=max_cut, cancelled=cancelled
    )
    found = search.search()
    changes, reached, stays = None, None, ()
    if found is not None:
        payer = next((p.name for p in scenario.parties if p.id == offer.sponsor), "the veto parties on average")
        changes = describe_found(scenario, space, found, fix, payer)
        changes = tuple(
            dataclasses.replace(c, concession=search.move_cost(*m)) if c.kind == "issue" else c
            for c, m in zip(changes, [*found.moves, *[(0, 0)] * len(found.amounts)], strict=True)
        )
        changed, changed_offer = apply_changes(scenario, offer, changes)
        reached = Estimate.of(offer_hits(changed, changed_offer, draws, cancelled), count_samples)
    else:
        stays = what_stays(scenario, preferences, space, fix)
    best_within = Estimate.of(search.best_reach.reached if search.best_reach else 0, count_samples)
    moves = _weight_moves(scenario, offer, target, draws, preferences, space) if weight_moves else ()
    return WhatIfResult(
        offer.id,
        offer.label,
        target,
        target_reason,
        count_samples,
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
        max_cut,
    )


def _no_change(
    offer: Offer,
    target: float,
    target_reason: str,
    samples_seed: tuple[int, int],
    baseline: Estimate,
    max_changes: int,
    max_cut: float,
    started: float,
) -> WhatIfResult:
    """The answer for an offer that reaches the target as it stands: the empty change set, nothing searched."""
    return WhatIfResult(
        offer.id,
        offer.label,
        target,
        target_reason,
        *samples_seed,
        baseline,
        max_changes,
        (),
        baseline,
        0.0,
        True,
        baseline,
        0,
        (),
        (),
        0,
        0,
        time.perf_counter() - started,
        max_cut,
    )


def what_stays(
    scenario: Scenario, preferences: Preferences, space: PackageSpace, fix: dict[int, int]
) -> tuple[Shortfall, ...]:
    """Why the offer stays short, per veto party: a red line on an option the offer fixes (in the share of samples
    it holds), and its own best completion of the offer below its reservation (no finite shortfall when no
    completion avoids its certain red lines: that row then names them, or says so); most often first."""
    if fix and space.count_feasible(fix) == 0:  # nothing any party does helps: the scenario rules the offer out
        return (Shortfall("", "(the scenario)", 1.0, 0.0, infeasible_text(scenario, fix)),)
    certain = [list(preferences.red_lines[p]) for p in range(preferences.n_parties)]
    own = own_best_completion(space, preferences, fix, certain)
    fixes_its_red_line = {r.party for r in preferences.red_line_list if fix.get(r.option[0]) == r.option[1]}
    rows = [
        Shortfall(
            party.id,
            party.name,
            float(own.below[p]),
            float(own.shortfall[p]) if np.isfinite(own.shortfall[p]) else 0.0,
            "its own best completion of the offer is below its reservation"
            if np.isfinite(own.shortfall[p])
            else "no completion of the offer avoids its certain red lines",
        )
        for p, party in enumerate(scenario.parties)
        if preferences.veto[p]
        and own.below[p] > 0
        and (np.isfinite(own.shortfall[p]) or p not in fixes_its_red_line)  # else its red line's row says why
    ]
    for red in preferences.red_line_list:
        if preferences.veto[red.party] and fix.get(red.option[0]) == red.option[1]:
            party = scenario.parties[red.party]
            label = scenario.issues[red.option[0]].options[red.option[1]].label
            rows.append(
                Shortfall(party.id, party.name, float(red.in_sample.mean()), 0.0, f"its red line on '{label}' holds")
            )
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
                f"{party.name}'s weight on {scenario.issue(issue).title} x{factor:g}: its range "
                f"{range_text((low, high))} "
                f"becomes {range_text((low * factor, high * factor))} before its weights are normalised to sum 1",
            )
        )
    return tuple(moves)


WhatIf = WhatIfResult  # the name the public API imports
