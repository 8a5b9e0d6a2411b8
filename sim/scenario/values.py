"""The value types of the scenario format: ids, numbers with uncertainty, citations, and the strict base model.

Split from :mod:`sim.scenario.model` so the models read as the format's table of keys. Every number must be finite
(NaN and infinity are rejected everywhere, issue 8 part 4); a number is exact and ``[lo, hi]`` is uniform
uncertainty (DESIGN.md, "The scenario file").
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from sim.scenario.limits import MAX_LABEL, MAX_TEXT

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


def _drift_bound(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] < -0.1 or bounds[1] > 0.1:
        raise ValueError(f"reservation drift is per round and must lie in [-0.1, 0.1], got {_show(bounds)}")
    return bounds


DriftRange = Annotated[Range, AfterValidator(_drift_bound)]


class Named:
    """A reader's name for a string type in ``docs/format.md`` (pydantic ignores this marker)."""

    def __init__(self, name: str) -> None:
        self.name = name


class RefersTo:
    """Marks a string that names something defined elsewhere in the scenario (pydantic ignores this marker).

    ``kind`` is what it names: ``issue``, ``option`` (of the issue keying the map it sits in), ``option_ref``
    (``issue.option``), ``party``, ``source``, ``reason`` (a part of its party), ``quantity`` (``party.quantity``)
    or ``edit`` (a judgement call's ``--set``/``--unset`` text). :mod:`sim.scenario.references` reads these markers
    off the models, so the format's reference graph is written once, beside the types (issue 18 item 5).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"RefersTo({self.kind!r})"


OptionRef = Annotated[str, Named("option ref"), RefersTo("option_ref")]
IssueKey = Annotated[str, Named("issue id"), RefersTo("issue")]
OptionKey = Annotated[str, Named("option id"), RefersTo("option")]
SourceKey = Annotated[str, Named("source id")]
SourceRef = Annotated[SourceKey, RefersTo("source")]
PartyKey = Annotated[str, Named("party id"), RefersTo("party")]
PartyId = Annotated[Id, RefersTo("party")]
ReasonKey = Annotated[str, Named("reason key"), RefersTo("reason")]
QuantityName = Annotated[str, RefersTo("quantity")]
EditText = Annotated[str, RefersTo("edit")]


Label = Annotated[str, Field(max_length=MAX_LABEL)]
"""What tables, plots and pages show for a thing (a label, a title, a name): bounded so every table can be read
back (issue 24: a 131,072-character label broke the CSV reader on resume)."""


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo is not a silently ignored preference); the docstring under each field is
    its meaning in ``docs/format.md``. Text is bounded (``MAX_TEXT``) and ``true``/``false`` is never a number:
    pydantic's lax mode reads ``samples: true`` as 1 and ``holds: true`` as 1.0 (issue 24)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True, str_max_length=MAX_TEXT
    )

    bare: ClassVar[str | None] = None
    """The field a bare string fills (``RedLine``: ``option``), for models people may write as one string; what is
    wrong with that field is reported at the item itself, since that is where the string stands."""

    @classmethod
    def expanded(cls, value: Any) -> Any:
        """The mapping a value as written stands for (a bare string is ``{bare: string}``); validators and the
        reference walk (:mod:`sim.scenario.references`) read written values through this one function."""
        return {cls.bare: value} if cls.bare is not None and isinstance(value, str) else value

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None and _numeric(cls, info.field_name):
            raise ValueError(f"expected a number here, got a boolean ({str(value).lower()})")
        return value


def _numeric(model: type[BaseModel], name: str) -> bool:
    """Whether a field takes a plain number (``int``, ``float``, optional or not); ranges refuse booleans
    themselves (``_as_range``)."""
    annotation = model.model_fields[name].annotation
    return annotation in (int, float) or any(arg in (int, float) for arg in typing.get_args(annotation))


class Citation(StrictModel):
    """A cited source, with the verbatim passage it is cited for: ``S1`` or ``{S1: "quoted words"}``.

    ``negsim validate`` finds each quote in the source's local ``file:`` (:mod:`sim.scenario.citations`), so a
    reader can check that a source says what it is cited for (issue 10 part 1).
    """

    bare: ClassVar[str | None] = "source"

    source: SourceRef
    """The id of a source defined under `sources:`. Example: `S1`"""
    quote: str | None = Field(default=None, min_length=1)
    """Words the source says, verbatim (whitespace, curly quotes and dashes aside). Example: `{S1: "would never
    tolerate"}`"""

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, value: Any) -> Any:
        return cls.expanded(value)

    @classmethod
    def expanded(cls, value: Any) -> Any:
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
