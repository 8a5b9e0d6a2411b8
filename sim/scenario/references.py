"""The format's reference graph: which keys name which ids, read once off the pydantic models.

A red line names an option, a link two, an offer's ``fix`` issues and their options, a sponsor or ``follows`` a
party, a citation a source, a reason a part of its party, a correlation ``party.quantity`` (DESIGN.md, "The
scenario file"). The models say so by their types (``OptionRef``, ``IssueKey``, ... carry a
:class:`~sim.scenario.values.RefersTo` marker); this module walks ``model_fields`` once into a :class:`Shape` tree,
and every consumer reads references through it: the unknown-id checks (:mod:`sim.scenario.checks`), what an unset
takes along (:mod:`sim.scenario.edits`), which reasons name something (:mod:`sim.scenario.reasons`) and which
findings a malformed item could explain (:mod:`sim.scenario.loading`). Before issue 18 item 5 each kept its own
copy of the list, and a new referring key had to be added to all four.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel

from sim.scenario.model import Scenario
from sim.scenario.values import RefersTo, StrictModel
from sim.scenario.yamlsource import DataPath

INDEX = "[]"
"""A pattern step standing for any list index."""
KEY = "{}"
"""A pattern step standing for any map key."""


@dataclass(frozen=True)
class Shape:
    """Where references can be below one place of the format: the place itself (``kind``), a list's items, a map's
    keys (``key_kind``) and values, or a model's fields. ``None`` stands for a place with no reference below it."""

    kind: str | None = None
    item: Shape | None = None
    key_kind: str | None = None
    value: Shape | None = None
    model: type[StrictModel] | None = None
    fields: dict[str, Shape] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    """One id named in a document: ``path`` is where it is reported (a map key's own path; for a model written as one
    string, such as a red line, the item), ``issue`` the issue an option id belongs to (the key of its map)."""

    path: DataPath
    kind: str
    name: str
    issue: str | None = None
    owner: str = ""
    """``Model.field`` it is written in (``RedLine.option``, ``Offer.fix``): what a message calls it by."""
    item: Any = field(default=None, compare=False, repr=False)
    """What stands at ``path``: the id itself, or the model written as one string (a ``Citation``, with its quote)."""


@dataclass(frozen=True)
class ReferenceField:
    """One entry of the graph: a path pattern (``INDEX`` for any list index, ``KEY`` for any map key) whose string
    names a ``kind`` of id, ``at_key`` when the id is the map key itself; reported at ``reported``."""

    pattern: tuple[str, ...]
    kind: str
    at_key: bool
    reported: tuple[str, ...]
    owner: str


def _unwrapped(annotation: Any, metadata: tuple[Any, ...] = ()) -> tuple[Any, tuple[Any, ...]]:
    """The type under ``Annotated`` and ``X | None``, with every marker met on the way."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata = (*metadata, *extra)
        elif origin in (types.UnionType, typing.Union):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _kind(metadata: tuple[Any, ...]) -> str | None:
    return next((marker.kind for marker in metadata if isinstance(marker, RefersTo)), None)


def shape_of(annotation: Any, metadata: tuple[Any, ...] = ()) -> Shape | None:
    """The references a type can hold, or ``None`` when it holds none (labels, numbers, ranges)."""
    annotation, metadata = _unwrapped(annotation, metadata)
    kind = _kind(metadata)
    if kind is not None:
        return Shape(kind=kind)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args:
        item = shape_of(args[0])
        return Shape(item=item) if item is not None else None
    if origin is dict and len(args) == 2:
        key_kind, value = _kind(_unwrapped(args[0])[1]), shape_of(args[1])
        return Shape(key_kind=key_kind, value=value) if key_kind is not None or value is not None else None
    if isinstance(annotation, type) and issubclass(annotation, StrictModel):
        fields = {
            name: shape
            for name, info in annotation.model_fields.items()
            if (shape := shape_of(info.annotation, tuple(info.metadata))) is not None
        }
        return Shape(model=annotation, fields=fields) if fields else None
    return None


@cache
def model_shape(model: type[StrictModel]) -> Shape:
    """The graph below one model (``Scenario``: the whole format), derived once per model."""
    shape = shape_of(model)
    return shape if shape is not None else Shape(model=model)


def scenario_shape() -> Shape:
    return model_shape(Scenario)


def _fields(model: type[StrictModel], node: Any) -> dict[str, Any]:
    """A model's fields from a validated instance or from a document as written (a bare string, a mapping)."""
    if isinstance(node, BaseModel):  # model_construct leaves missing required fields unset: skip them
        return {name: getattr(node, name) for name in model.model_fields if hasattr(node, name)}
    try:
        expanded = model.expanded(node)
    except ValueError:
        return {}
    return expanded if isinstance(expanded, dict) else {}


def references(node: Any, shape: Shape | None = None, path: DataPath = ()) -> Iterator[Reference]:
    """Every id ``node`` names (a :class:`Scenario` or its document, as loaded or edited), in document order;
    ``shape`` and ``path`` walk a part of it (``model_shape(Party)`` over one party at ``("parties", 2)``)."""
    yield from _walk(scenario_shape() if shape is None else shape, node, path, None, None, "")


def _walk(
    shape: Shape, node: Any, path: DataPath, issue: str | None, reported: tuple[DataPath, Any] | None, owner: str
) -> Iterator[Reference]:
    if shape.kind is not None:
        if isinstance(node, str):
            at, item = reported if reported is not None else (path, node)
            yield Reference(at, shape.kind, node, _issue(shape.kind, issue), owner, item)
    elif shape.model is not None:
        values = _fields(shape.model, node)
        for name, below in shape.fields.items():
            if name in values:
                whole = (path, node) if name == shape.model.bare else None
                yield from _walk(below, values[name], (*path, name), issue, whole, f"{shape.model.__name__}.{name}")
    elif shape.item is not None:
        for index, item in enumerate(node if isinstance(node, list | tuple) else ()):
            yield from _walk(shape.item, item, (*path, index), issue, None, owner)
    elif isinstance(node, dict):
        for key, value in node.items():
            if shape.key_kind is not None:
                yield Reference((*path, key), shape.key_kind, str(key), _issue(shape.key_kind, issue), owner, key)
            if shape.value is not None:
                inner = str(key) if shape.key_kind == "issue" else issue
                yield from _walk(shape.value, value, (*path, key), inner, None, owner)


def _issue(kind: str, issue: str | None) -> str | None:
    return issue if kind == "option" else None


@cache
def reference_fields() -> tuple[ReferenceField, ...]:
    """The graph as a table: every place of the format that names an id (for checks, tests and review)."""
    return tuple(_patterns(scenario_shape(), (), None, ""))


def _patterns(
    shape: Shape, pattern: tuple[str, ...], reported: tuple[str, ...] | None, owner: str
) -> Iterator[ReferenceField]:
    if shape.kind is not None:
        yield ReferenceField(pattern, shape.kind, False, reported if reported is not None else pattern, owner)
    elif shape.model is not None:
        for name, below in shape.fields.items():
            at = pattern if name == shape.model.bare else None
            yield from _patterns(below, (*pattern, name), at, f"{shape.model.__name__}.{name}")
    elif shape.item is not None:
        yield from _patterns(shape.item, (*pattern, INDEX), None, owner)
    else:
        if shape.key_kind is not None:
            yield ReferenceField((*pattern, KEY), shape.key_kind, True, (*pattern, KEY), owner)
        if shape.value is not None:
            yield from _patterns(shape.value, (*pattern, KEY), None, owner)


def matches(pattern: tuple[str, ...], path: DataPath) -> bool:
    """Whether a concrete path fits a pattern (an int fits ``INDEX``, any key fits ``KEY``)."""
    return len(pattern) == len(path) and all(
        (isinstance(step, int) and want == INDEX) or want == KEY or want == step
        for want, step in zip(pattern, path, strict=True)
    )


def written_at(path: DataPath, marks: Collection[DataPath]) -> DataPath:
    """Where the id a finding at ``path`` is about was written: a red line, ``follows`` or citation written as a
    mapping is reported at the item (as its bare form is) but its id stands on its own line, under its key."""
    for ref in reference_fields():
        if ref.reported != ref.pattern and matches(ref.reported, path) and (*path, ref.pattern[-1]) in marks:
            return (*path, ref.pattern[-1])
    return path


def kind_at(path: DataPath) -> str | None:
    """What kind of id the place reported at ``path`` names, if any (a finding's path in, its reference kind out)."""
    return next((ref.kind for ref in reference_fields() if matches(ref.reported, path)), None)


def shape_at(path: DataPath) -> Shape | None:
    """The graph below the place at ``path`` (``("parties", 0, "red_lines")`` is a list of ``RedLine``), or ``None``
    where nothing below names an id."""
    shape: Shape | None = scenario_shape()
    for step in path:
        if shape is None:
            return None
        if shape.model is not None:
            shape = shape.fields.get(str(step))
        elif shape.item is not None:
            shape = shape.item if isinstance(step, int) else None
        else:
            shape = shape.value
    return shape


def required(model: type[StrictModel], name: str) -> bool:
    """Whether a model cannot stand without the field."""
    return model.model_fields[name].is_required()


def non_empty(model: type[StrictModel], name: str) -> bool:
    """Whether the field, a collection, must hold something (an offer's ``fix``)."""
    return any(getattr(marker, "min_length", 0) for marker in model.model_fields[name].metadata)


def removable(path: DataPath) -> DataPath:
    """The smallest part of a document that must go with a reference at ``path`` to something removed: a map entry,
    an optional field, or the list item (red line, link, offer, constraint) that cannot stand without it. A
    reference in a list of references (a constraint's ``forbid``) takes the model that lists them."""
    while path:
        parent = shape_at(path[:-1])
        if parent is None or (parent.model is None and parent.item is None):
            return path  # a map entry
        if parent.model is not None:
            if not required(parent.model, str(path[-1])):
                return path
            path = path[:-1]
        elif parent.item is not None and parent.item.model is not None:
            return path
        else:
            path = path[:-2]
    return path
