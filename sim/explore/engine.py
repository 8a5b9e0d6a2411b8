"""The scenario under the page's edits and its zone, re-scored only where a change can reach.

The page must answer within a few hundred milliseconds, and a fresh zone of the baseline takes seconds. So, as the
sensitivity study does (``sim.studies.sensitivity_scoring``), the uniform numbers behind the samples are drawn once
and every edited scenario's preferences are mapped from those same numbers (common random numbers: bit for bit what
``negsim run --set ... --samples S`` samples), and the zone is kept as its (package, sample) pairs
(``sim.studies.zone_pairs``), from which every number on the page is a count. A change then does only what it must:

* one party's reservation raised: the zone keeps the pairs the party still accepts (no search); lowered: the zone's
  branch and bound runs once with the party's threshold a little below the new reservation (up to ``FLOOR``, in
  each sample in proportion to how far the move lowered it there), and every later move of that reservation above
  the floor is decided on those pairs alone (dragging a slider costs one pass per ``FLOOR`` dragged);
* one party's weight: only that party's acceptance changes, so it is decided on the pairs every *other* veto party
  accepts and its red lines allow (found once per party and kept while only that party moves), unless there are
  more of those than a fresh search costs (``OTHERS_LIMIT``);
* a red line's ``holds`` raised: the zone loses the pairs holding the option in the samples where it now holds (no
  search); lowered or switched off: the branch and bound runs again over the packages holding that option only;
* a party without a veto (a mediator): nothing in the zone changes;
* anything else (a veto switched, several parties at once): the whole zone is searched again.

The edited scenario is built from the loaded one by copying only the changed parties (the edits path, which parses
and validates the whole document, costs ~50 ms); a test proves it equal to ``negsim run --set``'s. Every result
equals a fresh zone of the edited scenario, bit for bit (``tests/test_explore_engine.py`` proves it on
random scenarios and edits).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.explore.settings import PartySettings, SettingError, Settings, edits_between
from sim.scenario.checks import reference_problems
from sim.scenario.edits import Edit, apply_edits
from sim.scenario.loading import load_with_extends, validate_located
from sim.scenario.model import Scenario
from sim.studies.sensitivity_scoring import OTHERS_LIMIT
from sim.studies.zone_pairs import (
    ANY_UTILITY,
    ZonePairs,
    accepted_alone,
    completions_in_zone,
    others_pairs,
    party_alone,
    zone_pairs,
)
from sim.zone.preferences import UNIT, Preferences
from sim.zone.sampling import Draws, preferences_from_draws
from sim.zone.settings import run_draws
from sim.zone.space import PackageSpace, option_index

FLOOR = 0.05  # a lowered reservation is searched this far below, so the next moves down need no search


@dataclass(frozen=True, eq=False)
class State:
    """One edited scenario with its preferences (from the shared draws) and its zone's (package, sample) pairs."""

    settings: Settings
    scenario: Scenario
    preferences: Preferences
    zone: ZonePairs
    how: str = "fresh zone"  # how the zone was found (shown on the page, measured by the benchmark)


@dataclass(frozen=True, eq=False)
class Candidates:
    """The pairs every veto party but one accepts, its red lines allow, and its utility reaches ``floor`` (integer
    units per sample; ``ANY_UTILITY`` for every pair): a change of that party that keeps its threshold above the
    floor can only pick among them."""

    floor: np.ndarray
    pairs: ZonePairs


@dataclass(eq=False)
class Engine:
    """A scenario file, its samples, and the current edited state; ``apply`` moves to new settings."""

    path: Path
    samples: int
    seed: int
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    others_limit: int | None = OTHERS_LIMIT

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._document = load_with_extends(self.path)
        self.loaded = validate_located(copy.deepcopy(self._document))
        self.space = PackageSpace.from_scenario(self.loaded)
        self.draws: Draws = run_draws(self.loaded, self)
        self.loaded_settings = Settings.of(self.loaded)
        preferences = preferences_from_draws(self.loaded, self.draws)
        self.base = State(self.loaded_settings, self.loaded, preferences, self._fresh(preferences))
        self.current = self.base
        self._candidates: dict[int, Candidates | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path, samples: int | None = None, seed: int | None = None) -> Engine:
        """An engine on a scenario file with the run's samples and seed unless given (as ``negsim run`` takes)."""
        loaded = validate_located(load_with_extends(Path(path)))
        return cls(Path(path), samples or loaded.run.samples, loaded.run.seed if seed is None else seed)

    @property
    def chunk(self) -> int | None:
        return self.loaded.run.chunk_size

    def edits(self, settings: Settings) -> list[Edit]:
        return edits_between(self.loaded_settings, settings)

    def scenario_for(self, edits: list[Edit]) -> Scenario:
        """The scenario as loaded with ``edits`` applied and validated, as ``negsim run --set`` builds it (raises
        ``ScenarioError``)."""
        document = copy.deepcopy(self._document)
        apply_edits(document, edits)
        return validate_located(document)

    def scenario_with(self, settings: Settings) -> Scenario:
        """The scenario as loaded with the changed parties copied under ``settings`` (the values were checked by
        ``Settings.with_value``; the scenario-wide checks run here and raise ``SettingError``)."""
        parties = []
        for party in self.loaded.parties:
            mine = settings.parties[party.id]
            if mine == self.loaded_settings.parties[party.id]:
                parties.append(party)
                continue
            red_lines = [
                red.model_copy(update={"holds": mine.red_lines[red.option]})
                for red in party.red_lines
                if mine.red_lines[red.option] is not None
            ]
            update = {"reservation": mine.reservation, "weights": dict(mine.weights), "red_lines": red_lines}
            update["veto"] = party.veto if mine.veto == party.has_veto else mine.veto
            parties.append(party.model_copy(update=update))
        scenario = self.loaded.model_copy(update={"parties": parties})
        problems = reference_problems(scenario)
        if problems:
            raise SettingError(problems[0][1])
        return scenario

    def apply(self, settings: Settings) -> State:
        """Move to ``settings``: the edited scenario and its zone, re-scored only where the change reaches."""
        with self._lock:
            current = self.current
            if settings == current.settings:
                return current
            scenario = self.scenario_with(settings)
            preferences = _keep_bodies(preferences_from_draws(scenario, self.draws), scenario, current)
            zone, how = self._rescore(current, settings, scenario, preferences)
            self.current = State(settings, scenario, preferences, zone, how)
            return self.current

    def reset(self) -> State:
        with self._lock:
            self._candidates.clear()
            self.current = self.base
            return self.current

    def _fresh(self, preferences: Preferences) -> ZonePairs:
        return zone_pairs(self.space, preferences, self.threads, self.chunk)

    def _rescore(
        self, current: State, settings: Settings, scenario: Scenario, preferences: Preferences
    ) -> tuple[ZonePairs, str]:
        changed = settings.changed_parties(current.settings)
        if len(changed) != 1:
            self._candidates.clear()
            return self._fresh(preferences), "fresh zone (several parties changed)"
        pid = changed[0]
        party = [p.id for p in self.loaded.parties].index(pid)
        before, after = current.settings.parties[pid], settings.parties[pid]
        if before.veto != after.veto:
            self._candidates.clear()
            return self._fresh(preferences), "fresh zone (veto switched)"
        if not after.veto:
            return current.zone, "unchanged (a party without a veto)"
        kept = self._candidates.get(party)
        self._candidates = {party: kept} if party in self._candidates else {}
        alone = party_alone(scenario, scenario.parties[party], self.draws.party(party))
        if _only(before, after, ("reservation",)):
            return self._reservation(current, preferences, party, alone)
        if _only(before, after, ("weights", "reservation")):
            found = self._others(current, party)
            if found is None:
                return self._fresh(preferences), "fresh zone (too many pairs to decide one party on)"
            return accepted_alone(alone, found.pairs), "one party re-decided on the others' pairs"
        self._candidates.clear()
        moved = [ref for ref in after.red_lines if after.red_lines[ref] != before.red_lines[ref]]
        if _only(before, after, ("red_lines",)) and len(moved) == 1:
            return self._red_line(current, preferences, party, moved[0], before, after)
        return self._fresh(preferences), "fresh zone"

    def _reservation(
        self, current: State, preferences: Preferences, party: int, alone: Preferences
    ) -> tuple[ZonePairs, str]:
        threshold = preferences.threshold[party]
        found = self._candidates.get(party)
        if found is not None and (threshold >= found.floor).all():
            return accepted_alone(alone, found.pairs), "reservation: decided on the pairs above its floor"
        if (threshold >= current.preferences.threshold[party]).all():
            return accepted_alone(alone, current.zone), "reservation raised: pairs removed, no search"
        # room below each sample's threshold in proportion to how fast the move lowers it there (a low end dragged
        # lowers sample s by (1 - u_s) per unit, a high end by u_s), at least half of FLOOR (the other end may move
        # next): the samples that move fastest reach their floor no sooner, and the search admits fewer pairs
        drop = np.maximum(current.preferences.threshold[party].astype(np.int64) - threshold, 0)
        room = np.maximum(drop / drop.max(), 0.5)
        floor = threshold - np.round(FLOOR / UNIT * room).astype(threshold.dtype)
        lowered = current.preferences.threshold.copy()
        lowered[party] = floor
        pairs = zone_pairs(self.space, dataclasses.replace(preferences, threshold=lowered), self.threads, self.chunk)
        self._candidates[party] = Candidates(floor, pairs)
        return accepted_alone(alone, pairs), "reservation lowered: one search below it"

    def _others(self, current: State, party: int) -> Candidates | None:
        if party in self._candidates and self._candidates[party] is None:
            return None  # more pairs than the limit last time, and nothing but this party has moved since
        found = self._candidates.get(party)
        if found is None or (found.floor > ANY_UTILITY).any():
            pairs = others_pairs(self.space, current.preferences, party, tail_max=self.chunk, limit=self.others_limit)
            found = None if pairs is None else Candidates(np.full(self.samples, ANY_UTILITY), pairs)
            self._candidates[party] = found
        return found

    def _red_line(
        self,
        current: State,
        preferences: Preferences,
        party: int,
        ref: str,
        before: PartySettings,
        after: PartySettings,
    ) -> tuple[ZonePairs, str]:
        issue, option = option_index(self.space.issue_ids, self.space.option_ids, ref)
        zone = current.zone
        holding = zone.matching({issue: option})
        old, new = before.red_lines[ref], after.red_lines[ref]
        if new is not None and new > 0 and (old is None or new >= old):
            # held in more samples (common random numbers: a draw below the old holds is below the new one)
            held = next(r for r in preferences.red_line_list if r.party == party and r.option == (issue, option))
            dropped = holding & held.in_sample[zone.samples]
            return zone.take(np.flatnonzero(~dropped)), "red line raised: pairs removed, no search"
        outside = zone.take(np.flatnonzero(~holding))
        inside = completions_in_zone(self.space, preferences, {issue: option}, self.chunk)
        return outside.plus(inside), "red line lowered: search over the packages holding its option"


def _keep_bodies(preferences: Preferences, scenario: Scenario, current: State) -> Preferences:
    """``preferences`` with the voting bodies of unchanged parties taken from ``current``: a body is its party's
    numbers and draws only (its threshold is read from the preferences), so it is the same body, and it keeps the
    pivots it has computed (``Electorate._memo``): the next search asks for most of them again."""
    before = {body.party: body for body in current.preferences.electorates}
    bodies = tuple(
        before[body.party]
        if body.party in before and scenario.parties[body.party] is current.scenario.parties[body.party]
        else body
        for body in preferences.electorates
    )
    return dataclasses.replace(preferences, electorates=bodies) if bodies else preferences


def _only(before: PartySettings, after: PartySettings, fields: tuple[str, ...]) -> bool:
    """Whether ``before`` and ``after`` differ in ``fields`` only."""
    names = ("reservation", "weights", "red_lines", "veto")
    return all(getattr(before, name) == getattr(after, name) for name in names if name not in fields)
