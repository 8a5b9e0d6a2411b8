"""Which named offers a run's page answers "what would it take" for: a light module (stdlib only), so the command
line offers ``--whatif`` without importing the numeric stack at start-up (the search is
:mod:`sim.studies.whatif_page`)."""

from __future__ import annotations

from enum import StrEnum


class WhatIfScope(StrEnum):
    """``cheap``: the offers that reach the target as they stand and those whose search is small (about 0.1-0.2 s
    each at 2,000 samples); ``all``: every named offer (an offer leaving much open takes seconds); ``none``: no
    search, the page gives the command."""

    cheap = "cheap"
    all = "all"
    none = "none"
