"""The negotiating table: the packages the talks bargain over, chosen once per scenario.

Why: a real table negotiates over drafts that are at least plausible for everyone - Raiffa's single negotiating
text (*The Art and Science of Negotiation*, 1982, ch. 14) is redrafted among packages each side might sign, not
among the millions a grid of options allows (the baseline has 1,990,656 packages, 331,776 of them feasible and free
of every veto party's certain red line). Bargaining over all of them made one run cost seconds and gigabytes while
nearly all of them are refused by someone in every sample.

The table is at most ``TABLE_SIZE`` packages, sorted by package number:

* when the space has at most ``TABLE_SIZE`` feasible packages, every feasible package free of a veto party's certain
  red line (what the talks used before the table existed, so small scenarios play exactly as before);
* otherwise the packages with the highest prior chance, under the published ranges, of being acceptable to every
  veto party: ``TABLE_SAMPLES`` samples scored by the zone's own branch and bound (``sim.zone.scoring``), ranked by
  zone count, then by the count of samples agreed at the table (ratifiers aside); if fewer packages than that ever
  reach the table, the rest is filled with the best by the published positions' joint believed acceptance
  (``strategies.log_acceptance``), chunk by chunk with a running top-K (memory bounded by the chunk);
* plus, for each scenario offer, its completion most often in those samples' zone (a partial offer stands for every
  package that matches it; an offer with no completion in any sample's zone adds nothing).

The table decides only what is *proposed*. Whether a zone existed in a run's own sample, and its Nash and
Kalai–Smorodinsky packages, are computed over the whole feasible space (``sim.negotiation.versus_zone``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sim.negotiation.strategies import log_acceptance
from sim.scenario.model import Scenario
from sim.zone.preferences import gather_sums
from sim.zone.sampling import point_preferences
from sim.zone.scoring import ZoneScorer, combine_targets, scenario_targets
from sim.zone.settings import RunSettings, run_preferences
from sim.zone.space import PackageSpace

TABLE_SIZE = 2048
TABLE_SAMPLES = 500
CHUNK = 2**17


def table_seed(scenario: Scenario) -> int:
    """The seed of the table's samples: its own stream of the scenario's run seed (the same in every process)."""
    state = np.random.SeedSequence([scenario.run.seed, 0x7461626C]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


def candidate_table(scenario: Scenario, space: PackageSpace, veto: list[int], size: int = TABLE_SIZE) -> np.ndarray:
    """Package numbers of the table (sorted); see the module docstring for the rule."""
    red_lines = point_preferences(scenario).red_lines
    banned = sorted({ref for p in veto for ref in red_lines[p]})
    if space.count_feasible() <= size:
        return np.concatenate(list(_candidates(space, banned)))
    preferences = run_preferences(scenario, RunSettings(TABLE_SAMPLES, table_seed(scenario)))
    targets = [t for t in scenario_targets(scenario, space, with_options=False) if t.kind == "offer"]
    scorer = ZoneScorer(space, preferences, targets)
    scores = [scorer.score(block) for block in scorer.blocks]
    listed = np.concatenate([s.packages for s in scores])
    zone_count = np.concatenate([s.zone_count for s in scores])
    table_count = np.concatenate([s.table_count for s in scores])
    order = np.lexsort((listed, -table_count, -zone_count))
    chosen = listed[order[:size]]
    if chosen.size < size:
        chosen = np.concatenate([chosen, _best_believed(scenario, space, veto, banned, size - chosen.size, chosen)])
    offers = combine_targets(scores, targets, preferences.samples).best_package
    return np.unique(np.concatenate([chosen, offers[offers >= 0]]))


def _candidates(space: PackageSpace, banned: list[tuple[int, int]]) -> Iterator[np.ndarray]:
    """Feasible packages holding no banned option, chunk by chunk: (package numbers)."""
    for start in range(0, space.size, CHUNK):
        packages = np.arange(start, min(start + CHUNK, space.size))
        codes = space.codes(packages)
        yield packages[space.feasible(codes) & ~space.holds_any(codes, banned)]


def _best_believed(
    scenario: Scenario,
    space: PackageSpace,
    veto: list[int],
    banned: list[tuple[int, int]],
    count: int,
    taken: np.ndarray,
) -> np.ndarray:
    """The ``count`` candidates not in ``taken`` with the highest joint believed acceptance at the published
    positions (running top-K; ties: lower package number)."""
    published = point_preferences(scenario)
    reservation = published.reservation[:, 0]
    best = np.zeros(0, dtype=np.int64)
    best_score = np.zeros(0)
    for packages in _candidates(space, banned):
        packages = packages[~np.isin(packages, taken)]
        codes = space.codes(packages)
        utilities = gather_sums(published.by_issue, codes, published.n_parties, 1)[:, :, 0]
        score = sum(log_acceptance(utilities[:, p], reservation[p]) for p in veto)
        best = np.concatenate([best, packages])
        best_score = np.concatenate([best_score, np.broadcast_to(score, packages.shape)])
        keep = np.lexsort((best, -best_score))[:count]
        best, best_score = best[keep], best_score[keep]
    return best
