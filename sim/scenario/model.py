"""The scenario format: pydantic models, cross-reference checks, and loading with file:line errors.

These models are the single source of truth for what a scenario may say (DESIGN.md, "The scenario file").
Unknown keys are rejected so that a typo (``wieghts``) is an error, not a silently ignored preference.
"""

from __future__ import annotations

import hashlib
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sim.scenario.edits import Unset
    from sim.scenario.yamlsource import Located

FORMAT_VERSION = 1
ID_RULE = "must start with a lowercase letter and contain only lowercase letters, digits, '_' and '-'"


def _check_id(value: str) -> str:
    """Ids are written in option refs (``issue.option``) and ``--set`` paths, so no dots, spaces or capitals."""
    if not (value[:1].isascii() and value[:1].islower() and all(c in _ID_CHARS for c in value)):
        raise ValueError(f"id '{value}' {ID_RULE}, up to 64 characters")
    return value


_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
Id = Annotated[str, Field(max_length=64), AfterValidator(_check_id)]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value}")
    return value


def _as_range(value: Any) -> tuple[float, float]:
    """A number is an exact value; ``[lo, hi]`` is uniform uncertainty (DESIGN.md)."""
    if isinstance(value, bool):
        raise ValueError("expected a number or a [lo, hi] range, got a boolean")
    if isinstance(value, int | float):
        return (float(_finite(value)), float(value))
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        low, high = float(_finite(value[0])), float(_finite(value[1]))
        if low > high:
            raise ValueError(f"range [{value[0]}, {value[1]}] has lo > hi")
        return (low, high)
    raise ValueError(f"expected a number or a [lo, hi] range, got {value!r}")


def _in_unit_interval(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] < 0 or bounds[1] > 1:
        raise ValueError(f"must lie in [0, 1], got {_show(bounds)}")
    return bounds


def _non_negative(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] < 0:
        raise ValueError(f"weights must be >= 0, got {_show(bounds)}")
    return bounds


def _show(bounds: tuple[float, float]) -> float | list[float]:
    return bounds[0] if bounds[0] == bounds[1] else [bounds[0], bounds[1]]


Range = Annotated[tuple[float, float], BeforeValidator(_as_range), PlainSerializer(_show)]
UnitRange = Annotated[Range, AfterValidator(_in_unit_interval)]
WeightRange = Annotated[Range, AfterValidator(_non_negative)]
OptionRef = Annotated[str, Field(description="an option reference, issue.option")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Citation(StrictModel):
    """A cited source, with the verbatim passage it is cited for: ``S1`` or ``{S1: "quoted words"}``.

    ``negsim validate`` finds each quote in the source's local ``file:`` (see :mod:`sim.scenario.citations`), so a
    reader can check that a source says what it is cited for (issue 10 part 1).
    """

    source: str
    quote: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"source": value}
        if isinstance(value, dict) and len(value) == 1 and not {"source", "quote"} & set(value):
            ((source, quote),) = value.items()
            if not isinstance(quote, str):
                raise ValueError(f'a quote must be text: write {{{source}: "verbatim words"}}')
            return {"source": str(source), "quote": quote}
        if isinstance(value, dict) and len(value) > 1 and "source" not in value:
            raise ValueError('a citation is a source id (S1) or one source id with its quote ({S1: "words"})')
        return value

    @model_serializer(mode="wrap")
    def _write(self, handler: SerializerFunctionWrapHandler) -> Any:
        return self.source if self.quote is None else {self.source: self.quote}


Sources = list[Citation]


class Source(StrictModel):
    """A public text that an option, weight or red line rests on."""

    title: str
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    file: str | None = None
    url: str | None = None
    note: str | None = None


class Option(StrictModel):
    id: Id
    label: str
    sources: Sources = []
    note: str | None = None


class Issue(StrictModel):
    id: Id
    title: str
    options: list[Option] = Field(min_length=2)
    sources: Sources = []
    note: str | None = None

    @property
    def option_ids(self) -> list[str]:
        return [option.id for option in self.options]


class Role(StrEnum):
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
    published = "published"
    frequency = "frequency"


DEFAULT_EXPONENT = {
    Concession.boulware: 0.2,
    Concession.linear: 1.0,
    Concession.conceder: 3.0,
    Concession.reciprocal: 1.0,
    Concession.hardliner: 1.0,
}


class Strategy(StrictModel):
    concession: Concession = Concession.linear
    exponent: float | None = Field(default=None, gt=0)
    beliefs: Beliefs = Beliefs.published

    @property
    def effective_exponent(self) -> float:
        return self.exponent if self.exponent is not None else DEFAULT_EXPONENT[self.concession]


class Reason(StrictModel):
    """Why a party's number is what it is, and which sources say so."""

    why: str
    sources: Sources = []


class RedLine(StrictModel):
    """An option a party refuses, and how likely it is that the refusal holds (issue 9 part 1).

    Written as a bare option ref (``alliance.membership_path``, holds 1) or as a mapping. A red line with
    ``holds: 0.7`` is drawn per Monte-Carlo sample: in 70 % of samples the party rejects every package with it.
    """

    option: OptionRef
    holds: float = Field(default=1.0, ge=0, le=1)
    sources: Sources = []
    why: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_ref(cls, value: Any) -> Any:
        return {"option": value} if isinstance(value, str) else value

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A certain red line without citations is written back as a bare ref, as people write it."""
        if self.holds == 1 and not self.sources and self.why is None:
            return self.option
        return handler(self)


class Link(StrictModel):
    """A pairwise term: the party's value for ``option`` when ``when`` is also in the package (issue 9 part 2)."""

    when: OptionRef
    option: OptionRef
    value: UnitRange
    sources: Sources = []
    why: str | None = None


class Party(StrictModel):
    id: Id
    name: str
    role: Role = Role.negotiator
    veto: bool | None = None
    power: float = Field(default=1.0, gt=0)
    weights: dict[str, WeightRange]
    values: dict[str, dict[str, UnitRange]]
    reservation: UnitRange
    red_lines: list[RedLine] = []
    links: list[Link] = []
    strategy: Strategy = Strategy()
    reasons: dict[str, Reason] = {}
    sources: Sources = []

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
    requires: list[OptionRef] | None = Field(default=None, min_length=1)
    one_of: list[OptionRef] | None = Field(default=None, min_length=1)
    why: str | None = None
    sources: Sources = []

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
    id: Id
    label: str
    fix: dict[str, str] = Field(min_length=1)
    sponsor: str | None = None
    sources: Sources = []
    note: str | None = None


class AfterFailedRatification(StrEnum):
    reopen = "reopen"
    end = "end"


class RunSettings(StrictModel):
    samples: int = Field(default=2000, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0)
    rounds: int = Field(default=60, ge=1)
    chunk_size: int | None = Field(default=None, ge=1)
    after_failed_ratification: AfterFailedRatification = AfterFailedRatification.reopen


class Scenario(StrictModel):
    negsim: int = FORMAT_VERSION
    id: Id
    title: str
    description: str | None = None
    sources: dict[str, Source] = {}
    issues: list[Issue] = Field(min_length=1)
    parties: list[Party] = Field(min_length=2)
    constraints: list[Constraint] = []
    fixed: dict[str, str] = {}
    offers: list[Offer] = []
    run: RunSettings = RunSettings()

    def issue(self, issue_id: str) -> Issue:
        return next(issue for issue in self.issues if issue.id == issue_id)

    @property
    def veto_parties(self) -> list[Party]:
        return [party for party in self.parties if party.has_veto]

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        """SHA-256 of the resolved scenario: two runs with equal hashes and seeds give identical tables."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(mode="json", exclude_defaults=False),
            sort_keys=False,
            allow_unicode=True,
            width=110,
        )


def split_option_ref(ref: str) -> tuple[str, str]:
    issue_id, _, option_id = ref.partition(".")
    return issue_id, option_id


def load_scenario(path: str | Path, edits: Sequence[str | Unset] = ()) -> Scenario:
    """Load, inherit, edit and validate a scenario; every problem found is raised together.

    ``edits`` are ``--set`` strings (``PATH=VALUE``) and :class:`~sim.scenario.edits.Unset` removals, in order.
    """
    return load_scenario_located(path, edits)[0]


def load_scenario_located(path: str | Path, edits: Sequence[str | Unset] = ()) -> tuple[Scenario, Located]:
    """As :func:`load_scenario`, also returning the document with positions (for warnings with line numbers)."""
    from sim.scenario.loading import load_scenario_located as load  # loading sits above the models

    return load(path, edits)
