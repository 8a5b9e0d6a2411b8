"""The numbers of a draft (a partial package) and of the zone, counted from the zone's (package, sample) pairs.

A draft is scored as ``negsim score --fix`` scores it (``sim.studies.score``): the share of samples in which some
completion is in the zone, the completion most often in the zone (ties: the lowest package number) or, when none
ever is, the closest one (``sim.zone.closest``), and that package's full scores (``package_scores``: each party's
acceptance with its interval, expected utility, mean reservation, red lines held, blockers). Counting over the
zone's pairs gives the same share and the same completion as the CLI's pass over every completion.

Each party's *could accept* is the share of samples in which some completion of the draft reaches its reservation
and holds none of its red lines that hold there (``sim.zone.own_best``: the party's own best completion, exact;
samples are grouped by which of its uncertain red lines hold). It is compared with the reservation in integer
units as acceptance is (``sim.zone.preferences``); the best utility is one float sum, so a completion whose utility
is within about 1e-7 of ``reservation - 1e-6`` could be judged differently from the per-term integer sum (a
tolerance four orders below any difference a stated value makes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.studies.score import PackageScores, package_scores
from sim.studies.zone_pairs import ZonePairs, samples_hit
from sim.zone.intervals import proportion_interval
from sim.zone.offers import TargetContext
from sim.zone.own_best import could_accept, own_best
from sim.zone.space import PackageSpace

Fix = dict[int, int]


@lru_cache(maxsize=65536)
def estimate(count: int, samples: int) -> tuple[float, float, float]:
    """(p, low, high): a share of samples with its 95 % Monte-Carlo interval (cached: a page shows a hundred)."""
    low, high = proportion_interval(int(count), samples)
    return count / samples, float(low), float(high)


def hit_vector(samples: np.ndarray, n_samples: int) -> np.ndarray:
    """Per sample, whether some of the given pairs lie in it."""
    return np.bincount(samples, minlength=n_samples) > 0


@dataclass(frozen=True, eq=False)
class DraftScores:
    """A draft's completion share and per-sample hits, its shown completion and that package's full scores."""

    fix: Fix
    hits: np.ndarray  # [sample] some completion in the zone
    completion: str  # "best" | "closest" | "none"
    package: int
    scores: PackageScores | None
    accepts: np.ndarray  # [party, sample] acceptance of the shown package
    utility: np.ndarray  # [party, sample] real utility of the shown package
    could: np.ndarray  # [party, sample] some completion acceptable to the party alone


def best_completion(zone: ZonePairs, fix: Fix) -> tuple[int, int]:
    """(package, zone count) of the completion of ``fix`` most often in the zone; ties: lowest number; (-1, 0)."""
    packages = zone.packages[zone.matching(fix)]
    if packages.size == 0:
        return -1, 0
    unique, counts = np.unique(packages, return_counts=True)
    top = int(np.argmax(counts))  # unique is sorted, argmax takes the first: the lowest number among ties
    return int(unique[top]), int(counts[top])


def score_draft(context: TargetContext, zone: ZonePairs, fix: Fix, could: np.ndarray | None = None) -> DraftScores:
    """The draft's numbers; ``could`` (each party's could-accept, ``[party, sample]``) when already known."""
    space, preferences = context.space, context.preferences
    hits = hit_vector(zone.samples[zone.matching(fix)], preferences.samples)
    package, _ = best_completion(zone, fix)
    completion = "best"
    if package < 0:
        found = context.closest(fix)
        completion, package = ("closest", found.package) if found else ("none", -1)
    if could is None:
        could = np.stack(
            [could_accept(preferences, p, own_best(space, preferences, p, fix)) for p in range(preferences.n_parties)]
        )
    if package < 0:
        empty = np.zeros((preferences.n_parties, preferences.samples))
        return DraftScores(fix, hits, completion, package, None, empty.astype(bool), empty, could)
    codes = space.codes(np.array([package]))
    accepts = preferences.acceptable(space, codes)[:, 0, :]
    utility = preferences.utilities(space, codes)[:, 0, :]
    scores = package_scores(context.scenario, space, preferences, package)
    return DraftScores(fix, hits, completion, package, scores, accepts, utility, could)


@dataclass(frozen=True, eq=False)
class ZoneSummary:
    """Zone-wide numbers: per-sample non-emptiness, mass, ranked packages, and per option its hits count."""

    nonempty: np.ndarray  # [sample]
    mass: float
    top: list[tuple[int, int]]  # (package, zone count), most often first, ties lowest number
    by_option: list[np.ndarray]  # per issue, per option: samples with some package holding it in the zone


def summarize_zone(space: PackageSpace, zone: ZonePairs, n_samples: int, top: int = 8) -> ZoneSummary:
    nonempty = hit_vector(zone.samples, n_samples)
    unique, counts = np.unique(zone.packages, return_counts=True)
    order = np.lexsort((unique, -counts))[:top]
    by_option = []
    for issue, radix in enumerate(space.radices):
        key = np.unique(zone.codes[:, issue] * n_samples + zone.samples) // n_samples
        by_option.append(np.bincount(key, minlength=radix))
    return ZoneSummary(
        nonempty,
        len(zone) / n_samples,
        [(int(unique[k]), int(counts[k])) for k in order],
        by_option,
    )


def hits_count(zone: ZonePairs, fix: Fix, n_samples: int) -> int:
    return samples_hit(zone.samples[zone.matching(fix)], n_samples)
