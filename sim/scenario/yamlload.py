"""Any bytes in, plain data with positions out, or one clear ``file:line:col`` problem: the hardened YAML reader.

A scenario file is untrusted input (downloaded, generated, mailed by a colleague). Reading it must end, quickly and
in bounded memory, with either plain data or a :class:`~sim.scenario.errors.ScenarioError`, whatever the bytes. The
bounds (bytes, lines, nesting, values with aliases expanded) are in :mod:`sim.scenario.limits` with their reasons;
the file itself is read by :mod:`sim.scenario.untrusted` (regular files only, non-blocking, size-capped).

Two passes: a fast one through libyaml's C parser (when PyYAML has it) counts values (every alias expanded, so the
"billion laughs" pattern is refused before anything is expanded), nesting and explicit tags, so a 200,000-value
file is refused in well under a second instead of 13 s in the pure-Python composer; then the pure-Python loader
(which keeps positions and words its errors) reads what passed.

The data model is the JSON-compatible core of YAML 1.2 (issue 24): mappings, lists, strings, numbers, ``true``/
``false`` and ``null``. No explicit tags (``!!binary`` once put NUL, BEL and ANSI escapes on the terminal, ``!!set``
and ``!!str 4000`` were accepted), no timestamps (``2025-09-04`` is text), no merge keys. Numbers follow YAML 1.2:
``1e-9``, ``2.5E3`` and ``.5`` are numbers, ``017`` is seventeen, ``0x1F`` and ``0o17`` are hex and octal, and
``1_000`` or ``1:30`` are text; booleans are ``true``/``false`` only (YAML 1.1 turned an option id ``no`` into
``False``). Text must be UTF-8 (a BOM is allowed) without control characters or lone surrogates, written or escaped
(``"\\e[31m"``, ``"\\0"``, ``"\\ud800"``): they cannot be written to terminals, reports, Parquet or plots.
Aliases are kept (useful for shared value tables), counted and capped; an alias inside its own anchor is refused.
Reference: YAML 1.2.2 spec, 10.2 "JSON Schema" and 10.3 "Core Schema" (https://yaml.org/spec/1.2.2/#103-core-schema).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python loader does everything
    CParser = None

from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_LINES, MAX_VALUES
from sim.scenario.untrusted import UnreadableFile, read_bytes
from sim.scenario.yamlerrors import syntax_problem
from sim.scenario.yamlfast import alias_bomb, explicit_tag, fast_check, too_deep

DataPath = tuple[str | int, ...]

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_LINES", "MAX_VALUES", "Located", "load_located", "parse_value"]

_YAML12_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML12_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass
class Located:
    """A YAML document as plain data, with the position of every key and list item."""

    data: Any
    marks: dict[DataPath, Mark] = field(default_factory=dict)
    roots: tuple[Path, ...] = ()
    """The folders its files may read from (``sources.X.file``); empty: no check (a document built in memory)."""
    hints: dict[DataPath, str] = field(default_factory=dict)
    """Words added to every problem at or under a path (a new list item whose id looks like a typo)."""

    warnings: list[tuple[DataPath, str]] = field(default_factory=list)
    """What loading found worth a warning (a reason left unchanged while its value changed)."""

    def hint_for(self, path: DataPath) -> str:
        """The hint for ``path``, from its nearest hinted ancestor; empty when none."""
        for cut in range(len(path), 0, -1):
            if (hint := self.hints.get(tuple(path[:cut]))) is not None:
                return hint
        return ""

    def mark_for(self, path: DataPath) -> Mark:
        """The position of ``path``, or of its nearest ancestor that has one (a missing key -> its parent)."""
        for cut in range(len(path), -1, -1):
            found = self.marks.get(tuple(path[:cut]))
            if found is not None:
                return found
        return Mark("<unknown>")


class _MarkedValues:
    """A value that cannot be built (2024-13-45, an int of 5,000 digits) is a marked YAML error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, TypeError, OverflowError) as exc:
            raise ConstructorError(None, None, f"cannot read this value: {exc}", node.start_mark) from None


class ScenarioLoader(_MarkedValues, yaml.SafeLoader):
    """``SafeLoader`` with YAML 1.2 numbers and booleans, a nesting limit, a value count, and marked value errors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.values = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        event = self.peek_event()
        if getattr(event, "tag", None) is not None:
            raise ComposerError(None, None, explicit_tag(event.tag), event.start_mark)
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


def _construct_int(loader: ScenarioLoader, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    base = {"0o": 8, "0x": 16}.get(text[:2], 10)
    value = int(text[2:] if base != 10 else text, base)
    if abs(value) > sys.float_info.max:
        raise ConstructorError(None, None, "number too large (beyond the range of a float)", node.start_mark)
    return value


ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_YAML11_ONLY = {f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp", "merge", "value")}
ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML12_BOOL, list("tTfF"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:int", _YAML12_INT, list("-+0123456789"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789."))

if CParser is not None:

    class _CScenarioLoader(_MarkedValues, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """The same resolvers and constructors over libyaml's composer, for text the fast pass read whole."""

        yaml_implicit_resolvers = ScenarioLoader.yaml_implicit_resolvers
        yaml_constructors = ScenarioLoader.yaml_constructors

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


def parse_value(text: str, origin: str = "<value>") -> Any:
    """One YAML value by the same rules and checks as a file (a ``--set`` value): ``1e-9`` is a number, a tag or a
    control character is refused; every failure is a :class:`ScenarioError` at ``origin``."""
    bad = _BAD_CHARACTERS.search(text)
    if bad:
        raise ScenarioError([Problem(Mark(origin), _bad_character(bad.group()))])
    return _load_text(text, origin, origin_has_lines=False)[0]


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _read_text(path: Path, roots: Sequence[Path] | None) -> str:
    origin = str(path)
    try:
        raw = read_bytes(path, MAX_FILE_BYTES, roots)
    except UnreadableFile as exc:
        raise ScenarioError([Problem(Mark(origin), exc.reason)]) from None
    lines = raw.count(b"\n")
    if lines > MAX_LINES:
        what = f"file has {lines:,} lines; a scenario may have at most {MAX_LINES:,}"
        raise ScenarioError([Problem(Mark(origin), what)])
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


def _bad_character(character: str) -> str:
    return f"character U+{ord(character):04X} is not allowed in a scenario (control character or lone surrogate)"


def _mark(origin: str, node: yaml.Node) -> Mark:
    return Mark(origin, node.start_mark.line + 1, node.start_mark.column + 1)


class _Walk:
    """Record the position of every value (aliases expanded, counted and depth-checked) and duplicate keys."""

    def __init__(self, origin: str, has_lines: bool = True) -> None:
        self.origin = origin
        self.has_lines = has_lines
        self.marks: dict[DataPath, Mark] = {}
        self.problems: list[Problem] = []
        self.values = 0

    def mark(self, node: yaml.Node) -> Mark:
        return _mark(self.origin, node) if self.has_lines else Mark(self.origin)

    def fail(self, node: yaml.Node, message: str) -> None:
        raise ScenarioError([*self.problems, Problem(self.mark(node), message)])

    def visit(self, node: yaml.Node, path: DataPath, ancestors: tuple[int, ...]) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            self.fail(node, alias_bomb())
        if len(ancestors) > MAX_DEPTH:
            self.fail(node, too_deep())
        if isinstance(node, yaml.ScalarNode):
            bad = _BAD_CHARACTERS.search(node.value)
            if bad:
                self.problems.append(Problem(self.mark(node), _bad_character(bad.group()), _dotted(path)))
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
                    self.problems.append(Problem(self.mark(key_node), f"duplicate key '{key}'", _dotted((*path, key))))
                seen.add(key)
                self.marks[(*path, key)] = self.mark(key_node)
                self.visit(value_node, (*path, key), inside)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.marks[(*path, index)] = self.mark(item)
                self.visit(item, (*path, index), inside)


def _expanded_size(root: yaml.Node, origin: str) -> int:
    """Values in the document with every alias expanded, in time linear in the nodes (sizes are shared by the
    aliases of one anchor), so an alias bomb is refused before anything is expanded; a cycle is refused too."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ScenarioError([Problem(_mark(origin, node), too_deep())])
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
            raise ScenarioError([Problem(_mark(origin, node), alias_bomb())])
        return sizes[id(node)]

    return size(root, 0)


def _dotted(path: DataPath) -> str:
    return ".".join(map(str, path))


def _load_text(text: str, origin: str, origin_has_lines: bool = True) -> tuple[Any, dict[DataPath, Mark]]:
    """Plain data and positions from YAML text, or a :class:`ScenarioError` with every problem found.

    Text the fast pass read whole is composed by libyaml (the baseline in ~0.1 s instead of ~1 s); anything it
    could not read goes through the pure-Python loader, whose errors :mod:`sim.scenario.yamlerrors` words.
    """
    if fast_check(text, origin):
        try:
            return _compose(_CScenarioLoader, text, origin, origin_has_lines)
        except (yaml.YAMLError, ValueError, OverflowError):
            pass
    return _compose(ScenarioLoader, text, origin, origin_has_lines)


def _compose(loader_class: Any, text: str, origin: str, has_lines: bool) -> tuple[Any, dict[DataPath, Mark]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        walk = _Walk(origin, has_lines)
        if node is not None:
            _expanded_size(node, origin)
            walk.visit(node, (), ())
        if walk.problems:
            raise ScenarioError(walk.problems)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        if loader_class is not ScenarioLoader:
            raise
        raise ScenarioError([syntax_problem(exc, origin, has_lines)]) from None
    except yaml.YAMLError as exc:
        if loader_class is not ScenarioLoader:
            raise
        raise ScenarioError([Problem(Mark(origin), f"invalid YAML: {' '.join(str(exc).split())}")]) from None
    except (ValueError, OverflowError) as exc:  # the scanner's chr() of an escape beyond U+10FFFF ("\U00110000")
        if loader_class is not ScenarioLoader:
            raise
        where = loader.get_mark()
        mark = Mark(origin, where.line + 1, where.column + 1) if has_lines else Mark(origin)
        raise ScenarioError([Problem(mark, f"invalid YAML: {_escape_problem(exc)}")]) from None
    finally:
        loader.dispose()
    return data, walk.marks if has_lines else {}


def _escape_problem(exc: Exception) -> str:
    if "chr()" in str(exc):
        return "an escape names a character beyond U+10FFFF (the last Unicode character)"
    return " ".join(str(exc).split())


def load_located(path: Path, roots: Sequence[Path] | None = None) -> Located:
    """Read one YAML file safely and within limits, keeping positions; every failure is a :class:`ScenarioError`.

    ``roots``: the folders the file must lie in (:mod:`sim.scenario.untrusted`); None reads it wherever it is.
    """
    origin = str(path)
    text = _read_text(path, roots)
    data, marks = _load_text(text, origin)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(Mark(origin, 1, 1), "a scenario must be a YAML mapping of keys to values")])
    return Located(data, {(): Mark(origin, 1, 1), **marks})
