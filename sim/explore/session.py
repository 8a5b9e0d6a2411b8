"""One analyst's page: the engine, the draft, and every number the page shows, with what can be kept kept.

A control's change arrives as (name, typed text). A party's control moves the engine to new settings
(``sim.explore.engine``); a draft control changes only the draft, so the zone is not touched at all. Each party's
could-accept (its own best completion, the costliest number of a draft) depends only on that party and the draft,
so it is cached by both and recomputed only for the party that moved. Differences from the scenario as loaded are
paired sample by sample (the same draws) with ``sim.studies.compare.difference_interval`` and flagged beyond noise
when their 95 % interval excludes 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.explore.draft import DraftScores, Fix, ZoneSummary, score_draft, summarize_zone
from sim.explore.engine import Engine, State
from sim.explore.settings import PartySettings, SettingError, edit_text
from sim.scenario.errors import ScenarioError
from sim.scenario.model import Offer, Scenario
from sim.studies.compare import difference_interval
from sim.studies.whatif import change_set_answer
from sim.studies.whatif_answer import WhatIfResult
from sim.zone.offers import TargetContext
from sim.zone.own_best import could_accept, own_best
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws
from sim.zone.space import option_index


@dataclass(frozen=True, eq=False)
class Difference:
    label: str
    loaded: float
    now: float
    diff: float
    low: float
    high: float

    @property
    def beyond_noise(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True, eq=False)
class Results:
    """Everything one refresh of the page shows."""

    state: State
    context: TargetContext
    draft: DraftScores
    zone: ZoneSummary
    differences: list[Difference]
    how: str = ""  # what the last change did (shown under "Last change")


@dataclass(eq=False)
class Session:
    engine: Engine
    draft: Fix = field(default_factory=dict)
    last: str = "the scenario as loaded: a fresh zone"
    _best: dict[tuple, np.ndarray] = field(default_factory=dict)  # own best utility by draft and party state

    def change(self, name: str, text: str) -> None:
        """Apply one control's value; raises ``SettingError`` (a bad value) or ``ScenarioError`` (an invalid
        scenario) with the engine left as it was."""
        if name.startswith("draft|"):
            self.set_draft_option(name.split("|", 1)[1], text)
            self.last = "draft changed: the zone kept as it was; each party's own best completion"
            return
        try:
            settings = self.engine.current.settings.with_value(name, text)
        except SettingError as exc:
            raise SettingError(f"{self.label_of(name)}: {exc}") from None
        try:
            self.last = self.engine.apply(settings).how
        except ScenarioError as exc:
            raise SettingError(f"{self.label_of(name)}: {str(exc).splitlines()[0]}") from None

    def set_draft_option(self, issue_id: str, option_id: str) -> None:
        space = self.engine.space
        if issue_id not in space.issue_ids:
            raise SettingError(f"no issue '{issue_id}'")
        issue = space.issue_ids.index(issue_id)
        if not option_id:
            self.draft.pop(issue, None)
            return
        self.draft[issue] = option_index(space.issue_ids, space.option_ids, f"{issue_id}.{option_id}")[1]

    def label_of(self, name: str) -> str:
        parts = name.split("|")
        party = next((p for p in self.engine.loaded.parties if p.id == parts[0]), None)
        return f"{party.name if party else parts[0]} {' '.join(parts[1:])}"

    def draft_ids(self) -> dict[str, str]:
        space = self.engine.space
        return {space.issue_ids[i]: space.option_ids[i][o] for i, o in sorted(self.draft.items())}

    def _could_rows(self, state: State, fix: Fix) -> np.ndarray:
        rows = []
        key_fix = tuple(sorted(fix.items()))
        for p, party in enumerate(state.scenario.parties):
            key = (key_fix, p, _party_key(state.settings.parties[party.id]))
            if key not in self._best:
                self._best[key] = own_best(self.engine.space, state.preferences, p, fix)
            rows.append(could_accept(state.preferences, p, self._best[key]))
        if len(self._best) > 4096:
            self._best.clear()
        return np.stack(rows)

    def results(self) -> Results:
        engine = self.engine
        state, base = engine.current, engine.base
        context = TargetContext(state.scenario, engine.space, state.preferences)
        draft = score_draft(context, state.zone, dict(self.draft), self._could_rows(state, self.draft))
        zone = summarize_zone(engine.space, state.zone, engine.samples)
        differences: list[Difference] = []
        if state is not base:
            differences = self._differences(state, base, draft, zone)
        return Results(state, context, draft, zone, differences, self.last)

    def _differences(self, state: State, base: State, draft: DraftScores, zone: ZoneSummary) -> list[Difference]:
        engine = self.engine
        base_zone = summarize_zone(engine.space, base.zone, engine.samples, top=0)
        base_hits = np.bincount(base.zone.samples[base.zone.matching(self.draft)], minlength=engine.samples) > 0
        pairs: list[tuple[str, np.ndarray, np.ndarray]] = [
            ("P(zone non-empty)", base_zone.nonempty, zone.nonempty),
            ("Draft P(some completion in zone)", base_hits, draft.hits),
        ]
        could_base = self._could_rows(base, self.draft)
        accepts_base = None
        if draft.package >= 0:
            codes = engine.space.codes(np.array([draft.package]))
            accepts_base = base.preferences.acceptable(engine.space, codes)[:, 0, :]
        for p, party in enumerate(state.scenario.parties):
            pairs.append((f"{party.name} P(accept draft)", could_base[p], draft.could[p]))
            if accepts_base is not None:
                pairs.append((f"{party.name} P(accept completion)", accepts_base[p], draft.accepts[p]))
        out = []
        for label, before, now in pairs:
            diff, low, high = difference_interval(before, now)
            out.append(Difference(label, float(before.mean()), float(now.mean()), diff, low, high))
        return out

    def what_would_it_take(self, target: float, max_changes: int) -> WhatIf:
        """``negsim whatif``'s answer for the draft on the page's samples and settings (the same search,
        :func:`sim.studies.whatif.change_set_answer`), with the command line that gives it."""
        return self.whatif_search(target, max_changes).run()

    def whatif_search(self, target: float, max_changes: int) -> WhatIfSearch:
        """What "what would it take" needs, taken now: the search then runs on it alone, so the page (which holds
        its lock only while taking this) keeps answering every change while the search goes on."""
        if not self.draft:
            raise SettingError("What would it take: fix at least one issue of the draft first")
        engine, state = self.engine, self.engine.current
        ids = self.draft_ids()
        named = next((o for o in state.scenario.offers if dict(o.fix) == ids), None)
        offer = named or Offer(id="explore_draft", label="the draft", fix=ids)
        scenario = state.scenario  # the answer is checked by editing the offer in it: a drafted one is added
        if named is None:
            scenario = scenario.model_copy(update={"offers": [*scenario.offers, offer]})
        options = f"--offer {offer.id} --target {target:g} --max-changes {max_changes}"
        if named is None:  # the saved variant holds the page's changes and the draft as the offer explore_draft
            command = f"save as variant, then: negsim whatif VARIANT {options}"
        else:
            edits = " ".join(edit_text(e) for e in engine.edits(state.settings))
            line = f"negsim whatif {engine.path.as_posix()} {options} --samples {engine.samples} --seed {engine.seed}"
            command = f"{line} {edits}".strip()
        return WhatIfSearch(scenario, offer, target, max_changes, engine.draws, engine.seed, state.preferences, command)


@dataclass(frozen=True, eq=False)
class WhatIfSearch:
    """One "what would it take" search, on a snapshot of the page (a state is never changed, only replaced)."""

    scenario: Scenario
    offer: Offer
    target: float
    max_changes: int
    draws: Draws
    seed: int
    preferences: Preferences
    command: str

    def run(self, cancelled: Callable[[], bool] | None = None) -> WhatIf:
        """The answer; raises ``Cancelled`` (``sim.studies.zone_pairs``) as soon as ``cancelled()`` says so."""
        answer = change_set_answer(
            self.scenario,
            self.offer,
            self.target,
            "stated with --target",  # the page shows the command line that gives this answer
            self.draws,
            self.seed,
            max_changes=self.max_changes,
            preferences=self.preferences,
            cancelled=cancelled,
        )
        return WhatIf(answer, self.command)


@dataclass(frozen=True)
class WhatIf:
    """The page's "what would it take": whatif's answer and the command line that reproduces it."""

    answer: WhatIfResult
    command: str


def _party_key(settings: PartySettings) -> tuple:
    """What a party's own best completion depends on: its weights and red lines, not its reservation."""
    return (
        tuple(sorted(settings.weights.items())),
        tuple(sorted((k, -1.0 if v is None else v) for k, v in settings.red_lines.items())),
    )
