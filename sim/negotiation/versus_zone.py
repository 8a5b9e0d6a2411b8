"""Talks versus the zone: did a run's own preference sample hold a zone, did the talks find it, and how far the
agreement lies from the Nash and Kalai–Smorodinsky packages of the same sample.

Why: an agreement rate alone mixes two failures - no package every veto party accepts (no zone) and a zone the
talks missed. Each run draws one sample of everyone's preferences, so the zone of *that* sample is known exactly,
and the share of runs that fail although a zone existed measures what the protocol itself loses.

The zone is taken over the **whole feasible space**, not only the negotiating table (``sim.negotiation.table``): the
runs of a chunk are stacked into one set of preferences whose sample axis holds one run each (each run's sample is
still drawn from its own seed), and the zone's exact branch and bound (``sim.zone.scoring.ZoneScorer``, per-sample
bounds) lists the (package, run) pairs every veto party accepts - the same integers and tie rule as every zone. So a
run's membership does not depend on which runs share its batch. Work and memory follow the zones, not the space:
at most ``RUN_GROUP`` runs are stacked at once, and a batch whose zones hold more than ``MAX_ZONE_PAIRS`` pairs is
split in halves (down to one run, whose zone is at most the feasible space), so huge zones cost time, not memory.

The bargaining packages come from ``sim.zone.bargaining`` (Nash 1950; Kalai & Smorodinsky 1975) over the run's
whole zone with that run's utilities: the Nash product and the Kalai–Smorodinsky ratio are maximised on the Pareto
frontier, so taking them over every package of the zone gives the same packages as over its frontier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.zone.bargaining import Frontier, Solution, stacked_solutions
from sim.zone.intervals import proportion_interval
from sim.zone.preferences import Preferences, utilities_at
from sim.zone.scoring import ZoneScorer
from sim.zone.space import PackageSpace

RUN_GROUP = 64
MAX_ZONE_PAIRS = 2**22


@dataclass(frozen=True)
class RunZone:
    """One run's zone: how many packages it holds, and its Nash and Kalai–Smorodinsky packages (None if empty)."""

    size: int
    nash: Solution | None
    ks: Solution | None

    def row(self, agreed_utilities: np.ndarray | None) -> dict[str, Any]:
        """Columns of negotiations.parquet; ``agreed_utilities``: veto parties' utilities of the agreement."""
        row: dict[str, Any] = {"zone_exists": self.size > 0, "zone_size": self.size}
        for column, solution in (("nash", self.nash), ("ks", self.ks)):
            row[f"{column}_package"] = solution.package if solution is not None else -1
            row[f"d_{column}"] = (
                float(np.linalg.norm(agreed_utilities - np.array(solution.utilities)))
                if solution is not None and agreed_utilities is not None
                else None
            )
        return row


def take_samples(preferences: Preferences, start: int, stop: int) -> Preferences:
    """The samples ``start:stop`` of a set of preferences (of a chamber's members too), as a set of their own."""
    if (start, stop) == (0, preferences.samples):
        return preferences
    keep = slice(start, stop)
    return replace(
        preferences,
        weights=preferences.weights[keep],
        values=preferences.values[keep],
        reservation=preferences.reservation[:, keep],
        threshold=preferences.threshold[:, keep],
        contributions=np.ascontiguousarray(preferences.contributions[..., keep]),
        units=np.ascontiguousarray(preferences.units[..., keep]),
        red_line_list=tuple(replace(red, in_sample=red.in_sample[keep]) for red in preferences.red_line_list),
        links=tuple(
            replace(link, delta=link.delta[keep], delta_units=link.delta_units[keep]) for link in preferences.links
        ),
        electorates=tuple(
            replace(body, members=tuple(take_samples(member, start, stop) for member in body.members))
            if body.members
            else body
            for body in preferences.electorates
        ),
    )


def run_zones(space: PackageSpace, runs: Preferences) -> list[RunZone]:
    """Each run's zone over the whole feasible space (``runs``: one sample per run), ``RUN_GROUP`` runs per batch."""
    zones: list[RunZone] = []
    for start in range(0, runs.samples, RUN_GROUP):
        zones.extend(_group_zones(space, take_samples(runs, start, min(start + RUN_GROUP, runs.samples))))
    return zones


def _group_zones(space: PackageSpace, preferences: Preferences) -> list[RunZone]:
    scorer = ZoneScorer(space, preferences, [], min_blocks=1)
    found, pairs = [], 0
    for block in scorer.blocks:
        found.append(scorer.zone_pairs(block))
        pairs += len(found[-1])
        if pairs > MAX_ZONE_PAIRS and preferences.samples > 1:
            half = preferences.samples // 2
            return _group_zones(space, take_samples(preferences, 0, half)) + _group_zones(
                space, take_samples(preferences, half, preferences.samples)
            )
    zone = [f.in_zone() for f in found]
    packages = np.concatenate([f.packages for f in zone])
    samples = np.concatenate([f.samples for f in zone])
    codes = np.concatenate([f.codes for f in zone])
    veto = np.flatnonzero(preferences.veto)
    party_ids = tuple(preferences.party_ids[p] for p in veto)
    utilities = utilities_at(preferences, codes, samples, [int(p) for p in veto]).T
    order = np.argsort(samples, kind="stable")
    bounds = np.searchsorted(samples[order], np.arange(preferences.samples + 1))
    reservation = preferences.reservation[veto].T  # [run, party]: each run's zone is one stacked frontier
    frontiers = Frontier.of(party_ids, packages[order], codes[order], utilities[order], reservation)
    solutions = stacked_solutions(frontiers, bounds, ("nash", "kalai_smorodinsky"))
    return [
        RunZone(int(size), found["nash"], found["kalai_smorodinsky"]) if size else RunZone(0, None, None)
        for size, found in zip(np.diff(bounds).tolist(), solutions, strict=True)
    ]


def _share(successes: int, trials: int) -> dict[str, float]:
    low, high = proportion_interval(successes, max(trials, 1))
    return {"share": successes / trials if trials else 0.0, "low": float(low), "high": float(high)}


def talks_versus_zone(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline shares with 95 % intervals, and mean utility distances of agreements to Nash / Kalai–Smorodinsky."""
    runs = len(outcomes)
    zone = sum(o["zone_exists"] for o in outcomes)
    agreed = sum(o["agreed"] for o in outcomes)
    missed = sum(o["zone_exists"] and not o["agreed"] for o in outcomes)
    result: dict[str, Any] = {
        "zone_exists": _share(zone, runs),
        "agreed": _share(agreed, runs),
        "failed_with_zone": _share(missed, runs),
        "found_when_zone": _share(sum(o["zone_exists"] and o["agreed"] for o in outcomes), zone),
    }
    for column in ("nash", "ks"):
        distances = [o[f"d_{column}"] for o in outcomes if o.get(f"d_{column}") is not None]
        result[f"mean_distance_{column}"] = float(np.mean(distances)) if distances else None
        result[f"share_at_{column}"] = (
            float(np.mean([o["package"] == o[f"{column}_package"] for o in outcomes if o["agreed"]]))
            if agreed
            else None
        )
    result["headline"] = headline(result)
    return result


def headline(result: dict[str, Any]) -> str:
    def pct(item: dict[str, float]) -> str:
        return f"{100 * item['share']:.1f} % [{100 * item['low']:.1f}, {100 * item['high']:.1f}]"

    return (
        f"a zone exists in {pct(result['zone_exists'])} of runs; talks reach an agreement in {pct(result['agreed'])}; "
        f"in {pct(result['failed_with_zone'])} they fail although a zone existed"
    )
