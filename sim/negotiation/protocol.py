"""How the talks are run: alternating offers, or a mediator's single negotiating text.

Its own module so the command line can offer the choice without importing Mesa (and pandas) at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Protocol(StrEnum):
    alternating = "alternating"
    mediated = "mediated"


@dataclass(frozen=True, slots=True)
class Reply:
    """A veto party's answer to a package on the table: accept, or object to one issue and name the option it wants
    there (the objection a mediator learns from: Raiffa's single-text procedure asks each party what it would change).

    ``issue`` and ``wanted`` are indices into the package space (-1 when it accepts)."""

    accepted: bool
    issue: int = -1
    wanted: int = -1

    def recorded(self, issue_ids: tuple[str, ...] | list[str]) -> str:
        """The reply as the round table records it: ``accept`` or ``object:<issue id>``."""
        return "accept" if self.accepted else f"object:{issue_ids[self.issue]}"


ACCEPT = Reply(True)
