"""Branch and bound over the issues: the (package, sample) pairs every veto party at the table accepts.

Real package spaces are almost all "no": in the baseline, 1.6 million packages x 2,000 samples hold about 98,000
pairs in the zone. Instead of scoring every pair, partial packages are grown one issue at a time, carrying for each
one only the samples in which it can still be accepted (pairs of partial package and sample, with each party's
utility so far as exact integers). A pair is dropped as soon as some veto party at the table cannot reach its
threshold in that sample even with its best option on every issue still open (plus every link bonus still
possible) — an upper bound on the very integers that are finally compared, so nothing in the zone is ever dropped
(Land & Doig 1960, branch and bound; the bound is per sample, so a partial package that is hopeless in 1,999 samples
costs one pair, not 2,000). Certain red lines and constraints prune options before any arithmetic.

The last issues form a *tail* (at most ``TAIL_MAX`` packages) scored densely: every surviving (head, sample) pair is
compared with every tail package at once. Memory is bounded: pairs are expanded in batches of ``MAX_PAIRS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from math import prod

import numpy as np

from sim.zone.preferences import Preferences, grid_sums
from sim.zone.space import PackageSpace, violated

TAIL_MAX = 128  # measured: 4^10 x 1,000 x 5 scores in 0.9 CPU-s at 64-128 vs 1.6 at 1,024; 3^15: 9 vs 14
TAIL_BYTES = 2**26
MAX_PAIRS = 2**20  # batch sizes: halving them from 2^21 / 2^23 cut peak memory on 3^15 by 30 %, at no CPU cost
MAX_CELLS = 2**22


@dataclass(frozen=True, eq=False)
class Pairs:
    """Partial packages (option indices of the first issues) and the samples each is still alive in."""

    partials: np.ndarray  # [m, level] option indices
    partial: np.ndarray  # [n] index into partials
    sample: np.ndarray  # [n]
    sums: np.ndarray  # [n, table parties] utility so far, integer units

    def __len__(self) -> int:
        return int(self.partial.size)

    def take(self, rows: np.ndarray) -> Pairs:
        return Pairs(self.partials, self.partial[rows], self.sample[rows], self.sums[rows])


@dataclass(eq=False)
class Search:
    """The plan of a branch-and-bound run: where the tail starts, the bounds, the pruned options."""

    space: PackageSpace
    preferences: Preferences
    prune: bool = True
    tail_max: int | None = None
    split: int = field(init=False)
    tail_size: int = field(init=False)

    def __post_init__(self) -> None:
        prefs, radices = self.preferences, self.space.radices
        self.table = [int(p) for p in np.flatnonzero(prefs.veto & ~prefs.ratifier)]
        self.ratifiers = [int(p) for p in np.flatnonzero(prefs.veto & prefs.ratifier)]
        tail_max = max(1, min(TAIL_MAX, TAIL_BYTES // max(1, 4 * prefs.n_parties * prefs.samples)))
        tail_max = self.tail_max or tail_max
        split = len(radices)
        while split > 0 and prod(radices[split - 1 :]) <= tail_max:
            split -= 1
        self.split, self.tail_size = split, prod(radices[split:])
        self.tail_codes = (
            np.stack(np.unravel_index(np.arange(self.tail_size), radices[split:]), axis=-1)
            if split < len(radices)
            else np.zeros((1, 0), dtype=np.int64)
        )
        units = prefs.units[self.table]  # [p, i, o, s]
        self.option_units = [units[:, i, :r, :] for i, r in enumerate(radices)]  # per issue [p, o, s]
        self.threshold = prefs.threshold[self.table].astype(np.int64)  # [p, s]
        table_tables = [t[:, self.table, :] for t in prefs.by_issue_units[split:]]
        tail_sum = grid_sums(table_tables, len(self.table), prefs.samples).astype(np.int32)
        self.links = [link for link in prefs.links if link.party in self.table]
        for link in self.links:
            if min(link.first[0], link.second[0]) >= split:
                both = self.tail_has(link.first) & self.tail_has(link.second)
                tail_sum[both, self.table.index(link.party), :] += link.delta_units
        # per party, sample-major rows [p, s, t]: a (head, sample) pair gathers one contiguous row of tail utilities
        self.tail_rows = np.ascontiguousarray(tail_sum.transpose(1, 2, 0))
        self.spanning = [link for link in self.links if (link.first[0] < split) != (link.second[0] < split)]
        self.tail_allowed = np.ones(self.tail_size, dtype=bool)
        red = [r for r in prefs.red_line_list if r.party in self.table]
        self.certain = {r.option for r in red if r.in_sample.all()}
        self.uncertain = [r for r in red if not r.in_sample.all() and r.in_sample.any()]
        for issue, option in self.certain:
            if issue >= split:
                self.tail_allowed &= ~self.tail_has((issue, option))
        tail_only = [v for v in self.space.violations if min(i for i, _ in v) >= split]
        for violation in tail_only:
            shifted = tuple((i - split, options) for i, options in violation)
            self.tail_allowed &= ~violated(self.tail_codes, shifted)
        self.suffix = self._suffix_bounds()
        self.joint_suffix = self._joint_suffix_bounds()
        self.joint_threshold = self.threshold.sum(axis=0)  # [s]
        # the same numbers laid out for dense rows (sim.zone.dense): what a row's sums must reach after k issues
        self.threshold32 = self.threshold.astype(np.int32)
        self.row_need = [(self.threshold - bound).astype(np.int32) for bound in self.suffix]  # [k][p, s]
        self.row_joint_need = [self.joint_threshold - bound for bound in self.joint_suffix]  # [k][s] int64
        self.row_units = [units.astype(np.int32) for units in self.option_units]  # [i][p, o, s]
        self.tail_columns = np.ascontiguousarray(tail_sum.transpose(1, 0, 2))  # [p, t, s]

    def tail_has(self, option: tuple[int, int]) -> np.ndarray:
        return self.tail_codes[:, option[0] - self.split] == option[1]

    def _link_bonus(self) -> list[np.ndarray]:
        """``bonus[k][p, s]``: the positive link bonuses party p may still collect in sample s once the first k
        issues are decided (links with an issue in the head; tail-only links are inside ``tail_rows``)."""
        bonus = []
        for k in range(self.split + 1):
            extra = np.zeros((len(self.table), self.preferences.samples), dtype=np.int64)
            for link in self.links:
                issues = (link.first[0], link.second[0])
                if max(issues) >= k and min(issues) < self.split:
                    extra[self.table.index(link.party)] += np.maximum(link.delta_units, 0)
            bonus.append(extra)
        return bonus

    def _remaining(self, tail_best: np.ndarray, best_at: list[np.ndarray], bonus: list[np.ndarray]) -> list[np.ndarray]:
        """``[k]``: the most still to gain once k issues are decided: the best on every open head issue, the best
        tail, and the link bonuses still possible (accumulated backwards from the tail)."""
        remaining = [tail_best + bonus[self.split]]
        for k in range(self.split - 1, -1, -1):
            remaining.insert(0, remaining[0] - bonus[k + 1] + best_at[k] + bonus[k])
        return remaining

    def _suffix_bounds(self) -> list[np.ndarray]:
        """``suffix[k][p, s]``: the most party p can still gain in sample s once the first k issues are decided."""
        return self._remaining(
            self.tail_rows.max(axis=2).astype(np.int64),
            [self.option_units[k].max(axis=1).astype(np.int64) for k in range(self.split)],
            self._link_bonus(),
        )

    def _joint_suffix_bounds(self) -> list[np.ndarray]:
        """``joint[k][s]``: the most the table parties can still gain *together* in sample s after k issues.

        Every party reaching its threshold implies their sum reaching the sum of thresholds, and the sum of what
        is still to gain is at most the best option *for the sum* on each open issue — far below the sum of each
        party's own best when parties are opposed (one issue's option cannot suit them all). A Lagrangian bound
        with unit multipliers (Fisher 1981); exact pruning like the per-party bound.
        """
        return self._remaining(
            self.tail_rows.sum(axis=0, dtype=np.int64).max(axis=1),
            [self.option_units[k].sum(axis=0, dtype=np.int64).max(axis=0) for k in range(self.split)],
            [bonus.sum(axis=0) for bonus in self._link_bonus()],
        )

    def root(self) -> Pairs:
        """The empty partial package, alive in every sample."""
        samples = self.preferences.samples
        return Pairs(
            np.zeros((1, 0), dtype=np.int64),
            np.zeros(samples, dtype=np.int64),
            np.arange(samples, dtype=np.int64),
            np.zeros((samples, len(self.table)), dtype=np.int64),
        )

    def extend(self, pairs: Pairs, options: list[int] | None = None) -> Pairs:
        """Decide the next issue (all its options, or only ``options``) and keep the pairs the bound allows."""
        level = pairs.partials.shape[1]
        issue_options = options if options is not None else list(range(self.space.radices[level]))
        kept_partial, kept_option, kept_rows, kept_sums = [], [], [], []
        for option in issue_options:
            if (level, option) in self.certain:
                continue
            sums = pairs.sums + self.option_units[level][:, option, :][:, pairs.sample].T
            partial_codes = pairs.partials[pairs.partial]
            for link in self.links:
                if max(link.first[0], link.second[0]) != level:
                    continue
                here, other = (link.first, link.second) if link.first[0] == level else (link.second, link.first)
                if here[1] == option:
                    rows = partial_codes[:, other[0]] == other[1]
                    sums[rows, self.table.index(link.party)] += link.delta_units[pairs.sample[rows]]
            ok = np.ones(len(pairs), dtype=bool)
            if self.prune:
                sample = pairs.sample
                ok = (sums + self.suffix[level + 1][:, sample].T >= self.threshold[:, sample].T).all(1)
                ok &= sums.sum(axis=1) + self.joint_suffix[level + 1][sample] >= self.joint_threshold[sample]
            for red in self.uncertain:
                if red.option == (level, option):
                    ok &= ~red.in_sample[pairs.sample]
            for violation in self.space.violations:
                sets_here = [options for i, options in violation if i == level]
                if max(i for i, _ in violation) == level and all(option in options for options in sets_here):
                    ok &= ~violated(partial_codes, tuple((i, o) for i, o in violation if i < level))
            rows = np.flatnonzero(ok)
            kept_partial.append(pairs.partial[rows])
            kept_option.append(np.full(rows.size, option))
            kept_rows.append(rows)
            kept_sums.append(sums[rows])
        partial = np.concatenate(kept_partial) if kept_partial else np.zeros(0, dtype=np.int64)
        option_of = np.concatenate(kept_option) if kept_option else np.zeros(0, dtype=np.int64)
        # number the surviving (partial, option) children in sorted order without sorting: mark, then count
        radix = self.space.radices[level]
        key = partial * radix + option_of
        present = np.zeros(len(pairs.partials) * radix, dtype=bool)
        present[key] = True
        keys = np.flatnonzero(present)
        new_partial = (np.cumsum(present) - 1)[key]
        partials = np.concatenate([pairs.partials[keys // radix], (keys % radix)[:, None]], axis=1)
        rows = np.concatenate(kept_rows) if kept_rows else np.zeros(0, dtype=np.int64)
        sums = np.concatenate(kept_sums) if kept_sums else np.zeros((0, len(self.table)), dtype=np.int64)
        return Pairs(partials, new_partial.reshape(-1), pairs.sample[rows], sums)

    def heads(self, start: Pairs) -> Iterator[Pairs]:
        """Grow ``start`` to the end of the head, depth first in batches, yielding the surviving head pairs."""
        stack = [start]
        while stack:
            pairs = stack.pop()
            if len(pairs) == 0:
                continue
            if pairs.partials.shape[1] == self.split:
                yield pairs
                continue
            radix = self.space.radices[pairs.partials.shape[1]]
            if len(pairs) * radix > MAX_PAIRS and len(pairs) > 1:
                half = len(pairs) // 2
                stack += [pairs.take(np.arange(half, len(pairs))), pairs.take(np.arange(half))]
                continue
            stack.append(self.extend(pairs))

    def tail_pairs(self, heads: Pairs) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(package number, sample) of every head x tail pair that every veto party at the table accepts."""
        batch = max(1, MAX_CELLS // self.tail_size)
        head_numbers = (
            np.ravel_multi_index(tuple(heads.partials.T), self.space.radices[: self.split])
            if self.split
            else np.zeros(len(heads.partials), dtype=np.int64)
        )
        for start in range(0, len(heads), batch):
            part = heads.take(np.arange(start, min(start + batch, len(heads))))
            ok = np.repeat(self.tail_allowed[None, :], len(part), axis=0)  # [n, t]
            codes = heads.partials[part.partial]
            for column, party in enumerate(self.table):
                need = (self.threshold[column, part.sample] - part.sums[:, column]).astype(np.int32)
                values = self.tail_rows[column][part.sample]  # [n, t]
                for link in self.spanning:
                    if link.party == party:
                        head_side, tail_side = (
                            (link.first, link.second) if link.first[0] < self.split else (link.second, link.first)
                        )
                        active = codes[:, head_side[0]] == head_side[1]
                        values += np.outer(link.delta_units[part.sample] * active, self.tail_has(tail_side))
                ok &= values >= need[:, None]
            for red in self.uncertain:
                if red.option[0] >= self.split:
                    ok &= ~np.outer(red.in_sample[part.sample], self.tail_has(red.option))
            rows, tails = np.nonzero(ok)
            packages = head_numbers[part.partial[rows]] * self.tail_size + tails
            yield packages, part.sample[rows]
