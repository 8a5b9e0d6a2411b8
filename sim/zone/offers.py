"""Offers, options and the headline package of a zone, told truthfully, as typed values.

Every probability carries its 95 % Monte-Carlo interval (:class:`~sim.zone.estimate.Estimate`). A target that some
sample puts in the zone is reported with its *best* completion (the one in the zone most often). One that no sample
puts in the zone has no best completion: an offer is reported with its *closest* completion (``sim.zone.closest``)
and the reason computed from the offer itself — a red line on an option it fixes, else the party whose own best
completion stays below its reservation in most samples, else the parties' joint incompatibility. A red line is never
blamed on an option the offer leaves open, since a completion can avoid it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.model import Party, Scenario
from sim.zone.blocker import offer_blocker
from sim.zone.closest import Closest, closest_package
from sim.zone.estimate import Estimate
from sim.zone.hits import Target, TargetScores
from sim.zone.own_best import own_best_completion
from sim.zone.preferences import Preferences
from sim.zone.results import (
    Blocker,
    ClosestPackage,
    Completion,
    Headline,
    OfferResult,
    OptionResult,
    Package,
    Reason,
)
from sim.zone.space import PackageSpace, option_index

MOST_SAMPLES = 0.5
CountsOf = Callable[[np.ndarray], np.ndarray]


def red_line_refs(party: Party) -> list[tuple[str, float]]:
    """A party's red lines as (``issue.option``, probability that it holds): bare strings hold for sure."""
    return [(r, 1.0) if isinstance(r, str) else (r.option, float(r.holds)) for r in party.red_lines]


def target_labels(scenario: Scenario) -> dict[str, str]:
    """Label of every offer id and every ``issue.option``."""
    labels = {offer.id: offer.label for offer in scenario.offers}
    for issue in scenario.issues:
        labels.update({f"{issue.id}.{o.id}": o.label for o in issue.options})
    return labels


def fixed_label(scenario: Scenario, ref: str) -> str:
    """'Issue title: option label' of ``issue.option``, what a reader sees instead of ids."""
    issue_id, _, option_id = ref.partition(".")
    issue = scenario.issue(issue_id)
    return f"{issue.title}: {next(o.label for o in issue.options if o.id == option_id)}"


def known(value: float) -> float | None:
    """``None`` for a number that does not apply (NaN)."""
    return None if value != value else float(value)


@dataclass(eq=False)
class TargetContext:
    """What describing targets needs from a run: the scenario, its space, samples, labels and certain red lines."""

    scenario: Scenario
    space: PackageSpace
    preferences: Preferences
    labels: dict[str, str] = field(init=False)
    certain: list[list[tuple[int, int]]] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = target_labels(self.scenario)
        self.certain = [
            [self.index(ref) for ref, holds in red_line_refs(party) if holds >= 1.0] for party in self.scenario.parties
        ]

    @property
    def samples(self) -> int:
        return self.preferences.samples

    @property
    def veto(self) -> np.ndarray:
        return np.flatnonzero(self.preferences.veto)

    def index(self, ref: str) -> tuple[int, int]:
        return option_index(self.space.issue_ids, self.space.option_ids, ref)

    def ref(self, issue: int, option: int) -> str:
        return f"{self.space.issue_ids[issue]}.{self.space.option_ids[issue][option]}"

    def describe(self, issue: int, option: int) -> str:
        """'Issue title: option label', what a reader sees instead of ``issue.option`` ids."""
        return f"{self.scenario.issues[issue].title}: {self.labels[self.ref(issue, option)]}"

    def package(self, number: int) -> Package:
        return Package(number, self.space.describe(number))

    def veto_avoid(self) -> list[tuple[int, int]]:
        return sorted({ref for p in self.veto for ref in self.certain[p]})

    def closest(self, fix: dict[int, int]) -> Closest | None:
        return closest_package(self.space, self.preferences, fix, self.veto_avoid())

    def acceptance_counts(self, packages: np.ndarray) -> np.ndarray:
        """How many samples each party accepts each package in, ``[party, package]``."""
        if packages.size == 0:
            return np.zeros((len(self.preferences.party_ids), 0), dtype=np.int64)
        return self.preferences.acceptable(self.space, self.space.codes(packages)).sum(axis=-1)


@dataclass(frozen=True)
class _Shown:
    """Per chosen target: the completion reported (best, or closest when never in the zone) and its counts."""

    packages: np.ndarray
    zone: np.ndarray
    accept: np.ndarray
    closest: dict[int, Closest | None]
    hits: np.ndarray


def _shown(ctx: TargetContext, scores: TargetScores, chosen: list[int], search: bool, counts_of: CountsOf) -> _Shown:
    hits = np.bitwise_count(scores.hits).sum(axis=-1)
    closest: dict[int, Closest | None] = {}
    if search:  # options never in the zone say so; searching each costs seconds
        for t in chosen:
            if hits[t] == 0:
                closest[t] = ctx.closest(dict(scores.targets[t].fix))
    packages = np.array(
        [scores.best_package[t] if hits[t] else (found.package if (found := closest.get(t)) else -1) for t in chosen],
        dtype=np.int64,
    )
    known_packages = packages >= 0
    zone = np.zeros(packages.size, dtype=np.int64)
    zone[known_packages] = counts_of(packages[known_packages])
    accept = np.zeros((len(ctx.preferences.party_ids), packages.size), dtype=np.int64)
    accept[:, known_packages] = ctx.acceptance_counts(packages[known_packages])
    return _Shown(packages, zone, accept, closest, hits)


def _completion(ctx: TargetContext, shown: _Shown, j: int, t: int) -> Completion:
    package = int(shown.packages[j])
    found = shown.closest.get(t)
    kind = "best" if shown.hits[t] else ("closest" if found else "none")
    parties = ctx.preferences.party_ids
    return Completion(
        kind,
        ctx.package(package) if package >= 0 else None,
        Estimate.of(int(shown.zone[j]), ctx.samples),
        {party: Estimate.of(int(shown.accept[p, j]), ctx.samples) for p, party in enumerate(parties)},
        {party: float(found.shortfall[p]) for p, party in enumerate(parties)} if found else None,
    )


def offer_results(ctx: TargetContext, scores: TargetScores, counts_of: CountsOf) -> list[OfferResult]:
    """Every named offer: P(some completion in the zone), the completion shown, its blocker and reason."""
    chosen = [t for t, target in enumerate(scores.targets) if target.kind == "offer"]
    shown = _shown(ctx, scores, chosen, True, counts_of)
    results = []
    for j, t in enumerate(chosen):
        target = scores.targets[t]
        results.append(
            OfferResult(
                target.name,
                ctx.labels.get(target.name, target.name),
                tuple(ctx.ref(i, o) for i, o in target.fix),
                tuple(ctx.describe(i, o) for i, o in target.fix),
                Estimate.of(int(shown.hits[t]), ctx.samples),
                _completion(ctx, shown, j, t),
                _blocker(ctx, target),
                Reason() if shown.hits[t] else _reason(ctx, target, shown.closest.get(t)),
            )
        )
    return results


def option_results(
    ctx: TargetContext, scores: TargetScores, counts_of: CountsOf, mean_p_zone: dict[str, float]
) -> list[OptionResult]:
    """Every single option: P(some package holding it in the zone), its best completion, who red-lines it."""
    chosen = [t for t, target in enumerate(scores.targets) if target.kind == "option"]
    shown = _shown(ctx, scores, chosen, False, counts_of)
    results = []
    for j, t in enumerate(chosen):
        target = scores.targets[t]
        ((issue, option),) = target.fix
        red = tuple(ctx.preferences.party_ids[p] for p in ctx.veto if target.fix[0] in ctx.certain[p])
        no_zone = Reason(f"red line of {','.join(red)}" if red else "never in the zone in any sample")
        results.append(
            OptionResult(
                target.name,
                ctx.labels.get(target.name, target.name),
                ctx.space.issue_ids[issue],
                ctx.space.option_ids[issue][option],
                ctx.scenario.issues[issue].title,
                red,
                Estimate.of(int(shown.hits[t]), ctx.samples),
                _completion(ctx, shown, j, t),
                _blocker(ctx, target),
                Reason() if shown.hits[t] else no_zone,
                mean_p_zone[target.name],
            )
        )
    return results


def _blocker(ctx: TargetContext, target: Target) -> Blocker:
    """The target's blocker by the one definition (:func:`sim.zone.blocker.offer_blocker`): a property of the offer
    (every completion), not of the completion this run reports. An offer with no feasible completion has none: no
    party's preferences keep it out (its reason says what does)."""
    if target.fix and ctx.space.count_feasible(dict(target.fix)) == 0:
        return Blocker()
    return offer_blocker(ctx.scenario, ctx.space, ctx.preferences, dict(target.fix))


INFEASIBLE = "no feasible completion"


def infeasible_text(scenario: Scenario, fix: dict[int, int]) -> str:
    """Why an offer has no feasible completion, in names: the issues the scenario settles otherwise (``fixed:``), or
    its constraints (``forbid``/``requires``) ruling out what the offer fixes."""
    issues = scenario.issues
    settled = [
        f"the scenario fixes {issues[i].title} = '{_label(scenario, i, scenario.fixed[issues[i].id])}' and the offer "
        f"asks '{issues[i].options[o].label}'"
        for i, o in sorted(fix.items())
        if issues[i].id in scenario.fixed and scenario.fixed[issues[i].id] != issues[i].options[o].id
    ]
    if settled:
        return f"{INFEASIBLE}: " + "; ".join(settled)
    return f"{INFEASIBLE}: the scenario's constraints rule out the options the offer fixes together"


def _label(scenario: Scenario, issue: int, option_id: str) -> str:
    return next(o.label for o in scenario.issues[issue].options if o.id == option_id)


def _reason(ctx: TargetContext, target: Target, found: Closest | None) -> Reason:
    """Why no completion of ``target`` is in the zone in any sample, from the target itself."""
    names = ctx.preferences.party_ids
    readable = [party.name for party in ctx.scenario.parties]
    red = [(p, (i, o)) for p in ctx.veto for i, o in ctx.certain[p] if (i, o) in target.fix]
    if red:
        p, (i, o) = red[0]
        text = "; ".join(
            f"red line of {readable[q]}: {ctx.describe(i2, o2)} (fixed by the offer)" for q, (i2, o2) in red
        )
        return Reason(text, names[p], ctx.ref(i, o), 0.0)
    if not target.fix and found is None:
        return Reason("no feasible package avoids every veto party's red lines")
    if target.fix and ctx.space.count_feasible(dict(target.fix)) == 0:
        return Reason(infeasible_text(ctx.scenario, dict(target.fix)))
    own = own_best_completion(ctx.space, ctx.preferences, dict(target.fix), ctx.certain)
    worst = int(ctx.veto[np.argmax(own.below[ctx.veto])])
    short = sorted((int(p) for p in ctx.veto if own.below[p] > MOST_SAMPLES), key=lambda p: -own.below[p])
    if len(short) > 1:  # every one of them, so the reason never names one party of several equally short
        text = "even their own best completions are below their reservations: " + "; ".join(
            f"{readable[p]} in {own.below[p]:.1%} of samples (mean shortfall {own.shortfall[p]:.3f})" for p in short
        )
        return Reason(text, names[short[0]], "", float(own.shortfall[short[0]]))
    if own.below[worst] > MOST_SAMPLES:
        text = (
            f"{readable[worst]}: even its own best completion is below its reservation in "
            f"{own.below[worst]:.1%} of samples (mean shortfall {own.shortfall[worst]:.3f})"
        )
        return Reason(text, names[worst], "", float(own.shortfall[worst]))
    if found is None:
        return Reason("no feasible completion avoids every veto party's red lines")
    parts = ", ".join(f"{readable[p]} {found.shortfall[p]:.3f}" for p in ctx.veto if found.shortfall[p] >= 0.0005)
    return Reason(
        f"no completion satisfies every veto party at once; the closest misses by {parts}", "", "", float(found.total)
    )


def headline(ctx: TargetContext, scores: TargetScores, counts_of: CountsOf) -> Headline:
    """The summary's package: the best one when some sample has a zone, else the closest, labelled as such."""
    whole = next(t for t, target in enumerate(scores.targets) if target.kind == "space")
    hits = int(np.bitwise_count(scores.hits[whole]).sum())
    p_nonempty = Estimate.of(hits, ctx.samples)
    if hits:
        best = int(scores.best_package[whole])
        best_p = Estimate.of(int(counts_of(np.array([best]))[0]), ctx.samples)
        return Headline(p_nonempty, ctx.package(best), best_p, None)
    found = ctx.closest({})
    closest = (
        None
        if found is None
        else ClosestPackage(
            ctx.package(found.package),
            found.total,
            {ctx.preferences.party_ids[p]: float(found.shortfall[p]) for p in ctx.veto},
            found.proven,
        )
    )
    return Headline(p_nonempty, None, Estimate(0.0, 0.0, p_nonempty.hi), closest)
