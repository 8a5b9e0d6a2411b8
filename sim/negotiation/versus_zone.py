"""Talks versus the zone: did a run's own preference sample hold a zone, did the talks find it, and how far the
agreement lies from the Nash and Kalai–Smorodinsky packages of the same sample.

Why: an agreement rate alone mixes two failures - no package every veto party accepts (no zone) and a zone the
talks missed. Each run draws one sample of everyone's preferences, so the zone of *that* sample is known exactly,
and the share of runs that fail although a zone existed measures what the protocol itself loses. The bargaining
packages come from ``sim.zone.bargaining`` (Nash 1950; Kalai & Smorodinsky 1975) over the run's zone: the Nash
product and the Kalai–Smorodinsky ratio are maximised on the Pareto frontier, so taking them over every package of
the zone gives the same packages as over its frontier.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.zone.bargaining import Frontier, bargaining_solutions
from sim.zone.intervals import proportion_interval
from sim.zone.preferences import acceptance_threshold, accepts, to_units


def zone_comparison(
    party_ids: tuple[str, ...],
    utilities: np.ndarray,
    reservation: np.ndarray,
    packages: np.ndarray,
    codes: np.ndarray,
    agreement: int | None,
) -> dict[str, Any]:
    """One run: ``utilities[candidate, veto party]`` of its sample against its initial ``reservation``."""
    zone = np.flatnonzero(accepts(to_units(utilities), acceptance_threshold(reservation)[None, :]).all(axis=1))
    row: dict[str, Any] = {"zone_exists": bool(zone.size), "zone_size": int(zone.size)}
    frontier = Frontier.of(party_ids, packages[zone], codes[zone], utilities[zone], reservation)
    solutions = bargaining_solutions(frontier)
    for name, column in (("nash", "nash"), ("kalai_smorodinsky", "ks")):
        solution = solutions[name] if zone.size else None
        row[f"{column}_package"] = solution.package if solution is not None else -1
        row[f"d_{column}"] = (
            float(np.linalg.norm(utilities[agreement] - np.array(solution.utilities)))
            if solution is not None and agreement is not None
            else None
        )
    return row


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
