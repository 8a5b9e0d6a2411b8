"""Any bytes in, plain data with positions out, or one clear ``file:line:col`` problem: the hardened YAML reader.

A scenario file is untrusted input (downloaded, generated, typed in a hurry). Reading it must end, quickly and in
bounded memory, with either plain data or a :class:`~sim.scenario.errors.ScenarioError`, whatever the bytes. Limits,
and why each is where it is (the largest shipped scenario, ``baseline.yaml``, is 28 KB and about 2,500 values):

- ``MAX_FILE_BYTES`` (4 MiB, ~140x the baseline): the pure-Python YAML scanner reads ~3 MB/s, so a 50 MB file of
  comments took 17 s and a 50 MB list of integers grew past 4 GiB; 4 MiB reads in about a second.
- ``MAX_DEPTH`` (64 levels; a scenario needs 6): PyYAML composes and constructs recursively, so 500 nested ``[``
  raised ``RecursionError``. Depth counts through aliases too.
- ``MAX_VALUES`` (200,000 values counted with every alias expanded; ~80x the baseline): the "billion laughs" pattern
  (nine anchors, each nine aliases of the previous) stays a few hundred bytes on disk and expands to 10^9 values.
  Aliases are kept (they are useful for shared value tables) but their expansion is counted and capped; an alias
  inside its own anchor (``&a [*a]``) is refused.
- Text must be UTF-8 (a BOM is allowed) without control characters or lone surrogates (``"\\ud800"`` escapes): they
  cannot be written to reports, Parquet or plots, so they are refused at the position where they occur.

Numbers follow YAML 1.2 (the core schema): ``1e-9``, ``2.5E3`` and ``.5`` are numbers, where PyYAML's YAML 1.1
resolver reads the first two as strings; booleans are ``true``/``false`` only (YAML 1.1 turned an option id ``no``
into ``False``). Only ``yaml.SafeLoader`` is used: no tags that build Python objects.
Reference: YAML 1.2.2 spec, 10.3 "Core Schema" (https://yaml.org/spec/1.2.2/#103-core-schema).
"""

from __future__ import annotations

import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from sim.scenario.errors import Mark, Problem, ScenarioError

DataPath = tuple[str | int, ...]

MAX_FILE_BYTES = 4 * 2**20
MAX_DEPTH = 64
MAX_VALUES = 200_000

_YAML12_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass
class Located:
    """A YAML document as plain data, with the position of every key and list item."""

    data: Any
    marks: dict[DataPath, Mark] = field(default_factory=dict)

    def mark_for(self, path: DataPath) -> Mark:
        """The position of ``path``, or of its nearest ancestor that has one (a missing key -> its parent)."""
        for cut in range(len(path), -1, -1):
            found = self.marks.get(tuple(path[:cut]))
            if found is not None:
                return found
        return Mark("<unknown>")


class ScenarioLoader(yaml.SafeLoader):
    """``SafeLoader`` with YAML 1.2 numbers and booleans, a nesting limit, a value count, and marked value errors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.values = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self.depth += 1
        self.values += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels", mark)
            if self.values > MAX_VALUES:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"more than {MAX_VALUES:,} values in one file", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. 2024-13-45, an int of 5,000 digits
            raise ConstructorError(None, None, f"cannot read this value: {exc}", node.start_mark) from None


def _construct_int(loader: ScenarioLoader, node: yaml.ScalarNode) -> int:
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    if abs(value) > sys.float_info.max:
        raise ConstructorError(None, None, "number too large (beyond the range of a float)", node.start_mark)
    return value


ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool",)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML12_BOOL, list("tTfF"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789."))


def parse_value(text: str) -> Any:
    """One YAML value by the same rules as a file (a ``--set`` value): ``1e-9`` is a number."""
    loader = ScenarioLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _read_text(path: Path) -> str:
    origin = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError([Problem(Mark(origin), "not a regular file")])
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError([Problem(Mark(origin), _too_big(info.st_size))])
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([Problem(Mark(origin), f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(Mark(origin), _too_big(len(raw)))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        line, column = _position(prefix, len(prefix))
        what = f"byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file as UTF-8"
        raise ScenarioError([Problem(Mark(origin, line, column), what)]) from None
    bad = _BAD_CHARACTERS.search(text)
    if bad:
        raise ScenarioError([Problem(Mark(origin, *_position(text, bad.start())), _bad_character(bad.group()))])
    return text


def is_scenario_file(path: Path) -> bool:
    """What ``extends:`` may name: a regular ``.yaml``/``.yml`` file, also after following links (or a missing one,
    which is reported as missing). Nothing else is read, so no ``/etc/passwd`` or ``/proc`` text reaches an error."""
    try:
        target = path.resolve()
        if {target.suffix.lower(), path.suffix.lower()} - {".yaml", ".yml"}:
            return False
        return not target.exists() or target.is_file()
    except (OSError, RuntimeError):
        return False


def _too_big(size: int) -> str:
    return f"file is {size:,} bytes; a scenario may be at most {MAX_FILE_BYTES:,} bytes"


def _bad_character(character: str) -> str:
    return f"character U+{ord(character):04X} is not allowed in a scenario (control character or lone surrogate)"


def _mark(origin: str, node: yaml.Node) -> Mark:
    return Mark(origin, node.start_mark.line + 1, node.start_mark.column + 1)


class _Walk:
    """Record the position of every value (aliases expanded, counted and depth-checked) and duplicate keys."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.marks: dict[DataPath, Mark] = {}
        self.problems: list[Problem] = []
        self.values = 0

    def fail(self, node: yaml.Node, message: str) -> None:
        raise ScenarioError([*self.problems, Problem(_mark(self.origin, node), message)])

    def visit(self, node: yaml.Node, path: DataPath, ancestors: tuple[int, ...]) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            self.fail(node, _ALIAS_BOMB)
        if len(ancestors) > MAX_DEPTH:
            self.fail(node, _TOO_DEEP)
        if isinstance(node, yaml.ScalarNode):
            bad = _BAD_CHARACTERS.search(node.value)
            if bad:
                self.problems.append(Problem(_mark(self.origin, node), _bad_character(bad.group()), _dotted(path)))
            return
        if id(node) in ancestors:
            self.fail(node, "an alias refers to the value that contains it (a value cannot contain itself)")
        inside = (*ancestors, id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.fail(key_node, "a key must be plain text or a number, not a list or mapping")
                key = str(key_node.value)
                if key in seen and key != "<<":
                    self.problems.append(
                        Problem(_mark(self.origin, key_node), f"duplicate key '{key}'", _dotted((*path, key)))
                    )
                seen.add(key)
                self.marks[(*path, key)] = _mark(self.origin, key_node)
                self.visit(value_node, (*path, key), inside)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.marks[(*path, index)] = _mark(self.origin, item)
                self.visit(item, (*path, index), inside)


def _expanded_size(root: yaml.Node, origin: str) -> int:
    """Values in the document with every alias expanded, in time linear in the nodes (sizes are shared by the
    aliases of one anchor), so an alias bomb is refused before anything is expanded; a cycle is refused too."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ScenarioError([Problem(_mark(origin, node), _TOO_DEEP)])
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            message = "an alias refers to the value that contains it (a value cannot contain itself)"
            raise ScenarioError([Problem(_mark(origin, node), message)])
        open_nodes.add(id(node))
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(key, depth + 1) + size(value, depth + 1) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        open_nodes.discard(id(node))
        sizes[id(node)] = min(total, MAX_VALUES + 1)
        if total > MAX_VALUES:
            raise ScenarioError([Problem(_mark(origin, node), _ALIAS_BOMB)])
        return sizes[id(node)]

    return size(root, 0)


_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels (counting through aliases)"
_ALIAS_BOMB = f"aliases expand to more than {MAX_VALUES:,} values; write the values out instead"


def _dotted(path: DataPath) -> str:
    return ".".join(map(str, path))


def load_located(path: Path) -> Located:
    """Read one YAML file safely and within limits, keeping positions; every failure is a :class:`ScenarioError`."""
    origin = str(path)
    text = _read_text(path)
    loader = ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        walk = _Walk(origin)
        if node is not None:
            _expanded_size(node, origin)
            walk.visit(node, (), ())
        if walk.problems:
            raise ScenarioError(walk.problems)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        where = exc.context_mark or exc.problem_mark
        mark = Mark(origin, where.line + 1, where.column + 1) if where else Mark(origin)
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
            what += f" (at line {exc.problem_mark.line + 1})"
        raise ScenarioError([Problem(mark, f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(Mark(origin), f"invalid YAML: {' '.join(str(exc).split())}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError([Problem(Mark(origin, 1, 1), "a scenario must be a YAML mapping of keys to values")])
    return Located(data, {(): Mark(origin, 1, 1), **walk.marks})
