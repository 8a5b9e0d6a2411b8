"""Efficiency and fairness over the package space: Pareto frontier, Nash, Kalai–Smorodinsky, egalitarian.

Utilities are linear-additive, so the frontier of the whole grid is built issue by issue: the frontier of a
product of issue groups lies inside the sum of the groups' frontiers, hence after adding each issue only the
undominated partial packages need to be kept (the multi-objective dynamic programme of Pareto sums). This is
exact and never enumerates the 10^6+ packages. Constraints that span issues are respected by pruning only among
partial packages that are equally "armed" for the constraints still to come.

Utilities are compared as exact integers of 1e-8 (``sim.zone.preferences``): equal utilities reached through
different decimal contributions are equal, so a package is dominated only when another is at least as good for
every party *and* better for one — never because of a rounding error (a 2^-20 floor once put dominated packages on
the frontier of 11 of 83 ANAC domains). Links (pairwise terms) are exact too: a partial package's future link terms
depend only on whether it holds each link's decided option, so, as for constraints, pruning is done only among
partial packages that agree on those options.

Objectives are the veto parties' *expected* utilities; a package is acceptable (for the bargaining solutions)
when it breaks no veto party's certain red line and every veto party's expected utility reaches its mean
reservation (the same tie rule as everywhere).
Every solution is taken among acceptable packages, and ties are broken by the larger utility sum, so each one
lies on the frontier (Nash 1950; Kalai & Smorodinsky 1975).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.zone.preferences import UNIT, LinkTerm, Preferences, acceptance_threshold, expected_utility, to_units
from sim.zone.space import PackageSpace, Violation

CHUNK = 512


def dominated_by(candidates: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each candidate row, whether some row of ``others`` Pareto-dominates it (>= everywhere, > somewhere).

    Rows are integers (exact units), so a row that is >= everywhere is > somewhere exactly when its sum is larger:
    one comparison of sums replaces d, and each objective is one 2-D comparison (a reduction over a short last axis
    costs numpy several times more; the dense benchmark's 5-party frontier took 11 s of 15 that way). A candidate
    found dominated is not compared again: ``pareto_mask`` passes others in decreasing sum, so most fall early.
    """
    result = np.zeros(len(candidates), dtype=bool)
    candidate_sums = candidates.sum(axis=1)
    open_rows = np.arange(len(candidates))  # candidates not yet known to be dominated: only they are compared
    for start in range(0, len(others), CHUNK):
        if open_rows.size == 0:
            break
        block = others[start : start + CHUNK]
        rows = candidates[open_rows]
        dominated = block.sum(axis=1)[None, :] > candidate_sums[open_rows, None]
        for k in range(candidates.shape[1]):
            dominated &= block[None, :, k] >= rows[:, k, None]
        hit = dominated.any(axis=1)
        result[open_rows[hit]] = True
        open_rows = open_rows[~hit]
    return result


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Mask of the undominated rows of ``values`` (m points x d objectives); equal points are all kept.

    Points are visited in decreasing utility sum, so a point can only be dominated by points already visited
    (or in its own chunk): each chunk is compared with the frontier so far and with itself.
    """
    values = to_units(values) if values.dtype.kind == "f" else values
    order = np.argsort(-values.sum(axis=1), kind="stable")
    ordered = values[order]
    keep = np.zeros(len(values), dtype=bool)
    front = np.empty((0, values.shape[1]), dtype=values.dtype)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        beaten = dominated_by(chunk, front) | dominated_by(chunk, chunk)
        keep[start : start + len(chunk)] = ~beaten
        front = np.concatenate([front, chunk[~beaten]])
    mask = np.empty(len(values), dtype=bool)
    mask[order] = keep
    return mask


@dataclass(frozen=True, eq=False)
class Frontier:
    """Frontier packages (numbers and option indices) with the veto parties' expected utilities.

    ``units`` and ``threshold`` are the exact integers compared; ``utilities`` and ``reservation`` are reals.
    """

    party_ids: tuple[str, ...]
    packages: np.ndarray
    codes: np.ndarray
    units: np.ndarray
    threshold: np.ndarray
    utilities: np.ndarray
    reservation: np.ndarray

    @classmethod
    def of(
        cls,
        party_ids: tuple[str, ...],
        packages: np.ndarray,
        codes: np.ndarray,
        utilities: np.ndarray,
        reservation: np.ndarray,
    ) -> Frontier:
        """Packages with real utilities ``[package, party]`` and reservations, compared by the one tie rule."""
        return cls(
            party_ids, packages, codes, to_units(utilities), acceptance_threshold(reservation), utilities, reservation
        )


def _allowed_options(space: PackageSpace, preferences: Preferences, veto: np.ndarray) -> list[list[int]]:
    banned = {ref for p in veto for ref in preferences.red_lines[p]}
    banned |= {
        (i, o) for violation in space.violations if len(violation) == 1 for i, options in violation for o in options
    }
    return [[o for o in range(r) if (i, o) not in banned] for i, r in enumerate(space.radices)]


def pareto_frontier(space: PackageSpace, preferences: Preferences, individually_rational: bool = False) -> Frontier:
    """Exact Pareto frontier of the feasible, red-line-free packages over veto parties' expected utilities.

    With ``individually_rational``, only the frontier packages whose expected utility reaches every veto party's
    mean reservation: the *negotiation set* (Raiffa 1982, ch. 11), where every bargaining solution lies. It is the
    frontier of the whole space restricted to those packages (a package dominating an acceptable one is acceptable
    too), and is built far faster: a partial package whose best possible completion (its utility so far plus the
    largest contribution still available on every open issue and every link bonus still possible) stays below a
    party's reservation is dropped at once. On the baseline this keeps 446 of the 17,503 frontier packages.
    """
    veto = np.flatnonzero(preferences.veto)
    expected = to_units(preferences.expected_contributions[veto])
    links = [(int(np.flatnonzero(veto == link.party)[0]), link) for link in preferences.links if link.party in veto]
    allowed = _allowed_options(space, preferences, veto)
    spanning = [violation for violation in space.violations if len(violation) > 1]
    reservation = preferences.reservation[veto].mean(axis=1)
    headroom = _headroom(expected, allowed, links) if individually_rational else None
    threshold = acceptance_threshold(reservation)
    codes = np.zeros((1, 0), dtype=np.int64)
    values = np.zeros((1, len(veto)), dtype=np.int64)
    for issue, options in enumerate(allowed):
        codes = np.concatenate(
            [np.repeat(codes, len(options), axis=0), np.tile(np.array(options, dtype=np.int64), len(codes))[:, None]],
            axis=1,
        )
        values = np.repeat(values, len(options), axis=0) + np.tile(expected[:, issue, options].T, (len(values), 1))
        for column, link in links:
            if max(link.first[0], link.second[0]) == issue:
                values[link.holds(codes), column] += to_units(link.delta.mean())
        ok, signature = _constraint_state(codes, spanning, issue)
        signature = np.concatenate([signature, _link_state(codes, [link for _, link in links], issue)], axis=1)
        if headroom is not None:
            ok &= (values + headroom[issue][None, :] >= threshold[None, :]).all(axis=1)
        codes, values, signature = codes[ok], values[ok], signature[ok]
        keep = np.zeros(len(codes), dtype=bool)
        for group in np.unique(signature, axis=0):
            members = np.flatnonzero((signature == group).all(axis=1))
            keep[members[pareto_mask(values[members])]] = True
        codes, values = codes[keep], values[keep]
    packages = space.package(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    order = np.argsort(packages)
    return Frontier(
        tuple(preferences.party_ids[p] for p in veto),
        packages[order],
        codes[order],
        values[order],
        threshold,
        expected_utility(preferences, codes[order])[veto].T if len(codes) else np.zeros((0, len(veto))),
        reservation,
    )


def _headroom(expected: np.ndarray, allowed: list[list[int]], links: list[tuple[int, LinkTerm]]) -> np.ndarray:
    """``[last decided issue, party]``: the most a partial package can still gain, in units (an upper bound).

    The largest allowed contribution of every open issue, plus every link bonus not yet counted that is positive.
    """
    parties = expected.shape[0]
    best = np.stack(
        [
            expected[:, i, options].max(axis=1) if options else np.zeros(parties, expected.dtype)
            for i, options in enumerate(allowed)
        ]
    )
    after = np.concatenate([np.cumsum(best[::-1], axis=0)[::-1][1:], np.zeros((1, best.shape[1]), best.dtype)])
    for column, link in links:
        bonus = max(int(to_units(link.delta.mean())), 0)
        after[: max(link.first[0], link.second[0]), column] += bonus
    return after


def _link_state(codes: np.ndarray, links: list[LinkTerm], last_issue: int) -> np.ndarray:
    """For links with one issue decided and the other still open: does the partial package hold the decided option?"""
    columns = [np.zeros(len(codes), dtype=bool)]
    for link in links:
        decided = [side for side in (link.first, link.second) if side[0] <= last_issue]
        if len(decided) == 1:
            columns.append(codes[:, decided[0][0]] == decided[0][1])
    return np.stack(columns, axis=1)


def _constraint_state(codes: np.ndarray, spanning: list[Violation], last_issue: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop partial packages that complete a violation; flag those that half-hold one (armed)."""
    ok = np.ones(len(codes), dtype=bool)
    armed = np.zeros((len(codes), max(len(spanning), 1)), dtype=bool)
    for c, combo in enumerate(spanning):
        seen = [(i, options) for i, options in combo if i <= last_issue]
        holds = np.ones(len(codes), dtype=bool)
        for i, options in seen:
            holds &= np.isin(codes[:, i], list(options))
        if len(seen) == len(combo):
            ok &= ~holds
        elif seen:
            armed[:, c] = holds
    return ok, armed


@dataclass(frozen=True)
class Solution:
    name: str
    package: int
    codes: tuple[int, ...]
    utilities: tuple[float, ...]
    gains: tuple[float, ...]


SOLUTIONS = ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian")


def bargaining_solutions(frontier: Frontier, names: tuple[str, ...] = SOLUTIONS) -> dict[str, Solution | None]:
    """Nash, Kalai–Smorodinsky, egalitarian and utilitarian packages among acceptable frontier packages (``names``:
    only those; a negotiation run's talks-versus-zone columns need two of the four, thousands of times)."""
    one = replace(frontier, threshold=frontier.threshold[None, :], reservation=frontier.reservation[None, :])
    return stacked_solutions(one, np.array([0, len(frontier.packages)]), names)[0]


def stacked_solutions(
    frontier: Frontier, bounds: np.ndarray, names: tuple[str, ...] = SOLUTIONS
) -> list[dict[str, Solution | None]]:
    """The bargaining solutions of several frontiers stacked in one: rows ``bounds[f]:bounds[f + 1]`` are frontier f,
    whose threshold and reservation are ``frontier.threshold[f]`` and ``frontier.reservation[f]``.

    Why stacked: a negotiation chunk asks them of every run's zone, and one pass over all the rows costs what one
    frontier did. Every number is computed per row (gains, scores, sums) or per frontier (Kalai–Smorodinsky's ideal:
    a maximum, exact), with the same operations as for the frontier alone, and each frontier's winner is its first
    row in the same order (score down, utility sum down, package up), so each frontier's solutions are its own.
    """
    owner = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))  # the frontier of each row
    gains = frontier.utilities - frontier.reservation[owner]
    unit_gains = (frontier.units - to_units(frontier.reservation)[owner]) * UNIT
    acceptable = np.flatnonzero((frontier.units >= frontier.threshold[owner]).all(axis=1))
    found: list[dict[str, Solution | None]] = [dict.fromkeys(names) for _ in range(len(bounds) - 1)]
    if acceptable.size == 0:
        return found
    g = np.maximum(unit_gains[acceptable], 0.0)
    of_row = owner[acceptable]
    score_of = {
        "nash": lambda: np.prod(g, axis=1),
        "kalai_smorodinsky": lambda: (g / _scale(g, of_row)).min(axis=1),
        "egalitarian": lambda: g.min(axis=1),
        "utilitarian": lambda: g.sum(axis=1),
    }
    scores = {name: score_of[name]() for name in names}
    total = g.sum(axis=1)
    for name, score in scores.items():
        order = np.lexsort((frontier.packages[acceptable], -total, -score, of_row))
        first = order[np.flatnonzero(np.diff(of_row[order], prepend=-1))]  # each frontier's first row
        best = acceptable[first]
        for owner_of, package, codes, utilities, gained in zip(
            of_row[first].tolist(),
            frontier.packages[best].tolist(),
            frontier.codes[best].tolist(),
            frontier.utilities[best].tolist(),
            gains[best].tolist(),
            strict=True,
        ):  # Python ints and floats, as int() and float() give
            found[owner_of][name] = Solution(name, int(package), tuple(codes), tuple(utilities), tuple(gained))
    return found


def _scale(gains: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Each party's ideal gain among the acceptable packages of a row's frontier (``owner``: non-decreasing; 1 where
    it gains nothing), Kalai–Smorodinsky's unit, one row per row of ``gains``."""
    starts = np.flatnonzero(np.diff(owner, prepend=-1))
    ideal = np.maximum.reduceat(gains, starts, axis=0)
    scale = np.where(ideal > 0, ideal, 1.0)
    return scale[np.cumsum(np.diff(owner, prepend=-1) != 0) - 1]
