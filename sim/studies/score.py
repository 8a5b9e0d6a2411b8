"""Scores of one package, or of a partial package, on demand: what a run's tables leave out.

A run keeps only the packages some sample puts in the zone (plus those it names), so any other package is scored
here from the same seeded samples as the run: each party's acceptance and expected utility, the zone probability,
and who blocks it and why. A partial package is scored by its completions, in chunks (memory bounded): the share of
samples in which some completion is in the zone, its best completion, or, when none ever is, its closest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.closest import choice_codes, closest_package, option_choices
from sim.zone.estimate import Estimate
from sim.zone.preferences import Preferences, expected_utility
from sim.zone.space import PackageSpace, option_index

CHUNK_CELLS = 2**25  # packages x samples x parties per chunk of completions


class ScoreRequestError(ValueError):
    """An issue or option that the scenario does not have, or a package that is not complete."""


def parse_assignment(space: PackageSpace, text: str, complete: bool) -> dict[int, int]:
    """``alliance=neutral,guarantees=article5_bilateral`` -> {issue index: option index}."""
    fix: dict[int, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        issue_id, _, option_id = item.partition("=")
        if issue_id not in space.issue_ids:
            raise ScoreRequestError(f"no issue '{issue_id}'; issues: {', '.join(space.issue_ids)}")
        issue = space.issue_ids.index(issue_id)
        if option_id not in space.option_ids[issue]:
            raise ScoreRequestError(
                f"issue {issue_id} has no option '{option_id}'; options: {', '.join(space.option_ids[issue])}"
            )
        fix[issue] = option_index(space.issue_ids, space.option_ids, f"{issue_id}.{option_id}")[1]
    missing = [space.issue_ids[i] for i in range(len(space.radices)) if i not in fix]
    if complete and missing:
        raise ScoreRequestError(f"--package needs every issue; missing: {', '.join(missing)} (or use --fix)")
    return fix


@dataclass(frozen=True)
class PartyScore:
    """One party on one package: P(accept) with its interval, expected utility, mean reservation, red lines held."""

    party: str
    name: str
    veto: bool
    accept: Estimate
    expected_utility: float
    mean_reservation: float
    red_lines_held: tuple[str, ...]

    @property
    def why(self) -> str:
        """Why it rejects the package in the samples it does: a red line it holds, else its utility."""
        if self.red_lines_held:
            return "red line: " + ", ".join(self.red_lines_held)
        return (
            f"utility below its reservation in those samples; means: utility {self.expected_utility:.3f}, "
            f"reservation {self.mean_reservation:.3f}"
        )


@dataclass(frozen=True)
class Rejection:
    """A veto party that rejects the package in some samples: how often, and why."""

    party: str
    reject: float
    why: str


@dataclass(frozen=True)
class PackageScores:
    """Every number ``negsim score --package`` shows (and the explorer's completion table)."""

    package: int
    options: dict[str, str]
    feasible: bool
    p_zone: Estimate
    parties: tuple[PartyScore, ...]
    blockers: tuple[Rejection, ...]


@dataclass(frozen=True)
class PartialScores:
    """A partial package over its ``completions``: P(some completion in the zone), and the completion shown:
    ``best`` (in the zone most often), ``closest`` (none ever is) or ``none`` (package -1)."""

    completions: int
    p_complete: Estimate
    completion: str
    package: int


def package_scores(scenario: Scenario, space: PackageSpace, preferences: Preferences, package: int) -> PackageScores:
    """Per party: acceptance (with interval), expected utility, mean reservation, red lines the package holds; the
    zone probability; and each veto party that rejects it, with why."""
    codes = space.codes(np.array([package]))
    accepts = preferences.acceptable(space, codes)[:, 0, :]
    veto = preferences.veto
    zone = accepts[veto].all(axis=0) & bool(space.feasible(codes)[0])
    utility = expected_utility(preferences, codes)[:, 0]
    parties = []
    for p, party in enumerate(scenario.parties):
        held = [
            ref
            for ref in (r if isinstance(r, str) else r.option for r in party.red_lines)
            if bool(space.holds_any(codes, [option_index(space.issue_ids, space.option_ids, ref)])[0])
        ]
        parties.append(
            PartyScore(
                party=party.id,
                name=party.name,
                veto=bool(veto[p]),
                accept=Estimate.of(int(accepts[p].sum()), preferences.samples),
                expected_utility=float(utility[p]),
                mean_reservation=float(preferences.reservation[p].astype(np.float64).mean()),
                red_lines_held=tuple(held),
            )
        )
    blockers = [Rejection(row.party, 1 - row.accept.p, row.why) for row in parties if row.veto and row.accept.p < 1]
    return PackageScores(
        package=package,
        options=space.describe(package),
        feasible=bool(space.feasible(codes)[0]),
        p_zone=Estimate.of(int(zone.sum()), preferences.samples),
        parties=tuple(parties),
        blockers=tuple(sorted(blockers, key=lambda b: -b.reject)),
    )


def partial_scores(
    space: PackageSpace, preferences: Preferences, fix: dict[int, int], avoid: list[tuple[int, int]]
) -> PartialScores:
    """P(some completion of ``fix`` is in the zone) and the completion in the zone most often (ties: lowest number),
    scored chunk by chunk over the completions; ``closest`` (holding none of ``avoid``, the veto parties' red
    lines) when no completion is ever in the zone."""
    choices = option_choices(space, fix, [])
    count = prod(c.size for c in choices)
    veto = np.flatnonzero(preferences.veto)
    chunk = max(1, CHUNK_CELLS // (preferences.samples * len(preferences.party_ids)))
    some = np.zeros(preferences.samples, dtype=bool)
    best_count, best_package = -1, -1
    for start in range(0, count, chunk):
        codes = choice_codes(choices, np.arange(start, min(start + chunk, count)))
        zone = preferences.acceptable(space, codes)[veto].all(axis=0) & space.feasible(codes)[:, None]
        some |= zone.any(axis=0)
        counts = zone.sum(axis=1)
        top = int(np.argmax(counts))
        if counts[top] > best_count:
            best_count, best_package = int(counts[top]), int(space.package(codes[top : top + 1])[0])
    p_complete = Estimate.of(int(some.sum()), preferences.samples)
    if some.any():
        return PartialScores(count, p_complete, "best", best_package)
    found = closest_package(space, preferences, fix, avoid)
    return PartialScores(count, p_complete, "closest" if found else "none", found.package if found else -1)


def why_no_completion(
    scenario: Scenario, space: PackageSpace, fix: dict[int, int], avoid: list[tuple[int, int]]
) -> str:
    """Why a partial package has no completion to score, naming the constraint or red line that rules it out."""
    if space.count_feasible(fix) == 0:
        forcing = []
        for index, violation in enumerate(space.violations[: len(scenario.constraints)]):
            if all(issue in fix and fix[issue] in options for issue, options in violation):
                forcing.append(scenario.constraints[index])
        if forcing:
            return "no feasible completion: ruled out by " + "; ".join(_constraint_text(c) for c in forcing)
        return "no feasible completion: the scenario's constraints together rule out every completion"
    red = [f"{space.issue_ids[i]}.{space.option_ids[i][o]}" for i, o in avoid if fix.get(i) == o]
    if red:
        return "no completion to score: it fixes a certain red line of a veto party (" + ", ".join(red) + ")"
    return "no feasible completion avoids every veto party's certain red lines"


def _constraint_text(constraint: Any) -> str:
    forbid = getattr(constraint, "forbid", None)
    rule = (
        f"forbid: [{', '.join(forbid)}]"
        if forbid
        else f"requires: [{', '.join(constraint.requires)}] one_of: [{', '.join(constraint.one_of)}]"
    )
    why = getattr(constraint, "why", None)
    return f"the constraint {rule}" + (f" ({why})" if why else "")
