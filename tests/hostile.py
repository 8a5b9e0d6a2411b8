"""Hostile scenario files: byte soup and structured mutations of the shipped scenarios.

One generator serves the hypothesis properties (``tests/test_reliability_inputs.py``, a few hundred examples) and
the long campaign (``benchmarks/fuzz_inputs.py``, 10,000+ inputs), so both try the same classes of input: type
swaps, deletions, duplicates, dangling references, NaN/inf, unicode (mathtext, format braces, lone surrogates,
very long text), deep nesting, alias bombs and self-references, invalid encodings, NUL bytes and truncation.
Issue 24 adds the classes a mailed scenario may carry: explicit tags (``!!binary`` with escape codes, ``!!set``,
``!!str``), escapes beyond Unicode (``"\\U00110000"``) and control-character escapes, booleans where numbers go,
overlong labels and rounds, ``extends:`` children whose keys have the wrong type, and ``extends:``/``file:``
pointing out of the folder, at ``/proc``, at a FIFO (:func:`write_beside_shipped` makes one) or at a directory.
Every generator takes a :class:`random.Random`, so hypothesis (``st.randoms()``) shrinks and replays them.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "data" / "golden.yaml"

NASTY_TEXT = [
    "$x^2$",
    "$\\frac{1}{0}$",
    "50% {0} {party} %s %(x)s",
    "<script>alert(1)</script> & \"quotes\" 'single'",
    "[bold]markup[/bold] :100: :smile:",
    "Ўкраїна — Россия 🇺🇦🕊️ \u202eRTL\u202c",
    "\u0000",
    "\ud800",
    "x" * 5000,
    "line\nbreak\ttab",
    "\\",
    "",
    " ",
]
NASTY_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**400,
    1e308,
    float("nan"),
    float("inf"),
    -float("inf"),
    "1e-9",
    False,
    5,
    "x" * 131_073,
    [],
    {},
    [0.5, 0.1],
    [0.1, 0.2, 0.3],
    {"a": 1},
    "nonexistent",
    "alliance.nonexistent",
    *NASTY_TEXT,
]

ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)
TEXT_SNIPPETS = [
    ALIAS_BOMB,
    "description: &a [*a]",
    "description: " + "[" * 500 + "]" * 500,
    "description: " + "{a: " * 300 + "1" + "}" * 300,
    "description: !!python/object/apply:os.system ['echo pwned']",
    "description: !!binary aGVsbG8=",
    "description: 2024-13-45",
    "description: " + "9" * 5000,
    "<<: *nowhere",
    "extends: /etc/passwd",
    "extends: /proc/self/status",
    "extends: /dev/zero",
    "extends: .",
    "? [a, b]\n: 1",
    '"\\ud800": 1',
    'title: "\\ud800\\udfff\\ud800"',
    "---\nnegsim: 1\n---\nnegsim: 2",
    "%YAML 1.1\n---\nnegsim: 1",
    "\t bad indent",
    'title: "\\U00110000"',
    'title: "\\e[31mred\\a\\0"',
    "title: !!binary G1szMW1oaQc=",
    "title: !!set {a, b}",
    "title: !!str 4000",
    "title: ! 4000",
    "title: !custom x",
    "run: {samples: true}",
    "run: {rounds: 1e18}",
    "run: {rounds: 10001}",
    "run: {samples: 1000001}",
    "date: 2025-09-04",
    "description: 0x1F",
    "description: 1:30",
    "title: " + "x" * 131_073,
    "extends: ../private/secrets.yaml",
    "extends: ../../../etc/hostname",
    "extends: /proc/kmsg",
    "extends: fifo.yaml",
    "extends: link-out.yaml",
    "sources: {Z: {title: t, file: /proc/self/mem}}",
    "sources: {Z: {title: t, file: /proc/kmsg}}",
    "sources: {Z: {title: t, file: ../../../etc/passwd}}",
    "sources: {Z: {title: t, file: fifo.txt}}",
    "sources: {Z: {title: t, file: .}}",
]
BAD_BYTES = [b"\xff", b"\xe9", b"\x00", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xc3", b"\x1b[31m", b"\r", b"\x85"]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if len(prefix) > 40:
        return found
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


def _swap(rng: random.Random, data: Any) -> None:
    path = rng.choice(_paths(data)[1:])
    _parent(data, path)[path[-1]] = copy.deepcopy(rng.choice(NASTY_VALUES))


def _delete(rng: random.Random, data: Any) -> None:
    path = rng.choice(_paths(data)[1:])
    del _parent(data, path)[path[-1]]


def _duplicate(rng: random.Random, data: Any) -> None:
    lists = [p for p in _paths(data) if isinstance(_get(data, p), list) and _get(data, p)]
    if lists:
        found = _get(data, rng.choice(lists))
        found.append(copy.deepcopy(rng.choice(found)))


def _dangle(rng: random.Random, data: Any) -> None:
    strings = [p for p in _paths(data)[1:] if isinstance(_get(data, p), str) and "." in _get(data, p)]
    strings += [p for p in _paths(data)[1:] if p and p[-1] == "id"]
    if strings:
        path = rng.choice(strings)
        _parent(data, path)[path[-1]] = rng.choice(["ghost.option", "alliance.ghost", "ghost", "a.b.c", "."])


def _relabel(rng: random.Random, data: Any) -> None:
    strings = [p for p in _paths(data)[1:] if p[-1] in ("title", "label", "name", "description", "why")]
    for path in rng.sample(strings, min(len(strings), rng.randint(1, 4))):
        _parent(data, path)[path[-1]] = rng.choice(NASTY_TEXT[:-3] + [rng.choice(NASTY_TEXT) * rng.randint(1, 50)])


def _nest(rng: random.Random, data: Any) -> None:
    path = rng.choice(_paths(data)[1:])
    value: Any = 0.5
    for _ in range(rng.choice([3, 30, 60])):
        value = [value]
    _parent(data, path)[path[-1]] = value


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


STRUCTURED: list[Callable[[random.Random, Any], None]] = [_swap, _delete, _duplicate, _dangle, _relabel, _nest]


def _dump(data: Any) -> bytes:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6).encode("utf-8", "surrogatepass")
    except (yaml.YAMLError, RecursionError):
        return yaml.safe_dump(data, allow_unicode=False, sort_keys=False).encode("ascii", "replace")


def _text_mutation(rng: random.Random, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    choice = rng.randrange(6)
    at = rng.randrange(len(lines) + 1)
    if choice == 0:
        lines.insert(at, rng.choice(TEXT_SNIPPETS).encode("utf-8"))
    elif choice == 1:
        position = rng.randrange(len(raw) + 1)
        return raw[:position] + rng.choice(BAD_BYTES) + raw[position:]
    elif choice == 2:
        return raw[: rng.randrange(len(raw) + 1)]
    elif choice == 3 and lines:
        lines.insert(at, rng.choice(lines))  # a duplicate line: duplicate keys, duplicate items
    elif choice == 4:
        position = rng.randrange(len(raw) + 1)
        return (
            raw[:position]
            + rng.choice([b"&x ", b"*x ", b"*baseline ", b"!!str ", b"- ", b": ", b"{", b"'"])
            + raw[position:]
        )
    else:
        lines.insert(at, rng.choice(TEXT_SNIPPETS).encode("utf-8") if rng.random() < 0.5 else b"  " + lines[at - 1])
    return b"\n".join(lines)


def mutated_scenario(rng: random.Random) -> bytes:
    """A shipped (or golden) scenario with one to three structured or textual mutations."""
    source = rng.choice([*SHIPPED, GOLDEN])
    raw = source.read_bytes()
    if rng.random() < 0.6:
        data = yaml.safe_load(raw)
        for _ in range(rng.randint(1, 3)):
            rng.choice(STRUCTURED)(rng, data)
        raw = _dump(data)
    if rng.random() < 0.5:
        raw = _text_mutation(rng, raw)
    return raw


def byte_soup(rng: random.Random) -> bytes:
    """Random bytes, or random YAML-ish tokens."""
    if rng.random() < 0.3:
        return rng.randbytes(rng.randrange(200))
    tokens = [
        b"a",
        b":",
        b" ",
        b"\n",
        b"- ",
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b"&a",
        b"*a",
        b"!!",
        b"'",
        b'"',
        b"#",
        b"1e-9",
        b".nan",
        b"negsim: 1",
        b"id: x",
        b"issues:",
        b"parties:",
        b"|",
        b">",
        b"?",
        b"\t",
        b"\xff",
    ]
    return b"".join(rng.choice(tokens) for _ in range(rng.randrange(60)))


CHILD_KEYS = ["parties", "issues", "offers", "constraints", "sources", "fixed", "run", "title", "id", "unset"]
CITED_FILES = ["/proc/self/mem", "/proc/self/pagemap", "../../../etc/passwd", "fifo.txt", ".", "link-out.txt"]


def extends_child(rng: random.Random) -> bytes:
    """An ``extends: baseline.yaml`` child whose keys have the wrong type, or that cites a file it must not read."""
    lines = ["negsim: 1", "extends: baseline.yaml", "id: child"]
    for key in rng.sample(CHILD_KEYS, rng.randint(1, 3)):
        value = rng.choice([*NASTY_VALUES[:20], [{"id": "rusia", "reservation": 0.5}], {"samples": True}])
        lines.append(_dump({key: value}).decode("utf-8", "replace").rstrip("\n"))
    if rng.random() < 0.4:
        cited = rng.choice(CITED_FILES)
        lines.append(f"sources: {{Z: {{title: t, date: '2026', file: '{cited}'}}}}")
        lines.append(f"description: {rng.choice(['x', 'root', '0'])}")
        lines.append("offers: [{id: z, label: z, fix: {alliance: neutral}, sources: [{Z: 'root'}]}]")
    return "\n".join(lines).encode("utf-8", "replace") + b"\n"


def hostile_input(rng: random.Random) -> bytes:
    """One input of any class: mostly mutated scenarios, some extends children, some byte soup."""
    roll = rng.random()
    if roll < 0.7:
        return mutated_scenario(rng)
    return extends_child(rng) if roll < 0.85 else byte_soup(rng)


def write_beside_shipped(directory: Path, content: bytes, name: str = "mutant.yaml") -> Path:
    """Write ``content`` next to a copy of the baseline, so that ``extends: baseline.yaml`` resolves; beside it a
    FIFO (``fifo.yaml``, ``fifo.txt``) and links out of the folder (``link-out.yaml``, ``link-out.txt``), which a
    scenario must neither block on nor read."""
    (directory / "baseline.yaml").write_bytes((ROOT / "scenarios" / "baseline.yaml").read_bytes())
    for fifo in ("fifo.yaml", "fifo.txt"):
        if not (directory / fifo).exists():
            os.mkfifo(directory / fifo)
    for link, target in (("link-out.yaml", ROOT / "tests" / "data" / "golden.yaml"), ("link-out.txt", "/etc/passwd")):
        if not (directory / link).is_symlink():
            (directory / link).symlink_to(target)
    path = directory / name
    path.write_bytes(content)
    return path
