"""Fold block scores, one at a time, into what the analysis needs: memory bounded by the block, not by the run.

A :class:`~sim.zone.scoring.BlockScore` lists every package agreed at the table in some sample, with its counts and
each party's acceptance counts. The analysis needs far less: the per-target hits (OR-ed), the best completion per
target, the per-sample zone sizes (summed) and the zone list (the packages in the zone in some sample with their zone
counts). Keeping every block's score until the analysis held the whole run twice over (3^19 x 1,000 samples x 5
parties: 9.9 million zone packages, 1.9 GB peak). A :class:`ZoneReducer` keeps, per block, only the zone packages and
their counts (12 bytes a package); each party's acceptance count (what zone.parquet reports, 4 bytes a party and
package) is kept in memory for a run without files, or read back from the block's saved part when the table is
written (``stored``).

Blocks partition the space by prefixes of its first issues, and a block's index orders its packages: the zone list is
the blocks' lists concatenated in block order, already sorted, whatever order they were folded in. Reducers of
disjoint blocks merge (:meth:`ZoneReducer.merge`), so blocks can be folded where they were scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.zone.hits import Target, TargetScores
from sim.zone.results import BlockColumns, ZoneList
from sim.zone.scoring import Block, BlockScore, best_across_blocks


@dataclass(frozen=True, eq=False)
class ReducedZone:
    """A scored zone as the analysis reads it: target scores, the zone list and the per-sample zone sizes."""

    targets: TargetScores
    zone: ZoneList
    zone_sizes: np.ndarray  # [sample] number of packages in the zone in each sample


@dataclass(eq=False)
class _BlockZone:
    """One block's share of the zone list and of the target bests."""

    block: Block
    packages: np.ndarray
    zone_count: np.ndarray
    accept_count: np.ndarray | None
    best_count: np.ndarray
    best_package: np.ndarray


@dataclass(eq=False)
class ZoneReducer:
    """Running aggregates of the blocks folded so far (see the module docstring). ``stored(block)``: the block's
    acceptance counts ``[party, zone package]`` read back from where its score was saved; without it they are kept."""

    targets: list[Target]
    samples: int
    n_parties: int
    stored: Callable[[Block], np.ndarray] | None = None
    hits: np.ndarray = field(init=False)
    table_hits: np.ndarray = field(init=False)
    zone_sizes: np.ndarray = field(init=False)
    blocks: dict[int, _BlockZone] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.hits = np.zeros((len(self.targets), -(-self.samples // 8)), dtype=np.uint8)
        self.table_hits = np.zeros_like(self.hits)
        self.zone_sizes = np.zeros(self.samples, dtype=np.int64)

    def add(self, score: BlockScore) -> None:
        """Fold one block's score in (any order; a block folded twice is a programming error)."""
        if score.block.index in self.blocks:
            raise ValueError(f"block {score.block.index} folded twice")
        self.hits |= score.target_hits
        self.table_hits |= score.table_hits
        self.zone_sizes += score.zone_sizes
        in_zone = score.zone_count > 0
        self.blocks[score.block.index] = _BlockZone(
            score.block,
            score.packages[in_zone],
            score.zone_count[in_zone],
            None if self.stored else score.zone_accept_count,
            score.best_count,
            score.best_package,
        )

    def merge(self, other: ZoneReducer) -> None:
        """Fold in another reducer's blocks (disjoint from these)."""
        if self.blocks.keys() & other.blocks.keys():
            raise ValueError("reducers of overlapping blocks")
        self.hits |= other.hits
        self.table_hits |= other.table_hits
        self.zone_sizes += other.zone_sizes
        self.blocks.update(other.blocks)

    def result(self) -> ReducedZone:
        """The reduced zone: blocks in index order (ties for a target's best completion: the lowest package)."""
        ordered = [self.blocks[k] for k in sorted(self.blocks)]
        bests = ((part.best_count, part.best_package) for part in ordered)
        best_count, best_package = best_across_blocks(bests, len(self.targets))
        scores = TargetScores(self.targets, self.samples, self.hits, self.table_hits, best_count, best_package)
        sizes = np.array([part.packages.size for part in ordered], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        stored = self.stored
        if stored is None:
            kept = [counts for part in ordered if (counts := part.accept_count) is not None]  # every block's
            read: Callable[[int], np.ndarray] = kept.__getitem__
        else:
            read = _last_read(lambda k: stored(ordered[k].block))
        zone = ZoneList(
            np.concatenate([part.packages for part in ordered]) if ordered else np.zeros(0, dtype=np.int64),
            np.concatenate([part.zone_count for part in ordered]) if ordered else np.zeros(0, dtype=np.int32),
            BlockColumns(starts, self.n_parties, read),
        )
        return ReducedZone(scores, zone, self.zone_sizes.copy())


def _last_read(read: Callable[[int], np.ndarray]) -> Callable[[int], np.ndarray]:
    """``read`` remembering its last block only: zone.parquet is written in package order, block after block."""
    last: dict[int, np.ndarray] = {}

    def cached(k: int) -> np.ndarray:
        if k not in last:
            last.clear()
            last[k] = read(k)
        return last[k]

    return cached
