"""The format of ratification and dependence (issue 19): red lines, voting bodies, correlations, ``follows``.

A ratifier may vote as a body (``electorate:``): a population of ``voters`` who differ from the sample's draw by
``spread``, or a chamber of ``members`` with seats, each overriding the party's numbers where it differs. Kept apart
from :mod:`sim.scenario.model` (which re-exports these models) so that module stays the table of the older keys.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, ClassVar

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from sim.scenario.values import (
    Id,
    IssueKey,
    OptionKey,
    OptionRef,
    PartyKey,
    QuantityName,
    Sources,
    StrictModel,
    UnitRange,
    WeightRange,
)

RULES = {"majority": (Fraction(1, 2), True), "two_thirds": (Fraction(2, 3), False), "unanimity": (Fraction(1), False)}


class RedLine(StrictModel):
    """An option a party refuses, and how likely it is that the refusal holds (issue 9 part 1).

    Written as a bare option ref (``alliance.membership_path``, holds 1) or as a mapping. A red line with
    ``holds: 0.7`` is drawn per Monte-Carlo sample: in 70 % of samples the party rejects every package with it.
    A party's red lines on options of one issue share one draw per sample, so they nest: whenever a red line with a
    smaller ``holds`` holds, every red line of that party on that issue with a larger ``holds`` holds too (a party
    that refuses neutrality with a pledge in a sample also refuses the milder option it is surer to refuse).
    """

    bare: ClassVar[str | None] = "option"

    option: OptionRef
    """The refused option, `issue.option`. Example: `option: donbas.frozen_line`"""
    holds: float = Field(default=1.0, ge=0, le=1)
    """Probability in [0, 1] that the red line is real rather than an opening position. Example: `holds: 0.7`"""
    sources: Sources = []
    """Citations for the red line. Example: `sources: [P_USHAKOV]`"""
    why: str | None = None
    """The reasoning for `holds`. Example: `why: stated twice, but traded in 2022`"""

    @model_validator(mode="before")
    @classmethod
    def _bare_ref(cls, value: Any) -> Any:
        return cls.expanded(value)

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A certain red line without citations is written back as a bare ref, as people write it."""
        if self.holds == 1 and not self.sources and self.why is None:
            return self.option
        return handler(self)


class Spread(StrictModel):
    """How much the voters of a population differ from the sample's draw: half-widths of uniform heterogeneity.

    Voter v's reservation is the sample's plus ``reservation * (2u - 1)``; its weights and values are the party's
    published midpoints moved by up to ``weights`` and ``values`` (clipped to >= 0 and to [0, 1], weights
    renormalised), and the difference this makes to each option's contribution is added to the sample's. So a voter
    differs from the sample's draw by the same amount in every sample: parameter uncertainty (what is the population
    like?) moves every voter together, heterogeneity (voters differ) spreads them around it.
    """

    reservation: float = Field(default=0.0, ge=0, le=1)
    """Half-width of the voters' reservations around the sample's. Example: `reservation: 0.2`"""
    weights: float = Field(default=0.0, ge=0, le=1)
    """Half-width of each weight around the party's midpoint (before renormalising). Example: `weights: 0.3`"""
    values: float = Field(default=0.0, ge=0, le=1)
    """Half-width of each option value around the party's midpoint. Example: `values: 0.15`"""


class Member(StrictModel):
    """A faction or member state of a chamber: it votes as a bloc with its seats; numbers it leaves out are the
    party's own (the same draw)."""

    id: Id
    """Unique within the chamber. Example: `id: servant`"""
    seats: int = Field(ge=1)
    """Its seats (or votes). Example: `seats: 230`"""
    name: str | None = None
    """For people. Example: `name: Servant of the People`"""
    weights: dict[IssueKey, WeightRange] | None = None
    """Its own weights (replace the party's). Example: `weights: {alliance: 0.5, donbas: 0.5}`"""
    values: dict[IssueKey, dict[OptionKey, UnitRange]] | None = None
    """Its own values (replace the party's). Example: `values: {alliance: {neutral: 0, open_door: 1}}`"""
    reservation: UnitRange | None = None
    """Its own reservation, drawn apart from the party's. Example: `reservation: [0.45, 0.6]`"""
    red_lines: list[RedLine] | None = None
    """Its own red lines (replace the party's). Example: `red_lines: [{option: alliance.neutral, holds: 0.9}]`"""


class Electorate(StrictModel):
    """A ratifier that votes as a body: it accepts a package in a sample when the share of voters (or of seats)
    accepting it meets ``rule``. ``voters`` or ``members``, not both."""

    rule: str | float = "majority"
    """majority (more than half) | two_thirds (at least 2/3) | unanimity (all) | a number p in (0, 1] (at least
    p). Example: `rule: two_thirds`"""
    voters: int | None = Field(default=None, ge=1, le=100_000)
    """A population: this many voters per sample (a fixed seeded Latin-hypercube set, the same in every sample),
    each differing from the sample's draw by `spread`. Example: `voters: 1000`"""
    spread: Spread = Spread()
    """Heterogeneity across voters (only with `voters`). Example: `spread: {reservation: 0.2, weights: 0.3}`"""
    members: list[Member] | None = Field(default=None, min_length=1)
    """A chamber: factions or member states with seats. Example: `members: [{id: servant, seats: 230}, {id:
    opposition, seats: 220}]`"""

    @model_validator(mode="after")
    def _one_kind(self) -> Electorate:
        if (self.voters is None) == (self.members is None):
            raise ValueError("an electorate has either voters: N (a population) or members: [...] (a chamber)")
        if self.members is not None and self.spread != Spread():
            raise ValueError("spread applies to voters; a chamber's members state their own numbers")
        threshold(self.rule)
        return self

    @property
    def threshold(self) -> tuple[Fraction, bool]:
        return threshold(self.rule)


def threshold(rule: str | float) -> tuple[Fraction, bool]:
    """``(share, strict)``: a body passes when the accepting share is above ``share`` (strict) or at least it."""
    if isinstance(rule, str):
        if rule not in RULES:
            raise ValueError(f"unknown rule '{rule}' (majority, two_thirds, unanimity or a number in (0, 1])")
        return RULES[rule]
    if not 0 < rule <= 1:
        raise ValueError(f"a rule given as a number is a share in (0, 1], not {rule}")
    return Fraction(str(rule)), False


class Follows(StrictModel):
    """A ratifier that follows a party's line: its reservation, and its red lines issue by issue (where both have red
    lines on an issue), are correlated with that party's at
    ``rho`` (shorthand for the `correlations:` entries)."""

    bare: ClassVar[str | None] = "party"

    party: PartyKey
    """The party it follows. Example: `party: ukraine`"""
    rho: float = Field(default=1.0, ge=-1, le=1)
    """The correlation (Gaussian copula) of its reservation and red lines with that party's. Example: `rho: 0.7`"""

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, value: Any) -> Any:
        return cls.expanded(value)


class Correlation(StrictModel):
    """Two uncertain quantities drawn dependently: a Gaussian copula on their uniforms, so each keeps its own
    distribution and only their dependence changes.

    A quantity is `party.reservation`, `party.weights.<issue>`, `party.values.<issue>.<option>`,
    `party.red_lines.<issue>` (its resolve on that issue's red lines), `party.red_lines` (its resolve on all its
    red lines: named so, they share one draw, holding or yielding together in the order of their `holds`),
    `party.links.<issue>.<option>` (the draw of its links that change that option's value) or
    `party.members.<member>.<quantity>` (a chamber member's own reservation, weights, values or red lines, where
    the member states them; what it leaves out is the party's draw).
    """

    between: list[QuantityName] = Field(min_length=2, max_length=2)
    """The two quantities. Example: `between: [ukraine.reservation, rada.reservation]`"""
    rho: float = Field(ge=-1, le=1)
    """Their correlation in [-1, 1] (of the copula's normals). Example: `rho: 0.7`"""
    why: str | None = None
    """The reasoning. Example: `why: the majority follows the president's line`"""
    sources: Sources = []
    """Citations. Example: `sources: [P_UA_CONSTITUTION]`"""
