"""YAML syntax errors in words, at the line that is wrong (issue 21 item 8).

PyYAML reports where its parser gave up, in parser terms: an indentation slip on line 8 came out as "6:3: while
parsing a block mapping ... expected <block end>, but found '<block mapping start>'" (line 6 is where the block
began). People need the line to fix and what is wrong with it. The common mistakes are recognised by the parser's
message; anything else keeps PyYAML's words, at the line where the parser stopped.
"""

from __future__ import annotations

import re

import yaml

from sim.scenario.errors import Mark, Problem


def _at(origin: str, mark: yaml.Mark | None, has_lines: bool) -> Mark:
    if mark is None or not has_lines:
        return Mark(origin)
    return Mark(origin, mark.line + 1, mark.column + 1)


def syntax_problem(exc: yaml.MarkedYAMLError, origin: str, has_lines: bool = True) -> Problem:
    """One problem for a YAML syntax error: the line to fix, and what to do, in words."""
    problem = _worded(exc, origin, has_lines)
    return Problem(problem.mark, f"invalid YAML: {problem.message}")


def _worded(exc: yaml.MarkedYAMLError, origin: str, has_lines: bool) -> Problem:
    problem = exc.problem or ""
    context = exc.context or ""
    where, start = exc.problem_mark, exc.context_mark
    since = f" (the block starts at line {start.line + 1})" if start is not None and has_lines else ""
    found = re.match(r"expected <block end>, but found '?(<block \w+ start>|\?|-|<scalar>|[^']*)'?", problem)
    if found:
        message = (
            f"this line is indented differently from the lines of its block{since}: indent it like the keys (or "
            "'- ' items) above it at the same level"
        )
        return Problem(_at(origin, where, has_lines), message)
    if problem.startswith("mapping values are not allowed"):
        message = (
            "a ':' that cannot start a value here: either this line is indented deeper than the key above it, or a "
            "text value holds ': ' (put the text in quotes)"
        )
        return Problem(_at(origin, where, has_lines), message)
    if "'\\t'" in problem:
        return Problem(_at(origin, where, has_lines), "a tab character: indent with spaces only")
    bracket = re.match(r"expected ',' or '([\]}])', but got (.*)", problem)
    if bracket:
        opener = "[" if bracket.group(1) == "]" else "{"
        message = f"the '{opener}' opened here is not closed with '{bracket.group(1)}' where it should be"
        if where is not None and has_lines:
            message += f" (found {bracket.group(2)} at line {where.line + 1} instead)"
        return Problem(_at(origin, start or where, has_lines), message)
    if "quoted scalar" in context and "end of stream" in problem:
        return Problem(_at(origin, start or where, has_lines), "the quote opened here is never closed")
    if "simple key" in context and "expected ':'" in problem:
        message = "this line is neither 'key: value' nor a '- ' item (a ':' is missing, or a quote is unclosed)"
        return Problem(_at(origin, start or where, has_lines), message)
    alias = re.match(r"found undefined alias '?([^']*)'?", problem)
    if alias:
        message = f"alias '*{alias.group(1)}' refers to no anchor '&{alias.group(1)}' defined before it"
        return Problem(_at(origin, where, has_lines), message)
    what = " ".join(part for part in (context, problem) if part)
    if start is not None and where is not None and where.line != start.line and has_lines:
        what += f" (at line {where.line + 1})"
    return Problem(_at(origin, start or where, has_lines), what)
