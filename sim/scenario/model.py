"""The scenario format: pydantic models, cross-reference checks, and loading with file:line errors.

These models are the single source of truth for what a scenario may say (DESIGN.md, "The scenario file").
Unknown keys are rejected so that a typo (``wieghts``) is an error, not a silently ignored preference.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.yamlsource import Located, apply_override, load_with_extends

FORMAT_VERSION = 1
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def _as_range(value: Any) -> tuple[float, float]:
    """A number is an exact value; ``[lo, hi]`` is uniform uncertainty (DESIGN.md)."""
    if isinstance(value, bool):
        raise ValueError("expected a number or a [lo, hi] range, got a boolean")
    if isinstance(value, int | float):
        return (float(value), float(value))
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        low, high = float(value[0]), float(value[1])
        if low > high:
            raise ValueError(f"range [{value[0]}, {value[1]}] has lo > hi")
        return (low, high)
    raise ValueError(f"expected a number or a [lo, hi] range, got {value!r}")


def _in_unit_interval(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] < 0 or bounds[1] > 1:
        raise ValueError(f"must lie in [0, 1], got {_show(bounds)}")
    return bounds


def _positive(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] <= 0:
        raise ValueError(f"weights must be > 0, got {_show(bounds)}")
    return bounds


def _show(bounds: tuple[float, float]) -> float | list[float]:
    return bounds[0] if bounds[0] == bounds[1] else [bounds[0], bounds[1]]


Range = Annotated[tuple[float, float], BeforeValidator(_as_range), PlainSerializer(_show)]
UnitRange = Annotated[Range, AfterValidator(_in_unit_interval)]
WeightRange = Annotated[Range, AfterValidator(_positive)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    sources: list[str] = []
    note: str | None = None


class Issue(StrictModel):
    id: Id
    title: str
    options: list[Option] = Field(min_length=2)
    note: str | None = None

    @property
    def option_ids(self) -> list[str]:
        return [option.id for option in self.options]


class Role(StrEnum):
    negotiator = "negotiator"
    mediator = "mediator"
    guarantor = "guarantor"


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


def _drift_bound(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] < -0.1 or bounds[1] > 0.1:
        raise ValueError(f"reservation drift is per round and must lie in [-0.1, 0.1], got {_show(bounds)}")
    return bounds


class Leverage(StrictModel):
    """Pressure by this party: each rejection of the mediator's text by ``target`` lowers its reservation by ``cut``."""

    target: Id
    cut: Annotated[Range, AfterValidator(_in_unit_interval)]


class Strategy(StrictModel):
    concession: Concession = Concession.linear
    exponent: float | None = Field(default=None, gt=0)
    beliefs: Beliefs = Beliefs.published
    reservation_drift: Annotated[Range, AfterValidator(_drift_bound)] = (0.0, 0.0)
    leverage: Leverage | None = None

    @property
    def effective_exponent(self) -> float:
        return self.exponent if self.exponent is not None else DEFAULT_EXPONENT[self.concession]


class Reason(StrictModel):
    """Why a party's number is what it is, and which sources say so."""

    why: str
    sources: list[str] = []


class Party(StrictModel):
    id: Id
    name: str
    role: Role = Role.negotiator
    veto: bool | None = None
    power: float = Field(default=1.0, gt=0)
    weights: dict[str, WeightRange]
    values: dict[str, dict[str, UnitRange]]
    reservation: UnitRange
    red_lines: list[str] = []
    strategy: Strategy = Strategy()
    reasons: dict[str, Reason] = {}

    @property
    def has_veto(self) -> bool:
        """Negotiators and guarantors must sign, so they hold a veto unless the scenario says otherwise."""
        return self.veto if self.veto is not None else self.role is not Role.mediator


class Constraint(StrictModel):
    forbid: list[str] = Field(min_length=2)
    why: str | None = None
    sources: list[str] = []


class Offer(StrictModel):
    id: Id
    label: str
    fix: dict[str, str] = Field(min_length=1)
    sponsor: str | None = None
    sources: list[str] = []
    note: str | None = None


class RunSettings(StrictModel):
    samples: int = Field(default=2000, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0)
    rounds: int = Field(default=60, ge=1)
    chunk_size: int | None = Field(default=None, ge=1)


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


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, inherit, override and validate a scenario; every problem found is raised together."""
    return load_scenario_located(path, overrides)[0]


def load_scenario_located(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> tuple[Scenario, Located]:
    """As :func:`load_scenario`, also returning the document with positions (for warnings with line numbers)."""
    located = load_with_extends(Path(path))
    for assignment in overrides:
        apply_override(located, assignment)
    return validate_located(located), located


def validate_located(located: Located) -> Scenario:
    from sim.scenario.checks import reference_problems  # one-way dependency: checks reads the models defined here

    try:
        scenario = Scenario.model_validate(located.data)
    except ValidationError as exc:
        raise ScenarioError([_problem_from_pydantic(located, error) for error in exc.errors()]) from None
    problems = [
        Problem(located.mark_for(path), message, ".".join(map(str, path)))
        for path, message in reference_problems(scenario)
    ]
    if problems:
        raise ScenarioError(problems)
    return scenario


def _problem_from_pydantic(located: Located, error: Any) -> Problem:
    path = tuple(error["loc"])
    field_path = ".".join(map(str, path))
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown key '{path[-1]}'"
    elif kind == "missing":
        message = f"missing required key '{path[-1]}'"
    else:
        message = error["msg"].removeprefix("Value error, ")
    return Problem(located.mark_for(path), message, field_path)
