"""Voting bodies: a ratifier whose verdict in a sample is the vote of a population or of a chamber (issue 19).

A body is a veto party whose accept matrix is computed differently: in each sample it accepts a package when the
share of its voters (or of its members' seats) accepting the package meets its rule. Parameter uncertainty (what is
the population like?) stays in the Monte-Carlo samples; heterogeneity (voters differ) is the spread of a fixed set
of voters inside each sample.

**Population.** Voter v's utility in sample s is the party's drawn utility plus a deviation ``D_v(x)`` that does not
depend on the sample, and its reservation is the sample's plus an offset ``rho_v``; so v accepts x in s exactly when
``D_v(x) - rho_v >= threshold_s - U_s(x)``, all in the integer units every acceptance compares
(:mod:`sim.zone.preferences`). For one package the numbers ``D_v(x) - rho_v`` are sorted once, and the accepting
count in any sample is one binary search: a 1,000-voter referendum costs a few comparisons per (package, sample),
not 1,000 utilities. ``D_v`` is what voter v's perturbed weights and values (spread around the party's published
midpoints, clipped, renormalised) change in each option's contribution there; it is nonzero only on the issues the
spread reaches, and packages that agree on those issues share their sorted row. With one voter and no spread,
``D = rho = 0`` and the count is ``U >= threshold``: today's single-draw ratifier, bit for bit.

The voters are a centred Latin hypercube seeded by the party's id — the same in every sample, run, chunking and
worker count (each coordinate's strata are exactly the V quantiles ``(k + 1/2) / V``, so a population's shares are
its distribution's, not Monte-Carlo noise).

**Chamber.** Each member is a party of its own (the party's numbers and draws, replaced where the member states its
own), voting as a bloc with its seats.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.dependence import member_column, member_party
from sim.zone.preferences import Preferences, to_units

if TYPE_CHECKING:
    from sim.scenario.model import Scenario
    from sim.zone.sampling import Draws

SHARE_CELLS = 2**20  # (package, sample) cells of accepting shares computed at once
GRID_CELLS = 2**26  # a population's pivots are precomputed for every option combination its spread reaches up to this
MEMO_CELLS = 2**22  # beyond the grid, pivots are kept as they are computed when the combinations are at most this


@dataclass(frozen=True, eq=False)
class Electorate:
    """The body of party ``party``: member blocs (one-party preferences; members that state the same numbers vote
    as one bloc) with ``seats``, or a population whose voter deviations are ``deviation[v, i, o]`` and reservation
    offsets ``offset[v]`` (integer units, one seat each). ``shares_utility[m]``: bloc m states no weights or values
    of its own, so its utility is the party's; ``own_red_lines[m]``: it states its own red lines."""

    party: int
    share: Fraction
    strict: bool
    seats: np.ndarray
    radices: tuple[int, ...]
    members: tuple[Preferences, ...] = ()
    shares_utility: tuple[bool, ...] = ()
    own_red_lines: tuple[bool, ...] = ()
    deviation: np.ndarray | None = None
    offset: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Seats, or voters: the denominator of the accepting share."""
        return int(self.seats.sum())

    @cached_property
    def needed(self) -> int:
        """The smallest accepting count that meets the rule (exact: the rule is a fraction of integers)."""
        bound = self.share.numerator * self.size
        if self.strict:
            return bound // self.share.denominator + 1
        return -(-bound // self.share.denominator)

    def verdicts(
        self, prefs: Preferences, codes: np.ndarray, samples: slice = slice(None), utility: np.ndarray | None = None
    ) -> np.ndarray:
        """Whether the body passes each package in each sample, ``[package, sample]`` (``utility``: the party's
        drawn utilities of them in units, when already computed)."""
        if utility is None:
            utility = prefs.utility_units(codes, [self.party], samples)[0]
        if self.members:
            return self._bloc_counts(prefs, codes, samples, utility) >= self.needed
        utility = utility.astype(np.int64)
        need = prefs.threshold[self.party, samples][None, :].astype(np.int64) - utility
        return prefs.reds(codes, [self.party], samples, (need <= self._pivots(codes)[:, None])[None])[0]

    def verdicts_at(
        self, prefs: Preferences, codes: np.ndarray, samples: np.ndarray, utility: np.ndarray | None = None
    ) -> np.ndarray:
        """Whether the body passes package ``codes[k]`` in sample ``samples[k]``, ``[k]``."""
        if utility is None:
            utility = prefs.utility_at(codes, samples, self.party)
        if self.members:
            total = np.zeros(codes.shape[0], dtype=np.int64)
            for seats, member, shared in zip(self.seats, self.members, self.shares_utility, strict=True):
                if shared:
                    accepted = member.reds_at(codes, samples, [0], (utility >= member.threshold[0, samples])[None])[0]
                else:
                    accepted = member.accepts_at(codes, samples, [0])[0]
                total += int(seats) * accepted
            return total >= self.needed
        need = prefs.threshold[self.party, samples].astype(np.int64) - utility
        return prefs.reds_at(codes, samples, [self.party], (need <= self._pivots(codes))[None])[0]

    def counts(self, prefs: Preferences, codes: np.ndarray, samples: slice = slice(None)) -> np.ndarray:
        """Accepting voters (or seats) of each package in each sample, ``[package, sample]``: the shares reported
        (a binary search per (package, sample) in the package's sorted voter row; verdicts need only the pivot)."""
        utility = prefs.utility_units(codes, [self.party], samples)[0]
        if self.members:
            return self._bloc_counts(prefs, codes, samples, utility)
        utility = utility.astype(np.int64)
        need = prefs.threshold[self.party, samples][None, :].astype(np.int64) - utility
        numbers, distinct = self._projections(codes)
        rows = np.sort(self._scores(distinct), axis=1)
        count = np.empty(need.shape, dtype=np.int64)
        for k, row in enumerate(numbers):
            count[k] = rows.shape[1] - np.searchsorted(rows[row], need[k], side="left")
        held = ~prefs.reds(codes, [self.party], samples, np.ones((1, *need.shape), dtype=bool))[0]
        count[held] = 0
        return count

    def _bloc_counts(self, prefs: Preferences, codes: np.ndarray, samples: slice, utility: np.ndarray) -> np.ndarray:
        """Seats accepting each package in each sample: a bloc with the party's utility compares it with its own
        threshold, a bloc with its own weights or values computes its own; the party's red lines, which every bloc
        without red lines of its own keeps, are applied once to those blocs' seats together."""
        keeps, own = np.zeros(utility.shape, dtype=np.int32), np.zeros(utility.shape, dtype=np.int32)
        for seats, member, shared, reds in zip(
            self.seats, self.members, self.shares_utility, self.own_red_lines, strict=True
        ):
            mine = utility if shared else member.utility_units(codes, [0], samples)[0]
            accepted = mine >= member.threshold[0, None, samples]
            if reds:
                accepted = member.reds(codes, [0], samples, accepted[None])[0]
            (own if reds else keeps).__iadd__(accepted * np.int32(seats))  # np.add(where=) is 15x slower
        free = prefs.reds(codes, [self.party], samples, np.ones((1, *utility.shape), dtype=bool))[0]
        return np.where(free, keeps, 0) + own

    @cached_property
    def _reached(self) -> np.ndarray:
        """The issues on which some voter's contribution differs from the sample's draw."""
        assert self.deviation is not None
        return np.flatnonzero(np.abs(self.deviation).max(axis=(0, 2)) > 0)

    def _projections(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per package, the index of its distinct options on the reached issues, and those distinct options."""
        if self._reached.size == 0:
            return np.zeros(codes.shape[0], dtype=np.int64), np.zeros((1, 0), dtype=np.int64)
        radices = tuple(self.radices[i] for i in self._reached)
        numbers = np.ravel_multi_index(tuple(codes[:, self._reached].T), radices)
        numbers, inverse = np.unique(numbers, return_inverse=True)
        return inverse.reshape(-1), np.stack(np.unravel_index(numbers, radices), axis=1)

    def _scores(self, distinct: np.ndarray) -> np.ndarray:
        """``D_v(x) - rho_v`` for each row of options on the reached issues, ``[row, voter]``."""
        assert self.deviation is not None and self.offset is not None
        total = np.repeat(-self.offset[None, :], distinct.shape[0], axis=0)
        for column, issue in enumerate(self._reached):
            total += self.deviation[:, issue, :].T[distinct[:, column]]
        return total

    def _pivot_of(self, distinct: np.ndarray) -> np.ndarray:
        """The ``needed``-th largest score of each row: the body passes exactly when ``need`` does not exceed it."""
        scores = self._scores(distinct)
        at = scores.shape[1] - self.needed
        return np.partition(scores, at, axis=1)[:, at]

    def _cell_pivots(self, cells: np.ndarray) -> np.ndarray:
        """The pivots of option combinations of the reached issues given by their cell numbers (row-major over
        those issues' options), a few million (combination, voter) scores at a time."""
        radices = [self.radices[i] for i in self._reached]
        step = max(1, 2**22 // self.size)
        parts = [
            self._pivot_of(np.stack(np.unravel_index(cells[k : k + step], radices), axis=1))
            for k in range(0, cells.size, step)
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _cells(self, codes: np.ndarray) -> np.ndarray:
        """Each package's cell: its options on the reached issues as one number."""
        return np.ravel_multi_index(tuple(codes[:, self._reached].T), tuple(self.radices[i] for i in self._reached))

    @cached_property
    def _grid_pivots(self) -> np.ndarray | None:
        """The pivot of every option combination of the reached issues, when that grid is small enough."""
        if self._reached.size == 0:  # one combination: the voters' own offsets
            return self._pivot_of(np.zeros((1, 0), dtype=np.int64))
        cells = int(np.prod([self.radices[i] for i in self._reached], dtype=np.int64))
        if cells * self.size > GRID_CELLS:
            return None
        return self._cell_pivots(np.arange(cells))

    @cached_property
    def _memo(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(pivot, known) per option combination of the reached issues, filled as packages ask for them: a zone
        search asks about the same combinations block after block (and the explore page search after search, with
        the body kept while its party is unchanged), and a pivot costs a partition over every voter."""
        cells = int(np.prod([self.radices[i] for i in self._reached], dtype=np.int64))
        if self._reached.size == 0 or cells > MEMO_CELLS:
            return None
        return np.zeros(cells, dtype=np.int64), np.zeros(cells, dtype=bool)

    def _pivots(self, codes: np.ndarray) -> np.ndarray:
        """Each package's pivot (its voters' ``needed``-th largest score)."""
        if self.needed > self.size:
            return np.full(codes.shape[0], np.iinfo(np.int64).min)  # cannot pass: no need is that low
        grid = self._grid_pivots
        if grid is not None:
            if self._reached.size == 0:
                return np.full(codes.shape[0], grid[0])
            return grid[self._cells(codes)]
        memo = self._memo
        if memo is not None:
            pivots, known = memo
            cells = self._cells(codes)
            todo = np.unique(cells[~known[cells]])
            pivots[todo] = self._cell_pivots(todo)  # values first, then the mark: a reader never sees a mark alone
            known[todo] = True
            return pivots[cells]
        numbers, distinct = self._projections(codes)
        return self._pivot_of(distinct)[numbers]


@lru_cache(maxsize=16)
def latin_hypercube(points: int, dimensions: int, key: str) -> np.ndarray:
    """A centred Latin hypercube, ``[point, dimension]`` in (0, 1), seeded by ``key``: every coordinate takes each
    of the values ``(k + 1/2) / points`` once (McKay, Beckman & Conover 1979)."""
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    strata = rng.permuted(np.tile(np.arange(points), (dimensions, 1)), axis=1).T
    cube = (strata + 0.5) / points
    cube.flags.writeable = False  # cached: shared by every caller
    return cube


def voter_offsets(
    weight: np.ndarray,
    value: np.ndarray,
    radices: tuple[int, ...],
    voters: int,
    spread: tuple[float, float, float],
    key: str,
) -> tuple[np.ndarray, np.ndarray]:
    """``(deviation[v, i, o], offset[v])`` in units for a population around a party's published midpoints
    ``weight[i]`` (before normalising) and ``value[i, o]``; ``spread`` is (reservation, weights, values)."""
    n_issues, n_options = value.shape
    draws = latin_hypercube(voters, 1 + n_issues + n_issues * n_options, key)
    offset = spread[0] * (2 * draws[:, 0] - 1)
    weighed = weight > 0
    weights = np.where(weighed, np.maximum(weight + spread[1] * (2 * draws[:, 1 : 1 + n_issues] - 1), 0), 0)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.where(total > 0, weights, weight) / np.where(total > 0, total, weight.sum())
    valid = np.arange(n_options)[None, :] < np.array(radices)[:, None]
    moved = 2 * draws[:, 1 + n_issues :].reshape(voters, n_issues, n_options) - 1
    values = np.where(valid, np.clip(value + spread[2] * moved, 0, 1), 0)
    published = (weight / weight.sum())[:, None] * value
    deviation = to_units(weights[..., None] * values) - to_units(published)[None]
    return np.where(valid[None], deviation, 0), to_units(offset)


def electorates(
    scenario: Scenario, draws: Draws, ranges: Any, build: Callable[[Scenario, Draws], Preferences]
) -> tuple[Electorate, ...]:
    """The bodies of a scenario's ratifiers with an ``electorate``, from the (correlated) ``draws``; ``build`` maps
    one-party draws to preferences (:func:`sim.zone.sampling.preferences_from_draws`) for a chamber's members."""
    radices = tuple(len(issue.options) for issue in scenario.issues)
    bodies = []
    for p, party in enumerate(scenario.parties):
        body = party.electorate
        if body is None:
            continue
        share, strict = body.threshold
        if body.members is None:
            assert body.voters is not None, "an electorate has voters or members (sim.scenario.bodies)"
            spread = (body.spread.reservation, body.spread.weights, body.spread.values)
            weight = ranges.weight[p].mean(axis=-1)
            value = (ranges.value[p, ..., 0] + ranges.value[p, ..., 1]) / 2
            deviation, offset = voter_offsets(weight, value, radices, body.voters, spread, party.id)
            ones = np.ones(body.voters, dtype=np.int64)
            bodies.append(Electorate(p, share, strict, ones, radices, deviation=deviation, offset=offset))
            continue
        blocs: dict[tuple[int, ...], int] = {}
        members: list[Preferences] = []
        seats: list[int] = []
        shared: list[bool] = []
        reds: list[bool] = []
        for m, member in enumerate(body.members):
            own = tuple(m if getattr(member, key) is not None else -1 for key in OWN)
            if own in blocs:  # states the same numbers as an earlier member (the party's): the same votes
                seats[blocs[own]] += member.seats
                continue
            blocs[own] = len(members)
            alone = scenario.model_copy(update={"parties": [member_party(party, member)], "correlations": []})
            members.append(build(alone, _member_draws(draws, p, m, member, radices)))
            seats.append(member.seats)
            shared.append(member.weights is None and member.values is None)
            reds.append(member.red_lines is not None)
        bloc_seats = np.array(seats, dtype=np.int64)
        bodies.append(Electorate(p, share, strict, bloc_seats, radices, tuple(members), tuple(shared), tuple(reds)))
    return tuple(bodies)


OWN = ("weights", "values", "reservation", "red_lines")


def _member_draws(draws: Draws, p: int, m: int, member: Any, radices: tuple[int, ...]) -> Draws:
    """A member's one-party draws: the party's, with the member's own numbers for what it states itself."""
    n_issues, n_options = len(radices), max(radices)
    starts = [member_column(n_issues, n_options, kind) for kind in ("weight", "value", "red_line")]
    drawn = draws.member[p]
    assert drawn is not None, "a chamber's members drew their own numbers (sim.zone.sampling.draw_uniforms)"
    own = np.split(drawn[m], starts, axis=1)
    mine = draws.party(p)
    return mine.replace(
        reservation=own[0][None, :, 0] if member.reservation is not None else mine.reservation,
        weight=own[1][None] if member.weights is not None else mine.weight,
        value=own[2].reshape(1, -1, n_issues, n_options) if member.values is not None else mine.value,
        red_line=np.repeat(own[3][None, :, :, None], n_options, axis=3)
        if member.red_lines is not None
        else mine.red_line,
        member=(),
    )


def accepting_shares(prefs: Preferences, codes: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per body (by party index), each package's expected accepting share over the samples with its 95 %
    Monte-Carlo interval (normal interval of the mean of the per-sample shares, clipped to [0, 1])."""
    z = NormalDist().inv_cdf(0.975)
    found = {}
    step = max(1, SHARE_CELLS // max(1, prefs.samples))  # packages at a time: memory and caches stay small
    for body in prefs.electorates:
        mean, half = np.zeros(codes.shape[0]), np.zeros(codes.shape[0])
        for start in range(0, codes.shape[0], step):
            share = body.counts(prefs, codes[start : start + step]) / body.size  # [package, sample]
            mean[start : start + step] = share.mean(axis=1)  # each row reduced alone: the same floats in any chunk
            if share.shape[1] > 1:
                half[start : start + step] = z * share.std(axis=1, ddof=1) / np.sqrt(share.shape[1])
        found[body.party] = (mean, np.clip(mean - half, 0, 1), np.clip(mean + half, 0, 1))
    return found


def body_shares(prefs: Preferences, codes: np.ndarray, wanted: np.ndarray) -> dict[str, tuple[np.ndarray, ...]]:
    """:func:`accepting_shares` by party id for the ``wanted`` packages (NaN for the others: a share costs a binary
    search per sample, so a run computes it for the packages in the zone in some sample)."""
    found = {}
    picked = accepting_shares(prefs, codes[wanted]) if wanted.any() else {}
    for body in prefs.electorates:
        columns = tuple(np.full(codes.shape[0], np.nan) for _ in range(3))
        for column, values in zip(columns, picked.get(body.party, ()), strict=False):
            column[wanted] = values
        found[prefs.party_ids[body.party]] = columns
    return found
