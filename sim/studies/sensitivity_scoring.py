"""Scoring the perturbations of a sensitivity study from one shared base instead of one fresh zone run each.

A perturbation moves one party's weight, reservation or red line; everything else about the study is the same for
all of them, so it is done once per process (:class:`StudyBase`): the uniform numbers behind the samples are drawn
once and every perturbed party's preferences are mapped from those same numbers (common random numbers: every
perturbation sees the same draws, so the difference between two rows comes from the perturbation, not from
sampling noise — far less noisy than independent runs), and the package space, the targets and the baseline's
pairs (package, sample) agreed at the table are found once. Then each perturbation does only what it can change:

* a weight or reservation of party *p*: only *p*'s acceptance changes, so it is decided, for *p* alone, on the pairs
  every other veto party accepts and *p*'s red lines allow (found once per party: by the zone's branch and bound,
  or for a ratifier by re-ratifying the baseline's table pairs). When there are more than ``OTHERS_LIMIT`` of them
  (a party at the table that is the only one to reject most packages), the search re-runs instead: cheaper then;
* a red line touches only the packages holding its option: made certain (``holds`` 1), it removes them from the
  baseline's zone; switched off, the zone's branch and bound runs again over those packages only (the other
  options of that issue are pruned before any arithmetic) and the rest of the baseline's zone is kept.

No per-package table, per-party acceptance count or option marginal is computed (before issue 12 a full
``compute_zone`` per perturbation spent 2.5 of its 2.8 s on those on the baseline): a row needs only the zone mass,
P(zone non-empty) and each offer's completion probability. Every row equals ``compute_zone`` on the perturbed
scenario with the same seed, bit for bit (tested against it on random scenarios), and each probability carries its
Monte-Carlo interval (``sim.zone.intervals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.scenario.model import Scenario
from sim.studies.sensitivity import Perturbation, apply_perturbation
from sim.studies.zone_pairs import (
    ZonePairs,
    accepted_alone,
    completions_in_zone,
    others_pairs,
    party_alone,
    ratified,
    samples_hit,
    table_pairs,
)
from sim.zone.intervals import proportion_interval
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws, preferences_from_draws
from sim.zone.scoring import Target, scenario_targets
from sim.zone.settings import RunSettings, run_draws
from sim.zone.space import PackageSpace, option_index

OTHERS_LIMIT = 400_000  # pairs: deciding one party on more costs about as much as the whole search (measured)


@dataclass(frozen=True, eq=False)
class StudyBase:
    """What every perturbation of one study shares: draws, space, targets, baseline preferences and table pairs,
    and (built when first needed) per party the pairs every other veto party accepts."""

    scenario: Scenario
    samples: int
    seed: int
    threads: int
    draws: Draws
    space: PackageSpace
    targets: list[Target]
    preferences: Preferences
    table: ZonePairs
    others_limit: int | None = OTHERS_LIMIT
    others: dict[int, ZonePairs | None] = field(default_factory=dict)

    @classmethod
    def build(
        cls, scenario: Scenario, samples: int, seed: int, threads: int = 1, others_limit: int | None = OTHERS_LIMIT
    ) -> StudyBase:
        draws = run_draws(scenario, RunSettings(samples, seed))
        space = PackageSpace.from_scenario(scenario)
        preferences = preferences_from_draws(scenario, draws)
        table = table_pairs(space, preferences, threads, scenario.run.chunk_size)
        assert table is not None
        targets = scenario_targets(scenario, space, with_options=False)
        return cls(scenario, samples, seed, threads, draws, space, targets, preferences, table, others_limit)

    def others_of(self, party: int) -> ZonePairs | None:
        if party not in self.others:
            self.others[party] = others_pairs(
                self.space,
                self.preferences,
                party,
                tail_max=self.scenario.run.chunk_size,
                limit=self.others_limit,
                table=self.table,
            )
        return self.others[party]

    def zone(self, change: Perturbation | None) -> ZonePairs:
        """The pairs in the zone under one perturbation (the baseline's when ``change`` is None)."""
        if change is None:
            return self.table.in_zone()
        scenario = apply_perturbation(self.scenario, change)
        party = self.preferences.party_ids.index(change.party)
        if not self.preferences.veto[party]:
            return self.zone(None)
        if change.kind in ("weight", "reservation") and (others := self.others_of(party)) is not None:
            return accepted_alone(party_alone(scenario, scenario.parties[party], self.draws.party(party)), others)
        if change.kind in ("red_line", "holds"):
            # a red line touches only the packages holding its option: the rest of the zone stays as it was
            issue, option = option_index(self.space.issue_ids, self.space.option_ids, change.subject)
            baseline = self.zone(None)
            outside = baseline.take(np.flatnonzero(~baseline.matching({issue: option})))
            if change.kind == "holds" and change.value is not None and change.value >= 1.0:
                return outside  # now certain: the party rejects every package holding the option
            preferences = preferences_from_draws(scenario, self.draws)
            inside = completions_in_zone(self.space, preferences, {issue: option}, self.scenario.run.chunk_size)
            return outside.plus(inside)
        preferences = preferences_from_draws(scenario, self.draws)
        if preferences.ratifier[party]:
            return self.table.take(np.flatnonzero(ratified(preferences, self.table)))
        pairs = table_pairs(self.space, preferences, self.threads, self.scenario.run.chunk_size)
        assert pairs is not None
        return pairs.in_zone()

    def row(self, change: Perturbation | None) -> dict[str, Any]:
        """Zone mass, P(zone not empty) and each offer's completion probability under one perturbation."""
        in_zone = self.zone(change)
        row: dict[str, Any] = {
            "parameter": change.parameter if change else "baseline",
            "label": change.label(self.scenario) if change else "baseline",
            "party": change.party if change else "",
            "kind": change.kind if change else "",
            "subject": change.subject if change else "",
            "setting": change.setting if change else "",
            "value": change.value if change else None,
            "zone_mass": len(in_zone) / self.samples,
        }
        for target in self.targets:
            name = f"offer_{target.name}" if target.kind == "offer" else "p_zone_nonempty"
            count = samples_hit(in_zone.samples[in_zone.matching(target.fix)], self.samples)
            low, high = proportion_interval(count, self.samples)
            row.update({name: count / self.samples, f"{name}_lo": float(low), f"{name}_hi": float(high)})
        return row


_BASES: dict[tuple[str, int, int, int], StudyBase] = {}


def study_base(scenario: Scenario, samples: int, seed: int, threads: int = 1) -> StudyBase:
    """The study's shared base, built once per process (a worker process builds its own the first time)."""
    key = (scenario.content_hash(), samples, seed, threads)
    if key not in _BASES:
        _BASES.clear()  # one study at a time: do not hold on to an earlier study's arrays
        _BASES[key] = StudyBase.build(scenario, samples, seed, threads)
    return _BASES[key]


@dataclass(frozen=True)
class SensitivityTask:
    scenario: Scenario
    change: Perturbation | None
    samples: int
    seed: int
    threads: int = 1


def score_task(task: SensitivityTask) -> dict[str, Any]:
    """One row of the study (the baseline when ``change`` is None), from the process's shared base."""
    return study_base(task.scenario, task.samples, task.seed, task.threads).row(task.change)
