"""What comes closest when nothing is acceptable: the package (or completion of an offer) with the smallest total
shortfall below the veto parties' reservations, and why an offer cannot be completed into the zone.

When no package is in the zone in any sample there is no "best package" to report; an honest answer is the
package that misses by the least. A veto party's *shortfall* on a package is the mean over samples of how far
its utility falls below its reservation, ``mean_s max(0, r_ps - u_ps(x))`` (0 in a sample where it accepts);
the total is the sum over veto parties. Candidates hold no red line of a veto party (a red line is a refusal,
not a distance) except those the caller must keep, such as the options an offer fixes.

Searching 10^6+ packages with per-sample utilities would cost as much as scoring the zone again, so the search is
exact branch-free bounding: by Jensen's inequality the shortfall is at least ``max(0, mean r_p - E u_p(x))``,
which needs only expected utilities (cheap, chunked over packages). Packages are then scored exactly in order of
that lower bound until the next bound exceeds the best exact total, which proves the minimum.

Only the public core API is used (``PackageSpace.codes/feasible/holds_any``, ``Preferences.utilities``,
``expected_utility``), so the answer follows whatever utility model the core implements.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from sim.zone.preferences import Preferences, expected_utility
from sim.zone.space import PackageSpace

SCAN_CHUNK = 2**16
EXACT_BATCH = 256
MAX_EXACT = 16_384
BOUND_SLACK = 1e-6  # float32 utilities vs float64 expectations: a lower bound is lowered by this much


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
    fix = fix or {}
    veto = np.flatnonzero(preferences.veto)
    mean_reservation = preferences.reservation[veto].astype(np.float64).mean(axis=1)
    choices = option_choices(space, fix, avoid or [])
    count = prod(c.size for c in choices)
    pool_bound = np.zeros(0)
    pool_index = np.zeros(0, dtype=np.int64)
    discarded = np.inf  # smallest lower bound among candidates dropped from the pool
    for start in range(0, count, SCAN_CHUNK):
        stop = min(start + SCAN_CHUNK, count)
        codes = choice_codes(choices, np.arange(start, stop, dtype=np.int64))
        allowed = space.feasible(codes)
        bound = np.maximum(mean_reservation[:, None] - expected_utility(preferences, codes)[veto], 0.0).sum(axis=0)
        keep = np.flatnonzero(allowed)
        pool_bound = np.concatenate([pool_bound, bound[keep] - BOUND_SLACK])
        pool_index = np.concatenate([pool_index, start + keep])
        if pool_bound.size > 2 * max_exact:
            split = np.argpartition(pool_bound, max_exact)
            discarded = min(discarded, float(pool_bound[split[max_exact:]].min()))
            pool_bound, pool_index = pool_bound[split[:max_exact]], pool_index[split[:max_exact]]
    if pool_index.size == 0:
        return None
    order = np.lexsort((pool_index, pool_bound))
    if order.size > max_exact:
        discarded = min(discarded, float(pool_bound[order[max_exact]]))
        order = order[:max_exact]
    pool_bound, pool_index = pool_bound[order], pool_index[order]
    best_total, best_package, best_short = np.inf, -1, np.zeros(len(preferences.party_ids))
    evaluated, proven = 0, False
    for start in range(0, pool_index.size, EXACT_BATCH):
        if pool_bound[start] > best_total:
            proven = True
            break
        index = pool_index[start : start + EXACT_BATCH]
        codes = choice_codes(choices, index)
        short = shortfalls(preferences, space, codes)
        total = short[veto].sum(axis=0)
        evaluated += index.size
        packages = space.package(codes)
        candidate = np.lexsort((packages, total))[0]
        if (total[candidate], packages[candidate]) < (best_total, best_package):
            best_total, best_package, best_short = (
                float(total[candidate]),
                int(packages[candidate]),
                short[:, candidate],
            )
    else:
        proven = best_total < discarded
    return Closest(best_package, best_short, best_total, proven, evaluated)


@dataclass(frozen=True)
class OwnBest:
    """Per party, over samples: how often even its own best completion of an offer is below its reservation."""

    below: np.ndarray
    shortfall: np.ndarray


def own_best_completion(
    space: PackageSpace, preferences: Preferences, fix: dict[int, int], red_lines: list[list[tuple[int, int]]]
) -> OwnBest:
    """Each party's best completion of ``fix`` in each sample, as a share of samples below its reservation and
    the mean shortfall ``mean_s max(0, r_ps - max_x u_ps(x))``.

    The maximum is taken issue by issue over the free issues (options a party red-lines excluded for it), from
    utilities of one-issue variations of a base completion: exact for utilities that add up over issues, and an
    upper bound when constraints forbid some combinations, so "below its reservation" is never overstated.
    """
    free = [i for i in range(len(space.radices)) if i not in fix]
    base = np.array([[fix.get(i, 0) for i in range(len(space.radices))]], dtype=np.int64)
    variations = [base]
    for issue in free:
        varied = np.repeat(base, space.radices[issue], axis=0)
        varied[:, issue] = np.arange(space.radices[issue])
        variations.append(varied)
    codes = np.concatenate(variations)
    utilities = preferences.utilities(space, codes).astype(np.float64)
    base_utility = utilities[:, 0, :]
    best = base_utility.copy()
    never = {combo[0] for combo in space.forbidden if len(combo) == 1}
    row = 1
    for issue in free:
        delta = utilities[:, row : row + space.radices[issue], :] - base_utility[:, None, :]
        for p, options in enumerate(red_lines):
            for i, o in (*options, *never):
                if i == issue:
                    delta[p, o] = -np.inf
        best += delta.max(axis=1)
        row += space.radices[issue]
    gap = preferences.reservation.astype(np.float64) - best
    return OwnBest(below=(gap > 0).mean(axis=1), shortfall=np.maximum(gap, 0.0).mean(axis=1))
