"""The Monte-Carlo acceptable zone: for every package, how often every veto party would accept it.

A package is in the zone in a sample when every veto party accepts it there (``sim.zone.preferences``: exact
integer utilities, red lines that hold in that sample, links); ratifiers are veto players not at the table, so
``table_count`` counts the samples in which every veto party *at the table* accepts and ``zone_count`` those in
which the ratifiers accept as well.

The space is cut into blocks by the options of its first issues (a block is a prefix), so blocks are independent:
they can be scored in any order, on threads or on a Dask cluster, saved and resumed. Inside a block,
``sim.zone.search`` grows partial packages issue by issue and keeps only the (package, sample) pairs that can still
be agreed at the table — exact branch and bound — so the work follows the size of the zone, not of the space.
``prune=False`` switches the bound off (every pair is carried to the end): the brute-force reference the tests
compare with, bit for bit.

A :class:`BlockScore` is sparse: the packages agreed at the table in some sample, with their counts, and per target
(a named offer, an option, the whole space) the samples in which some completion is in the zone (bit-packed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from math import prod

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.adaptive import BlockWalk, walk_block
from sim.zone.dense import DENSE_SHARE
from sim.zone.hits import Target, TargetScores, best_completions, pair_hits, scenario_targets
from sim.zone.intervals import mean_interval
from sim.zone.pairs import ZonePairs
from sim.zone.preferences import Preferences
from sim.zone.search import Search
from sim.zone.settings import RunSettings, run_preferences
from sim.zone.space import PackageSpace

MIN_BLOCKS = 32


@dataclass(frozen=True)
class Block:
    """Every package whose first issues take the options ``prefix``."""

    index: int
    prefix: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class BlockScore:
    """One block's packages agreed at the table in some sample (sorted), their counts, and per-target hits."""

    block: Block
    packages: np.ndarray
    zone_count: np.ndarray
    table_count: np.ndarray
    target_hits: np.ndarray
    table_hits: np.ndarray
    best_count: np.ndarray
    best_package: np.ndarray
    zone_sizes: np.ndarray  # [sample] how many of the block's packages are in the zone in each sample
    # [party, package] each party's own acceptance count of the listed packages in the zone in some sample
    # (zone_count > 0, in listed order): what zone.parquet reports. Not of every listed package: on the baseline
    # 66,000 packages are agreed at the table in some sample and 5,000 are in the zone, and counting each party's
    # acceptance over every sample was 90 % of scoring (ZoneResult.accept_count computes the others when asked).
    zone_accept_count: np.ndarray
    pairs_checked: int = 0  # (package, sample) pairs compared densely; the rest were settled by the bound


@dataclass(eq=False)
class ZoneScorer:
    """Everything block scoring needs that does not change between blocks (built once per run)."""

    space: PackageSpace
    preferences: Preferences
    targets: list[Target]
    prune: bool = True
    tail_max: int | None = None
    min_blocks: int = MIN_BLOCKS
    dense_share: float = DENSE_SHARE  # rows alive in this share of samples are scored densely (> 1: pairs only)
    search: Search = field(init=False)
    blocks: list[Block] = field(init=False)

    def __post_init__(self) -> None:
        self.search = Search(self.space, self.preferences, self.prune, self.tail_max)
        radices = self.space.radices
        depth = 0
        while depth < self.search.split and prod(radices[:depth]) < self.min_blocks:
            depth += 1
        prefixes = (
            np.stack(np.unravel_index(np.arange(prod(radices[:depth])), radices[:depth]), axis=-1)
            if depth
            else (np.zeros((1, 0), dtype=np.int64))
        )
        self.blocks = [Block(k, tuple(int(o) for o in row)) for k, row in enumerate(prefixes)]

    def zone_pairs(self, block: Block) -> ZonePairs:
        """The block's feasible (package, sample) pairs agreed at the table, and which the ratifiers accept too
        (pairs only, whatever the density: for studies that need the pairs themselves)."""
        walk = walk_block(self.search, self.space, self.preferences, self.targets, block.prefix, 2.0)
        return self._block_pairs(walk)

    def _block_pairs(self, walk: BlockWalk) -> ZonePairs:
        prefs, space, search = self.preferences, self.space, self.search
        packages = np.concatenate(walk.pair_packages) if walk.pair_packages else np.zeros(0, dtype=np.int64)
        samples = np.concatenate(walk.pair_samples) if walk.pair_samples else np.zeros(0, dtype=np.int64)
        # everything per package is computed once per distinct package and reached from a pair by ``inverse``
        unique, inverse = np.unique(packages, return_inverse=True)
        inverse = inverse.reshape(-1)
        unique_codes = space.codes(unique)
        feasible = space.feasible(unique_codes)
        if not feasible.all():
            kept = feasible[inverse]
            samples, inverse = samples[kept], (np.cumsum(feasible) - 1)[inverse[kept]]
            unique, unique_codes = unique[feasible], unique_codes[feasible]
        in_zone = np.ones(samples.size, dtype=bool)
        if search.ratifiers:
            in_zone = prefs.all_accept_at(unique_codes[inverse], samples, search.ratifiers)
        return ZonePairs(unique, unique_codes, inverse, samples, in_zone, walk.pairs_checked)

    def score(self, block: Block) -> BlockScore:
        """The block's score: its dense rows reduced as they are scored, its pairs reduced here, merged."""
        walk = walk_block(self.search, self.space, self.preferences, self.targets, block.prefix, self.dense_share)
        pairs, dense, samples = self._block_pairs(walk), walk.dense, self.preferences.samples
        hits, table_hits = pair_hits(
            self.targets, self.space, samples, pairs.distinct_codes, pairs.samples, pairs.ratified, pairs.inverse
        )
        hits |= dense.hits
        table_hits |= dense.table_hits
        per_package = pairs.distinct.size
        pair_zone = np.bincount(pairs.inverse, weights=pairs.ratified, minlength=per_package).astype(np.int32)
        in_zone = pair_zone > 0
        # each party's acceptance over every sample, for the zone's packages only (the dense rows counted theirs)
        pair_accepts = acceptance_counts(
            self.preferences, self.space, pairs.distinct[in_zone], workers=1, codes=pairs.distinct_codes[in_zone]
        )
        packages = np.concatenate([pairs.distinct, *dense.packages])
        order = np.argsort(packages, kind="stable")
        packages = packages[order]
        # option indices of every listed package, from the numbers: carried from the walk they were held three times
        # (per batch, concatenated, reordered: 456 bytes a listed package at 3^19)
        codes = self.space.codes(packages)
        table_count = np.concatenate(
            [np.bincount(pairs.inverse, minlength=per_package).astype(np.int32), *dense.table_count]
        )[order]
        unsorted_zone = np.concatenate([pair_zone, *dense.zone_count])
        zone_count = unsorted_zone[order]
        # accept columns follow the unsorted zone packages: reorder them like the sorted packages
        column = np.cumsum(unsorted_zone > 0) - 1
        accept_count = np.concatenate([pair_accepts, *dense.accept_count], axis=1)[:, column[order[zone_count > 0]]]
        best_count, best_package = best_completions(self.targets, self.space, codes, packages, zone_count)
        zone_sizes = np.bincount(pairs.samples[pairs.ratified], minlength=samples) + dense.zone_sizes
        return BlockScore(
            block,
            packages,
            zone_count,
            table_count,
            hits,
            table_hits,
            best_count,
            best_package,
            zone_sizes.astype(np.int32),
            accept_count,
            pairs.checked + dense.checked,
        )


def combine_targets(scores: Iterable[BlockScore], targets: list[Target], samples: int) -> TargetScores:
    """OR the per-sample hits and keep the best completion across blocks (ties: lowest package number)."""
    n_bytes = -(-samples // 8)
    hits = np.zeros((len(targets), n_bytes), dtype=np.uint8)
    table_hits = np.zeros_like(hits)
    ordered = sorted(scores, key=lambda s: s.block.index)
    for score in ordered:
        hits |= score.target_hits
        table_hits |= score.table_hits
    best_count, best_package = best_across_blocks(((s.best_count, s.best_package) for s in ordered), len(targets))
    return TargetScores(targets, samples, hits, table_hits, best_count, best_package)


def best_across_blocks(
    blocks: Iterable[tuple[np.ndarray, np.ndarray]], n_targets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per target, the best completion's zone count and package over blocks given in block order as ``(best_count,
    best_package)``: a later block replaces it only when strictly better, so ties keep the lowest package number."""
    best_count = np.full(n_targets, -1, dtype=np.int64)
    best_package = np.full(n_targets, -1, dtype=np.int64)
    for count, package in blocks:
        better = count > best_count
        best_count[better] = count[better]
        best_package[better] = package[better]
    return best_count, best_package


def score_blocks(
    scorer: ZoneScorer,
    blocks: Iterable[Block],
    workers: int = 1,
    on_done: Callable[[BlockScore], None] | None = None,
    on_scored: Callable[[BlockScore], None] | None = None,
) -> Iterator[BlockScore]:
    """Score blocks on ``workers`` threads (numpy releases the GIL); results come back in block order.

    ``on_scored`` runs on the thread that scored the block, as soon as it is scored: saving each block there lets
    the wait for the disk (two fsyncs a part) overlap the other thread's scoring, where saving them one after
    another on the calling thread was a second of the baseline's 1.2 s of scoring. ``on_done`` runs on the calling
    thread, in block order."""

    def score(block: Block) -> BlockScore:
        result = scorer.score(block)
        if on_scored:
            on_scored(result)
        return result

    if workers <= 1:
        for block in blocks:
            result = score(block)
            if on_done:
                on_done(result)
            yield result
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(score, blocks):
            if on_done:
                on_done(result)
            yield result


@dataclass(frozen=True, eq=False)
class ZoneResult:
    """A whole zone in memory, sparse: the packages agreed at the table in some sample, sorted by number.

    ``accept_count[p, k]`` is party p's acceptance count of ``packages[k]`` (the scorer counts it for the zone's
    packages, ``zone_accept_count``; the others' are computed when asked); every package not listed is in the zone in
    no sample. ``feasible`` is the number of feasible packages of the space.
    """

    space: PackageSpace
    preferences: Preferences
    packages: np.ndarray
    zone_count: np.ndarray
    table_count: np.ndarray
    zone_accept_count: np.ndarray  # [party, package] of the listed packages with zone_count > 0
    targets: TargetScores
    feasible: int
    zone_sizes: np.ndarray  # [sample] number of packages in the zone in each sample
    pairs_checked: int = 0

    @property
    def samples(self) -> int:
        return self.preferences.samples

    @property
    def zone_mass_interval(self) -> tuple[float, float]:
        """95 % Monte-Carlo interval of the zone mass (the mean of the per-sample zone sizes)."""
        return mean_interval(self.zone_sizes)

    @property
    def p_zone(self) -> np.ndarray:
        return self.zone_count / self.samples

    @cached_property
    def accept_count(self) -> np.ndarray:
        """Each party's acceptance count of every listed package, ``[party, package]``."""
        counts = np.zeros((self.preferences.n_parties, self.packages.size), dtype=np.int32)
        in_zone = self.zone_count > 0
        counts[:, in_zone] = self.zone_accept_count
        counts[:, ~in_zone] = acceptance_counts(self.preferences, self.space, self.packages[~in_zone])
        return counts

    @property
    def p_accept(self) -> np.ndarray:
        return self.accept_count / self.samples

    @property
    def zone_mass(self) -> float:
        """Expected number of packages in the zone (the sum of zone probabilities)."""
        return float(self.zone_count.sum()) / self.samples

    def zone_count_of(self, packages: np.ndarray) -> np.ndarray:
        """Zone counts of any packages (0 for a package never in the zone)."""
        return lookup_counts(self.packages, self.zone_count, packages)

    @property
    def expected_utility(self) -> np.ndarray:
        from sim.zone.preferences import expected_utility

        return expected_utility(self.preferences, self.space.codes(self.packages))


def lookup_counts(listed: np.ndarray, counts: np.ndarray, packages: np.ndarray) -> np.ndarray:
    """``counts`` of ``packages`` in the sorted sparse list ``listed`` (0 where a package is not listed)."""
    packages = np.asarray(packages, dtype=np.int64)
    if listed.size == 0:
        return np.zeros(packages.size, dtype=np.int64)
    at = np.minimum(np.searchsorted(listed, packages), listed.size - 1)
    return np.where(listed[at] == packages, counts[at], 0).astype(np.int64)


def acceptance_counts(
    preferences: Preferences,
    space: PackageSpace,
    packages: np.ndarray,
    workers: int | None = None,
    codes: np.ndarray | None = None,
) -> np.ndarray:
    """Each party's acceptance count of each listed package, ``[party, package]``, in bounded chunks.

    Chunks run on ``workers`` threads (default: every core; numpy releases the GIL); integer counts do not depend
    on how the work is shared.
    """
    counts = np.zeros((preferences.n_parties, packages.size), dtype=np.int32)
    step = max(1, 2**22 // max(1, preferences.n_parties * preferences.samples))

    def count(start: int) -> None:
        chunk = space.codes(packages[start : start + step]) if codes is None else codes[start : start + step]
        counts[:, start : start + step] = preferences.acceptable(space, chunk).sum(axis=2)

    starts = range(0, packages.size, step)
    workers = min(workers or os.cpu_count() or 1, len(starts))
    if workers <= 1:
        for start in starts:
            count(start)
        return counts
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(count, starts))
    return counts


def compute_zone(
    scenario: Scenario,
    samples: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    with_options: bool = True,
    prune: bool = True,
    preferences: Preferences | None = None,
    tail_max: int | None = None,
    min_blocks: int = MIN_BLOCKS,
    dense_share: float = DENSE_SHARE,
) -> ZoneResult:
    """Sample preferences (or take given ones) and score the whole space; independent of how it is cut and carried
    (``tail_max``, ``min_blocks``: see :class:`sim.zone.search.Search`; ``dense_share``: :mod:`sim.zone.dense`;
    the results do not depend on them)."""
    if preferences is None:
        preferences = run_preferences(scenario, RunSettings.for_scenario(scenario, samples, seed))
    space = PackageSpace.from_scenario(scenario)
    targets = scenario_targets(scenario, space, with_options)
    scorer = ZoneScorer(
        space, preferences, targets, prune, tail_max or scenario.run.chunk_size, min_blocks, dense_share
    )
    return collect_zone(space, preferences, targets, list(score_blocks(scorer, scorer.blocks, workers)))


def collect_zone(
    space: PackageSpace, preferences: Preferences, targets: list[Target], scores: list[BlockScore]
) -> ZoneResult:
    """Concatenate block scores into one in-memory result (blocks partition the space, so packages are disjoint)."""
    scores = sorted(scores, key=lambda s: s.block.index)
    packages = np.concatenate([s.packages for s in scores]) if scores else np.zeros(0, dtype=np.int64)
    order = np.argsort(packages, kind="stable")
    packages = packages[order]
    zone_count = np.concatenate([s.zone_count for s in scores])[order] if scores else np.zeros(0, np.int32)
    table_count = np.concatenate([s.table_count for s in scores])[order] if scores else np.zeros(0, np.int32)
    return ZoneResult(
        space,
        preferences,
        packages,
        zone_count,
        table_count,
        np.concatenate([s.zone_accept_count for s in scores], axis=1)[:, _zone_columns(scores, order)]
        if scores
        else np.zeros((preferences.n_parties, 0), np.int32),
        combine_targets(scores, targets, preferences.samples),
        space.count_feasible(),
        sum((s.zone_sizes.astype(np.int64) for s in scores), np.zeros(preferences.samples, dtype=np.int64)),
        sum(s.pairs_checked for s in scores),
    )


def _zone_columns(scores: list[BlockScore], order: np.ndarray) -> np.ndarray:
    """Where each zone package of the sorted list (``order`` sorts the blocks' concatenated packages) has its
    acceptance counts in the blocks' concatenated ``zone_accept_count``."""
    in_zone = np.concatenate([s.zone_count > 0 for s in scores])
    return (np.cumsum(in_zone) - 1)[order[in_zone[order]]]
