"""One block of the package space, scored adaptively: dense rows where the zone is dense, pairs where it is sparse.

The walk is depth first from the block's prefix. Every partial package starts as a dense row (``sim.zone.dense``);
after each issue the bound's own count of the samples a row is still alive in decides whether it stays a row or
becomes (partial package, sample) pairs (``sim.zone.search``), which then run to the end of the head and meet the
tail pair by pair. Rows that reach the tail are compared with every tail package in every sample at once and reduced
here, without making pairs, to what a block score needs: per package its table and zone counts, per sample the
zone size, per target the bit-packed samples with a completion. Memory is bounded by the batch sizes of both
representations, never by the zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.zone.dense import DENSE_SHARE, Rows, extend_rows, root_rows, rows_batches, split_by_share, tail_rows
from sim.zone.hits import Target, grid_hits
from sim.zone.preferences import Preferences
from sim.zone.search import Pairs, Search
from sim.zone.space import PackageSpace


@dataclass
class DenseTotals:
    """What the dense rows of a block contributed: listed packages (table count > 0) with their counts,
    each party's acceptance counts of those in the zone in some sample, OR-ed target hits, per-sample zone sizes
    and the number of cells compared."""

    n_targets: int
    samples: int
    packages: list[np.ndarray] = field(default_factory=list)
    table_count: list[np.ndarray] = field(default_factory=list)
    zone_count: list[np.ndarray] = field(default_factory=list)
    accept_count: list[np.ndarray] = field(default_factory=list)  # [party, zone package] over every sample
    hits: np.ndarray = field(init=False)
    table_hits: np.ndarray = field(init=False)
    zone_sizes: np.ndarray = field(init=False)
    checked: int = 0

    def __post_init__(self) -> None:
        self.hits = np.zeros((self.n_targets, -(-self.samples // 8)), dtype=np.uint8)
        self.table_hits = np.zeros_like(self.hits)
        self.zone_sizes = np.zeros(self.samples, dtype=np.int64)


@dataclass
class BlockWalk:
    """A block's results before reduction: the pairs found at the tail and the dense rows' totals."""

    pair_packages: list[np.ndarray]
    pair_samples: list[np.ndarray]
    pairs_checked: int
    dense: DenseTotals


def pairs_of(rows: Rows) -> Pairs:
    """Rows as (partial package, sample) pairs: one pair per alive sample, with the same utilities so far."""
    row, sample = np.nonzero(rows.alive)
    return Pairs(rows.partials, row, sample, rows.sums[row, :, sample].astype(np.int64))


def walk_block(
    search: Search,
    space: PackageSpace,
    preferences: Preferences,
    targets: list[Target],
    prefix: tuple[int, ...],
    dense_share: float = DENSE_SHARE,
) -> BlockWalk:
    """Score the packages starting with ``prefix``: a partial package alive in at least ``dense_share`` of the
    samples is carried as a dense row, any other as pairs (``dense_share > 1``: pairs only, the reference path)."""
    samples = preferences.samples
    rows = root_rows(len(search.table), samples)
    for option in prefix:
        rows = extend_rows(search, rows, [option])
    totals = DenseTotals(len(targets), samples)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    checked = 0
    stack: list[Rows | Pairs] = [rows]
    while stack:
        item = stack.pop()
        if len(item) == 0:
            continue
        if isinstance(item, Pairs):
            for heads in search.heads(item):
                checked += len(heads) * search.tail_size
                found.extend(search.tail_pairs(heads))
            continue
        keep, sparse = split_by_share(item, dense_share * samples)
        if sparse.size:
            stack.append(pairs_of(item.take(sparse)))
        item = item.take(keep)
        if len(item) == 0:
            continue
        if item.partials.shape[1] == search.split:
            _score_tail(search, space, preferences, targets, item, totals)
            continue
        batch = rows_batches(search, item)
        if len(item) > batch:
            stack += [item.take(np.arange(s, min(s + batch, len(item)))) for s in range(0, len(item), batch)][::-1]
            continue
        stack.append(extend_rows(search, item))
    packages = [p for p, _ in found]
    return BlockWalk(packages, [s for _, s in found], checked, totals)


def _score_tail(
    search: Search,
    space: PackageSpace,
    preferences: Preferences,
    targets: list[Target],
    rows: Rows,
    totals: DenseTotals,
) -> None:
    """Compare head rows with every tail package in every sample, ratify, and reduce into ``totals``."""
    tail = search.tail_size
    others = [p for p in range(preferences.n_parties) if p not in search.table]
    for partials, ok, table_counts in tail_rows(search, rows):
        heads = (
            np.ravel_multi_index(tuple(partials.T), space.radices[: search.split])
            if search.split
            else np.zeros(len(partials), dtype=np.int64)
        )
        packages = (heads[:, None] * tail + np.arange(tail)[None]).reshape(-1)
        codes = np.concatenate(
            [np.repeat(partials, tail, axis=0), np.tile(search.tail_codes, (len(partials), 1))], axis=1
        )
        table = ok.reshape(packages.size, -1)
        if space.violations:
            table[~space.feasible(codes)] = False
        table_bits = np.packbits(table, axis=1)
        table_count = np.bitwise_count(table_bits).sum(axis=1)
        listed = np.flatnonzero(table_count)
        accept_count = np.zeros((preferences.n_parties, listed.size), dtype=np.int32)
        accept_count[search.table] = table_counts[:, listed]
        zone, zone_bits = table, table_bits
        if others and listed.size:
            # parties away from the table (ratifiers, mediators): the reference definition, on listed packages only
            accepted = preferences.acceptable(space, codes[listed], others)
            accept_count[others] = accepted.sum(axis=2)
            ratify = [others.index(p) for p in search.ratifiers]
            if ratify:
                zone = table.copy()
                zone[listed] &= accepted[ratify].all(axis=0)
                zone_bits = np.packbits(zone, axis=1)
        zone_count = np.bitwise_count(zone_bits).sum(axis=1)
        totals.zone_sizes += np.add.reduce(zone.view(np.uint8), axis=0, dtype=np.int64)
        shape = (len(partials), tail, -1)
        totals.hits |= grid_hits(targets, partials, search.tail_codes, search.split, zone_bits.reshape(shape))
        totals.table_hits |= grid_hits(targets, partials, search.tail_codes, search.split, table_bits.reshape(shape))
        totals.packages.append(packages[listed])
        totals.table_count.append(table_count[listed].astype(np.int32))
        totals.zone_count.append(zone_count[listed].astype(np.int32))
        totals.accept_count.append(accept_count[:, zone_count[listed] > 0])
        totals.checked += table.size
