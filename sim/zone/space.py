"""The package space: every combination of one option per issue, as a mixed-radix grid.

Package number *k* and its option indices are converted by arithmetic (``numpy.unravel_index``), never by a
lookup table, so a space of 10^7 packages costs no memory until a chunk of it is scored. Issue order is the
scenario's: the first issue is the most significant digit.

Scoring cuts the grid by the options of its first issues (``sim.zone.scoring``) and grows partial packages issue by
issue (``sim.zone.search``); a package's number stays the mixed-radix number of its option indices throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import prod

import numpy as np

from sim.scenario.model import Scenario, split_option_ref

Violation = tuple[tuple[int, frozenset[int]], ...]


@dataclass(frozen=True)
class PackageSpace:
    """The grid of packages of a scenario and its constraints.

    Every constraint is kept as a *violation*: a conjunction "issue i's option is in set A_i, and issue j's in
    A_j, ..." that makes a package infeasible. ``forbid: [a.x, b.y]`` is ``a in {x} and b in {y}``;
    ``requires: [a.x], one_of: [b.y, c.z]`` is ``a in {x} and b not y and c not z``; a ``fixed`` issue is "its option
    is any other". One form serves feasibility masks, exact counting (inclusion–exclusion) and pruning.
    """

    issue_ids: tuple[str, ...]
    option_ids: tuple[tuple[str, ...], ...]
    violations: tuple[Violation, ...] = ()

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PackageSpace:
        issue_ids = tuple(issue.id for issue in scenario.issues)
        option_ids = tuple(tuple(issue.option_ids) for issue in scenario.issues)
        radices = [len(options) for options in option_ids]

        def where(refs: list[str]) -> dict[int, set[int]]:
            found: dict[int, set[int]] = {}
            for ref in refs:
                issue, option = option_index(issue_ids, option_ids, ref)
                found.setdefault(issue, set()).add(option)
            return found

        violations: list[Violation] = []
        for constraint in scenario.constraints:
            forbid = getattr(constraint, "forbid", None)
            if forbid:
                violations.append(tuple((i, frozenset({o})) for i, o in sorted(_refs(issue_ids, option_ids, forbid))))
                continue
            condition = {i: set(options) for i, options in where(list(constraint.requires or [])).items()}
            for issue, options in where(list(constraint.one_of or [])).items():
                allowed = set(range(radices[issue])) - options
                condition[issue] = condition.get(issue, allowed) & allowed
            violations.append(tuple((i, frozenset(condition[i])) for i in sorted(condition)))
        for issue_id, kept in scenario.fixed.items():  # a settled issue: every other option is infeasible
            issue = issue_ids.index(issue_id)
            violations.append(((issue, frozenset(o for o, opt in enumerate(option_ids[issue]) if opt != kept)),))
        return cls(issue_ids, option_ids, tuple(violations))

    @property
    def forbidden(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Single-option combinations that cannot coexist (every violation whose sets are single options)."""
        return tuple(
            tuple((i, next(iter(options))) for i, options in violation)
            for violation in self.violations
            if all(len(options) == 1 for _, options in violation)
        )

    @property
    def radices(self) -> tuple[int, ...]:
        return tuple(len(options) for options in self.option_ids)

    @property
    def size(self) -> int:
        return prod(self.radices)

    def codes(self, packages: np.ndarray) -> np.ndarray:
        """Option indices of package numbers, shape ``(n, issues)``."""
        return np.stack(np.unravel_index(np.asarray(packages, dtype=np.int64), self.radices), axis=-1)

    def option_codes(self, packages: np.ndarray, issue: int) -> np.ndarray:
        """Option indices of package numbers on one issue (column ``issue`` of :meth:`codes`, without the others:
        a figure over a large zone needs two issues of millions of packages)."""
        stride = prod(self.radices[issue + 1 :])
        return (np.asarray(packages, dtype=np.int64) // stride) % self.radices[issue]

    def package(self, codes: np.ndarray) -> np.ndarray:
        """Package numbers of option-index rows (inverse of :meth:`codes`)."""
        codes = np.atleast_2d(np.asarray(codes, dtype=np.int64))
        return np.ravel_multi_index(tuple(codes.T), self.radices)

    def feasible(self, codes: np.ndarray) -> np.ndarray:
        """True where a package satisfies every constraint (holds no violation)."""
        ok = np.ones(codes.shape[0], dtype=bool)
        for violation in self.violations:
            ok &= ~violated(codes, violation)
        return ok

    def count_feasible(self, fix: dict[int, int] | None = None) -> int:
        """Number of feasible packages (with the options in ``fix``), exactly, by inclusion–exclusion.

        A set of violations holds together on ``prod_i |intersection of their sets on issue i|`` packages, so the
        count never enumerates the space (10^30 packages are counted as fast as 10).
        """
        allowed = [set(range(r)) for r in self.radices]
        for issue, option in (fix or {}).items():
            allowed[issue] = {option}
        total = 0
        for k in range(len(self.violations) + 1):
            for subset in combinations(self.violations, k):
                sets = [set(a) for a in allowed]
                for violation in subset:
                    for issue, options in violation:
                        sets[issue] &= options
                total += (-1) ** k * prod(len(s) for s in sets)
        return total

    def holds_any(self, codes: np.ndarray, options: list[tuple[int, int]]) -> np.ndarray:
        """True where a package holds at least one of ``options`` (used for red lines)."""
        hit = np.zeros(codes.shape[0], dtype=bool)
        for issue, option in options:
            hit |= codes[:, issue] == option
        return hit

    def describe(self, package: int) -> dict[str, str]:
        codes = self.codes(np.array([package]))[0]
        return {issue: self.option_ids[i][codes[i]] for i, issue in enumerate(self.issue_ids)}


def violated(codes: np.ndarray, violation: Violation) -> np.ndarray:
    """Rows of option indices that hold a violation (every listed issue's option in its set)."""
    hit = np.ones(codes.shape[0], dtype=bool)
    for issue, options in violation:
        if len(options) == 1:
            hit &= codes[:, issue] == next(iter(options))
        else:
            hit &= np.isin(codes[:, issue], list(options))
    return hit


def _refs(
    issue_ids: tuple[str, ...], option_ids: tuple[tuple[str, ...], ...], refs: list[str]
) -> list[tuple[int, int]]:
    return [option_index(issue_ids, option_ids, ref) for ref in refs]


def option_index(issue_ids: tuple[str, ...], option_ids: tuple[tuple[str, ...], ...], ref: str) -> tuple[int, int]:
    issue_id, option_id = split_option_ref(ref)
    issue = issue_ids.index(issue_id)
    return issue, option_ids[issue].index(option_id)
