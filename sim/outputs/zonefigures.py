"""The figures of a zone analysis, one method each: data prepared from the typed value, drawn by ``sim.outputs.plots``.

``ZoneFigures(analysis).zone_by_option(ax=ax)`` returns the Figure (a new one when ``ax`` is None) and touches no
global state, so the same calls serve ``report.html`` (saved to PNG) and a notebook (``z.plot.zone_by_option()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outputs.plots import (
    marginal_dataset,
    offer_dataset,
    plot_offer_acceptance,
    plot_option_marginals,
    plot_zone_histogram,
    zone_histogram_dataset,
)
from sim.outputs.plots_review import (
    IssueAxis,
    OptionPairs,
    UtilityPairs,
    blockers_dataset,
    choose_pair,
    convergence_dataset,
    option_pair_dataset,
    plot_blockers,
    plot_convergence,
    plot_option_pairs,
    plot_utility_pairs,
)
from sim.outputs.zonerun import offer_row, option_row, party_label
from sim.zone.analysis import ZoneAnalysis
from sim.zone.preferences import expected_utility
from sim.zone.settings import run_preferences

BACKGROUND_PACKAGES = 4_000
ZONE_POINTS = 5_000
# negotiation-set points drawn (an even subset beyond): at 3^19 its 20,411 black outlines hid every zone dot
FRONTIER_POINTS = 1_000


class ZoneFigures:
    """Every figure of a zone analysis; ``caption`` (scenario and run) goes under each title."""

    def __init__(self, analysis: ZoneAnalysis, caption: str = "") -> None:
        self.analysis = analysis
        self.caption = caption or f"{analysis.scenario.id} · {analysis.samples} samples, seed {analysis.settings.seed}"
        scenario = analysis.scenario
        self._titles = {issue.id: issue.title for issue in scenario.issues}
        self._names = {party.id: party.name for party in scenario.parties}

    def _marginal_rows(self) -> list[dict[str, Any]]:
        return [option_row(self.analysis, r) for r in self.analysis.option_results]

    def zone_by_option(self, ax: Axes | None = None) -> Figure:
        """How often some package holding each option is in the zone, with 95 % intervals; red-lined options marked."""
        dataset = marginal_dataset(self._marginal_rows(), self._titles, self._names)
        return plot_option_marginals(dataset, ax=ax, caption=self.caption)

    def offers(self, ax: Axes | None = None) -> Figure:
        """Each offer's P(some completion in the zone) and each party's acceptance of the completion shown."""
        analysis = self.analysis
        rows = [offer_row(analysis, r) for r in analysis.offer_results]
        labels = [party_label(analysis, p) for p in analysis.parties]
        return plot_offer_acceptance(*offer_dataset(rows, list(analysis.parties), labels), ax=ax, caption=self.caption)

    def blockers(self, ax: Axes | None = None) -> Figure:
        """Who rejects each option's best (or closest) completion, by red line or by reservation."""
        veto = list(self.analysis.veto_parties)
        dataset = blockers_dataset(self._marginal_rows(), veto, self._names, self._titles)
        return plot_blockers(dataset, ax=ax, caption=self.caption)

    def histogram(self, ax: Axes | None = None) -> Figure:
        """How many packages have each zone probability."""
        analysis = self.analysis
        p_zone = analysis.zone.zone_count / analysis.samples
        data = zone_histogram_dataset(p_zone, analysis.samples, analysis.histogram.zero)
        return plot_zone_histogram(data, ax=ax, caption=self.caption)

    def convergence(self, ax: Axes | None = None) -> Figure:
        """Running estimates of P(zone non-empty) and each offer's completion probability against the samples."""
        hits = self.analysis.hits.hits
        series = {"P(zone non-empty)": hits["zone_nonempty"]}
        series.update({f"offer: {o.label}": hits[f"offer_{o.id}"] for o in self.analysis.offer_results})
        return plot_convergence(convergence_dataset(series), ax=ax, caption=self.caption)

    def option_pairs(self, pair: tuple[str, str] | None = None, ax: Axes | None = None) -> Figure:
        """Best zone probability of a package holding each pair of options of two issues (default: the two whose
        option marginals spread most)."""
        return plot_option_pairs(self.pair_dataset(pair), ax=ax, caption=self.caption)

    def utility_pairs(self, ax: Sequence[Axes] | None = None) -> Figure:
        """Expected utilities of sampled packages, the zone, the negotiation set and the solutions, party by party."""
        return plot_utility_pairs(self.utility_pairs_dataset(), ax=ax, caption=self.caption)

    def pair_dataset(self, pair: tuple[str, str] | None = None) -> OptionPairs:
        analysis = self.analysis
        pair = pair or choose_pair(self._marginal_rows())
        space, scenario = analysis.space, analysis.scenario
        first, second = (space.issue_ids.index(issue) for issue in pair)

        def issue(issue_id: str) -> IssueAxis:
            found = scenario.issue(issue_id)
            return IssueAxis(found.title, list(found.option_ids), [o.label for o in found.options])

        p_zone = analysis.zone.zone_count / analysis.samples
        packages = analysis.zone.packages  # option indices of the two issues only, as arrays: zones run to millions
        return option_pair_dataset(
            p_zone,
            space.option_codes(packages, first),
            space.option_codes(packages, second),
            issue(pair[0]),
            issue(pair[1]),
        )

    def utility_pairs_dataset(self) -> UtilityPairs:
        """Veto parties' expected utilities for a seeded sample of packages, the zone, the frontier, solutions."""
        analysis = self.analysis
        preferences = analysis.preferences or run_preferences(analysis.scenario, analysis.settings)
        space, parties = analysis.space, analysis.parties
        veto = [p for p, party in enumerate(parties) if party in analysis.veto_parties]
        rng = np.random.default_rng(analysis.settings.seed)
        sample = rng.choice(space.size, size=min(space.size, BACKGROUND_PACKAGES), replace=False)
        codes = space.codes(np.sort(sample))
        background = expected_utility(preferences, codes[space.feasible(codes)])[veto].T
        zone_p = analysis.zone.zone_count / analysis.samples
        order = np.argsort(zone_p, kind="stable")[-ZONE_POINTS:]  # ties by package: numpy's default sort orders
        # ties by the CPU's SIMD kernel, so the committed figure differed from one machine to the next
        zone_eu = expected_utility(preferences, space.codes(analysis.zone.packages[order]))[veto].T
        negotiation = analysis.negotiation_set
        frontier = negotiation.expected_utility[veto].T.reshape(-1, len(veto))
        return UtilityPairs(
            parties=[party_label(analysis, parties[p]) for p in veto],
            background=background,
            zone=zone_eu if order.size else np.zeros((0, len(veto))),
            zone_p=zone_p[order],
            frontier=frontier[np.unique(np.linspace(0, len(frontier) - 1, FRONTIER_POINTS).astype(np.int64))]
            if len(frontier) > FRONTIER_POINTS
            else frontier,
            frontier_size=len(frontier),
            solutions={
                name: [sol.expected_utility[parties[p]] for p in veto]
                for name, sol in negotiation.solutions.items()
                if sol
            },
            reservation=[negotiation.reservation[parties[p]] for p in veto],
        )
