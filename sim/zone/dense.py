"""Dense rows: partial packages carried with *every* sample at once, for where the zone is dense.

``sim.zone.search`` carries (partial package, sample) pairs, which pays when the bound drops most samples early (the
baseline keeps about 98,000 of 3·10^9 pairs) and costs tens of times brute force when it drops almost none (a
cooperative scenario: 83 % of 10^9 pairs in the zone). Each representation has a cost per unit: a pair costs a few
gathers and scatters per level (int64 indices), a dense row costs one vectorised add and compare per sample
(contiguous int32, no index). So the search decides per partial package, from the bound's own count of the samples
it is still alive in, which one to carry it in: a row while that share is at least ``DENSE_SHARE``, pairs below it
(a row only ever turns into pairs: a share can only fall as issues are decided). Every partial package starts as a
row (the root is alive in every sample).

The same exact bounds decide which samples of a row stay alive; a row is dropped when no sample is. At the tail a
row is compared with every tail package in every sample at once (``threshold - sums`` per party against the tail's
utility rows: one compare per cell, no add), giving the block's accept matrix ``[package, sample]`` of the parties
at the table, which :mod:`sim.zone.scoring` reduces to counts and bit-packed hits without making any pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sim.zone.search import Search
from sim.zone.space import violated

# measured on the dense 4^10 x 1,000 x 5 case and the baseline: a pair costs about 20-40x a row's cell
DENSE_SHARE = 1 / 16
MAX_ROW_CELLS = 2**23  # cells (rows x parties x samples, children included) extended at a time: bounds memory
MAX_TAIL_CELLS = 2**22  # cells (packages x samples) of one dense tail batch


@dataclass(frozen=True, eq=False)
class Rows:
    """Partial packages (option indices of the first issues), each with every sample: the table parties' utility
    so far ``sums[m, p, s]`` (int32 units, meaningful where alive) and ``alive[m, s]``."""

    partials: np.ndarray
    sums: np.ndarray
    alive: np.ndarray

    def __len__(self) -> int:
        return int(self.partials.shape[0])

    def take(self, rows: np.ndarray) -> Rows:
        return Rows(self.partials[rows], self.sums[rows], self.alive[rows])


def root_rows(n_table: int, samples: int) -> Rows:
    """The empty partial package, alive in every sample."""
    return Rows(
        np.zeros((1, 0), dtype=np.int64),
        np.zeros((1, n_table, samples), dtype=np.int32),
        np.ones((1, samples), dtype=bool),
    )


def extend_rows(search: Search, rows: Rows, options: list[int] | None = None) -> Rows:
    """Decide the next issue for every row (all its options, or only ``options``); keep children alive somewhere.

    The same bound as :meth:`sim.zone.search.Search.extend` (per party and joint, exact), the same uncertain red
    lines and constraints, applied to whole rows of samples."""
    level = rows.partials.shape[1]
    issue_options = options if options is not None else list(range(search.space.radices[level]))
    need, joint_need = search.row_need[level + 1], search.row_joint_need[level + 1]
    codes = rows.partials
    kept: list[Rows] = []
    for option in issue_options:
        if (level, option) in search.certain:
            continue
        sums = rows.sums + search.row_units[level][:, option, :][None]
        for link in search.links:
            if max(link.first[0], link.second[0]) != level:
                continue
            here, other = (link.first, link.second) if link.first[0] == level else (link.second, link.first)
            if here[1] == option:
                active = np.flatnonzero(codes[:, other[0]] == other[1])
                if active.size:
                    sums[active, search.table.index(link.party)] += link.delta_units.astype(np.int32)
        alive = rows.alive.copy()
        if search.prune:
            alive &= (sums >= need[None]).all(axis=1)
            alive &= sums.sum(axis=1, dtype=np.int64) >= joint_need[None]
        for red in search.uncertain:
            if red.option == (level, option):
                alive &= ~red.in_sample[None]
        for violation in search.space.violations:
            sets = [options for i, options in violation if i == level]
            if max(i for i, _ in violation) == level and all(option in options for options in sets):
                alive[violated(codes, tuple((i, o) for i, o in violation if i < level))] = False
        live = np.flatnonzero(alive.any(axis=1))
        if live.size:
            partials = np.concatenate([codes[live], np.full((live.size, 1), option, dtype=np.int64)], axis=1)
            kept.append(Rows(partials, sums[live], alive[live]))
    if not kept:
        return Rows(np.zeros((0, level + 1), dtype=np.int64), rows.sums[:0], rows.alive[:0])
    return Rows(*(np.concatenate(parts) for parts in zip(*((r.partials, r.sums, r.alive) for r in kept), strict=True)))


def split_by_share(rows: Rows, least: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the rows alive in at least ``least`` samples, and of the others (to become pairs)."""
    dense = rows.alive.sum(axis=1) >= least
    return np.flatnonzero(dense), np.flatnonzero(~dense)


def rows_batches(search: Search, rows: Rows) -> int:
    """How many rows to extend at once so that the children stay within ``MAX_ROW_CELLS``."""
    level = rows.partials.shape[1]
    radix = search.space.radices[level] if level < len(search.space.radices) else 1
    per_row = max(1, radix * rows.sums.shape[1] * rows.sums.shape[2])
    return max(1, MAX_ROW_CELLS // per_row)


def tail_rows(search: Search, rows: Rows) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per batch of head rows: the rows' partial packages, the table parties' accept matrix over every head x tail
    package and every sample, ``ok[h, t, s]`` (False where the bound had settled the row's sample), and each table
    party's own acceptance count of every package over every sample, ``counts[p, h * t]`` (its utility and red
    lines alone, whatever the bound: what the tables report per party).

    Every array is written into buffers allocated once per call: a fresh multi-megabyte array per party and batch
    costs more in page faults than the comparison itself (measured 2.4 vs 0.3 ns per cell on this machine)."""
    samples, tail = rows.alive.shape[1], search.tail_size
    batch = max(1, min(len(rows), MAX_TAIL_CELLS // (tail * samples)))
    ok_buffer = np.empty((batch, tail, samples), dtype=bool)
    accept_buffer = np.empty_like(ok_buffer)
    need_buffer = np.empty((batch, len(search.table), samples), dtype=np.int32)
    for start in range(0, len(rows), batch):
        part = rows.take(np.arange(start, min(start + batch, len(rows))))
        h = len(part)
        ok, accept, need = ok_buffer[:h], accept_buffer[:h], need_buffer[:h]
        np.subtract(search.threshold32[None], part.sums, out=need)
        np.logical_and(part.alive[:, None, :], search.tail_allowed[None, :, None], out=ok)
        counts = np.zeros((len(search.table), h * tail), dtype=np.int32)
        for column, party in enumerate(search.table):
            _party_accepts(search, part, column, party, need, accept)
            counts[column] = np.bitwise_count(np.packbits(accept, axis=-1)).sum(axis=-1).reshape(-1)
            np.logical_and(ok, accept, out=ok)
        yield part.partials, ok, counts


def _party_accepts(search: Search, part: Rows, column: int, party: int, need: np.ndarray, out: np.ndarray) -> None:
    """``out[h, t, s]``: whether table party ``party`` accepts head row h completed by tail t in sample s (its
    utility against its threshold, with the links that span head and tail, and its uncertain red lines)."""
    values = search.tail_columns[column]  # [t, s]
    spanning = [link for link in search.spanning if link.party == party]
    if not spanning:
        np.greater_equal(values[None], need[:, column, None, :], out=out)
    else:  # group the rows by which of the party's spanning links their head holds
        pattern = np.zeros(len(part), dtype=np.int64)
        for bit, link in enumerate(spanning):
            head_side = link.first if link.first[0] < search.split else link.second
            pattern |= (part.partials[:, head_side[0]] == head_side[1]).astype(np.int64) << bit
        for key in np.unique(pattern):
            linked = values.copy()
            for bit, link in enumerate(spanning):
                if key >> bit & 1:
                    tail_side = link.second if link.first[0] < search.split else link.first
                    linked[search.tail_has(tail_side)] += link.delta_units.astype(np.int32)[None]
            chosen = np.flatnonzero(pattern == key)
            out[chosen] = linked[None] >= need[chosen, column, None, :]
    for red in search.uncertain:
        if red.party != party:
            continue
        issue, option = red.option
        if issue >= search.split:
            has = np.flatnonzero(search.tail_has(red.option))
            out[:, has, :] &= ~red.in_sample[None, None, :]
        else:
            has = np.flatnonzero(part.partials[:, issue] == option)
            out[has] &= ~red.in_sample[None, None, :]
