"""Build a :class:`~sim.zone.analysis.ZoneAnalysis` from a run's block scores: one implementation, used by the
library call (:func:`map_zone`, everything in memory) and by ``negsim run`` (blocks saved to disk as they finish,
for ``--resume``, then read back here).

The space is scored block by block (``sim.zone.scoring``); the analysis combines the blocks' per-target hits, lists
the zone sparsely, describes every offer and option (``sim.zone.offers``), finds the negotiation set and its
bargaining solutions (``sim.zone.bargaining``), and counts what zone.parquet will hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.analysis import ZoneAnalysis, named_packages, sorted_union
from sim.zone.bargaining import bargaining_solutions, pareto_frontier
from sim.zone.estimate import Estimate
from sim.zone.hits import Target, TargetScores, scenario_targets
from sim.zone.intervals import mean_interval
from sim.zone.offers import TargetContext, headline, offer_results, option_results
from sim.zone.preferences import Preferences, expected_utility
from sim.zone.reduce import ReducedZone, ZoneReducer
from sim.zone.results import BargainingSolution, NegotiationSet, Package, SampleHits, ZoneHistogram, ZoneList
from sim.zone.scoring import Block, BlockScore, ZoneScorer, score_blocks
from sim.zone.settings import RunSettings, run_preferences
from sim.zone.space import PackageSpace

HISTOGRAM_BINS = 20
ZONE_ROWS = 2**20  # zone packages summed at a time: bounded temporaries whatever the zone's size
Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class ZoneJob:
    """What scoring a run's zone needs, built once: the space, the targets (offers, options, the whole space) and
    the block scorer over the run's samples."""

    scenario: Scenario
    settings: RunSettings
    preferences: Preferences
    space: PackageSpace
    targets: list[Target]
    scorer: ZoneScorer

    @classmethod
    def of(cls, scenario: Scenario, settings: RunSettings, preferences: Preferences | None = None) -> ZoneJob:
        preferences = run_preferences(scenario, settings) if preferences is None else preferences
        space = PackageSpace.from_scenario(scenario)
        targets = scenario_targets(scenario, space)
        scorer = ZoneScorer(space, preferences, targets, tail_max=settings.chunk_size)
        return cls(scenario, settings, preferences, space, targets, scorer)

    def reducer(self, stored: Callable[[Block], np.ndarray] | None = None) -> ZoneReducer:
        """An empty fold of this run's block scores (``stored``: see :class:`~sim.zone.reduce.ZoneReducer`)."""
        return ZoneReducer(self.targets, self.preferences.samples, self.preferences.n_parties, stored)

    def analyse(self, reduced: ReducedZone) -> ZoneAnalysis:
        return analyse_zone(self.scenario, self.settings, self.space, self.preferences, reduced)


def map_zone(
    scenario: Scenario, settings: RunSettings, workers: int = 1, progress: Progress | None = None
) -> ZoneAnalysis:
    """Score the whole space of ``scenario`` in memory and analyse it (what ``negsim run`` computes, without files)."""
    job = ZoneJob.of(scenario, settings)
    reducer = job.reducer()
    total = len(job.scorer.blocks)

    def fold(score: BlockScore) -> None:
        reducer.add(score)  # each block folded as it finishes: memory follows the block, not the zone
        if progress:
            progress(len(reducer.blocks), total)

    for _ in score_blocks(job.scorer, job.scorer.blocks, workers, on_done=fold):
        pass
    return job.analyse(reducer.result())


def analyse_zone(
    scenario: Scenario,
    settings: RunSettings,
    space: PackageSpace,
    preferences: Preferences,
    reduced: ReducedZone,
) -> ZoneAnalysis:
    """The analysis of a scored zone (``reduced``: every block's score folded, :mod:`sim.zone.reduce`)."""
    samples = preferences.samples
    scores, zone = reduced.targets, reduced.zone
    context = TargetContext(scenario, space, preferences)
    offers = offer_results(context, scores, zone.counts_of)
    zone_sum, option_count = _option_sums(space, zone)
    mean_p_zone = {
        context.ref(i, o): float(zone_sum[i][o] / samples / option_count[i][o]) if option_count[i][o] else 0.0
        for i, r in enumerate(space.radices)
        for o in range(r)
    }
    options = option_results(context, scores, zone.counts_of, mean_p_zone)
    head = headline(context, scores, zone.counts_of)
    feasible = int(option_count[0].sum())
    histogram = _histogram(zone.zone_count, samples)
    solutions = negotiation_set(space, preferences, zone)
    named = named_packages(space, head, offers, solutions)
    return ZoneAnalysis(
        scenario=scenario,
        settings=settings,
        parties=tuple(preferences.party_ids),
        veto_parties=tuple(p for p, v in zip(preferences.party_ids, preferences.veto, strict=True) if v),
        space_size=space.size,
        feasible=feasible,
        zone_rows=int(sorted_union(zone.packages, named).size),
        zone_mass=float(zone_sum[0].sum()) / samples,
        zone_mass_interval=mean_interval(reduced.zone_sizes),
        headline=head,
        offer_results=tuple(offers),
        option_results=tuple(options),
        negotiation_set=solutions,
        histogram=ZoneHistogram(feasible - int(histogram.sum()), tuple(int(c) for c in histogram)),
        hits=sample_hits(scores),
        zone=zone,
        preferences=preferences,
    )


def _option_sums(space: PackageSpace, zone: ZoneList) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per issue and option: the sum of zone counts of the packages holding it, and the number of feasible packages
    holding it (exact counts, not enumerations). One issue's option indices at a time: every zone package's codes
    at once were the run's peak memory on large zones (3^19: ~10^7 packages x 19 issues x 8 bytes, twice); and
    ``ZONE_ROWS`` packages at a time (sums of integer counts: exact, so the same floats whatever the chunking)."""
    zone_sum = [np.zeros(r) for r in space.radices]
    for start in range(0, zone.packages.size, ZONE_ROWS):
        packages, counts = zone.packages[start : start + ZONE_ROWS], zone.zone_count[start : start + ZONE_ROWS]
        for i, r in enumerate(space.radices):
            zone_sum[i] += np.bincount(space.option_codes(packages, i), weights=counts, minlength=r)[:r]
    option_count = [
        np.array([space.count_feasible({i: o}) for o in range(r)], dtype=np.float64)
        for i, r in enumerate(space.radices)
    ]
    return zone_sum, option_count


def _histogram(positive_counts: np.ndarray, samples: int) -> np.ndarray:
    """20 equal bins of p_zone over (0, 1] for packages in the zone in at least one sample (``ZONE_ROWS`` at a
    time: the float temporaries of ten million packages were a quarter of a gigabyte)."""
    histogram = np.zeros(HISTOGRAM_BINS, dtype=np.int64)
    for start in range(0, positive_counts.size, ZONE_ROWS):
        p_zone = positive_counts[start : start + ZONE_ROWS] / samples
        bins = np.minimum((np.ceil(p_zone * HISTOGRAM_BINS) - 1).astype(np.int64), HISTOGRAM_BINS - 1)
        histogram += np.bincount(bins, minlength=HISTOGRAM_BINS)
    return histogram


def sample_hits(scores: TargetScores) -> SampleHits:
    """Per sample, whether the zone is non-empty and whether each offer (and each option) has a completion in it."""
    bits = np.unpackbits(scores.hits, axis=-1)[:, : scores.samples].astype(bool)
    hits: dict[str, np.ndarray] = {}
    prefix = {"space": "", "offer": "offer_", "option": "option_"}
    for t, target in enumerate(scores.targets):
        name = "zone_nonempty" if target.kind == "space" else f"{prefix[target.kind]}{target.name}"
        hits[name] = bits[t]
    return SampleHits(hits)


def negotiation_set(space: PackageSpace, preferences: Preferences, zone: ZoneList) -> NegotiationSet:
    """The negotiation set (the individually rational Pareto frontier) and the bargaining solutions on it."""
    frontier = pareto_frontier(space, preferences, individually_rational=True)
    samples = preferences.samples
    solutions: dict[str, BargainingSolution | None] = {}
    for name, solution in bargaining_solutions(frontier).items():
        if solution is None:
            solutions[name] = None
            continue
        codes = np.array([solution.codes])
        solutions[name] = BargainingSolution(
            name,
            _package(space, solution.package),
            dict(zip(preferences.party_ids, expected_utility(preferences, codes)[:, 0].tolist(), strict=True)),
            dict(zip(frontier.party_ids, solution.gains, strict=True)),
            Estimate.of(int(zone.counts_of(np.array([solution.package]))[0]), samples),
        )
    return NegotiationSet(
        frontier.packages.astype(np.int64),
        zone.counts_of(frontier.packages),
        expected_utility(preferences, frontier.codes),
        dict(zip(frontier.party_ids, frontier.reservation.tolist(), strict=True)),
        solutions,
    )


def _package(space: PackageSpace, number: int) -> Package:
    return Package(number, space.describe(number))
