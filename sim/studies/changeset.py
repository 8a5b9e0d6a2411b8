"""The smallest change set that brings an offer to a target zone probability: branch and bound over combinations.

A *change* is one of: an offer's fixed issue moved to another option (costing its sponsor, or without a sponsor the
veto parties on average, the expected utility the move loses them); a veto party's reservation cut by ``c``
(costing ``c``, utility units); a veto party's red line made less likely to hold, ``holds`` lowered from ``h`` to
``h'`` (costing ``h - h'``; ``h' = 0`` drops it). A change set reaches the target when the offer, changed, is in
the zone (some completion accepted by every veto party) in at least ``ceil(target * samples)`` of the study's
samples (common random numbers: the same draws for every candidate, so only the change acts).

**Smallest** means: fewest changes; among those, least total concession (the sum of the costs above, a judgement
call that adds utility to probability; reported to 4 decimals, every amount rounded up so the set, applied, reaches
the target). The search is exact on both counts: change sets are grown by size, and within a size every
*skeleton* — a set of freed issues and a set of conceding parties — is bounded first by the share of samples its
most generous version reaches (every freed issue anywhere, every conceding party accepting everything): a skeleton
whose bound is below the target is never expanded. Inside a skeleton the continuous amounts are found exactly: a
concession vector reaches a sample when some completion needs no more than it on every count, so the least total
is found by sweeping the candidate amounts (each a need of some (package, sample) pair), one dimension at a time,
stopping as soon as the amount alone exceeds the best total found (a lower bound on the rest). When no set of at
most ``max_changes`` changes reaches the target, that is a proof over every skeleton of that size.

Needs are computed once: for an offer that fixes most issues, every package within ``max_changes`` issue moves
(its open issues completed every way) is scored densely against every sample, and only the (package, sample) pairs
that ``max_changes`` changes could admit are kept; for an offer with a large completion set each skeleton's pairs
come from the zone's own branch and bound (``sim.studies.zone_pairs``) with the conceding parties relaxed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.studies.zone_pairs import check, held_to, ratified, table_pairs
from sim.zone.own_best import best_completion_utility
from sim.zone.preferences import UNIT, Preferences
from sim.zone.sampling import Draws, red_line_numbers
from sim.zone.space import PackageSpace

QUANTUM = 1e-4  # amounts are reported (and applied) to 4 decimals, rounded up: the set applied reaches the target
DENSE_CELLS = 2**25  # (package, sample) pairs scored densely at most; beyond, skeletons use the branch and bound
MAX_CUT = 0.25  # largest reservation cut searched: a party giving up more of its utility scale is changing sides
MAX_TABLE_PAIRS = 3_000_000  # pairs one skeleton may hold (memory); a bigger one is left unsearched, said so
MAX_SEARCHES = 16  # skeleton searches over a large completion set at most (each a branch and bound over the space)
SWEEP_VALUES = 4_000  # candidate amounts per dimension swept at most (more are thinned; the result says so)
SWEEP_WORK = 2_000_000  # pair-candidate steps a sweep may take; beyond, candidate amounts are thinned (said so)
OWN_BEST_SLACK = 2e-6  # real-utility slack of the own-best bound (wider than the tie tolerance: a bound may be loose)


@dataclass(frozen=True)
class Dim:
    """A continuous concession: ``kind`` "reservation" (party's cut) or "red_line" (its red line on ``option``)."""

    kind: str
    party: int
    option: tuple[int, int] = (-1, -1)
    holds: float = 1.0


@dataclass(frozen=True)
class Found:
    """A change set as indices: issue moves ``{issue: option}``, amounts per dim, total cost, samples reached."""

    moves: tuple[tuple[int, int], ...]
    amounts: tuple[tuple[Dim, float], ...]
    cost: float
    reached: int
    exact: bool = True

    @property
    def size(self) -> int:
        return len(self.moves) + len(self.amounts)


@dataclass(eq=False)
class Table:
    """(package, sample) pairs with the package's option indices and, per dim, the amount it needs (0: none)."""

    codes: np.ndarray
    samples: np.ndarray
    needs: np.ndarray  # [pair, dim] float64

    def __len__(self) -> int:
        return int(self.samples.size)

    def take(self, rows: np.ndarray) -> Table:
        return Table(self.codes[rows], self.samples[rows], self.needs[rows])


def round_up(amount: np.ndarray) -> np.ndarray:
    return np.ceil(np.round(amount / QUANTUM, 6)) * QUANTUM


def min_total(needs: np.ndarray, samples: np.ndarray, count: int) -> tuple[float, np.ndarray, bool]:
    """Least ``sum(c)`` with at least ``count`` samples holding a pair whose needs are all ``<= c``: (total, c,
    exact), or (inf, ., True) when even unlimited amounts reach fewer samples."""
    dims = needs.shape[1]
    if np.unique(samples).size < count:
        return math.inf, np.zeros(dims), True
    if dims == 0:
        return 0.0, np.zeros(0), True
    if dims == 1:
        order = np.lexsort((needs[:, 0], samples))
        first = order[np.r_[True, samples[order][1:] != samples[order][:-1]]]  # each sample's least need
        amount = float(np.partition(needs[first, 0], count - 1)[count - 1])
        return amount, np.array([amount]), True
    first = int(np.argmin([np.unique(needs[:, d]).size for d in range(dims)]))
    rest = [d for d in range(dims) if d != first]
    floor, _, _ = min_total(needs[:, rest], samples, count)  # the rest with the first unlimited
    values = np.unique(needs[:, first])
    limit = max(16, min(SWEEP_VALUES, SWEEP_WORK // max(1, samples.size) // max(1, dims - 1)))
    exact = values.size <= limit
    if not exact:
        values = np.unique(np.quantile(values, np.linspace(0, 1, limit), method="higher"))
    best, best_amounts = math.inf, np.zeros(dims)
    for value in values:
        if value + floor >= best:
            break
        keep = needs[:, first] <= value
        total, amounts, sub_exact = min_total(needs[keep][:, rest], samples[keep], count)
        exact &= sub_exact
        if value + total < best:
            best = float(value + total)
            best_amounts = np.zeros(dims)
            best_amounts[first], best_amounts[rest] = value, amounts
    return best, best_amounts, exact


def neighbourhood_size(space: PackageSpace, fix: dict[int, int], max_changes: int) -> int:
    """Packages within ``max_changes`` moves of the offer's fixed issues, its open issues completed every way
    (feasible or not): what a search scores densely when this times the samples is at most ``DENSE_CELLS``, so its
    work grows with this product."""
    open_size = math.prod(r for i, r in enumerate(space.radices) if i not in fix)
    alternatives = [space.radices[i] - 1 for i in fix]
    moved = sum(math.prod(combo) for k in range(max_changes + 1) for combo in itertools.combinations(alternatives, k))
    return open_size * moved


@dataclass(eq=False)
class ChangeSearch:
    """One offer's search: its fix, the study's samples and draws, what it must reach, what each move costs."""

    space: PackageSpace
    preferences: Preferences
    draws: Draws  # after the scenario's copula (``sim.zone.copula.correlate``): what the red lines were drawn from
    fix: dict[int, int]
    count: int  # samples the changed offer must be in the zone in
    max_changes: int
    payers: list[int]
    max_searches: int = MAX_SEARCHES
    max_cut: float = MAX_CUT
    cancelled: Callable[[], bool] | None = None  # asked between units of work: True raises ``Cancelled``
    proven: int = field(init=False, default=-1)
    dims: list[Dim] = field(init=False)
    veto: list[int] = field(init=False)
    fixed: list[int] = field(init=False)
    dense: Table | None = field(init=False, default=None)
    _groups: dict[int, list[tuple[int, np.ndarray]]] = field(init=False, default_factory=dict)
    skeletons_bounded: int = field(init=False, default=0)
    skeletons_expanded: int = field(init=False, default=0)
    best_reach: Found | None = field(init=False, default=None)
    _tables: dict[tuple[frozenset[int], frozenset[int]], Table] = field(init=False, default_factory=dict)
    _own_ok: dict[frozenset[int], np.ndarray] = field(init=False, default_factory=dict)
    too_big: set[tuple[frozenset[int], frozenset[int]]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        prefs = self.preferences
        self.veto = [int(p) for p in np.flatnonzero(prefs.veto)]
        self.fixed = sorted(self.fix)
        self.dims = [Dim("reservation", p) for p in self.veto]
        self.dims += [Dim("red_line", r.party, r.option, r.holds) for r in prefs.red_line_list if r.party in self.veto]
        neighbourhood = self._neighbourhood_size()
        if neighbourhood * prefs.samples <= DENSE_CELLS:
            self.dense = self._score_densely()
            self._groups = self._group(self.dense)

    def _group(self, table: Table) -> dict[int, list[tuple[int, np.ndarray]]]:
        """Rows of the dense table by which fixed issues they move and which parties they need to concede (bit
        masks): a skeleton's pairs are the groups moving its issues whose parties are among its conceding ones."""
        moved = np.zeros(len(table), dtype=np.int64)
        for bit, issue in enumerate(self.fixed):
            moved |= (table.codes[:, issue] != self.fix[issue]).astype(np.int64) << bit
        party = np.zeros(len(table), dtype=np.int64)
        for bit, p in enumerate(self.veto):
            columns = [c for c, d in enumerate(self.dims) if d.party == p]
            party |= np.any(table.needs[:, columns] > 0, axis=1).astype(np.int64) << bit
        keys, inverse = np.unique(np.stack([moved, party], axis=1), axis=0, return_inverse=True)
        order = np.argsort(inverse.reshape(-1), kind="stable")
        bounds = np.searchsorted(inverse.reshape(-1)[order], np.arange(keys.shape[0] + 1))
        groups: dict[int, list[tuple[int, np.ndarray]]] = {}
        for g, (moved_mask, party_mask) in enumerate(keys):
            groups.setdefault(int(moved_mask), []).append((int(party_mask), order[bounds[g] : bounds[g + 1]]))
        return groups

    # --- costs -------------------------------------------------------------------------------------------------
    def move_cost(self, issue: int, option: int) -> float:
        """Expected utility the payers lose when ``issue`` moves from the offer's option to ``option`` (mean over
        payers; a move they gain from costs 0)."""
        expected = self.preferences.expected_contributions
        loss = np.mean([expected[p, issue, self.fix[issue]] - expected[p, issue, option] for p in self.payers])
        return max(0.0, float(loss))

    # --- pairs ---------------------------------------------------------------------------------------------------
    def _neighbourhood_size(self) -> int:
        return neighbourhood_size(self.space, self.fix, self.max_changes)

    def _needs(self, codes: np.ndarray, samples: np.ndarray, dims: list[Dim]) -> np.ndarray:
        """Amount each dim needs for each (package, sample) pair (0: that party already agrees on that count)."""
        prefs = self.preferences
        needs = np.zeros((codes.shape[0], len(dims)))
        for d, dim in enumerate(dims):
            if dim.kind == "reservation":
                units = np.zeros(codes.shape[0], dtype=np.int64)
                for issue in range(codes.shape[1]):
                    units += prefs.units[dim.party, issue, codes[:, issue], samples]
                for link in prefs.links:
                    if link.party == dim.party:
                        both = (codes[:, link.first[0]] == link.first[1]) & (codes[:, link.second[0]] == link.second[1])
                        units[both] += link.delta_units[samples[both]]
                gap = prefs.threshold[dim.party, samples].astype(np.int64) - units
                # one unit more than the gap covers the rounding of the lowered reservation; then up to 4 decimals
                needs[:, d] = np.where(gap > 0, round_up((gap + 1) * UNIT), 0.0)
            else:
                issue, option = dim.option
                draw = red_line_numbers(self.draws)[dim.party, samples, issue]
                blocked = (codes[:, issue] == option) & (draw < dim.holds)
                needs[:, d] = np.where(blocked, dim.holds - np.floor(draw / QUANTUM) * QUANTUM, 0.0)
        return needs

    def _neighbourhood_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Every feasible package within ``max_changes`` moves of the offer's fixed issues (open issues completed
        every way), and how many fixed issues each moves."""
        fixed = sorted(self.fix)
        radices = self.space.radices
        open_issues = [i for i in range(len(radices)) if i not in self.fix]
        open_codes = np.zeros((1, 0), dtype=np.int64)
        if open_issues:
            sizes = [radices[i] for i in open_issues]
            open_codes = np.stack(np.unravel_index(np.arange(math.prod(sizes)), sizes), axis=-1)
        blocks, moved = [], []
        for k in range(min(self.max_changes, len(fixed)) + 1):
            for issues in itertools.combinations(fixed, k):
                others = [[o for o in range(radices[i]) if o != self.fix[i]] for i in issues]
                for options in itertools.product(*others):
                    codes = np.empty((open_codes.shape[0], len(radices)), dtype=np.int64)
                    codes[:, open_issues] = open_codes
                    codes[:, fixed] = [self.fix[i] for i in fixed]
                    codes[:, list(issues)] = options
                    blocks.append(codes)
                    moved.append(np.full(codes.shape[0], k))
        codes, moved_count = np.concatenate(blocks), np.concatenate(moved)
        feasible = self.space.feasible(codes)
        return codes[feasible], moved_count[feasible]

    def _score_densely(self) -> Table:
        """Every package within ``max_changes`` moves of the offer against every sample, whole rows of samples at a
        time (``Preferences.utility_units``, the one utility); kept: the pairs at most ``max_changes`` changes could
        admit (moves + parties short of their reservation + red lines in the way), with their needs."""
        prefs = self.preferences
        codes, moved = self._neighbourhood_codes()
        red = [d for d in self.dims if d.kind == "red_line"]
        in_sample = {(r.party, r.option): r.in_sample for r in prefs.red_line_list}
        step = max(1, (1 << 22) // (prefs.samples * max(1, len(self.veto))))
        keep_codes, keep_samples = [], []
        for start in range(0, codes.shape[0], step):
            check(self.cancelled)
            chunk = codes[start : start + step]
            count = np.repeat(moved[start : start + step, None], prefs.samples, axis=1)
            units = prefs.utility_units(chunk, self.veto)
            threshold = prefs.threshold[self.veto][:, None, :]
            count += (units < threshold).sum(axis=0)
            count += (units < threshold - round(self.max_cut / UNIT)).any(axis=0) * (self.max_changes + 1)
            for dim in red:
                issue, option = dim.option
                count += (chunk[:, issue] == option)[:, None] & in_sample[(dim.party, dim.option)][None, :]
            rows, samples = np.nonzero(count <= self.max_changes)
            keep_codes.append(chunk[rows])
            keep_samples.append(samples)
        kept_codes, kept_samples = np.concatenate(keep_codes), np.concatenate(keep_samples)
        return Table(kept_codes, kept_samples, self._needs(kept_codes, kept_samples, self.dims))

    def skeleton_table(self, free: frozenset[int], relaxed: frozenset[int]) -> tuple[Table, list[Dim]]:
        """The pairs a skeleton can admit (freed issues anywhere, the other fixed issues as offered, every party
        outside ``relaxed`` agreeing as sampled) and the needs of the relaxed parties' dims on them."""
        dims = [d for d in self.dims if d.party in relaxed]
        if self.dense is not None:
            columns = [self.dims.index(d) for d in dims]
            free_mask = sum(1 << self.fixed.index(i) for i in free)
            relaxed_mask = sum(1 << self.veto.index(p) for p in relaxed)
            groups = [rows for party, rows in self._groups.get(free_mask, []) if party & ~relaxed_mask == 0]
            table = self.dense.take(np.concatenate(groups) if groups else np.zeros(0, np.int64))
            return Table(table.codes, table.samples, table.needs[:, columns]), dims
        key = (free, relaxed)
        if key not in self._tables:
            self._tables[key] = self._search_table(free, relaxed, dims)
        return self._tables[key], dims

    def _search_table(self, free: frozenset[int], relaxed: frozenset[int], dims: list[Dim]) -> Table:
        prefs = self.preferences
        threshold = prefs.threshold.copy()
        threshold[list(relaxed)] -= round(self.max_cut / UNIT)
        kept = tuple(r for r in prefs.red_line_list if r.party not in relaxed)
        loose = dataclasses.replace(prefs, threshold=threshold, red_line_list=kept)
        fix = {i: o for i, o in self.fix.items() if i not in free}
        pairs = table_pairs(self.space, held_to(loose, fix), limit=MAX_TABLE_PAIRS, cancelled=self.cancelled)
        if pairs is None:  # too many to hold: this skeleton stays unsearched (the answer then says so)
            self.too_big.add((free, relaxed))
            return Table(np.zeros((0, len(self.space.radices)), np.int64), np.zeros(0, np.int64), np.zeros((0, 0)))
        pairs = pairs.take(np.flatnonzero(ratified(loose, pairs) & pairs.matching(fix)))
        return Table(pairs.codes, pairs.samples, self._needs(pairs.codes, pairs.samples, dims))

    # --- the search ------------------------------------------------------------------------------------------------
    def _own_best_ok(self, free: frozenset[int]) -> np.ndarray:
        """``[veto party, sample]``: whether the party's own best completion of the offer with ``free`` open reaches
        its reservation (certain red lines avoided): necessary for any pair it accepts, so a bound."""
        if free not in self._own_ok:
            fix = {i: o for i, o in self.fix.items() if i not in free}
            prefs = self.preferences
            rows = []
            for p in self.veto:
                check(self.cancelled)
                avoid = [r.option for r in prefs.red_line_list if r.party == p and r.certain]
                best = best_completion_utility(self.space, prefs, p, fix, avoid)
                rows.append(best + OWN_BEST_SLACK >= prefs.reservation[p])
            self._own_ok[free] = np.array(rows)
        return self._own_ok[free]

    def candidates(self, size: int) -> list[tuple[frozenset[int], frozenset[int]]]:
        """Skeletons of at most ``size`` changes worth expanding: freed issues and conceding parties such that every
        party outside them can be satisfied alone in at least ``count`` samples (its own best completion)."""
        slots = [("issue", i) for i in sorted(self.fix)] + [("party", p) for p in self.veto]
        found = []
        for k in range(size + 1):
            for chosen in itertools.combinations(slots, k):
                free = frozenset(i for kind, i in chosen if kind == "issue")
                relaxed = frozenset(p for kind, p in chosen if kind == "party")
                self.skeletons_bounded += 1
                if self.dense is not None:
                    free_mask = sum(1 << self.fixed.index(i) for i in free)
                    present = 0
                    for party_mask, _ in self._groups.get(free_mask, []):
                        present |= party_mask
                    if free_mask not in self._groups or any(not present >> self.veto.index(p) & 1 for p in relaxed):
                        continue
                else:
                    ok = self._own_best_ok(free)
                    outside = [v for v, p in enumerate(self.veto) if p not in relaxed]
                    if np.count_nonzero(ok[outside].all(axis=0)) < self.count:
                        continue
                found.append((free, relaxed))
        return found

    def best_in(self, free: frozenset[int], relaxed: frozenset[int], size: int) -> Found | None:
        """The least-cost change set of at most ``size`` changes that moves exactly the issues ``free`` and takes a
        concession from every party in ``relaxed`` (None when none reaches the target)."""
        issues = sorted(free)
        budget = size - len(issues)
        table, dims = self.skeleton_table(free, relaxed)
        if len(table) == 0:
            return None
        moved = np.ones(len(table), dtype=bool)
        for issue in issues:
            moved &= table.codes[:, issue] != self.fix[issue]
        needed = table.needs > 0
        parties = np.array([dim.party for dim in dims])
        concede = np.stack([needed[:, parties == p].any(axis=1) for p in sorted(relaxed)], axis=1) if dims else None
        table = table.take(np.flatnonzero(moved & (needed.sum(axis=1) <= budget)))
        if concede is not None and not concede[moved & (needed.sum(axis=1) <= budget)].any(axis=0).all():
            return None  # some conceding party is never needed: a smaller skeleton holds the same sets
        if size == self.max_changes:
            self._note_reach(table, issues, dims)
        if np.unique(table.samples).size < self.count:
            return None  # the bound: even the most generous version of this skeleton falls short
        self.skeletons_expanded += 1
        best: Found | None = None
        patterns = table.codes[:, issues]
        owners = [[d for d, dim in enumerate(dims) if dim.party == p] for p in sorted(relaxed)]
        for pattern in np.unique(patterns, axis=0):
            check(self.cancelled)
            part = table.take(np.flatnonzero(np.all(patterns == pattern, axis=1)))
            if np.unique(part.samples).size < self.count:
                continue
            moves = tuple((i, int(o)) for i, o in zip(issues, pattern, strict=True))
            move_cost = sum(self.move_cost(i, o) for i, o in moves)
            for support in self._supports(owners, budget, part.needs > 0):
                check(self.cancelled)
                inside = part.take(np.flatnonzero(~np.any(np.delete(part.needs, support, axis=1) > 0, axis=1)))
                total, amounts, exact = min_total(inside.needs[:, list(support)], inside.samples, self.count)
                if total + move_cost < (best.cost if best else math.inf):
                    chosen = tuple((dims[d], float(a)) for d, a in zip(support, amounts, strict=True) if a > 0)
                    best = Found(moves, chosen, total + move_cost, self._reached(inside, support, amounts), exact)
        return best

    def _supports(self, owners: list[list[int]], budget: int, needed: np.ndarray) -> list[tuple[int, ...]]:
        """Sets of at most ``budget`` dims, at least one of every conceding party, that some pair needs."""
        every = [d for dims in owners for d in dims if needed[:, d].any()]
        found = []
        for k in range(len(owners), min(budget, len(every)) + 1):
            for support in itertools.combinations(sorted(every), k):
                if all(any(d in support for d in dims) for dims in owners):
                    found.append(support)
        return found

    def _reached(self, table: Table, support: tuple[int, ...], amounts: np.ndarray) -> int:
        ok = np.all(table.needs[:, list(support)] <= amounts + 1e-12, axis=1)
        return int(np.unique(table.samples[ok]).size)

    def _note_reach(self, table: Table, issues: list[int], dims: list[Dim]) -> None:
        """Keep the skeleton reaching most samples (for 'what stays' when nothing reaches the target)."""
        reach = int(np.unique(table.samples).size)
        if self.best_reach is None or reach > self.best_reach.reached:
            parties = sorted({d.party for d in dims})
            amounts = tuple((Dim("any", p), math.inf) for p in parties)
            self.best_reach = Found(tuple((i, -1) for i in issues), amounts, 0.0, reach)

    def search(self) -> Found | None:
        """Fewest changes first; within a size, least total concession over every skeleton. ``proven`` records the
        largest size every set of which was searched. A work budget of ``max_searches`` branch-and-bound passes over
        skeletons (deterministic, unlike a time limit) may stop a size short: the best set found in that size is
        then returned with ``exact`` False (fewest changes proven, least concession among the skeletons searched),
        or None when that size found none. Raises ``Cancelled`` (``sim.studies.zone_pairs``) when ``cancelled()``
        answers True between two units of work."""
        for size in range(self.max_changes + 1):
            best: Found | None = None
            complete = True
            for free, relaxed in sorted(self.candidates(size), key=lambda k: (k not in self._tables, len(k[1]))):
                if (
                    self.dense is None
                    and (free, relaxed) not in self._tables
                    and len(self._tables) >= self.max_searches
                ):
                    complete = False
                    break
                check(self.cancelled)
                found = self.best_in(free, relaxed, size)
                if found is not None and (best is None or found.cost < best.cost):
                    best = found
            complete = complete and not self.too_big
            if best is not None:
                return best if complete else dataclasses.replace(best, exact=False)
            if not complete:
                return None
            self.proven = size
        return None
