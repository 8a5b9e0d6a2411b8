"""Every offer of a scenario as a line of an analyst's brief: how likely it ends in the zone, whether it would die
at ratification, who blocks it, and the smallest change that would bring it to a target probability.

Issue 10 part 6 asks for "the table an analyst would put in a brief". Each figure comes from one existing
implementation, called here, never re-derived:

* P(completion in zone) and its interval: :func:`sim.zone.scoring.compute_zone` (the offer targets) and
  :func:`sim.zone.intervals.proportion_interval`;
* P(agreed at the table but not ratified): the scorer's own count of samples in which some completion is agreed by
  every veto party at the table but none survives the ratifiers (``TargetScores.not_ratified_count``), so the
  table and the zone come from the same samples and the same pass;
* the blocker: :func:`sim.zone.blocker.offer_blocker`, the one definition every command uses (the veto party that
  most often rejects every completion of the offer), with the red lines the offer itself fixes for it;
* the smallest change set: :class:`sim.studies.changeset.ChangeSearch`, whatif's own search (issues moved and
  concessions by several parties; fewest changes, then least total concession), at most two changes here; the target
  defaults to the best package's zone probability on those samples (reachable); on its own, smaller sample count
  because it scores many candidate packages.

The document records the scenario's content hash and the settings, so a test can tell it is stale without
recomputing anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from sim.outputs.answer_page import change_brief
from sim.outputs.report import blocker_text
from sim.scenario.catalogue import markdown_safe
from sim.scenario.model import Offer, Role, Scenario
from sim.studies.changeset import ChangeSearch
from sim.studies.whatif import offer_fix
from sim.studies.whatif_answer import describe_found
from sim.studies.zone_pairs import zone_pairs
from sim.zone.blocker import DEFINITION as BLOCKER_DEFINITION
from sim.zone.blocker import offer_blocker
from sim.zone.copula import correlate
from sim.zone.intervals import METHOD, proportion_interval
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws, preferences_from_draws
from sim.zone.scoring import ZoneResult, compute_zone
from sim.zone.settings import RunSettings, run_draws
from sim.zone.space import PackageSpace

PROPOSAL_CHANGES = 2  # a brief needs the small change sets; `negsim whatif` searches further
PROPOSAL_SEARCHES = 6  # branch-and-bound passes per offer that leaves much open (whatif's budget is larger)
STAMP = re.compile(r"<!-- negsim proposals: (?P<fields>[^>]*) -->")


@dataclass(frozen=True)
class Settings:
    samples: int
    seed: int
    target: float | None  # None: the best package's zone probability on the whatif samples (reachable)
    whatif_samples: int

    def stamp(self, scenario: Scenario) -> str:
        target = "best" if self.target is None else f"{self.target:g}"
        return (
            f"<!-- negsim proposals: scenario={scenario.id} hash={scenario.content_hash()} samples={self.samples} "
            f"seed={self.seed} target={target} whatif_samples={self.whatif_samples} -->"
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
    """The offer's blocker, by the one definition (:mod:`sim.zone.blocker`)."""
    space = PackageSpace.from_scenario(scenario)
    return blocker_text(scenario, offer_blocker(scenario, space, preferences, offer_fix(space, offer)))


def _change(scenario: Scenario, draws: Draws, preferences: Preferences, offer: Offer, count: int) -> str:
    """whatif's smallest change set reaching ``count`` samples (:class:`sim.studies.changeset.ChangeSearch`, the
    same search as ``negsim whatif``, at most ``PROPOSAL_CHANGES`` changes), in a few words."""
    space = PackageSpace.from_scenario(scenario)
    ids = list(preferences.party_ids)
    payers = [ids.index(offer.sponsor)] if offer.sponsor else [int(p) for p in np.flatnonzero(preferences.veto)]
    correlated = correlate(scenario, draws)  # the numbers the red lines were drawn from
    search = ChangeSearch(
        space, preferences, correlated, offer_fix(space, offer), count, PROPOSAL_CHANGES, payers, PROPOSAL_SEARCHES
    )
    found = search.search()
    if found is None:
        return _not_found(search.proven)
    if not found.size:
        return "none needed"
    changes = describe_found(scenario, space, found, offer_fix(space, offer))
    return "; ".join(change_brief(scenario, change) for change in changes) + f" (total concession {found.cost:.3f})"


def _not_found(proven: int) -> str:
    """No set found: proven for every size up to K, or up to the size the search budget reached (said so, never
    "none within 0 change(s)": the offer as it stands falls short, which is not a proof about any change)."""
    if proven >= PROPOSAL_CHANGES:
        return f"none of at most {PROPOSAL_CHANGES} changes reaches it (proven)"
    searched = "the offer as it stands falls short" if proven <= 0 else f"none of at most {proven} change(s) (proven)"
    return (
        f"{searched}; sets of {max(proven, 0) + 1} change(s) not all searched (budget: the offer leaves much open); "
        "negsim whatif searches further"
    )


def brief(scenario: Scenario, settings: Settings) -> Brief:
    """Score every offer at the table and after ratification, find blockers and the smallest changes."""
    zone = compute_zone(scenario, settings.samples, settings.seed, with_options=False)
    draws = run_draws(scenario, RunSettings(settings.whatif_samples, settings.seed))
    small = preferences_from_draws(scenario, draws)
    packages = zone_pairs(PackageSpace.from_scenario(scenario), small, tail_max=scenario.run.chunk_size).packages
    best_count = int(np.unique(packages, return_counts=True)[1].max()) if packages.size else 0
    target_count = best_count if settings.target is None else max(1, math.ceil(settings.target * small.samples))
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
                change=_change(scenario, draws, small, offer, target_count)
                if target_count
                else "no package is in the zone in any of these samples",
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
    target_text = "the best package's zone probability" if s.target is None else f"{s.target:g}"
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
        f"rejected by a ratifier. {BLOCKER_DEFINITION} (On {s.whatif_samples:,} samples.) "
        f"Smallest change set: `negsim whatif`'s search (issues moved, reservations cut, red lines' holds lowered; "
        f"fewest changes, then least total concession; at most {PROPOSAL_CHANGES}) to reach {target_text} "
        f"(on {s.whatif_samples:,} samples, same seed; the probability reached in brackets).",
        "",
        f"**Whole space:** some package is in the zone in {result.space_p_zone:.1%} of samples "
        f"[{result.space_interval[0]:.1%}, {result.space_interval[1]:.1%}]; "
        f"at the table, without ratifiers: {result.space_p_table:.1%}.",
        "",
        "| offer | sponsor | P(completion in zone) | 95 % interval | P(at the table) | P(not ratified) | blocker "
        f"| smallest change set to reach {target_text} |",
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
