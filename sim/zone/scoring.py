"""The Monte-Carlo acceptable zone: for every package, how often every veto party would accept it.

Work is done per grid block (``sim.space``), vectorised over packages and samples at once:

* utility of (head h, tail t) = head_sum[h] + tail_sum[t]; the tail table is built once per run, so each package
  costs one comparison per party and sample, ``tail_sum >= reservation - head_sum``;
* acceptance over samples is bit-packed (8 samples a byte): the veto parties' AND and the per-sample "does some
  completion of this offer fall in the zone" OR run on packed bytes, and counts use ``numpy.bitwise_count``;
* red lines and constraints are per package, not per sample, so they are applied as masks after counting.

Memory is bounded by the block size whatever the size of the space. Each block's :class:`BlockScore` is
self-contained, so blocks can be scored in any order, on any number of threads, saved and resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.preferences import Preferences, expected_utility, gather_sums, grid_sums, sample_preferences
from sim.zone.space import Block, GridBlocks, PackageSpace, option_index

DEFAULT_BLOCK_BYTES = 2**26
MAX_BLOCK_PACKAGES = 2**18  # bounds the per-package arrays (option codes, masks) when samples are few


@dataclass(frozen=True)
class Target:
    """A partial package (an offer, one option, or nothing fixed): scored by its best completions."""

    name: str
    kind: str
    fix: tuple[tuple[int, int], ...]


def scenario_targets(scenario: Scenario, space: PackageSpace, with_options: bool = True) -> list[Target]:
    """The named offers, then every single option (marginals), then the whole space (is the zone empty?)."""
    targets = [
        Target(
            offer.id,
            "offer",
            tuple(option_index(space.issue_ids, space.option_ids, f"{i}.{o}") for i, o in offer.fix.items()),
        )
        for offer in scenario.offers
    ]
    if with_options:
        for i, issue_id in enumerate(space.issue_ids):
            for o, option_id in enumerate(space.option_ids[i]):
                targets.append(Target(f"{issue_id}.{option_id}", "option", ((i, o),)))
    targets.append(Target("*", "space", ()))
    return targets


@dataclass(frozen=True, eq=False)
class BlockScore:
    """Counts over samples for one block of packages (all arrays indexed by position in the block)."""

    block: Block
    zone_count: np.ndarray
    accept_count: np.ndarray
    valid: np.ndarray
    target_hits: np.ndarray
    best_count: np.ndarray
    best_package: np.ndarray


@dataclass(eq=False)
class ZoneScorer:
    """Everything block scoring needs that does not change between blocks (built once per run)."""

    space: PackageSpace
    preferences: Preferences
    targets: list[Target]
    chunk_size: int
    blocks: GridBlocks = field(init=False)
    tail_sum: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.blocks = self.space.blocks(self.chunk_size)
        prefs = self.preferences
        self.tail_sum = grid_sums(prefs.by_issue[self.blocks.split :], len(prefs.party_ids), prefs.samples)

    def score(self, block: Block) -> BlockScore:
        prefs, space = self.preferences, self.space
        heads = self.blocks.head_codes(block)
        n_parties = len(prefs.party_ids)
        head_sum = gather_sums(prefs.by_issue[: heads.shape[1]], heads, len(prefs.party_ids), prefs.samples)
        threshold = prefs.reservation[None, :, :] - head_sum
        codes = self.blocks.block_codes(block)
        valid = space.feasible(codes)
        in_play = valid.copy()
        for p in np.flatnonzero(prefs.veto):
            in_play &= ~space.holds_any(codes, list(prefs.red_lines[p]))
        accept_count = np.empty((n_parties, block.size), dtype=np.int32)
        zone_bits: np.ndarray | None = None
        for p in range(n_parties):
            bits = np.packbits(self.tail_sum[None, :, p, :] >= threshold[:, None, p, :], axis=-1)
            bits = bits.reshape(block.size, -1)
            counts = np.bitwise_count(bits).sum(axis=-1, dtype=np.int32)
            counts[space.holds_any(codes, list(prefs.red_lines[p]))] = 0
            accept_count[p] = counts
            if prefs.veto[p]:
                zone_bits = bits if zone_bits is None else np.bitwise_and(zone_bits, bits, out=zone_bits)
        assert zone_bits is not None, "a scenario has at least two veto parties"
        zone_bits[~in_play] = 0
        zone_count = np.bitwise_count(zone_bits).sum(axis=-1, dtype=np.int32)
        hits, best_count, best_package = self._score_targets(codes, zone_bits, zone_count, valid, block)
        return BlockScore(block, zone_count, accept_count, valid, hits, best_count, best_package)

    def _score_targets(
        self,
        codes: np.ndarray,
        zone_bits: np.ndarray,
        zone_count: np.ndarray,
        valid: np.ndarray,
        block: Block,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hits = np.zeros((len(self.targets), zone_bits.shape[1]), dtype=np.uint8)
        best_count = np.full(len(self.targets), -1, dtype=np.int64)
        best_package = np.full(len(self.targets), -1, dtype=np.int64)
        for t, target in enumerate(self.targets):
            match = valid.copy()
            for issue, option in target.fix:
                match &= codes[:, issue] == option
            rows = np.flatnonzero(match)
            if rows.size == 0:
                continue
            hits[t] = np.bitwise_or.reduce(zone_bits[rows], axis=0)
            best = rows[np.argmax(zone_count[rows])]
            best_count[t], best_package[t] = zone_count[best], block.start + best
        return hits, best_count, best_package


@dataclass(frozen=True, eq=False)
class TargetScores:
    """Per target: share of samples with some completion in the zone, best completion and its count."""

    targets: list[Target]
    samples: int
    hits: np.ndarray
    best_count: np.ndarray
    best_package: np.ndarray

    @property
    def p_complete(self) -> np.ndarray:
        return np.bitwise_count(self.hits).sum(axis=-1) / self.samples


def combine_targets(scores: Iterable[BlockScore], targets: list[Target], samples: int) -> TargetScores:
    """OR the per-sample hits and keep the best completion across blocks (ties: lowest package number)."""
    hits: np.ndarray | None = None
    best_count = np.full(len(targets), -1, dtype=np.int64)
    best_package = np.full(len(targets), -1, dtype=np.int64)
    for score in sorted(scores, key=lambda s: s.block.index):
        hits = score.target_hits.copy() if hits is None else hits | score.target_hits
        better = score.best_count > best_count
        best_count[better] = score.best_count[better]
        best_package[better] = score.best_package[better]
    if hits is None:
        hits = np.zeros((len(targets), -(-samples // 8)), dtype=np.uint8)
    return TargetScores(targets, samples, hits, best_count, best_package)


def score_blocks(
    scorer: ZoneScorer,
    blocks: Iterable[Block],
    workers: int = 1,
    on_done: Callable[[BlockScore], None] | None = None,
) -> Iterator[BlockScore]:
    """Score blocks on ``workers`` threads (numpy releases the GIL); results come back in block order."""
    if workers <= 1:
        for block in blocks:
            score = scorer.score(block)
            if on_done:
                on_done(score)
            yield score
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for score in pool.map(scorer.score, blocks):
            if on_done:
                on_done(score)
            yield score


def default_chunk_size(samples: int) -> int:
    """Packages per block so that one party's boolean comparison array stays near 64 MiB."""
    return max(1, min(DEFAULT_BLOCK_BYTES // max(samples, 1), MAX_BLOCK_PACKAGES))


@dataclass(frozen=True, eq=False)
class ZoneResult:
    """The whole zone in memory: for tests, analysis and small spaces (runs stream blocks to disk instead)."""

    space: PackageSpace
    preferences: Preferences
    packages: np.ndarray
    zone_count: np.ndarray
    accept_count: np.ndarray
    targets: TargetScores

    @property
    def samples(self) -> int:
        return self.preferences.samples

    @property
    def p_zone(self) -> np.ndarray:
        return self.zone_count / self.samples

    @property
    def p_accept(self) -> np.ndarray:
        return self.accept_count / self.samples

    @property
    def expected_utility(self) -> np.ndarray:
        return expected_utility(self.preferences, self.space.codes(self.packages))


def compute_zone(
    scenario: Scenario,
    samples: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    with_options: bool = True,
) -> ZoneResult:
    """Sample preferences and score every feasible package; the result does not depend on chunk size."""
    samples = samples or scenario.run.samples
    seed = scenario.run.seed if seed is None else seed
    preferences = sample_preferences(scenario, samples, np.random.default_rng(seed))
    space = PackageSpace.from_scenario(scenario)
    targets = scenario_targets(scenario, space, with_options)
    scorer = ZoneScorer(
        space, preferences, targets, chunk_size or scenario.run.chunk_size or default_chunk_size(samples)
    )
    scores = list(score_blocks(scorer, scorer.blocks, workers))
    return collect_zone(space, preferences, targets, scores)


def collect_zone(
    space: PackageSpace, preferences: Preferences, targets: list[Target], scores: list[BlockScore]
) -> ZoneResult:
    """Concatenate block scores into one in-memory result, keeping only feasible packages."""
    scores = sorted(scores, key=lambda s: s.block.index)
    packages = np.concatenate([s.block.start + np.flatnonzero(s.valid) for s in scores])
    zone_count = np.concatenate([s.zone_count[s.valid] for s in scores])
    accept_count = np.concatenate([s.accept_count[:, s.valid] for s in scores], axis=1)
    return ZoneResult(
        space,
        preferences,
        packages,
        zone_count,
        accept_count,
        combine_targets(scores, targets, preferences.samples),
    )
