"""Judgement calls: the modelling choices no source settles, named once in the scenario with their alternatives.

A scenario's numbers rest on choices the record leaves open (how firm a stated red line is, which issues a party can
veto, how a compromise wording is coded). Issue 20 asks that the ones that move the headline be *named*: each
``judgement_calls:`` entry says what was chosen (``default``), which other choices are defensible, each written as
the ``--set``/``--unset`` edits that make it, and why no source decides between them. ``negsim robustness`` runs the
headline under every alternative (:mod:`sim.studies.robustness`), so a reader sees what survives the whole range.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.values import EditText, Id, Sources, StrictModel


class Alternative(StrictModel):
    """One defensible other choice: the edits that turn the scenario's default into it."""

    id: Id
    """Unique within its judgement call. Example: `id: holds_1`"""
    label: str
    """What the alternative assumes, for people. Example: `label: "Russia's open-door red line certain"`"""
    set: list[EditText] = []
    """`--set PATH=VALUE` edits (applied after `unset`). Example: `set: ["russia.reservation=[0.42, 0.57]"]`"""
    unset: list[EditText] = []
    """`--unset PATH` removals. Example: `unset: [russia.red_lines.enlargement.open_door_kept]`"""
    why: str | None = None
    """Why it is defensible. Example: `why: "the US leverage variant's range"`"""

    @property
    def edits(self) -> list[str]:
        """The edits as a command line writes them: ``--unset`` first, then ``--set`` (the CLI's order)."""
        return [*(f"--unset {path}" for path in self.unset), *(f"--set '{edit}'" for edit in self.set)]


class JudgementCall(StrictModel):
    """A choice no source settles, its default in this scenario and the defensible alternatives (issue 20)."""

    id: Id
    """Unique among judgement calls. Example: `id: russia_reservation`"""
    what: str
    """The question the sources leave open. Example: `what: "How good must a deal be for Moscow?"`"""
    default: str
    """What this scenario assumes. Example: `default: "reservation [0.50, 0.65]"`"""
    alternatives: list[Alternative] = Field(min_length=1)
    """The other defensible choices, each as edits. Example: `alternatives: [{id: lower, label: "[0.42, 0.57]",
    set: ["russia.reservation=[0.42, 0.57]"]}]`"""
    why: str
    """Why no source settles it. Example: `why: "no article states a number; the range is inferred from ..."`"""
    sources: Sources = []
    """Citations bearing on the choice. Example: `sources: [S4]`"""
