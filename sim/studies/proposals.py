"""Every offer of a scenario as a line of an analyst's brief: how likely it ends in the zone, whether it would die
at ratification, who blocks it, and the smallest change that would bring it to a target probability.

Issue 10 part 6 asks for "the table an analyst would put in a brief". Each figure comes from one existing
implementation, called here, never re-derived:

* P(completion in zone) and its interval: :func:`sim.zone.scoring.compute_zone` (the offer targets) and
  :func:`sim.zone.intervals.proportion_interval`;
* P(agreed at the table but not ratified): the same zone computed on the scenario without its ratifiers, minus the
  zone with them. Parties are sampled in file order, so when ratifiers come last (as in the shipped scenarios) the
  two runs share every negotiator's samples (common random numbers) and the difference is never negative;
* the blocker: :func:`sim.outputs.pipeline.target_rows` (the veto party that most often rejects the offer's best
  completion, its red line or the fixed issue it loses most on);
* the smallest change: :func:`sim.studies.whatif.smallest_issue_change` (fewest fixed issues moved, then least
  loss to the sponsor), on its own, smaller sample count because it scores many candidate packages.

The document records the scenario's content hash and the settings, so a test can tell it is stale without
recomputing anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sim.outputs.pipeline import target_rows
from sim.scenario.model import Role, Scenario
from sim.studies.whatif import smallest_issue_change
from sim.zone.intervals import METHOD, proportion_interval
from sim.zone.preferences import sample_preferences
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


def without_ratifiers(scenario: Scenario) -> Scenario:
    """The negotiation as if nothing had to be ratified: the same scenario without its ratifier parties."""
    return scenario.model_copy(update={"parties": [p for p in scenario.parties if p.role is not Role.ratifier]})


def _space_target(zone: ZoneResult) -> int:
    return next(t for t, target in enumerate(zone.targets.targets) if target.kind == "space")


def _hits(zone: ZoneResult) -> np.ndarray:
    return np.bitwise_count(zone.targets.hits).sum(axis=-1)


def _blocker(row: dict[str, object]) -> str:
    """One readable phrase: who rejects the best completion most often, and why (red line or worst issue)."""
    party = str(row["blocker"])
    if not party:
        return "—"
    reject = float(row["blocker_reject"])  # type: ignore[arg-type]
    if row.get("blocker_red_line"):
        return f"{party} ({reject:.0%} reject; red line `{row['blocker_red_line']}`)"
    if row.get("blocker_issue"):
        return f"{party} ({reject:.0%} reject; loses most on `{row['blocker_issue']}`)"
    return f"{party} ({reject:.0%} reject)"


def _change(scenario: Scenario, offer_id: str, settings: Settings) -> str:
    """whatif's smallest issue change reaching the target, as ``issue: old → new`` (or why there is none)."""
    offer = next(o for o in scenario.offers if o.id == offer_id)
    preferences = sample_preferences(scenario, settings.whatif_samples, np.random.default_rng(settings.seed))
    change, evaluated = smallest_issue_change(scenario, preferences, offer, settings.target, WHATIF_CANDIDATES)
    if change is None:
        return f"none within the first {min(evaluated, WHATIF_CANDIDATES):,} candidate moves of its fixed issues"
    if not change.changes:
        return f"none needed ({change.probability:.2f})"
    moves = "; ".join(f"{issue}: {old} → {new}" for issue, (old, new) in change.changes.items())
    return f"{moves} ({change.probability:.2f})"


def brief(scenario: Scenario, settings: Settings) -> Brief:
    """Score every offer with and without the ratifiers, find blockers and the smallest changes."""
    zone = compute_zone(scenario, settings.samples, settings.seed, with_options=False)
    table = compute_zone(without_ratifiers(scenario), settings.samples, settings.seed, with_options=False)
    space = PackageSpace.from_scenario(scenario)
    rows = {str(row["target"]): row for row in target_rows(scenario, space, zone.preferences, zone.targets, "offer")}
    hits, table_hits = _hits(zone), _hits(table)
    n = settings.samples
    low, high = proportion_interval(hits, n)
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
                p_table=table_hits[t] / n,
                p_not_ratified=(table_hits[t] - hits[t]) / n,
                blocker=_blocker(rows[offer.id]),
                change=_change(scenario, offer.id, settings),
            )
        )
    s = _space_target(zone)
    return Brief(
        scenario,
        settings,
        offers,
        hits[s] / n,
        (float(low[s]), float(high[s])),
        table_hits[s] / n,
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
        f"rejected by a ratifier. Blocker: the veto party that most often rejects the offer's best completion. "
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
    return "\n".join(lines) + "\n"
