"""Parties' preferences as arrays: seeded Monte-Carlo samples of weights, option values, links, reservations, red lines.

Utility (DESIGN.md): ``u_p(x) = sum_i w_pi * v_pi(x_i)`` with weights normalised to 1, where a party's ``links``
replace its value of an option when another option is also in the package (so a link is a pairwise term
``w_pb * (v_link - v_pb(option))`` added when both options are present). Party *p* accepts *x* in a sample when
``u_p(x) >= reservation_p`` and *x* holds none of *p*'s red lines that hold in that sample.

**Ties are decided exactly.** Each contribution ``w * v`` (and each reservation) is kept twice: as the real
float64 number, for everything reported, and as an integer number of ``UNIT = 1e-8`` (rounded to nearest), for every
comparison. Integer sums are exact and independent of order, so a utility is the same integer however the package
space is cut into chunks or spread over workers, and the chunked zone equals the whole zone bit for bit. Decimal
units (not binary ones) make the rounding itself exact for the numbers people write: a contribution with at most 8
decimals (0.3 x 0.7 = 0.21, 0.7 x 0.1 = 0.07) *is* an integer number of units, so equal utilities reached through
different decimal contributions are equal integers. Where inputs are not such decimals (sampled ranges, weights that
do not sum to 1, 1/3) each term carries at most half a unit of rounding, and acceptance allows a tolerance of
``TIE_TOLERANCE = 1e-6`` (100 units): ``u >= r`` is decided as ``U >= R - 100``. A true tie is therefore accepted as
long as a package sums fewer than 199 rounded terms, and a utility more than about 1e-6 below the reservation is
always rejected — four orders of magnitude below any difference a weight or a value written with 2–4 decimals can
make. Integers are int32 in the per-sample tables (1 = 10^8 units leaves room for 21 utility-sized terms).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from sim.zone.space import PackageSpace

UNIT = 1e-8
TIE_TOLERANCE = 1e-6
TIE_TOLERANCE_UNITS = round(TIE_TOLERANCE / UNIT)


def to_units(values: np.ndarray | float) -> np.ndarray:
    """Real utilities to integer units of 1e-8 (rounded to nearest), int64.

    One finite Python float (a party answering one offer, many times per negotiation run) takes Python's own
    ``round``: the same float64 division and the same round-half-to-even as ``numpy.rint``, at a tenth of the cost.
    """
    if type(values) is float and math.isfinite(values):
        return np.int64(round(values / UNIT))  # type: ignore[return-value]
    return np.rint(np.asarray(values, dtype=np.float64) / UNIT).astype(np.int64)


def accepts(utility_units: np.ndarray, threshold_units: np.ndarray) -> np.ndarray:
    """The one acceptance rule: ``U >= threshold`` where ``threshold = units(reservation) - tolerance``."""
    return utility_units >= threshold_units


def acceptance_threshold(reservation: np.ndarray | float) -> np.ndarray:
    """Integer threshold a utility in units must reach: the reservation in units minus the tie tolerance."""
    return to_units(reservation) - TIE_TOLERANCE_UNITS


@dataclass(frozen=True, eq=False)
class LinkTerm:
    """Party ``party`` gains ``delta`` (per sample) when options ``first`` and ``second`` are both in a package."""

    party: int
    first: tuple[int, int]
    second: tuple[int, int]
    delta: np.ndarray
    delta_units: np.ndarray

    def holds(self, codes: np.ndarray) -> np.ndarray:
        """Which packages (rows of option indices) hold both options, so that the term applies."""
        return (codes[:, self.first[0]] == self.first[1]) & (codes[:, self.second[0]] == self.second[1])


@dataclass(frozen=True, eq=False)
class RedLine:
    """A party's red line on one option and, per sample, whether it holds (``holds`` is the stated probability)."""

    party: int
    option: tuple[int, int]
    holds: float
    in_sample: np.ndarray

    @property
    def certain(self) -> bool:
        return self.holds >= 1.0

    def held_by(self, codes: np.ndarray) -> np.ndarray:
        """Which packages (rows of option indices) hold the red-lined option."""
        return codes[:, self.option[0]] == self.option[1]

    def refuses_at(self, codes: np.ndarray, samples: np.ndarray) -> np.ndarray:
        """Whether the red line refuses package ``codes[k]`` in sample ``samples[k]``: held, and real there."""
        return self.held_by(codes) & self.in_sample[samples]


@dataclass(frozen=True, eq=False)
class Preferences:
    """S joint samples of every party's preferences.

    ``contributions[p, i, o, s]`` is party p's real utility from option o of issue i in sample s (0 for padding),
    ``units`` the same in integer units; ``reservation[p, s]`` its real reservation and ``threshold[p, s]`` the
    integer its utility must reach. Samples are the last axis so per-package work streams over them.
    """

    party_ids: tuple[str, ...]
    veto: np.ndarray
    ratifier: np.ndarray
    weights: np.ndarray
    values: np.ndarray
    reservation: np.ndarray
    threshold: np.ndarray
    contributions: np.ndarray
    units: np.ndarray
    red_line_list: tuple[RedLine, ...]
    links: tuple[LinkTerm, ...]
    radices: tuple[int, ...]
    electorates: tuple[Any, ...] = ()  # sim.zone.electorate.Electorate: ratifiers that vote as bodies

    @property
    def samples(self) -> int:
        return int(self.reservation.shape[1])

    @property
    def n_parties(self) -> int:
        return len(self.party_ids)

    @cached_property
    def red_lines(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Per party, the options it rejects in every sample (certain red lines)."""
        return tuple(
            tuple(r.option for r in self.red_line_list if r.party == p and r.certain) for p in range(self.n_parties)
        )

    @cached_property
    def uncertain_red_lines(self) -> tuple[tuple[RedLine, ...], ...]:
        """Per party, red lines that hold in some samples only (0 < holds < 1)."""
        return tuple(
            tuple(r for r in self.red_line_list if r.party == p and 0 < r.holds < 1) for p in range(self.n_parties)
        )

    @property
    def expected_contributions(self) -> np.ndarray:
        """Mean contribution over samples, ``[p, i, o]``: expected utility is linear, so it needs no samples."""
        return self.contributions.mean(axis=-1)

    @cached_property
    def by_issue(self) -> list[np.ndarray]:
        """Per issue, real contributions as ``[option, party, sample]`` (float64): rows gather fast by option."""
        return [
            np.ascontiguousarray(self.contributions[:, i, :radix].transpose(1, 0, 2))
            for i, radix in enumerate(self.radices)
        ]

    @cached_property
    def by_issue_units(self) -> list[np.ndarray]:
        """Per issue, contributions in integer units, ``[option, party, sample]`` int32: what scoring sums."""
        return [
            np.ascontiguousarray(self.units[:, i, :radix].transpose(1, 0, 2)).astype(np.int32)
            for i, radix in enumerate(self.radices)
        ]

    @cached_property
    def weighed(self) -> np.ndarray:
        """``[party, issue]``: whether some option of the issue counts for the party in some sample."""
        return np.asarray(self.units.any(axis=(2, 3)))

    def utilities(self, space: PackageSpace, codes: np.ndarray) -> np.ndarray:
        """Real utilities of packages given as option indices, ``[party, package, sample]`` (float64)."""
        total = gather_sums(self.by_issue, codes, self.n_parties, self.samples)
        add_link_terms(total, self.links, codes, units=False)
        return total.transpose(1, 0, 2)

    def utility_units(
        self, codes: np.ndarray, parties: list[int] | None = None, samples: slice = slice(None)
    ) -> np.ndarray:
        """Utilities in integer units, ``[party, package, sample]`` (int32 holds 21 utility-sized terms): the numbers
        acceptance compares. ``samples`` selects a slice of samples (to bound memory on big sets of packages)."""
        parties = list(range(self.n_parties)) if parties is None else parties
        weighed = np.flatnonzero(self.weighed[parties].any(axis=0))  # the others add 0: integer sums skip them
        tables = [self.by_issue_units[i][:, parties, samples] for i in weighed]
        n_samples = len(range(self.samples)[samples])
        total = gather_sums(tables, codes[:, weighed], len(parties), n_samples, dtype=np.int32)
        for link in self.links:
            if link.party in parties:
                total[link.holds(codes), parties.index(link.party), :] += link.delta_units[samples]
        return total.transpose(1, 0, 2)

    def utility_at(self, codes: np.ndarray, samples: np.ndarray, party: int) -> np.ndarray:
        """Party ``party``'s utility of package ``codes[k]`` in sample ``samples[k]`` in integer units, ``[k]``."""
        return utilities_at(self, codes, samples, [party], units=True)[0]

    def accepts_at(self, codes: np.ndarray, samples: np.ndarray, parties: list[int]) -> np.ndarray:
        """Whether each party accepts package ``codes[k]`` in sample ``samples[k]``, ``[party, k]``: the same
        integers and rule as :meth:`acceptable`, for scattered (package, sample) pairs."""
        total = utilities_at(self, codes, samples, parties, units=True)
        result = accepts(total, self.threshold[parties][:, samples])
        for body in self.electorates:
            if body.party in parties:
                row = parties.index(body.party)
                result[row] = body.verdicts_at(self, codes, samples, total[row])
        return self.reds_at(codes, samples, parties, result)

    def all_accept_at(self, codes: np.ndarray, samples: np.ndarray, parties: list[int]) -> np.ndarray:
        """Whether every party of ``parties`` accepts package ``codes[k]`` in sample ``samples[k]``, ``[k]``: the
        conjunction of :meth:`accepts_at`'s rows, decided party by party on the pairs still standing (bodies that
        vote last, a population of voters the very last). Ratifying a zone search's table pairs is most of its
        work, and most pairs fail an early ratifier, so the later ones see few pairs; the verdicts are
        :meth:`accepts_at`'s."""
        cost = {body.party: 1 if body.members else 2 for body in self.electorates}  # a population: the costliest
        standing = np.arange(samples.size)
        result = np.zeros(samples.size, dtype=bool)
        for party in sorted(parties, key=lambda p: cost.get(p, 0)):
            if not standing.size:
                return result
            ok = self.accepts_at(codes[standing], samples[standing], [party])[0]
            standing = standing[ok]
        result[standing] = True
        return result

    def reds_at(self, codes: np.ndarray, samples: np.ndarray, parties: list[int], result: np.ndarray) -> np.ndarray:
        """``result[party, k]`` with every red line that holds in sample ``samples[k]`` on ``codes[k]`` applied."""
        for red in self.red_line_list:
            if red.party in parties:
                result[parties.index(red.party), red.refuses_at(codes, samples)] = False
        return result

    def acceptable(
        self,
        space: PackageSpace | None,
        codes: np.ndarray,
        parties: list[int] | None = None,
        samples: slice = slice(None),
    ) -> np.ndarray:
        """Whether each party accepts each package in each sample, ``[party, package, sample]`` (the definition;
        a ratifier that votes as a body passes a package when its electorate's accepting share meets the rule)."""
        parties = list(range(self.n_parties)) if parties is None else parties
        units = self.utility_units(codes, parties, samples)
        result = accepts(units, self.threshold[parties][:, None, samples])
        for body in self.electorates:
            if body.party in parties:
                row = parties.index(body.party)
                result[row] = body.verdicts(self, codes, samples, units[row])
        return self.reds(codes, parties, samples, result)

    def reds(self, codes: np.ndarray, parties: list[int], samples: slice, result: np.ndarray) -> np.ndarray:
        """``result[party, package, sample]`` with every red line that holds applied."""
        for red in self.red_line_list:
            if red.party in parties:
                result[parties.index(red.party), red.held_by(codes)] &= ~red.in_sample[None, samples]
        return result


def gather_sums(
    by_issue: list[np.ndarray], codes: np.ndarray, n_parties: int, samples: int, dtype: Any = None
) -> np.ndarray:
    """Sum of per-issue tables for each listed package (rows of option indices): ``[package, party, sample]``.

    Integer tables are summed by halves of the issues: each half's distinct option combinations are summed once
    (recursively) and every package adds its two halves. Packages asked together share most of their options (a
    zone's packages cluster), so this costs a few additions per package instead of one per issue; integer sums do
    not depend on the order of addition, so the result is the same numbers. Real (float) tables keep the plain left
    fold so a package's float utility never depends on which other packages were asked with it.
    """
    dtype = dtype or (by_issue[0].dtype if by_issue else np.float64)
    if np.dtype(dtype).kind in "iu":
        return _halved_sums(by_issue, codes, n_parties, samples, np.dtype(dtype))
    total = np.zeros((codes.shape[0], n_parties, samples), dtype=dtype)
    for issue in range(codes.shape[1]):
        total += by_issue[issue][codes[:, issue]]
    return total


def _halved_sums(
    by_issue: list[np.ndarray], codes: np.ndarray, n_parties: int, samples: int, dtype: np.dtype
) -> np.ndarray:
    """Integer ``gather_sums``: cut the issues in two (:func:`_split`), sum each side over its distinct rows, add."""
    count, n_issues = codes.shape
    if n_issues <= 2 or count < 64:
        total = np.zeros((count, n_parties, samples), dtype=dtype)
        for issue in range(n_issues):
            total += by_issue[issue][codes[:, issue]]
        return total
    half = _split(codes, [table.shape[0] for table in by_issue])
    parts = []
    for issues in (slice(0, half), slice(half, n_issues)):
        radices = tuple(table.shape[0] for table in by_issue[issues])
        numbers, inverse = np.unique(np.ravel_multi_index(tuple(codes[:, issues].T), radices), return_inverse=True)
        rows = np.stack(np.unravel_index(numbers, radices), axis=1)
        parts.append((_halved_sums(by_issue[issues], rows, n_parties, samples, dtype), inverse.reshape(-1)))
    (first, first_of), (second, second_of) = parts
    total = first[first_of]
    total += second[second_of]
    return total


def _split(codes: np.ndarray, radices: list[int]) -> int:
    """Where to cut the issues for :func:`_halved_sums`: the cut with the fewest additions if each side's distinct
    rows were summed issue by issue (``distinct x issues``, both sides). Packages asked together are usually a few
    heads each with few tails (a block's zone), so the best cut is rarely the middle: the baseline's 5,118 zone
    packages at 2,000 samples have 548 distinct heads (the first 11 issues) and at most 54 tails."""
    count, n_issues = codes.shape
    costs = []
    for side in (list(range(n_issues)), list(range(n_issues - 1, -1, -1))):
        cost = np.full(n_issues + 1, np.inf)
        number, size = np.zeros(count, dtype=np.int64), 1
        for done, issue in enumerate(side[:-1], start=1):
            size *= radices[issue]
            if size >= 2**62:  # mixed-radix numbers of more issues would overflow: no cut beyond
                break
            number = number * radices[issue] + codes[:, issue]
            cost[done] = np.unique(number).size * done
        costs.append(cost)
    total = costs[0][1:n_issues] + costs[1][n_issues - 1 : 0 : -1]  # cut k: k issues first, n - k after
    return int(np.argmin(total)) + 1 if np.isfinite(total).any() else n_issues // 2


def grid_sums(by_issue: list[np.ndarray], n_parties: int, samples: int) -> np.ndarray:
    """Sum of per-issue tables for every package of a (sub)grid, ``[package, party, sample]`` in mixed-radix order.

    Built as an outer sum, one issue at a time, so each package costs one addition per issue-level instead of a
    gather per issue: this is how the whole tail of the grid is scored once per run.
    """
    dtype = by_issue[0].dtype if by_issue else np.int32
    total = np.zeros((1, n_parties, samples), dtype=dtype)
    for table in by_issue:
        total = (total[:, None] + table[None, :]).reshape(-1, n_parties, samples)
    return total


def add_link_terms(total: np.ndarray, links: tuple[LinkTerm, ...], codes: np.ndarray, units: bool) -> None:
    """Add every link whose two options are in a package to ``total[package, party, sample]`` in place."""
    for link in links:
        total[link.holds(codes), link.party, :] += link.delta_units if units else link.delta


def utilities_at(
    preferences: Preferences, codes: np.ndarray, samples: np.ndarray, parties: list[int], units: bool = False
) -> np.ndarray:
    """The one evaluator of scattered (package, sample) pairs: each party's utility of package ``codes[k]`` in
    sample ``samples[k]``, ``[party, k]``, links included — real (float64) or in integer units (int64).

    Real utilities add the same terms in the same order as :meth:`Preferences.utilities` (issues left to right,
    then links in order), so a pair's utility equals the dense one bit for bit; integer sums are exact in any order.
    """
    table = preferences.units if units else preferences.contributions  # [party, issue, option, sample]
    _, n_issues, n_options, n_samples = table.shape
    flat = table.reshape(-1)  # both are C-contiguous: a view
    rows = np.asarray(parties, dtype=np.intp)[:, None] * (n_issues * n_options * n_samples)
    at = samples.astype(np.intp)
    total = np.zeros((len(parties), codes.shape[0]), dtype=np.int64 if units else np.float64)
    for issue in range(codes.shape[1]):  # one gather per issue for every party: the same terms in the same order
        total += flat[rows + ((issue * n_options + codes[:, issue]) * n_samples + at)[None, :]]
    for column, party in enumerate(parties):
        for link in preferences.links:
            if link.party == party:
                both = link.holds(codes)
                total[column, both] += (link.delta_units if units else link.delta)[samples[both]]
    return total


def expected_utility(preferences: Preferences, codes: np.ndarray) -> np.ndarray:
    """Each party's expected utility of each package, ``[party, package]`` (linear, so exact without samples)."""
    expected = preferences.expected_contributions
    total = np.zeros((expected.shape[0], codes.shape[0]))
    for issue in range(codes.shape[1]):
        total += expected[:, issue, codes[:, issue]]
    for link in preferences.links:
        total[link.party, link.holds(codes)] += link.delta.mean()
    return total


def memo(preferences: Preferences) -> dict[Any, Any]:
    """A store of results that depend only on these preferences (and what the key names), dropped with them."""
    return _MEMO.setdefault(preferences, {})


_MEMO: weakref.WeakKeyDictionary[Preferences, dict[Any, Any]] = weakref.WeakKeyDictionary()
