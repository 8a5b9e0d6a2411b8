"""The fast pass over untrusted YAML: libyaml's C parser counts values (aliases expanded), nesting and tags.

PyYAML's pure-Python composer took 13 s of CPU to refuse a 200,000-value file (issue 24). libyaml's event stream
reads the same text in milliseconds, so the limits of :mod:`sim.scenario.limits` and the ban on explicit tags are
checked there first; the value count is kept per anchor, so the "billion laughs" pattern is refused before anything
is expanded. Without libyaml (a PyYAML built without it) the slow pass checks the same limits itself.
"""

from __future__ import annotations

from typing import Any

import yaml

from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.limits import MAX_DEPTH, MAX_VALUES


def explicit_tag(tag: str) -> str:
    tag = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"explicit tag '{tag}' is not allowed: a scenario holds plain values (text, numbers, true/false, lists, "
        "mappings); quote text that starts with '!'"
    )


SELF_ALIAS = "an alias refers to the value that contains it (a value cannot contain itself)"


def too_deep() -> str:
    return f"nesting deeper than {MAX_DEPTH} levels (counting through aliases)"


def alias_bomb() -> str:
    return f"aliases expand to more than {MAX_VALUES:,} values; write the values out instead"


def fast_check(text: str, origin: str) -> bool:
    """Value count (aliases expanded), nesting and explicit tags through libyaml's C parser; whether it read the
    whole text (then libyaml may compose it too).

    Syntax errors are left to the slow pass, which words them; without libyaml the slow pass checks all of this
    itself (more slowly).
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return False
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, values inside] of each open collection
    total = 0
    aliases = False
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
                stack[-1][1] += size
                continue
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in sizes:
                    if any(frame[0] == event.anchor for frame in stack):
                        _refuse(origin, event, SELF_ALIAS)
                    return False  # an undefined alias: the slow pass says so
                size, aliases = sizes[event.anchor], True
            elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
                if event.tag is not None:
                    _refuse(origin, event, f"invalid YAML: {explicit_tag(event.tag)}")
                size = 1
                if isinstance(event, yaml.CollectionStartEvent):
                    stack.append([event.anchor, 1])
                    if len(stack) > MAX_DEPTH + 1:
                        _refuse(origin, event, too_deep())
                    total += 1
                    if total > MAX_VALUES:
                        _refuse(origin, event, too_many())
                    continue
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            else:
                continue
            stack[-1][1] += size
            total += size
            if total > MAX_VALUES:
                _refuse(origin, event, alias_bomb() if aliases else too_many())
    except yaml.YAMLError:
        return False
    return True


def plain_yaml(text: str, origin: str) -> Any:
    """The values of a YAML document negsim wrote (a run's ``scenario.resolved.yaml``), read by libyaml's parser
    where PyYAML has it: ~10x faster than the pure-Python loader (0.25-0.5 s per resolved scenario of the shipped
    catalogue, read by every command that reads a run), the same values (the same constructor and resolver).
    The limits of :func:`fast_check` apply first: a run directory can come from anyone."""
    if not fast_check(text, origin):
        return yaml.safe_load(text)
    return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - CSafeLoader is the safe loader


def _refuse(origin: str, event: yaml.Event, message: str) -> None:
    mark = event.start_mark
    raise ScenarioError([Problem(Mark(origin, mark.line + 1, mark.column + 1), message)])


def too_many() -> str:
    return f"invalid YAML: more than {MAX_VALUES:,} values in one file"
