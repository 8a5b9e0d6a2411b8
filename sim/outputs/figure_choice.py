"""Which figures a zone run draws: a light module (stdlib only), so the command line offers ``--figures`` without
importing the drawing stack at start-up."""

from __future__ import annotations

from enum import StrEnum


class Figures(StrEnum):
    """Which of a run's figures are drawn. Drawing is most of a small run's time (issue 23: the seven zone figures
    cost ~4 s of CPU on the baseline at 2,000 samples, more than scoring its 12.4M packages), so each command draws
    by default only what its page needs: ``negsim run`` the light four, a batch the two figures its page embeds per
    scenario, a sweep's points none (the sweep draws its own curves). ``--figures all`` asks for every one."""

    all = "all"
    key = "key"
    light = "light"
    none = "none"

    def draws(self, name: str) -> bool:
        """Whether this choice draws the figure file ``name`` (every figure the run has, for ``all``)."""
        if self is Figures.light:
            return name in LIGHT_FIGURES + KEY_TALKS_FIGURES
        return self is Figures.all or (self is Figures.key and name in KEY_FIGURES + KEY_TALKS_FIGURES)


# The two figures a batch's page embeds for each scenario (the zone by option and the offers); the full list of a
# run's figures is the report's (``sim.outputs.report.ZONE_PLOTS``), so a new figure cannot be left out of ``all``.
KEY_FIGURES = ("zone_by_option.png", "offers_acceptance.png")
# The figures that show what no table of the run's page restates — the negotiation set against the zone, how two
# issues combine, whether the samples suffice, how zone probability spreads — and are cheap to draw (~1.2 s of CPU
# on the baseline together, against ~2.9 s for the three label-heavy charts that restate the page's option and
# offer tables: zone by option, offers acceptance, blockers by option).
LIGHT_FIGURES = ("utility_pairs.png", "option_pairs.png", "convergence.png", "zone_histogram.png")
# A negotiation's two that answer its question: did the talks find the zone, and on what did they agree.
KEY_TALKS_FIGURES = ("talks_vs_zone.png", "agreement_frequency.png")
