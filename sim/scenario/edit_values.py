"""The edits a user writes, as values: ``--set PATH=VALUE`` (a string), ``--unset PATH`` and a study's
:class:`SetValue`. Kept apart from :mod:`sim.scenario.edits` (which applies them to a document) so that the command
line parses its options without importing the scenario model: ``negsim --help`` stays instant (issue 23).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.scenario.errors import Mark

PATH_HELP = (
    "PATH: dotted keys (russia.weights.alliance); list items by id (parties, issues, options, offers), red lines by "
    "option (russia.red_lines.donbas.frozen_line), constraints and links by index (constraints.0) or by the options "
    'they name (constraints[a.x,b.y]); quote keys holding dots: russia.reasons["red_lines.donbas.frozen_line"]'
)


@dataclass(frozen=True)
class Unset:
    """A removal edit, ``--unset PATH``; ``mark`` says where it was written (command line or an ``unset:`` entry)."""

    path: str
    mark: Mark | None = None

    @property
    def where(self) -> Mark:
        return self.mark or Mark(f"--unset {self.path}")


@dataclass(frozen=True)
class SetValue:
    """A ``--set`` with its value already in hand (a study's edit): ``SetValue("russia.reservation", 0.5)``; the
    value is plain data as YAML would give it (a number, ``[lo, hi]``, a mapping)."""

    path: str
    value: Any


Edit = str | Unset | SetValue
