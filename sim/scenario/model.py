"""The scenario format: pydantic models, cross-reference checks, and loading with file:line errors.

These models are the single source of truth for what a scenario may say (DESIGN.md, "The scenario file").
Unknown keys are rejected so that a typo (``wieghts``) is an error, not a silently ignored preference.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

import yaml
from pydantic import Field, model_validator

from sim.scenario.bodies import Correlation, Electorate, Follows, RedLine
from sim.scenario.judgement import JudgementCall
from sim.scenario.limits import MAX_ROUNDS, MAX_SAMPLES
from sim.scenario.values import (
    DriftRange,
    Id,
    IssueKey,
    Label,
    OptionKey,
    OptionRef,
    PartyId,
    PartyKey,
    ReasonKey,
    SourceKey,
    Sources,
    StrictModel,
    UnitRange,
    WeightRange,
)

FORMAT_VERSION = 1


class Source(StrictModel):
    """A public text that an option, weight or red line rests on."""

    title: Label
    """What the text is called. Example: `title: "Resolving NATO Expansion"`"""
    publisher: str | None = None
    """Who published it. Example: `publisher: Reuters`"""
    author: str | None = None
    """Who wrote it. Example: `author: A. Kurmanaev`"""
    date: str | None = None
    """When it was published (validate warns without one). Example: `date: "2025-09-04"`"""
    file: str | None = None
    """A local copy (a regular file, relative to the YAML file that names it); quotes citing the source are checked
    in it. Example: `file: sources/003_60bf241b7decc268.txt`"""
    url: str | None = None
    """Where it is online. Example: `url: https://tass.com/politics/1967405`"""
    note: str | None = None
    """Anything a reader should know about the source. Example: `note: opinion piece`"""


class Option(StrictModel):
    """One way an issue can be settled."""

    id: Id
    """Unique within its issue; written in option refs as `issue.option`. Example: `id: open_door`"""
    label: Label
    """What the option says, for people. Example: `label: "Open door kept, no invitation"`"""
    sources: Sources = []
    """Citations saying the option is on the table. Example: `sources: [S3, {S4: "no NATO expansion"}]`"""
    note: str | None = None
    """Anything a reader should know. Example: `note: inference from S2`"""


class Issue(StrictModel):
    """One dimension of a settlement; a package picks exactly one option of every issue."""

    id: Id
    """Unique among issues. Example: `id: alliance`"""
    title: Label
    """What the issue is, for people. Example: `title: Ukraine's alliance status`"""
    options: list[Option] = Field(min_length=2)
    """Two or more options, ordered (one side's ideal first, by convention). Example: `options: [{id: neutral,
    label: Neutrality}, {id: open_door, label: Open door}]`"""
    sources: Sources = []
    """Citations for the issue as a whole. Example: `sources: [S3]`"""
    note: str | None = None
    """Anything a reader should know. Example: `note: settled in Istanbul 2022 drafts`"""

    @property
    def option_ids(self) -> list[str]:
        return [option.id for option in self.options]


class Role(StrEnum):
    """negotiator, guarantor and ratifier hold a veto by default; a mediator does not."""

    negotiator = "negotiator"
    mediator = "mediator"
    guarantor = "guarantor"
    ratifier = "ratifier"


class Concession(StrEnum):
    """How a party's aspiration falls over the rounds (Faratin, Sierra & Jennings 1998 time-dependent tactics)."""

    boulware = "boulware"
    linear = "linear"
    conceder = "conceder"
    reciprocal = "reciprocal"
    hardliner = "hardliner"


class Beliefs(StrEnum):
    """What a party believes of the others' utilities during `negotiate`."""

    published = "published"
    frequency = "frequency"


DEFAULT_EXPONENT = {
    Concession.boulware: 0.2,
    Concession.linear: 1.0,
    Concession.conceder: 3.0,
    Concession.reciprocal: 1.0,
    Concession.hardliner: 1.0,
}


class Leverage(StrictModel):
    """Pressure by this party: each rejection of the mediator's text by ``target`` lowers its reservation by ``cut``."""

    target: PartyId
    """The party pressed (another party's id). Example: `target: ukraine`"""
    cut: UnitRange
    """Reservation lost per rejection of the mediator's text, drawn once per run. Example: `cut: [0.001, 0.003]`"""


class Strategy(StrictModel):
    """How a party bargains in `negotiate` (the zone does not use it)."""

    concession: Concession = Concession.linear
    """boulware: holds firm, concedes late; linear: evenly; conceder: early; reciprocal: concedes what the others
    conceded last round (relative tit-for-tat); hardliner: never concedes. Example: `concession: boulware`"""
    exponent: float | None = Field(default=None, gt=0)
    """e in a(t) = r + (u_max - r)(1 - (t/T)^(1/e)); default 0.2 boulware, 1 linear, 3 conceder. Example:
    `exponent: 0.3`"""
    beliefs: Beliefs = Beliefs.published
    """published: takes the others' published (midpoint) preferences as true; frequency: learns them from how often
    they offer each option (ANAC-style frequency model). Example: `beliefs: frequency`"""
    reservation_drift: DriftRange = (0.0, 0.0)
    """How the reservation (the value of no deal) moves per round, drawn once per run from the range: negative when
    the party's alternative worsens (economic strain, battlefield trend). Example: `reservation_drift: [-0.004, 0.0]`"""
    leverage: Leverage | None = None
    """Pressure this party can apply in mediated talks: each time `target` rejects the mediator's text, the
    target's reservation falls by `cut` (drawn once per run). Example:
    `leverage: {target: ukraine, cut: [0.001, 0.003]}`"""

    @property
    def effective_exponent(self) -> float:
        return self.exponent if self.exponent is not None else DEFAULT_EXPONENT[self.concession]


class Reason(StrictModel):
    """Why a party's number is what it is, and which sources say so."""

    why: str
    """The reasoning, quoting sources where they speak. Example: `why: "'would never tolerate' Ukraine in NATO"`"""
    sources: Sources = []
    """Citations. Example: `sources: [{S1: "would never tolerate"}]`"""


class Link(StrictModel):
    """A pairwise term: the party's value for ``option`` when ``when`` is also in the package (issue 9 part 2)."""

    when: OptionRef
    """The condition: an option of another issue. Example: `when: troops.no_nato_troops`"""
    option: OptionRef
    """The option whose value changes; its issue must be weighed by the party, and all links for one option must
    condition on the same issue. Example: `option: guarantees.article5_bilateral`"""
    value: UnitRange
    """The value of `option` (in place of the party's `values` entry) when `when` holds; a range is uncertainty.
    Example: `value: [0.3, 0.5]`"""
    sources: Sources = []
    """Citations. Example: `sources: [S1]`"""
    why: str | None = None
    """The reasoning. Example: `why: guarantees without troops are paper`"""


class Party(StrictModel):
    """An actor with preferences over packages."""

    id: Id
    """Unique among parties; also the `--set` shorthand (`russia.weights.alliance`). Example: `id: russia`"""
    name: Label
    """For people. Example: `name: Russia`"""
    role: Role = Role.negotiator
    """negotiator (at the table, veto), guarantor (veto), mediator (no veto, proposes in `negotiate`), ratifier (a
    veto player not at the table that only votes on the final package; may omit issues outside its purview).
    Example: `role: ratifier`"""
    veto: bool | None = None
    """Overrides the role's veto (every veto party must accept a package for it to be in the zone). Example:
    `veto: false`"""
    power: float = Field(default=1.0, gt=0)
    """Relative bargaining power (> 0). Recorded and shown in the catalogue; no computation uses it yet. Example:
    `power: 1.5`"""
    weights: dict[IssueKey, WeightRange]
    """Importance of each issue (>= 0; normalised to sum to 1 in every sample). An issue left out weighs 0; at
    least one weight's lower end must be > 0. Example: `weights: {alliance: [0.25, 0.40], donbas: 0.3}`"""
    values: dict[IssueKey, dict[OptionKey, UnitRange]]
    """Utility in [0, 1] of each option of every weighed issue (1 = ideal); a range is uniform uncertainty.
    Example: `values: {alliance: {neutral: 1, open_door: [0, 0.2]}}`"""
    reservation: UnitRange
    """The party accepts a package when its utility reaches this (u >= reservation). Example: `reservation: [0.45,
    0.6]`"""
    red_lines: list[RedLine] = []
    """Options the party refuses whatever else a package holds: an option ref (certain) or a mapping with `holds`.
    Example: `red_lines: [alliance.membership_path, {option: donbas.frozen_line, holds: 0.7}]`"""
    links: list[Link] = []
    """Values that depend on another issue's option (utility = weighted values + these pairwise terms). Example:
    `links: [{when: troops.no_nato_troops, option: guarantees.article5_bilateral, value: [0.3, 0.5]}]`"""
    electorate: Electorate | None = None
    """A ratifier voting as a body: a population of `voters` or a chamber of `members`, passing a package when the
    accepting share meets `rule`. Example: `electorate: {rule: majority, voters: 1000, spread: {reservation: 0.2}}`"""
    follows: Follows | None = None
    """Its reservation and red lines are correlated with another party's (shorthand for `correlations:`). Example:
    `follows: {party: ukraine, rho: 0.7}`"""
    strategy: Strategy = Strategy()
    """How the party bargains in `negotiate`. Example: `strategy: {concession: boulware, exponent: 0.3}`"""
    reasons: dict[ReasonKey, Reason] = {}
    """Why each number is what it is, keyed by what it explains: `weights`, `weights.<issue>`, `values`,
    `values.<issue>`, `reservation`, `red_lines.<issue>.<option>`, `strategy`, `power` or `role`. Example:
    `reasons: {reservation: {why: "not at any price", sources: [S4]}}`"""
    sources: Sources = []
    """Citations for the party as a whole. Example: `sources: [S0]`"""

    @property
    def has_veto(self) -> bool:
        """Negotiators, guarantors and ratifiers must sign, so they hold a veto unless the scenario says otherwise."""
        return self.veto if self.veto is not None else self.role is not Role.mediator

    def weight_range(self, issue_id: str) -> tuple[float, float]:
        """The party's weight on an issue before normalising; ``(0.0, 0.0)`` for an issue it omits."""
        return self.weights.get(issue_id, (0.0, 0.0))

    def value_range(self, issue_id: str, option_id: str) -> tuple[float, float]:
        """The party's value for an option; ``(0.0, 0.0)`` where it gives none (an issue it does not weigh)."""
        return self.values.get(issue_id, {}).get(option_id, (0.0, 0.0))

    def weighs(self, issue_id: str) -> bool:
        """Whether the issue can count for this party (its weight is above 0 in some sample)."""
        return self.weight_range(issue_id)[1] > 0

    @property
    def red_line_options(self) -> list[str]:
        return [red_line.option for red_line in self.red_lines]


class Constraint(StrictModel):
    """What packages cannot be: ``forbid`` options together, or ``requires`` (all of) only with ``one_of``."""

    forbid: list[OptionRef] | None = Field(default=None, min_length=2)
    """Options (of different issues) that cannot all be in one package. Example: `forbid: [crimea.recognised,
    donbas.russian_withdrawal]`"""
    requires: list[OptionRef] | None = Field(default=None, min_length=1)
    """With `one_of`: when all of these are in a package, one of `one_of` must be too. Example: `requires:
    [guarantees.article5_bilateral]`"""
    one_of: list[OptionRef] | None = Field(default=None, min_length=1)
    """With `requires`: the options that must accompany it (of issues other than `requires`'). Example: `one_of:
    [troops.coalition_force, troops.non_nato_peacekeepers]`"""
    why: str | None = None
    """The reasoning. Example: `why: a guarantee needs forces on the ground`"""
    sources: Sources = []
    """Citations. Example: `sources: [S1]`"""

    @model_validator(mode="after")
    def _one_form(self) -> Constraint:
        if self.forbid is not None and (self.requires is not None or self.one_of is not None):
            raise ValueError("a constraint is either {forbid: [...]} or {requires: [...], one_of: [...]}, not both")
        if self.forbid is None and (self.requires is None or self.one_of is None):
            raise ValueError("a constraint needs forbid: [a.x, b.y], or requires: [a.x] together with one_of: [b.y]")
        return self

    @property
    def refs(self) -> list[str]:
        return [*(self.forbid or []), *(self.requires or []), *(self.one_of or [])]


class Offer(StrictModel):
    """A named partial package (a published proposal): the issues it fixes; the others stay open."""

    id: Id
    """Unique among offers. Example: `id: us_28_point`"""
    label: Label
    """For people. Example: `label: "US 28-point plan (Nov 2025)"`"""
    fix: dict[IssueKey, OptionKey] = Field(min_length=1)
    """Issue -> option the offer settles; issues it is silent on are completed in every way. Example: `fix:
    {alliance: open_door, guarantees: article5_bilateral}`"""
    sponsor: PartyKey | None = None
    """The party that made the offer (`whatif` charges changes to it). Example: `sponsor: united_states`"""
    sources: Sources = []
    """Citations. Example: `sources: [P_US28]`"""
    note: str | None = None
    """What it is silent on, how it was coded. Example: `note: silent on sanctions`"""


class AfterFailedRatification(StrEnum):
    """What `negotiate` does when a ratifier rejects a package agreed at the table."""

    reopen = "reopen"
    end = "end"


class RunSettings(StrictModel):
    """Defaults for the commands (each can be overridden on the command line)."""

    samples: int = Field(default=2000, ge=1, le=MAX_SAMPLES)
    """Monte-Carlo samples of every uncertain number (`--samples`). Example: `samples: 4000`"""
    seed: int = Field(default=0, ge=0)
    """Random seed; the same seed gives the same samples, also across edits (`--seed`). Example: `seed: 7`"""
    rounds: int = Field(default=60, ge=1, le=MAX_ROUNDS)
    """Deadline of `negotiate`, in rounds. Example: `rounds: 60`"""
    chunk_size: int | None = Field(default=None, ge=1)
    """Packages scored per block (memory vs speed; results are identical for any value); default chosen from
    `samples`. Example: `chunk_size: 65536`"""
    after_failed_ratification: AfterFailedRatification = AfterFailedRatification.reopen
    """reopen: talks resume after ratifiers reject a package agreed at the table; end: they stop without agreement.
    Example: `after_failed_ratification: end`"""


class Scenario(StrictModel):
    """One scenario file (after `extends:` and edits are applied)."""

    negsim: int = FORMAT_VERSION
    """Format version; this negsim reads 1. Example: `negsim: 1`"""
    id: Id
    """Names runs and plots; give each variant its own. Example: `id: article5-no-membership`"""
    title: Label
    """For people. Example: `title: Article 5-style guarantees without NATO membership`"""
    description: str | None = None
    """What the scenario assumes. Example: `description: baseline with US pressure`"""
    sources: dict[SourceKey, Source] = {}
    """Source id -> source; every `sources:` list cites these ids. Example: `sources: {S3: {title: "...", date:
    "2025-09", file: sources/003.txt}}`"""
    issues: list[Issue] = Field(min_length=1)
    """The issues of a settlement. Example: `issues: [{id: alliance, title: Alliance status, options: [...]}]`"""
    parties: list[Party] = Field(min_length=2)
    """The actors; at least two must hold a veto. Example: `parties: [{id: russia, name: Russia, weights: ...}]`"""
    constraints: list[Constraint] = []
    """Packages that cannot exist. Example: `constraints: [{forbid: [a.x, b.y]}, {requires: [c.z], one_of: [d.w]}]`"""
    fixed: dict[IssueKey, OptionKey] = {}
    """Issues settled in this scenario (every other option is infeasible). Example: `fixed: {eu: allowed}`"""
    offers: list[Offer] = []
    """Named proposals scored against the zone. Example: `offers: [{id: memo, label: Memo, fix: {eu: allowed}}]`"""
    judgement_calls: list[JudgementCall] = []
    """Choices no source settles, each with its defensible alternatives as `--set`/`--unset` edits; `negsim
    robustness` shows the headline under every one. Example: `judgement_calls: [{id: russia_reservation, what:
    "...", default: "[0.50, 0.65]", alternatives: [{id: lower, label: "[0.42, 0.57]", set:
    ["russia.reservation=[0.42, 0.57]"]}], why: "no source states it"}]`"""
    correlations: list[Correlation] = []
    """Uncertain quantities drawn dependently (Gaussian copula: each keeps its own distribution). Example:
    `correlations: [{between: [ukraine.reservation, rada.reservation], rho: 0.7}]`"""
    run: RunSettings = RunSettings()
    """Run defaults. Example: `run: {samples: 2000, seed: 7, rounds: 60}`"""

    def issue(self, issue_id: str) -> Issue:
        return next(issue for issue in self.issues if issue.id == issue_id)

    @property
    def veto_parties(self) -> list[Party]:
        return [party for party in self.parties if party.has_veto]

    def canonical_json(self) -> str:
        """The resolved scenario as compact JSON; keys added later (issues 19, 20) are left out at their defaults, so a
        scenario that does not use them keeps its hash (and its runs stay comparable)."""
        data = self.model_dump(mode="json")
        for key in ("correlations", "judgement_calls"):
            if not data[key]:
                del data[key]
        for party in data["parties"]:
            for key in ("electorate", "follows"):
                if party[key] is None:
                    del party[key]
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        """SHA-256 of the resolved scenario: two runs with equal hashes and seeds give identical tables."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def to_yaml(self) -> str:
        """The resolved scenario as YAML, by libyaml's emitter where PyYAML has it (the same text as PyYAML's pure
        Python emitter on every shipped scenario, 6x faster: 0.16 s of every baseline run)."""
        return yaml.dump(
            self.model_dump(mode="json", exclude_defaults=False),
            Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
            sort_keys=False,
            allow_unicode=True,
            width=110,
        )


def split_option_ref(ref: str) -> tuple[str, str]:
    issue_id, _, option_id = ref.partition(".")
    return issue_id, option_id
