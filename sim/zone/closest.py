"""What comes closest when nothing is acceptable: the package (or completion of an offer) with the smallest total
shortfall below the veto parties' reservations (a party's own best completion is ``sim.zone.own_best``).

When no package is in the zone in any sample there is no "best package" to report; an honest answer is the
package that misses by the least. A veto party's *shortfall* on a package is the mean over samples of how far
its utility falls below its reservation, ``mean_s max(0, r_ps - u_ps(x))`` (0 in a sample where it accepts);
the total is the sum over veto parties. Candidates hold no red line of a veto party (a red line is a refusal,
not a distance) except those the caller must keep, such as the options an offer fixes.

The search is exact branch and bound over the free issues (Land & Doig 1960; the pattern of ``sim.zone.search``):
completions are grown one issue at a time (a :class:`Tree`, shared with ``sim.zone.own_best``), and a partial one is
dropped as soon as a bound proves that none of its completions can beat the best complete one found so far.
Constraints and red lines prune options before any arithmetic. The bound is Jensen's inequality (a mean shortfall
is at least the shortfall of the mean) applied within groups of samples: each veto party's samples are sorted by
its shortfall on a good first package and cut into ``BOUND_GROUPS`` groups, and a group's utility sum from an open
issue is at most its best option's group sum. Surviving packages are then scored exactly, in order of the bound,
until the next bound exceeds the best exact total: that proves the minimum. Exact totals add the parties'
shortfalls one party at a time, so a package's total is the same float however many packages are scored together.

Only the public core API is used (``PackageSpace``, ``Preferences`` arrays and ``utilities``), so the answer
follows whatever utility model the core implements; ``tests/test_closest.py`` proves it equals brute force.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.zone.preferences import LinkTerm, Preferences, memo
from sim.zone.space import PackageSpace, Violation, violated

EXACT_BATCHES = (8, 16, 32, 64, 128, 256)  # exact scoring starts small: the minimum is usually among the first few
MAX_EXACT = 16_384
BOUND_GROUPS = 32  # groups of samples per party in the shortfall bound (1 group: the expected-utility bound)
MAX_CELLS = 2**23  # partial packages x parties x groups held by one expansion
MAX_NODES = 2**19  # (partial package, sample) pairs created by one expansion: ~0.2 GiB of option indices at most
BOUND_SLACK = 1e-6  # a lower bound on a shortfall is lowered by this much (float sums in another order)
UTILITY_SLACK = 1e-9  # an upper bound on a utility is raised by this much (float sums in another order)


@dataclass(frozen=True)
class Closest:
    """The package with the smallest total shortfall, each party's shortfall, and whether the minimum is proven."""

    package: int
    shortfall: np.ndarray
    total: float
    proven: bool
    evaluated: int


def option_choices(space: PackageSpace, fix: dict[int, int], avoid: list[tuple[int, int]]) -> list[np.ndarray]:
    """Per issue, the options a completion of ``fix`` may take: the fixed one, else every option except those in
    ``avoid`` and those no package may hold (settled issues). Enumerating only these keeps the search small:
    red lines alone cut the baseline's 1.6 million packages to about ten thousand."""
    never = {combo[0] for combo in space.forbidden if len(combo) == 1} | set(avoid)
    return [
        np.array([fix[i]]) if i in fix else np.array([o for o in range(r) if (i, o) not in never], dtype=np.int64)
        for i, r in enumerate(space.radices)
    ]


def choice_codes(choices: list[np.ndarray], index: np.ndarray) -> np.ndarray:
    """Option indices of the packages at positions ``index`` of the grid of ``choices`` (package-number order)."""
    if any(c.size == 0 for c in choices):
        return np.zeros((0, len(choices)), dtype=np.int64)
    digits = np.unravel_index(np.asarray(index, dtype=np.int64), [c.size for c in choices])
    return np.stack([c[d] for c, d in zip(choices, digits, strict=True)], axis=-1)


def shortfalls(preferences: Preferences, space: PackageSpace, codes: np.ndarray) -> np.ndarray:
    """Each party's mean shortfall below its reservation on each package, ``[party, package]``."""
    utilities = preferences.utilities(space, codes)
    gap = preferences.reservation[:, None, :].astype(np.float64) - utilities
    return np.maximum(gap, 0.0).mean(axis=-1)


def veto_total(short: np.ndarray, veto: np.ndarray) -> np.ndarray:
    """Total shortfall over veto parties per package, added party by party (the same float whatever the number of
    packages scored together: numpy sums a single column pairwise, several columns row by row)."""
    total = np.zeros(short.shape[1])
    for p in veto:
        total += short[p]
    return total


@dataclass(frozen=True, eq=False)
class Tree:
    """The completions of ``fix`` as a search tree: the free issues in order, each with the options it may take,
    and the constraints fully decided at each level (checked there, once)."""

    base: np.ndarray  # option indices of the fixed issues (0 elsewhere)
    free: list[int]
    options: list[np.ndarray]
    checks: list[list[Violation]]

    @property
    def depth(self) -> int:
        return len(self.free)

    def level_of(self, issues: list[int]) -> int:
        """The level at which every issue in ``issues`` is decided (-1: all fixed)."""
        return max((self.free.index(i) for i in issues if i in self.free), default=-1)

    def children(self, codes: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Every feasible way to decide the issue of ``level`` below each row: the rows' codes and parents."""
        issue, options = self.free[level], self.options[level]
        parent = np.repeat(np.arange(codes.shape[0]), options.size)
        child = codes[parent]
        child[:, issue] = np.tile(options, codes.shape[0])
        ok = np.ones(parent.size, dtype=bool)
        for violation in self.checks[level]:
            ok &= ~violated(child, violation)
        return child[ok], parent[ok]


def search_tree(
    space: PackageSpace,
    fix: dict[int, int],
    avoid: list[tuple[int, int]],
    narrow: Callable[[int, np.ndarray], np.ndarray] | None = None,
) -> Tree | None:
    """The tree of feasible completions of ``fix`` holding none of ``avoid`` on a free issue; ``None`` when the
    fixed options alone break a constraint or some free issue has no option left. ``narrow(issue, options)``
    optionally keeps fewer of an issue's options (one of each group that nothing tells apart)."""
    choices = option_choices(space, fix, avoid)
    free = [i for i in range(len(space.radices)) if i not in fix]
    if any(choices[i].size == 0 for i in free):
        return None
    base = np.array([fix.get(i, 0) for i in range(len(space.radices))], dtype=np.int64)
    options = [narrow(i, choices[i]) if narrow else choices[i] for i in free]
    tree = Tree(base, free, options, [[] for _ in free])
    for violation in space.violations:
        level = tree.level_of([i for i, _ in violation])
        if level < 0:
            if violated(base[None, :], violation)[0]:
                return None
        else:
            tree.checks[level].append(violation)
    return tree


def live_links(tree: Tree, links: list[LinkTerm]) -> list[tuple[int, LinkTerm]]:
    """Links that some completion can hold, with the level at which both options are decided (-1: both fixed)."""
    live = []
    for link in links:
        ends = (link.first, link.second)
        possible = all(
            tree.base[i] == o if i not in tree.free else o in tree.options[tree.free.index(i)] for i, o in ends
        )
        if possible:
            live.append((tree.level_of([link.first[0], link.second[0]]), link))
    return live


def closest_package(
    space: PackageSpace,
    preferences: Preferences,
    fix: dict[int, int] | None = None,
    avoid: list[tuple[int, int]] | None = None,
    max_exact: int = MAX_EXACT,
) -> Closest | None:
    """The feasible completion of ``fix`` holding none of ``avoid`` with the smallest total veto shortfall.

    Ties go to the lowest package number. ``None`` when no completion is feasible. ``proven`` is False only
    when more than ``max_exact`` packages had a lower bound below the best total found (then the answer is the
    best among the ``max_exact`` most promising ones, and says so).
    """
    veto = np.flatnonzero(preferences.veto)
    tree = search_tree(space, fix or {}, avoid or [])
    if tree is None:
        return None
    best_total, best_package, best_short = np.inf, -1, np.zeros(len(preferences.party_ids))
    one_group = np.zeros((veto.size, preferences.samples), dtype=np.int64)
    incumbent = _ShortfallBounds(tree, preferences, veto, one_group).greedy()
    groups = one_group
    if incumbent is not None:
        best_short = shortfalls(preferences, space, incumbent)[:, 0]
        best_total, best_package = float(veto_total(best_short[:, None], veto)[0]), int(space.package(incumbent)[0])
        groups = _groups_like(preferences, space, veto, incumbent)
    bounds = _ShortfallBounds(tree, preferences, veto, groups)
    pool_bound, pool_package, discarded = bounds.candidates(best_total, max_exact)
    if pool_package.size == 0 and incumbent is None:
        return None
    evaluated, proven, start = int(incumbent is not None), False, 0
    for size in (*EXACT_BATCHES, *[EXACT_BATCHES[-1]] * (pool_package.size // EXACT_BATCHES[-1] + 1)):
        if start >= pool_package.size:
            proven = best_total < discarded
            break
        if pool_bound[start] > best_total:
            proven = True
            break
        packages = pool_package[start : start + size]
        start += size
        short = shortfalls(preferences, space, space.codes(packages))
        total = veto_total(short, veto)
        evaluated += packages.size
        candidate = np.lexsort((packages, total))[0]
        if (total[candidate], packages[candidate]) < (best_total, best_package):
            best_total, best_package = float(total[candidate]), int(packages[candidate])
            best_short = short[:, candidate]
    return Closest(best_package, best_short, best_total, proven, evaluated)


class _ShortfallBounds:
    """Lower bounds on the total veto shortfall of every completion of a partial package.

    Each veto party's samples are cut into groups; within a group, the sum of shortfalls is at least the shortfall
    of the sums (Jensen: ``max(0, .)`` is convex), and a group's utility sum from an open issue is at most the best
    option's group sum. One group is the plain expected-utility bound; groups of samples in which the party fares
    alike (sorted by its shortfall on a good package) keep the bound close to the exact total for a fraction of
    its cost."""

    def __init__(self, tree: Tree, preferences: Preferences, veto: np.ndarray, groups: np.ndarray) -> None:
        self.tree, self.preferences, self.veto = tree, preferences, veto
        n_groups = int(groups.max()) + 1
        # the group sums (and the one-hot matrices that make them) depend on the preferences, the veto parties and
        # the groups only, not on the offer: every offer of a run asks the one-group sums, and offers whose greedy
        # completions group the samples alike ask the same grouped ones
        known = memo(preferences)
        key = ("grouped", veto.tobytes(), groups.tobytes())
        if key not in known:
            hot = [np.eye(n_groups)[groups[row]] for row in range(veto.size)]  # per party [s, g]
            known[key] = (
                np.stack([preferences.contributions[p] @ hot[row] for row, p in enumerate(veto)]),
                np.stack([preferences.reservation[p] @ hot[row] for row, p in enumerate(veto)]),
                hot,
            )
        self.grouped, self.reservation, one_hot = known[key]
        self.links = [
            (level, link, row, link.delta @ one_hot[row])
            for level, link in live_links(tree, [link for link in preferences.links if link.party in veto])
            for row in [int(np.flatnonzero(veto == link.party)[0])]
        ]
        fixed = [i for i in range(tree.base.size) if i not in tree.free]
        self.base = self.grouped[:, fixed, tree.base[fixed]].sum(axis=1)  # [v, g]
        self.suffix = np.zeros((tree.depth + 1, veto.size, n_groups))
        for level in range(tree.depth - 1, -1, -1):
            best = self.grouped[:, tree.free[level], tree.options[level]].max(axis=1)
            self.suffix[level] = self.suffix[level + 1] + best
        for level, _, row, delta in self.links:
            if level < 0:
                self.base[row] += delta
            else:
                self.suffix[: level + 1, row] += np.maximum(delta, 0.0)
        self.max_rows = max(1, MAX_CELLS // (veto.size * n_groups))

    def lower(self, sums: np.ndarray, level: int) -> np.ndarray:
        """Lower bound for partial packages with group utility sums so far ``sums[n, v, g]`` decided to ``level``."""
        gap = np.maximum(self.reservation - sums - self.suffix[level], 0.0)
        return gap.sum(axis=(1, 2)) / self.preferences.samples - BOUND_SLACK

    def expand(self, codes: np.ndarray, sums: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        child, parent = self.tree.children(codes, level)
        issue = self.tree.free[level]
        child_sums = sums[parent] + self.grouped[:, issue, child[:, issue]].transpose(1, 0, 2)
        for link_level, link, row, delta in self.links:
            if link_level == level:
                child_sums[link.holds(child), row] += delta
        return child, child_sums

    def greedy(self) -> np.ndarray | None:
        """A first completion: at each level the feasible option with the smallest bound (None at a dead end)."""
        codes, sums = self.tree.base[None, :], self.base[None]
        for level in range(self.tree.depth):
            codes, sums = self.expand(codes, sums, level)
            if codes.shape[0] == 0:
                return None
            pick = int(np.argmin(self.lower(sums, level + 1)))
            codes, sums = codes[pick : pick + 1], sums[pick : pick + 1]
        return codes

    def candidates(self, incumbent: float, max_exact: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Complete packages whose bound does not exceed ``incumbent``, by (bound, package number); at most
        ``max_exact`` of them, with the smallest bound of those dropped (inf when none was)."""
        pool_bound, pool_package, discarded = np.zeros(0), np.zeros(0, dtype=np.int64), np.inf
        stack = [(self.tree.base[None, :], self.base[None], 0)]
        while stack:
            codes, sums, level = stack.pop()
            if codes.shape[0] == 0:
                continue
            if level == self.tree.depth:
                pool_bound = np.concatenate([pool_bound, self.lower(sums, level)])
                packages = np.ravel_multi_index(tuple(codes.T), self.preferences.radices)
                pool_package = np.concatenate([pool_package, packages])
                if pool_bound.size > 2 * max_exact:
                    split = np.argpartition(pool_bound, max_exact)
                    discarded = min(discarded, float(pool_bound[split[max_exact:]].min()))
                    pool_bound, pool_package = pool_bound[split[:max_exact]], pool_package[split[:max_exact]]
                continue
            if codes.shape[0] * self.tree.options[level].size > self.max_rows and codes.shape[0] > 1:
                half = codes.shape[0] // 2
                stack += [(codes[half:], sums[half:], level), (codes[:half], sums[:half], level)]
                continue
            child, child_sums = self.expand(codes, sums, level)
            keep = self.lower(child_sums, level + 1) <= incumbent
            stack.append((child[keep], child_sums[keep], level + 1))
        order = np.lexsort((pool_package, pool_bound))
        if order.size > max_exact:
            discarded = min(discarded, float(pool_bound[order[max_exact]]))
            order = order[:max_exact]
        return pool_bound[order], pool_package[order], discarded


def _groups_like(preferences: Preferences, space: PackageSpace, veto: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per veto party, ``BOUND_GROUPS`` groups of samples, by its shortfall on the package ``codes``."""
    gap = preferences.reservation[veto] - preferences.utilities(space, codes)[veto, 0]
    n_groups = min(BOUND_GROUPS, preferences.samples)
    groups = np.empty(gap.shape, dtype=np.int64)
    for row in range(veto.size):
        groups[row, np.argsort(gap[row], kind="stable")] = np.arange(preferences.samples) * n_groups // gap.shape[1]
    return groups
