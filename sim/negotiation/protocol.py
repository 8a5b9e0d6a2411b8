"""How the talks are run: alternating offers, or a mediator's single negotiating text.

Its own module so the command line can offer the choice without importing Mesa (and pandas) at start-up.
"""

from __future__ import annotations

from enum import StrEnum


class Protocol(StrEnum):
    alternating = "alternating"
    mediated = "mediated"
