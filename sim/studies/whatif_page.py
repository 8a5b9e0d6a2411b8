"""What would it take, on a run's page: ``negsim whatif``'s answer for each named offer, computed once as the run
finishes and kept in the run directory (``whatif.json``, read back by the page).

Each answer is :func:`sim.studies.whatif.change_set_answer` on the run's own samples (same seed, same draws, the run's
preferences) with the command's default target (the best package's zone probability, taken from the run) and at
most ``PAGE_CHANGES`` changes, so the command the page prints beside it gives the same answer. The run already knows
in how many samples some completion of each offer is in the zone, so an offer reaching the target needs no search.

The page must stay cheap next to the run (issue 21; issue 23 cuts a run to seconds). A search's work grows with
the packages it scores densely (the offer's neighbourhood within K moves, open issues completed every way) times
the samples, and an offer leaving much open is a branch and bound per choice of conceding parties: measured at
0.5–17 s CPU per offer on the baseline at 2,000 samples (99 s for all 22 with K = 2), and still 3 s for 14 offers
at 8 samples (the per-choice work does not shrink with the samples). So by default (``WhatIfScope.cheap``) the page
searches only offers whose neighbourhood holds at most ``PAGE_PACKAGES`` packages and ``PAGE_CELLS`` (package,
sample) pairs (a fully specified offer: about 0.1–0.2 s each at 2,000 samples) and gives the others their command;
``WhatIfScope.all`` searches every offer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sim.outputs.answers import save_whatif
from sim.outputs.whatif_choice import WhatIfScope
from sim.studies.changeset import neighbourhood_size
from sim.studies.whatif import change_set_answer, offer_fix
from sim.zone.analysis import ZoneAnalysis
from sim.zone.settings import run_draws
from sim.zone.whatif_result import OffersWhatIf, WhatIfResult

PAGE_CHANGES = 2
PAGE_PACKAGES = 2_048  # packages within K moves a page's search may score (a fully specified offer: ~500)
PAGE_CELLS = 2**22  # and (package, sample) pairs: ~0.1-0.2 s CPU per offer


@dataclass(frozen=True)
class RunWhatIf:
    """The answer step a run is handed (:data:`sim.outputs.answers.Answer`): writes ``whatif.json``."""

    scope: WhatIfScope = WhatIfScope.cheap
    max_changes: int = PAGE_CHANGES
    also: tuple[str, ...] = ()  # offer ids searched whatever their cost (--whatif-offers)

    def __call__(self, analysis: ZoneAnalysis, run_dir: Path) -> None:
        if self.scope is not WhatIfScope.none or self.also:
            save_whatif(run_dir, offers_whatif(analysis, self.scope, self.max_changes, self.also))


def offers_whatif(
    analysis: ZoneAnalysis, scope: WhatIfScope, max_changes: int = PAGE_CHANGES, also: tuple[str, ...] = ()
) -> OffersWhatIf:
    """whatif's answer for the run's named offers in ``scope``, and for those in ``also`` whatever their cost (see
    the module docstring); an id in ``also`` that the scenario does not name is skipped (a batch's scenarios
    differ)."""
    started = time.process_time()
    scenario, samples = analysis.scenario, analysis.samples
    best = analysis.headline.best_p_zone
    best_count = round(best.p * samples)
    target, reason = (
        best_count / samples,
        (
            f"the best package's zone probability ({best_count} of {samples} samples): as likely as the most likely "
            "package in the whole space"
            if best_count
            else "no package is in the zone in any sample; nothing to reach without concessions"
        ),
    )
    count = max(1, best_count)
    space = analysis.space
    hits = {o.id: round(o.p_complete.p * samples) for o in analysis.offer_results}
    chosen, left = [], []
    for offer in scenario.offers:
        packages = neighbourhood_size(space, offer_fix(space, offer), max_changes)
        cheap = hits[offer.id] >= count or (packages <= PAGE_PACKAGES and packages * samples <= PAGE_CELLS)
        if scope is WhatIfScope.none:
            cheap = False
        (chosen if scope is WhatIfScope.all or cheap or offer.id in also else left).append(offer)
    answers: list[WhatIfResult] = []
    if chosen:
        draws = run_draws(scenario, analysis.settings)
        preferences = analysis.samples_preferences
        for offer in chosen:
            answers.append(
                change_set_answer(
                    scenario,
                    offer,
                    target,
                    reason,
                    draws,
                    analysis.settings.seed,
                    max_changes=max_changes,
                    preferences=preferences,
                    baseline_hits=hits[offer.id],
                )
            )
    why = (
        f"each leaves so much open that its search is a branch and bound over the space per choice of conceding "
        f"parties (0.5–17 s each on the baseline at 2,000 samples), too slow for every run; the page searches the "
        f"offers whose neighbourhood within {max_changes} moves holds at most {PAGE_PACKAGES:,} packages (a fully "
        "specified offer), those reaching the target as they stand and those named by --whatif-offers (--whatif all "
        "searches every offer)"
    )
    return OffersWhatIf(
        max_changes,
        target,
        reason,
        tuple(answers),
        tuple(o.id for o in left),
        why if left else "",
        time.process_time() - started,
    )
