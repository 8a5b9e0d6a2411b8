"""User-facing problems: one actionable line each, pointing at a file, line and column.

Errors meant for people (a bad scenario, a bad ``--set``) are collected as :class:`Problem` values and raised
together as :class:`ScenarioError`, so a user fixes every mistake in one pass instead of one per run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Mark:
    """Where a value came from: a file with 1-based line and column, or a command-line origin (line 0)."""

    origin: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.origin
        return f"{self.origin}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a scenario, with the field it concerns (a dotted path)."""

    mark: Mark
    message: str
    field: str = ""

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        line = f"{self.mark}: {self.message}{where}"
        return line.replace("\r", "\\r").replace("\n", "\\n")  # one problem, one line, even when it quotes text


class ScenarioError(Exception):
    """A scenario (or an override of it) cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))
