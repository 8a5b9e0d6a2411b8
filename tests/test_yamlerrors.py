"""YAML syntax errors point at the line to fix, in words (``sim/scenario/yamlerrors.py``, issue 21 item 8)."""

from __future__ import annotations

import pytest

from sim.scenario.errors import ScenarioError
from sim.scenario.yamlload import load_located

CASES = [
    # (text, line reported, words expected)
    ("a: 1\nparties:\n  - id: a\n    name: A\n    weights: {x: 1}\n   reservation: 0.5\n", 6, "indented differently"),
    ("a: 1\nb:\n  c: 1\n  d: 2\n  e: 3\n  f: 4\n  g: 5\n   h: 6\n", 8, "indented deeper"),
    ("a: 1\nb:\n  c: 1\n  d: 2\n    e: 3\n  f: 4\n", 5, "indented deeper"),
    ("a: 1\ntitle: Peace: now\n", 2, "put the text in quotes"),
    ("a: 1\nb:\n\tc: 1\n", 3, "tab"),
    ("a: [1, 2\nb: 3\n", 1, "not closed with ']'"),
    ('a: 1\nb: "hello\nc: 3\n', 2, "never closed"),
    ("a: 1\nb\nc: 2\n", 2, "neither 'key: value'"),
    ("a: *x\n", 1, "no anchor '&x'"),
]


@pytest.mark.parametrize(("text", "line", "words"), CASES, ids=[c[2] for c in CASES])
def test_syntax_errors_point_at_the_line_to_fix(tmp_path, text, line, words):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_located(path)
    (problem,) = caught.value.problems
    assert problem.mark.line == line, str(problem)
    assert words in problem.message and problem.message.startswith("invalid YAML: ")
    assert "<block" not in problem.message  # PyYAML's parser terms stay out
