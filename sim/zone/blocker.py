"""Who blocks an offer: one definition, used by every command, page and table (run, proposals, report, batch).

**The blocker of an offer is the veto party that most often rejects every completion of it**: in a sample, a party
rejects every completion when even its own best completion of the offer avoiding its certain red lines
(``sim.zone.own_best.best_completion_utility``) is below its reservation, or when the offer fixes an option on which
a red line of its holds in that sample. Both imply that it rejects every completion; an uncertain red line on an
issue the offer leaves open is not counted (asking that exactly, ``sim.zone.own_best.own_best``, costs a search per
pattern of held red lines: 6x the time on the baseline's options), so the share is exact or a slight understatement
(``tests/test_explore_engine.py`` checks the implication against brute force). The party is named
(not its id), with the share of samples in which it does so and the red lines of its the offer itself fixes. An
offer that no veto party ever rejects alone has no blocker: what keeps it out of the zone is
the parties' joint incompatibility (each could be satisfied, not all by one package).

Asking it of every completion, not of the one completion a run reports, makes the answer a property of the offer:
the reported best completion changes with the samples and the other parties, the blocker should not (issue 21: run
and proposals once named different blockers for the same offer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.estimate import share_text
from sim.zone.own_best import best_completion_utility
from sim.zone.preferences import TIE_TOLERANCE, Preferences
from sim.zone.results import Blocker
from sim.zone.space import PackageSpace

DEFINITION = (
    "Blocker: the veto party that most often rejects every completion of an offer — its own best completion of "
    "the offer (avoiding its certain red lines) is below its reservation, or the offer fixes an option on which its "
    "red line holds in that sample — named, with the share of samples in which it does; an "
    "offer no veto party rejects alone has no single blocker (the parties are jointly incompatible)."
)


def vetoes(space: PackageSpace, preferences: Preferences, fix: dict[int, int]) -> np.ndarray:
    """``[party, sample]``: whether each veto party rejects every completion of ``fix`` (False for the others)."""
    return _own_best(space, preferences, fix)[0]


def _own_best(space: PackageSpace, preferences: Preferences, fix: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per veto party and sample: whether it rejects every completion of ``fix``, and how far its own best
    completion (its certain red lines avoided) stays below its reservation (0 where it reaches it)."""
    reject = np.zeros((preferences.n_parties, preferences.samples), dtype=bool)
    shortfall = np.zeros((preferences.n_parties, preferences.samples))
    for p in np.flatnonzero(preferences.veto):
        avoid = [r.option for r in preferences.red_line_list if r.party == p and r.certain]
        best = best_completion_utility(space, preferences, int(p), fix, avoid)
        reject[p] = best < preferences.reservation[p] - TIE_TOLERANCE
        shortfall[p] = np.where(reject[p], np.minimum(preferences.reservation[p] - best, np.inf), 0.0)
        for red in preferences.red_line_list:
            if red.party == p and fix.get(red.option[0]) == red.option[1]:
                reject[p] |= red.in_sample
    return reject, shortfall


def offer_blocker(scenario: Scenario, space: PackageSpace, preferences: Preferences, fix: dict[int, int]) -> Blocker:
    """The blocker of the offer ``fix`` (see the module docstring), from the given samples."""
    reject, shortfall = _own_best(space, preferences, fix)
    return named_blocker(scenario, space, fix, reject, shortfall)


def named_blocker(
    scenario: Scenario, space: PackageSpace, fix: dict[int, int], reject: np.ndarray, shortfall: np.ndarray | None
) -> Blocker:
    """The blocker from ``reject[party, sample]`` (whether each veto party rejects every completion; False for the
    others) and the per-sample ``shortfall`` of its own best completion (or None)."""
    share = reject.mean(axis=1)
    worst = int(np.argmax(share))
    if share[worst] == 0:
        return Blocker()
    party = scenario.parties[worst]
    fixed = {f"{space.issue_ids[i]}.{space.option_ids[i][o]}" for i, o in fix.items()}
    red = [(r.option, float(r.holds)) for r in party.red_lines if r.option in fixed]
    gap = None if shortfall is None else shortfall[worst]
    return Blocker(
        party.id,
        party.name,
        float(share[worst]),
        tuple(ref for ref, _ in red),
        tuple(holds for _, holds in red),
        None if gap is None or not np.isfinite(gap).any() else float(gap[np.isfinite(gap)].mean()),
    )


@dataclass(frozen=True)
class Rejection:
    """One veto party keeping a package out of the zone: how often it rejects it, the red lines of its the package
    holds (the option's label, with ``holds`` when uncertain) and, where it rejects, its mean shortfall."""

    name: str
    share: float
    red_lines: tuple[str, ...]
    shortfall: float

    def text(self) -> str:
        red = f"its red line on {', '.join(self.red_lines)}"
        why = red if self.red_lines else f"short of its reservation by {self.shortfall:.3f} on average"
        return f"{self.name} rejects it in {share_text(self.share)} of samples ({why})"

    def brief(self) -> str:
        """A few words for a ranking's column: the party's short name (before any parenthesis) and how often."""
        return f"{self.name.split(' (')[0]} {share_text(self.share)}" + (" (red line)" if self.red_lines else "")


def rejections(scenario: Scenario, space: PackageSpace, preferences: Preferences, package: int) -> list[Rejection]:
    """Each veto party that rejects ``package`` in some sample, most often first (ties: scenario order)."""
    codes = space.codes(np.array([package]))
    accepts = preferences.acceptable(space, codes)[:, 0, :]
    utility = preferences.utilities(space, codes)[:, 0, :]
    found = []
    for p in np.flatnonzero(preferences.veto):
        reject = ~accepts[p]
        if not reject.any():
            continue
        held = tuple(
            f"'{scenario.issues[r.option[0]].options[r.option[1]].label}'"
            + ("" if r.certain else f" (holds {r.holds:g})")
            for r in preferences.red_line_list
            if r.party == p and codes[0, r.option[0]] == r.option[1]
        )
        gap = float(np.maximum(preferences.reservation[p] - utility[p], 0.0)[reject].mean())
        found.append(Rejection(scenario.parties[p].name, float(reject.mean()), held, gap))
    return sorted(found, key=lambda r: -r.share)


def why_outside(scenario: Scenario, space: PackageSpace, preferences: Preferences, package: int) -> str:
    """What keeps one package out of the zone, for a reader: each veto party that rejects it in some sample (most
    often first), how often, and why (a red line of its the package holds, with ``holds``; else its mean shortfall
    below its reservation where it rejects). Empty when every veto party accepts it in every sample."""
    return "; ".join(r.text() for r in rejections(scenario, space, preferences, package))


def accepts_everything(scenario: Scenario, preferences: Preferences) -> list[str]:
    """Names of veto parties that accept every package in every sample: no red line that ever holds, and even
    their worst package (each issue's worst option, every link at its worst) reaches their reservation. Their
    reservation, weights and values move nothing in the zone; a reader should know."""
    names = []
    for p in np.flatnonzero(preferences.veto):
        if any(r.party == p and r.in_sample.any() for r in preferences.red_line_list):
            continue
        worst = np.zeros(preferences.samples)
        for issue, radix in enumerate(preferences.radices):
            worst += preferences.contributions[p, issue, :radix].min(axis=0)
        for link in preferences.links:
            if link.party == p:
                worst += np.minimum(link.delta, 0.0)
        if np.all(worst >= preferences.reservation[p] - TIE_TOLERANCE):
            names.append(scenario.parties[p].name)
    return names


def constrains_nothing(names: list[str] | tuple[str, ...]) -> str:
    """The sentence a reader gets for :func:`accepts_everything` ("" when no party does)."""
    if not names:
        return ""
    one = len(names) == 1
    return (
        f"Constrains nothing: {', '.join(names)} {'accepts' if one else 'accept'} every package in every sample (no "
        "red line that ever holds, and even the worst package reaches the reservation), so moving "
        f"{'its' if one else 'their'} reservation, weights or values changes nothing in the zone."
    )
