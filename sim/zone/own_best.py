"""Each party's own best completion of a partial package (an offer), per sample: is even the best it could get
below its reservation? This is how a run explains an offer no sample puts in the zone (``sim.zone.offers``).

The maximum of a party's utility (additive over issues, plus its pairwise links) over the feasible completions
holding none of its red lines is found exactly by branch and bound over (partial package, sample) pairs, with the
tree of completions of ``sim.zone.closest`` (Land & Doig 1960; the pattern of ``sim.zone.search``): the utility so
far plus each open issue's best contribution *in that sample* (plus the positive link terms still possible) bounds
every completion; a greedy completion gives each sample a first incumbent, so almost every pair is pruned at once.
The survivors are evaluated with the very float operations of ``Preferences.utilities`` (same terms, same order),
so the maximum is the enumerated one bit for bit (``tests/test_closest.py`` proves it on random scenarios).

Most samples never need the search: ``sim.zone.separable`` settles the best completion component by component and
proves it wherever no near tie could change the float maximum; only the remaining samples are searched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.zone.closest import MAX_NODES, UTILITY_SLACK, Tree, live_links, search_tree
from sim.zone.preferences import LinkTerm, Preferences, memo, to_units, utilities_at
from sim.zone.separable import settled_best
from sim.zone.space import PackageSpace, violated


@dataclass(frozen=True)
class OwnBest:
    """Per party, over samples: how often even its own best completion of an offer is below its reservation."""

    below: np.ndarray
    shortfall: np.ndarray


def own_best_completion(
    space: PackageSpace, preferences: Preferences, fix: dict[int, int], red_lines: list[list[tuple[int, int]]]
) -> OwnBest:
    """Each party's best completion of ``fix`` in each sample, as a share of samples below its reservation and
    the mean shortfall ``mean_s max(0, r_ps - max_x u_ps(x))``: the maximum over every feasible completion holding
    none of the party's ``red_lines`` (``-inf``, so always below, when there is none)."""
    best = np.stack(
        [best_completion_utility(space, preferences, p, fix, list(red_lines[p])) for p in range(preferences.n_parties)]
    )
    gap = preferences.reservation.astype(np.float64) - best
    return OwnBest(below=(gap > 0).mean(axis=1), shortfall=np.maximum(gap, 0.0).mean(axis=1))


def best_completion_utility(
    space: PackageSpace, preferences: Preferences, party: int, fix: dict[int, int], avoid: list[tuple[int, int]]
) -> np.ndarray:
    """Per sample, the party's highest utility over the feasible completions of ``fix`` holding none of ``avoid``
    (``-inf`` where there is none): settled component by component where that is proven (``sim.zone.separable``),
    by branch and bound over (partial package, sample) pairs in the other samples."""
    samples = preferences.samples
    if any(fix.get(i) == o for i, o in avoid):
        return np.full(samples, -np.inf)
    links = [link for link in preferences.links if link.party == party]
    tree = search_tree(space, fix, avoid, _alike(space, preferences, party, links))
    if tree is None:
        return np.full(samples, -np.inf)
    settled = settled_best(tree, preferences, party, links)
    if settled is None:
        return _search(tree, preferences, party, links)
    best, proven = settled
    if not proven.all():  # near ties: search those samples exactly
        rest = np.flatnonzero(~proven)
        alone = party_samples(preferences, party, rest)
        best[rest] = _search(tree, alone, 0, list(alone.links))
    return best


def _search(tree: Tree, preferences: Preferences, party: int, links: list[LinkTerm]) -> np.ndarray:
    """The branch and bound of :func:`best_completion_utility` over a built tree (``links``: the party's)."""
    samples = preferences.samples
    contributions = preferences.contributions[party]
    live = live_links(tree, links)
    best = _greedy_utility(tree, preferences, party, live)
    suffix = np.zeros((tree.depth + 1, samples))
    for level in range(tree.depth - 1, -1, -1):
        suffix[level] = suffix[level + 1] + contributions[tree.free[level], tree.options[level]].max(axis=0)
    base = np.zeros(samples)
    for issue in range(tree.base.size):
        if issue not in tree.free:
            base += contributions[issue, tree.base[issue]]
    for level, link in live:
        if level < 0:
            base += link.delta
        else:
            suffix[: level + 1] += np.maximum(link.delta, 0.0)
    stack = [(np.repeat(tree.base[None, :], samples, axis=0), np.arange(samples), base, 0)]
    while stack:
        codes, sample, sums, level = stack.pop()
        if sample.size == 0:
            continue
        if level == tree.depth:
            np.maximum.at(best, sample, utilities_at(preferences, codes, sample, [party])[0])
            continue
        if sample.size * tree.options[level].size > MAX_NODES and sample.size > 1:
            half = sample.size // 2
            stack += [
                (codes[half:], sample[half:], sums[half:], level),
                (codes[:half], sample[:half], sums[:half], level),
            ]
            continue
        child, parent = tree.children(codes, level)
        child_sample = sample[parent]
        issue = tree.free[level]
        child_sums = sums[parent] + contributions[issue, child[:, issue], child_sample]
        for link_level, link in live:
            if link_level == level:
                both = link.holds(child)
                child_sums[both] += link.delta[child_sample[both]]
        keep = child_sums + suffix[level + 1, child_sample] + UTILITY_SLACK >= best[child_sample]
        stack.append((child[keep], child_sample[keep], child_sums[keep], level + 1))
    return best


def _alike(
    space: PackageSpace, preferences: Preferences, party: int, links: list[LinkTerm]
) -> Callable[[int, np.ndarray], np.ndarray]:
    """Narrowing for :func:`search_tree`: of the options a party values identically in every sample and that no
    link or multi-issue constraint tells apart, keep the first (an issue a party omits becomes one option, not a
    fan-out of exact ties); once per (party, issue, options) and set of preferences."""
    coupled = {i for violation in space.violations if len(violation) > 1 for i, _ in violation}
    linked = {end for link in links for end in (link.first, link.second)}
    contributions = preferences.contributions[party]
    known = memo(preferences)

    def narrow(issue: int, options: np.ndarray) -> np.ndarray:
        if issue in coupled:
            return options
        key = ("alike", party, issue, options.tobytes(), tuple(sorted(linked)))
        if key not in known:
            known[key] = _narrowed(issue, options)
        narrowed: np.ndarray = known[key]
        return narrowed

    def _narrowed(issue: int, options: np.ndarray) -> np.ndarray:
        seen: set[bytes] = set()
        kept = []
        for option in options:
            key = contributions[issue, option].tobytes()
            if (issue, int(option)) in linked or key not in seen:
                kept.append(option)
            if (issue, int(option)) not in linked:
                seen.add(key)
        return np.array(kept, dtype=np.int64)

    return narrow


def _greedy_utility(tree: Tree, preferences: Preferences, party: int, live: list[tuple[int, LinkTerm]]) -> np.ndarray:
    """A first incumbent per sample: each free issue in turn takes the feasible option worth most in that sample
    (with the links it completes); the utility of that completion, or ``-inf`` where the greedy walk dead-ends."""
    samples = preferences.samples
    contributions = preferences.contributions[party]
    codes = np.repeat(tree.base[None, :], samples, axis=0)
    alive = np.ones(samples, dtype=bool)
    everyone = np.arange(samples)
    for level, issue in enumerate(tree.free):
        options = tree.options[level]
        gain = contributions[issue, options].copy()  # [option, sample]
        for row, option in enumerate(options):
            trial = codes.copy()
            trial[:, issue] = option
            for link_level, link in live:
                if link_level == level:
                    gain[row] += np.where(link.holds(trial), link.delta, 0.0)
            for violation in tree.checks[level]:
                gain[row, violated(trial, violation)] = -np.inf
        choice = np.argmax(gain, axis=0)
        alive &= np.isfinite(gain[choice, everyone])
        codes[:, issue] = options[choice]
    best = np.full(samples, -np.inf)
    best[alive] = utilities_at(preferences, codes[alive], everyone[alive], [party])[0]
    return best


def own_best(space: PackageSpace, preferences: Preferences, party: int, fix: dict[int, int]) -> np.ndarray:
    """Per sample, the party's highest utility over the feasible completions of ``fix`` holding none of its red
    lines that hold in that sample (``-inf`` where there is none). Samples are grouped by which of its uncertain red
    lines hold and each group is searched on its own samples only, so the whole costs about one search whatever the
    number of groups. It does not depend on the reservation: a reservation's slider never recomputes it."""
    reds = [r for r in preferences.red_line_list if r.party == party]
    certain = [r.option for r in reds if r.certain]
    uncertain = [r for r in reds if not r.certain]
    if not uncertain:
        return best_completion_utility(space, preferences, party, fix, certain)
    best = np.full(preferences.samples, -np.inf)
    columns, which = np.unique(np.stack([r.in_sample for r in uncertain]).T, axis=0, return_inverse=True)
    which = which.reshape(-1)
    for k, column in enumerate(columns):
        avoid = certain + [r.option for r, held in zip(uncertain, column, strict=True) if held]
        chosen = np.flatnonzero(which == k)
        best[chosen] = best_completion_utility(space, party_samples(preferences, party, chosen), 0, fix, avoid)
    return best


def party_samples(preferences: Preferences, party: int, samples: np.ndarray) -> Preferences:
    """One party's preferences in some samples only (a one-party set: the party is index 0); the same numbers, so
    its utilities there are the same floats."""
    keep = slice(party, party + 1)
    links = tuple(
        dataclasses.replace(link, party=0, delta=link.delta[samples], delta_units=link.delta_units[samples])
        for link in preferences.links
        if link.party == party
    )
    return dataclasses.replace(
        preferences,
        party_ids=(preferences.party_ids[party],),
        veto=preferences.veto[keep],
        ratifier=preferences.ratifier[keep],
        weights=preferences.weights[samples][:, keep],
        values=preferences.values[samples][:, keep],
        reservation=preferences.reservation[keep][:, samples],
        threshold=preferences.threshold[keep][:, samples],
        contributions=preferences.contributions[keep][..., samples],
        units=preferences.units[keep][..., samples],
        red_line_list=(),
        links=links,
    )


def could_accept(preferences: Preferences, party: int, best: np.ndarray) -> np.ndarray:
    """Per sample, whether the party's own best completion (``own_best``) reaches its reservation."""
    finite = np.isfinite(best)
    result = np.zeros(best.size, dtype=bool)
    result[finite] = to_units(best[finite]) >= preferences.threshold[party, finite]
    return result
