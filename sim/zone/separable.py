"""A party's own best completion of an offer where it is settled component by component, with a certificate.

A party's utility is additive over issues plus pairwise links, and the constraints couple only a few issues. So the
free issues of a completion fall into *components* (issues joined by a constraint or by a link of the party's), and
the best completion is the best option combination of each component taken independently: a few small grids scored
over every sample at once, instead of a branch and bound over (partial package, sample) pairs
(``sim.zone.own_best``), which walks every sample down every level (the option blockers of the baseline: 376 searches,
~7 s).

That best is the utility of one completion, evaluated with the very float operations of ``Preferences.utilities``
(``utilities_at``). It is *the* maximum of those floats when no other completion comes near it: in a sample where
every component's best combination beats its second by more than the float error of any sum (a bound from the
terms' magnitudes, never below ``UTILITY_SLACK``), every other completion is below it in reals by more than twice
that error, so below it in floats too. In the other samples — near ties, a party indifferent between options in
some samples — :func:`settled_best` says so and the caller searches them exactly; the answer is the same bit for bit
either way (``tests/test_closest.py``).
"""

from __future__ import annotations

from math import prod

import numpy as np

from sim.zone.closest import UTILITY_SLACK, Tree, live_links
from sim.zone.preferences import LinkTerm, Preferences, memo, utilities_at
from sim.zone.space import violated

MAX_GRID = 4096  # option combinations of one component scored at once; a larger component is searched instead
FLOAT_ERROR = 2.0**-50  # per term and unit of magnitude: 8x the rounding bound of a sequential float sum


def settled_best(
    tree: Tree, preferences: Preferences, party: int, links: list[LinkTerm]
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(best, settled)`` per sample: the party's highest utility over the completions of ``tree`` (``-inf`` where
    there is none) where ``settled``, and whether it is proven there; None when a component is too large to grid."""
    samples = preferences.samples
    contributions = preferences.contributions[party]  # [issue, option, sample]
    live = [(level, link) for level, link in live_links(tree, links) if level >= 0]
    components = _components(tree, live)
    if any(prod(tree.options[level].size for level in levels) > MAX_GRID for levels in components):
        return None
    coupled = {level for level, _ in live} | {level for level, checks in enumerate(tree.checks) if checks}
    alone = [levels[0] for levels in components if len(levels) == 1 and levels[0] not in coupled]
    codes = np.repeat(tree.base[None, :], samples, axis=0)
    margin = _alone_best(tree, preferences, party, alone, codes)
    everyone = np.arange(samples)
    for levels in components:
        if len(levels) == 1 and levels[0] in alone:
            continue
        grid = _grid(tree, levels)
        ok = np.ones(grid.shape[0], dtype=bool)
        for level in levels:
            for violation in tree.checks[level]:
                ok &= ~violated(grid, violation)
        if not ok.any():  # no completion at all: -inf in every sample, proven
            return np.full(samples, -np.inf), np.ones(samples, dtype=bool)
        issues = [tree.free[level] for level in levels]
        component = [link for level, link in live if level in levels]
        choice, lead = _component_best(tree, preferences, party, levels, component, grid[ok])
        codes[:, issues] = choice
        margin = np.minimum(margin, lead)
    best = utilities_at(preferences, codes, everyone, [party])[0]
    known = memo(preferences)
    if ("error", party) not in known:
        known["error", party] = _float_error(contributions, links, len(preferences.radices))
    return best, margin > known["error", party]


def _component_best(
    tree: Tree, preferences: Preferences, party: int, levels: list[int], links: list[LinkTerm], grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The best of the feasible combinations ``grid`` of a component's issues per sample (their options, ``[sample,
    issue]``) and its lead over the second best distinct combination. It depends only on the grid's rows (the
    component's options and the fixed options its links see) and the party: settled once per set of preferences,
    as every offer leaving the component open asks the same. So the memo is keyed by those columns alone: the
    other columns hold whatever the offer fixes elsewhere, which neither the values below nor ``_distinct`` read
    (keyed by the whole rows, the baseline's option blockers missed the memo 529 times in 690)."""
    known = memo(preferences)
    issues = [tree.free[level] for level in levels]
    seen = sorted({*issues, *(i for link in links for i in (link.first[0], link.second[0]))})
    key = ("component", party, tuple(issues), tuple(map(id, links)), np.ascontiguousarray(grid[:, seen]).tobytes())
    if key in known:
        found: tuple[np.ndarray, np.ndarray] = known[key]
        return found
    samples = preferences.samples
    contributions = preferences.contributions[party]
    grid = _distinct(grid, tree, levels, contributions, links)
    value = np.zeros((grid.shape[0], samples))
    for issue in issues:
        value += contributions[issue, grid[:, issue]]
    for link in links:
        value[link.holds(grid)] += link.delta
    top = np.argmax(value, axis=0)
    lead = np.full(samples, np.inf)
    if grid.shape[0] > 1:
        everyone = np.arange(samples)
        best = value[top, everyone]
        value[top, everyone] = -np.inf
        lead = best - value.max(axis=0)
    known[key] = (grid[top][:, issues], lead)
    return known[key]


def _alone_best(tree: Tree, preferences: Preferences, party: int, levels: list[int], codes: np.ndarray) -> np.ndarray:
    """Issues no constraint or live link ties to another: each takes its best option in each sample (written into
    ``codes``); returns per sample the smallest lead of a best option over the next *different* value (an option
    worth exactly the same float in that sample adds the same float: not a tie that matters). Each (party, issue,
    options) is settled once per set of preferences: every offer and option of a run asks about the same ones."""
    margin = np.full(codes.shape[0], np.inf)
    known = memo(preferences)
    for level in levels:
        issue, options = tree.free[level], tree.options[level]
        key = ("alone", party, issue, options.tobytes())
        if key not in known:
            value = preferences.contributions[party, issue, options]  # [option, sample]
            top = np.argmax(value, axis=0)
            best = value.max(axis=0)
            second = np.where(value == best, -np.inf, value).max(axis=0)
            known[key] = (options[top], best - second)
        choice, lead = known[key]
        codes[:, issue] = choice
        margin = np.minimum(margin, lead)
    return margin


def _components(tree: Tree, live: list[tuple[int, LinkTerm]]) -> list[list[int]]:
    """The levels of the tree grouped into components: levels joined by a constraint checked at one of them or by a
    live link between two free issues."""
    parent = list(range(tree.depth))

    def root(level: int) -> int:
        while parent[level] != level:
            parent[level] = parent[parent[level]]
            level = parent[level]
        return level

    def join(levels: list[int]) -> None:
        for level in levels[1:]:
            parent[root(level)] = root(levels[0])

    for checks in tree.checks:
        for violation in checks:
            join([tree.free.index(i) for i, _ in violation if i in tree.free])
    for _, link in live:
        join([tree.free.index(i) for i in (link.first[0], link.second[0]) if i in tree.free])
    groups: dict[int, list[int]] = {}
    for level in range(tree.depth):
        groups.setdefault(root(level), []).append(level)
    return list(groups.values())


def _grid(tree: Tree, levels: list[int]) -> np.ndarray:
    """Every combination of the options of ``levels`` (the other issues at the tree's base), as package codes."""
    sizes = [tree.options[level].size for level in levels]
    index = np.indices(sizes).reshape(len(levels), -1)
    grid = np.repeat(tree.base[None, :], index.shape[1], axis=0)
    for row, level in enumerate(levels):
        grid[:, tree.free[level]] = tree.options[level][index[row]]
    return grid


def _distinct(
    grid: np.ndarray, tree: Tree, levels: list[int], contributions: np.ndarray, links: list[LinkTerm]
) -> np.ndarray:
    """The combinations of ``grid`` whose terms differ from every earlier one's in some sample: two combinations
    giving every issue a contribution identical in every sample and holding the same links add the same floats to
    any completion, so keeping one is exact (an issue the party does not weigh is one choice, not a tie)."""
    signature = []
    for level in levels:
        issue = tree.free[level]
        kinds: dict[bytes, int] = {}
        lookup = np.zeros(int(tree.options[level].max()) + 1, dtype=np.int64)
        for option in tree.options[level]:
            lookup[option] = kinds.setdefault(contributions[issue, option].tobytes(), len(kinds))
        signature.append(lookup[grid[:, issue]])
    signature += [link.holds(grid).astype(np.int64) for link in links]
    _, first = np.unique(np.stack(signature, axis=1), axis=0, return_index=True)
    return grid[np.sort(first)]


def _float_error(contributions: np.ndarray, links: list[LinkTerm], n_issues: int) -> np.ndarray:
    """Per sample, more than twice the rounding error of any float utility sum or component sum: the number of
    terms times the largest possible sum of their magnitudes times ``FLOAT_ERROR`` (at least ``UTILITY_SLACK``)."""
    magnitude = np.abs(contributions).max(axis=1).sum(axis=0)  # padding options are 0
    for link in links:
        magnitude = magnitude + np.abs(link.delta)
    return np.maximum(UTILITY_SLACK, (n_issues + len(links)) * magnitude * FLOAT_ERROR)
