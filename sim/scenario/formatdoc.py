"""``docs/format.md``, generated from the pydantic models, so the reference cannot drift from what negsim reads.

Every key's type and default come from the model; its meaning and one-line example from the docstring under the
field (``use_attribute_docstrings``; the example follows ``Example:``). A test regenerates the page and fails when
the committed copy is stale (issue 9 part 5). Run ``python -m sim.scenario.formatdoc > docs/format.md``
(``make docs``).
"""

from __future__ import annotations

import re
import sys
import types
import typing
from enum import Enum
from typing import Any

import annotated_types
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.bodies import Correlation, Electorate, Follows, Member, Spread
from sim.scenario.edits import PATH_HELP
from sim.scenario.judgement import Alternative, JudgementCall
from sim.scenario.model import (
    Constraint,
    Issue,
    Link,
    Offer,
    Option,
    Party,
    Reason,
    RedLine,
    RunSettings,
    Scenario,
    Source,
    Strategy,
)
from sim.scenario.values import Citation, Named, _check_id, _in_unit_interval, _non_negative

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("The scenario (top level)", Scenario),
    ("`sources.<id>`: a source", Source),
    ("`issues[]`: an issue", Issue),
    ("`issues[].options[]`: an option", Option),
    ("`parties[]`: a party", Party),
    ("`parties[].red_lines[]`: a red line (or a bare option ref, holds 1)", RedLine),
    ("`parties[].links[]`: a link", Link),
    ("`parties[].reasons.<key>`: a reason", Reason),
    ("`parties[].strategy`", Strategy),
    ("`parties[].electorate`: a ratifier voting as a body", Electorate),
    ("`parties[].electorate.spread`: how voters differ", Spread),
    ("`parties[].electorate.members[]`: a faction or member state", Member),
    ("`parties[].follows`: a ratifier following a party (or a bare party id, rho 1)", Follows),
    ("`correlations[]`: two quantities drawn dependently", Correlation),
    ("`constraints[]`: a constraint (`forbid`, or `requires` with `one_of`)", Constraint),
    ("`offers[]`: an offer", Offer),
    ("`judgement_calls[]`: a choice no source settles", JudgementCall),
    ("`judgement_calls[].alternatives[]`: a defensible alternative (edits)", Alternative),
    ("`run`", RunSettings),
    ('A citation: any item of a `sources:` list (`S1` or `{S1: "quote"}`)', Citation),
]


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def meaning_and_example(field: FieldInfo) -> tuple[str, str]:
    text = _one_line(field.description)
    meaning, _, example = text.partition(" Example: ")
    return meaning, example


def _validators(metadata: list[Any]) -> set[Any]:
    return {m.func for m in metadata if isinstance(m, AfterValidator)}


def _bounds(metadata: list[Any]) -> str:
    words = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    parts = []
    for item in metadata:
        for attribute, sign in words.items():
            if isinstance(item, annotated_types.BaseMetadata) and hasattr(item, attribute):
                parts.append(f"{sign} {getattr(item, attribute)}")
        if isinstance(item, annotated_types.MinLen):
            parts.append(f"at least {item.min_length}")
    return f" ({', '.join(parts)})" if parts else ""


def type_name(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A reader's name for a type: ``number or [lo, hi] in [0, 1]``, ``list of option ref``, ``id``."""
    metadata = list(metadata or [])
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return type_name(base, [*metadata, *extra])
    checks = _validators(metadata)
    if _in_unit_interval in checks:
        return "number or [lo, hi] in [0, 1]"
    if _non_negative in checks:
        return "number or [lo, hi], >= 0"
    if _check_id in checks:
        return "id"
    named = [m.name for m in metadata if isinstance(m, Named)]
    if named:
        return named[0]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        members = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(members) + _bounds(metadata)
    if origin is list:
        return f"list of {type_name(args[0])}" + _bounds(metadata)
    if origin is dict:
        return f"map of {type_name(args[0])} to {type_name(args[1])}" + _bounds(metadata)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " | ".join(member.value for member in annotation)
    if annotation is Citation:
        return "citation"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"mapping ({annotation.__name__})"
    simple = {str: "text", int: "integer", float: "number", bool: "true/false"}
    return simple.get(annotation, str(annotation)) + _bounds(metadata)


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, BaseModel):
        return "defaults below"
    if value in ([], {}):
        return "empty"
    return f"`{value}`"


def _cell(text: str) -> str:
    """Markdown table cell: a literal ``|`` must be escaped."""
    return text.replace("|", "\\|")


def _section(title: str, model: type[BaseModel]) -> list[str]:
    doc = _one_line(model.__doc__).replace("``", "`").replace(":mod:", "")
    lines = [f"## {title}", "", doc, "", "| key | type | default | meaning | example |"]
    lines.append("|---|---|---|---|---|")
    for name, field in model.model_fields.items():
        meaning, example = meaning_and_example(field)
        kind = type_name(field.annotation, field.metadata)
        cells = [f"`{name}`", _cell(kind), default_text(field), _cell(meaning), _cell(example)]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


EXTENDS = (
    "Inherit everything from another scenario (relative to this file) and state only the differences: mappings "
    "merge key by key, lists of items with an `id` merge by id (listing one id twice is an error), other lists are "
    "replaced. Inherited reasons whose subject the child removes go with it."
)
UNSET = "In an `extends:` child: remove inherited keys or list items before the child's own keys apply (see Paths)."
INTRO = """# The scenario format

Generated from the pydantic models in `sim/scenario/` by `make docs`; do not edit by hand (a test fails when this
page is stale). A scenario is one YAML file; unknown keys are errors, every number must be finite, a number is an
exact value and `[lo, hi]` is uniform uncertainty. Ids start with a lowercase letter and contain only lowercase
letters, digits, `_` and `-`. An option ref is `issue.option`.

## Keys read before validation

| key | type | default | meaning | example |
|---|---|---|---|---|
| `extends` | file path | none | {EXTENDS} | `extends: baseline.yaml` |
| `unset` | list of paths | empty | {UNSET} | `unset: [russia.red_lines.donbas.frozen_line, constraints.0]` |
"""

PATHS = f"""## Paths (`--set PATH=VALUE`, `--unset PATH`, `unset:`)

{PATH_HELP}.

- `--set russia.weights.alliance=0.6`, `--set ukraine.reservation=[0.3,0.5]`,
  `--set russia.red_lines.donbas.frozen_line.holds=0.5` (a bare red line becomes a mapping);
- `--unset russia.red_lines.donbas.frozen_line` (its reason `red_lines.donbas.frozen_line` goes too),
  `--unset 'russia.reasons["values.eu"]'`, `--unset 'constraints[army.deep_caps,troops.coalition_force]'`,
  `--unset russia.links.0`, `--unset offers.us_28_point`;
- removing an issue or an option also removes the weights, values, red lines, links, constraints, offer settings
  and reasons about it; removing a party removes it as an offer's sponsor;
- on the command line every `--unset` applies before every `--set`; a missing key or item is an error naming the
  edit (or the `unset:` entry's file:line).

## Citations

Any `sources:` list item is a source id (`S1`) or a source id with a verbatim quote (`{{S1: "words it says"}}`).
`negsim validate` finds every quote in the source's `file:` (resolved relative to the YAML file that names the
file; a regular file) after folding whitespace runs to one space, curly quotes to straight ones, dashes to `-` and
`…` to `...`; a quote not found is an error at its file:line, and a citation of a source with a `file:` but no
quote is a warning.
"""


def format_markdown() -> str:
    lines = [INTRO.replace("{EXTENDS}", EXTENDS).replace("{UNSET}", UNSET)]
    for title, model in SECTIONS:
        lines += _section(title, model)
    return "\n".join(lines) + "\n" + PATHS


if __name__ == "__main__":
    sys.stdout.write(format_markdown())
