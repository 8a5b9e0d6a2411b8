"""Which figures a zone run draws: a light module (stdlib only), so the command line offers ``--figures`` without
importing the drawing stack at start-up."""

from __future__ import annotations

from enum import StrEnum


class Figures(StrEnum):
    """Which of a run's figures are drawn. Drawing is most of a small run's time (issue 23: 7 figures cost ~6 s of
    CPU on the baseline, more than scoring 12.4M packages at a few dozen samples), so a study draws only what its
    page shows: a batch the two figures its page embeds per scenario, a sweep's points none (the sweep draws its
    own curves). ``negsim run`` draws every one; ``--figures all`` asks for them anywhere."""

    all = "all"
    key = "key"
    none = "none"

    def draws(self, name: str) -> bool:
        """Whether this choice draws the figure file ``name`` (every figure the run has, for ``all``)."""
        return self is Figures.all or (self is Figures.key and name in KEY_FIGURES + KEY_TALKS_FIGURES)


# The two figures a batch's page embeds for each scenario (the zone by option and the offers); the full list of a
# run's figures is the report's (``sim.outputs.report.ZONE_PLOTS``), so a new figure cannot be left out of ``all``.
KEY_FIGURES = ("zone_by_option.png", "offers_acceptance.png")
# A negotiation's two that answer its question: did the talks find the zone, and on what did they agree.
KEY_TALKS_FIGURES = ("talks_vs_zone.png", "agreement_frequency.png")
