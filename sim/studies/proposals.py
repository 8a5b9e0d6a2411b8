"""Every offer of a scenario as a line of an analyst's brief: how likely it ends in the zone, whether it would die
at ratification, who blocks it, and the smallest change that would bring it to a target probability.

Issue 10 part 6 asks for "the table an analyst would put in a brief". Each figure comes from one existing
implementation, called here, never re-derived:

* P(completion in zone) and its interval: :func:`sim.zone.scoring.compute_zone` (the offer targets) and
  :func:`sim.zone.intervals.proportion_interval`;
* P(agreed at the table but not ratified): the scorer's own count of samples in which some completion is agreed by
  every veto party at the table but none survives the ratifiers (``TargetScores.not_ratified_count``), so the
  table and the zone come from the same samples and the same pass;
* the blocker: the veto party that most often rejects *every* completion of the offer
  (:func:`sim.studies.whatif.party_acceptance`), with the red lines the offer itself breaks for it — an offer
  nobody agrees to has no best completion to inspect, so this is asked of all completions;
* the smallest change: :func:`sim.studies.whatif.smallest_issue_change` (fewest fixed issues moved, then least
  loss to the sponsor), on its own, smaller sample count because it scores many candidate packages.

The document records the scenario's content hash and the settings, so a test can tell it is stale without
recomputing anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sim.scenario.catalogue import markdown_safe
from sim.scenario.model import Offer, Role, Scenario
from sim.studies.whatif import offer_fix, party_acceptance, smallest_issue_change
from sim.zone.intervals import METHOD, proportion_interval
from sim.zone.preferences import Preferences
from sim.zone.sampling import sample_preferences
from sim.zone.scoring import ZoneResult, compute_zone
from sim.zone.space import PackageSpace

WHATIF_CANDIDATES = 400  # candidate moves per offer: a brief needs the small changes, not an exhaustive search
STAMP = re.compile(r"<!-- negsim proposals: (?P<fields>[^>]*) -->")


@dataclass(frozen=True)
class Settings:
    samples: int
    seed: int
    target: float
    whatif_samples: int

    def stamp(self, scenario: Scenario) -> str:
        return (
            f"<!-- negsim proposals: scenario={scenario.id} hash={scenario.content_hash()} samples={self.samples} "
            f"seed={self.seed} target={self.target:g} whatif_samples={self.whatif_samples} -->"
        )


def read_stamp(markdown: str) -> dict[str, str]:
    """The settings and scenario hash a generated document was made from ({} if it has no stamp)."""
    match = STAMP.search(markdown)
    return dict(field.split("=", 1) for field in match["fields"].split()) if match else {}


@dataclass(frozen=True)
class OfferBrief:
    offer: str
    label: str
    sponsor: str
    hits: int
    p_zone: float
    interval: tuple[float, float]
    p_table: float
    p_not_ratified: float
    blocker: str
    change: str


@dataclass(frozen=True)
class Brief:
    scenario: Scenario
    settings: Settings
    offers: list[OfferBrief]
    space_p_zone: float
    space_interval: tuple[float, float]
    space_p_table: float
    ratifiers: list[str]


def _space_target(zone: ZoneResult) -> int:
    return next(t for t, target in enumerate(zone.targets.targets) if target.kind == "space")


def _blocker(scenario: Scenario, preferences: Preferences, offer: Offer) -> str:
    """Who vetoes the offer most often (rejects every completion), how often, and the offer's red lines for it."""
    space = PackageSpace.from_scenario(scenario)
    fix = offer_fix(space, offer)
    vetoes = {
        int(p): 1.0 - float(party_acceptance(preferences, space, fix, int(p)).any(axis=0).mean())
        for p in np.flatnonzero(preferences.veto)
    }
    worst = max(vetoes, key=lambda p: vetoes[p])
    if vetoes[worst] == 0:
        return "—"
    party = scenario.parties[worst]
    fixed = {f"{i}.{o}" for i, o in offer.fix.items()}
    broken = [
        r.option + ("" if r.holds == 1 else f" (holds {r.holds:g})") for r in party.red_lines if r.option in fixed
    ]
    because = f"; red lines: {', '.join(f'`{b}`' for b in broken)}" if broken else ""
    return f"{party.id} (vetoes it in {vetoes[worst]:.0%}{because})"


def _change(scenario: Scenario, preferences: Preferences, offer: Offer, settings: Settings, space_p_zone: float) -> str:
    """whatif's smallest issue change reaching the target, as ``issue: old → new`` (or why there is none).

    No offer can beat the whole space (an offer's completions are a part of it), so when the space itself is in the
    zone less often than the target the search is skipped and the cell says why."""
    if space_p_zone < settings.target:
        return f"unreachable: the whole space reaches only {space_p_zone:.3f}"
    change, evaluated = smallest_issue_change(scenario, preferences, offer, settings.target, WHATIF_CANDIDATES)
    if change is None:
        return f"none within the first {min(evaluated, WHATIF_CANDIDATES):,} candidate moves of its fixed issues"
    if not change.changes:
        return f"none needed ({change.probability:.2f})"
    moves = "; ".join(f"{issue}: {old} → {new}" for issue, (old, new) in change.changes.items())
    return f"{moves} ({change.probability:.2f})"


def brief(scenario: Scenario, settings: Settings) -> Brief:
    """Score every offer at the table and after ratification, find blockers and the smallest changes."""
    zone = compute_zone(scenario, settings.samples, settings.seed, with_options=False)
    small = sample_preferences(scenario, settings.whatif_samples, np.random.default_rng(settings.seed))
    hits, not_ratified = zone.targets.zone_hit_count, zone.targets.not_ratified_count
    n = settings.samples
    low, high = proportion_interval(hits, n)
    s = _space_target(zone)
    offers = []
    for t, target in enumerate(zone.targets.targets):
        if target.kind != "offer":
            continue
        offer = next(o for o in scenario.offers if o.id == target.name)
        offers.append(
            OfferBrief(
                offer=offer.id,
                label=offer.label,
                sponsor=offer.sponsor or "—",
                hits=int(hits[t]),
                p_zone=hits[t] / n,
                interval=(float(low[t]), float(high[t])),
                p_table=float(zone.targets.p_table[t]),
                p_not_ratified=not_ratified[t] / n,
                blocker=_blocker(scenario, small, offer),
                change=_change(scenario, small, offer, settings, float(hits[s] / n)),
            )
        )
    return Brief(
        scenario,
        settings,
        offers,
        hits[s] / n,
        (float(low[s]), float(high[s])),
        float(zone.targets.p_table[s]),
        [p.id for p in scenario.parties if p.role is Role.ratifier],
    )


def proposals_markdown(result: Brief, command: str) -> str:
    """``docs/proposals.md``: the brief as Markdown, stamped with the scenario hash and settings."""
    s, scenario = result.settings, result.scenario
    lines = [
        f"# Proposals: {scenario.title}",
        "",
        s.stamp(scenario),
        f"Generated by `{command}`; do not edit by hand (a test fails when the scenario changes).",
        "",
        f"Monte-Carlo samples: {s.samples:,} (seed {s.seed}); intervals are 95 % ({METHOD}). "
        f"P(completion in zone): share of samples in which some package matching the offer (its silent issues "
        f"completed in every feasible way) is accepted by every veto party, ratifiers ({', '.join(result.ratifiers)}) "
        f"included. *At the table*: the same without the ratifiers; *not ratified*: agreed at the table but "
        f"rejected by a ratifier. Blocker: the veto party that most often rejects every completion of the offer "
        f"(on {s.whatif_samples:,} samples), with the red lines the offer itself breaks for it. "
        f"Smallest change: `negsim whatif`'s fewest fixed issues moved to reach {s.target:g} "
        f"(on {s.whatif_samples:,} samples, same seed; the probability reached in brackets).",
        "",
        f"**Whole space:** some package is in the zone in {result.space_p_zone:.1%} of samples "
        f"[{result.space_interval[0]:.1%}, {result.space_interval[1]:.1%}]; "
        f"at the table, without ratifiers: {result.space_p_table:.1%}.",
        "",
        "| offer | sponsor | P(completion in zone) | 95 % interval | P(at the table) | P(not ratified) | blocker "
        f"| smallest change to reach {s.target:g} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in result.offers:
        lines.append(
            f"| {o.label} (`{o.offer}`) | {o.sponsor} | {o.p_zone:.3f} | [{o.interval[0]:.3f}, {o.interval[1]:.3f}] "
            f"| {o.p_table:.3f} | {o.p_not_ratified:.3f} | {o.blocker} | {o.change} |"
        )
    notes = [f"- `{offer.id}`: {offer.note}" for offer in scenario.offers if offer.note]
    if notes:
        lines += ["", "## What each offer is silent on (its open issues)", "", *notes]
    return "\n".join(line if line == s.stamp(scenario) else markdown_safe(line) for line in lines) + "\n"
