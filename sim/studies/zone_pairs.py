"""The (package, sample) pairs of a zone, kept whole for studies that ask many questions of one set of samples.

A zone run (``sim.zone.scoring``) folds its pairs into counts per package and hits per named target. A study that
asks about many partial packages (every candidate change of an offer) or many variants of one party (sensitivity,
one-party moves) needs the pairs themselves: a partial package's zone probability is then a count over a few
thousand pairs instead of a new pass over the space, and a variant of a ratifier changes nothing at the table, only
which of the table's pairs survive ratification. The pairs come from the zone's own exact branch and bound
(:meth:`sim.zone.scoring.ZoneScorer.zone_pairs`) and ratification from ``Preferences.accepts_at`` (the one
acceptance rule), so every probability computed from them equals the zone scorer's, bit for bit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sim.scenario.model import Party, Scenario
from sim.zone.pairs import ZonePairs
from sim.zone.preferences import Preferences, RedLine
from sim.zone.sampling import Draws, preferences_from_draws
from sim.zone.scoring import Block, ZoneScorer
from sim.zone.space import PackageSpace

ANY_UTILITY = -(2**30)  # a threshold (integer units of 1e-8) below any utility: utilities are sums of w * v >= 0


class Cancelled(Exception):  # noqa: N818 - what happened, not an error: the caller called the search off
    """Raised inside a search whose ``cancelled()`` answered True: nobody wants its answer any more (the explore
    page changed under it), so it stops at the next unit of work instead of finishing for nothing."""


def check(cancelled: Callable[[], bool] | None) -> None:
    """Raise :class:`Cancelled` when the caller has called the search off (a cheap call between units of work)."""
    if cancelled is not None and cancelled():
        raise Cancelled


def table_pairs(
    space: PackageSpace,
    preferences: Preferences,
    workers: int = 1,
    tail_max: int | None = None,
    limit: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ZonePairs | None:
    """Every feasible (package, sample) pair that every veto party at the table accepts (``ZoneScorer``'s blocks,
    on ``workers`` threads; ``tail_max`` only changes how the space is cut, never the pairs). With ``limit``, blocks
    are scored one by one and None is returned as soon as there are more pairs than that. ``cancelled`` is asked
    before each block (raises :class:`Cancelled`)."""
    scorer = ZoneScorer(space, preferences, [], True, tail_max)

    def block_pairs(block: Block) -> ZonePairs:
        check(cancelled)
        return scorer.zone_pairs(block)

    if limit is not None:
        parts, found = [], 0
        for block in scorer.blocks:
            parts.append(block_pairs(block))
            found += len(parts[-1])
            if found > limit:
                return None
    elif workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(block_pairs, scorer.blocks))
    else:
        parts = [block_pairs(block) for block in scorer.blocks]
    return ZonePairs.joined(parts, len(space.radices))


def ratified(preferences: Preferences, pairs: ZonePairs) -> np.ndarray:
    """Whether every ratifier (veto party away from the table) accepts each pair's package in that pair's sample."""
    ratifiers = [int(p) for p in np.flatnonzero(preferences.veto & preferences.ratifier)]
    if not ratifiers or len(pairs) == 0:
        return np.ones(len(pairs), dtype=bool)
    return preferences.all_accept_at(pairs.codes, pairs.samples, ratifiers)


def seated(preferences: Preferences) -> Preferences:
    """The same preferences with every ratifier that decides by its own threshold (not a body that votes) seated at
    the table, for searches that want the zone's pairs only: the branch and bound then prunes on them too instead of
    listing every pair the table agrees and ratifying each afterwards (most of a zone search's work when the table
    is generous: half the time of a one-party-relaxed search of the baseline). The zone is the same set: a pair is in
    it when every veto party accepts it, by the one rule (``Preferences.accepts_at``), wherever the party sits."""
    voting = {body.party for body in preferences.electorates}
    plain = [int(p) for p in np.flatnonzero(preferences.veto & preferences.ratifier) if int(p) not in voting]
    if not plain:
        return preferences
    ratifier = preferences.ratifier.copy()
    ratifier[plain] = False
    return dataclasses.replace(preferences, ratifier=ratifier)


def zone_pairs(
    space: PackageSpace, preferences: Preferences, workers: int = 1, tail_max: int | None = None
) -> ZonePairs:
    """Every (package, sample) pair in the zone: agreed at the table and ratified (plain ratifiers searched as if
    at the table: :func:`seated`)."""
    pairs = table_pairs(space, seated(preferences), workers, tail_max)
    assert pairs is not None
    return pairs.in_zone()


def held_to(preferences: Preferences, fix: dict[int, int]) -> Preferences:
    """The same preferences with every other option of ``fix``'s issues a certain red line of a party at the table,
    so that the zone's branch and bound prunes them before any arithmetic and searches only the completions of
    ``fix`` (unchanged when no party sits at the table: callers keep filtering with :meth:`ZonePairs.matching`)."""
    at_table = np.flatnonzero(preferences.veto & ~preferences.ratifier)
    if not fix or not at_table.size:
        return preferences
    everywhere = np.ones(preferences.samples, dtype=bool)
    held = [
        RedLine(int(at_table[0]), (issue, option), 1.0, everywhere)
        for issue, chosen in fix.items()
        for option in range(preferences.radices[issue])
        if option != chosen
    ]
    return dataclasses.replace(preferences, red_line_list=(*preferences.red_line_list, *held))


def completions_in_zone(
    space: PackageSpace,
    preferences: Preferences,
    fix: dict[int, int],
    tail_max: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ZonePairs:
    """The zone's pairs among the completions of ``fix`` only (a search over that part of the space)."""
    pairs = table_pairs(space, held_to(seated(preferences), fix), tail_max=tail_max, cancelled=cancelled)
    assert pairs is not None
    return pairs.take(np.flatnonzero(pairs.ratified & pairs.matching(fix)))


def others_pairs(
    space: PackageSpace,
    preferences: Preferences,
    party: int,
    fix: dict[int, int] | None = None,
    tail_max: int | None = None,
    limit: int | None = None,
    table: ZonePairs | None = None,
) -> ZonePairs | None:
    """The pairs every veto party but ``party`` accepts and ``party``'s red lines allow (completions of ``fix``
    only, when given): the only pairs a change of that party's weights or reservation can put in the zone.

    Built by the zone's own search with ``party``'s threshold below any utility; ``fix`` becomes certain red lines
    on the other options of its issues (held by a party at the table), which the branch and bound prunes before any
    arithmetic. None when there are more than ``limit`` pairs (then scoring each change afresh is cheaper). For a
    ratifier, ``table`` (the pairs agreed at the table under ``preferences``, when already found) is re-ratified
    instead: a ratifier changes nothing at the table.
    """
    threshold = preferences.threshold.copy()
    threshold[party] = ANY_UTILITY
    others = held_to(dataclasses.replace(preferences, threshold=threshold), fix or {})
    if table is not None and preferences.ratifier[party]:
        return table.take(np.flatnonzero(ratified(others, table) & (table.matching(fix) if fix else True)))
    pairs = table_pairs(space, seated(others), tail_max=tail_max, limit=limit)
    if pairs is None:
        return None
    return pairs.in_zone() if not fix else pairs.take(np.flatnonzero(pairs.ratified & pairs.matching(fix)))


def party_alone(scenario: Scenario, party: Party, draws: Draws) -> Preferences:
    """One party's preferences from its own draws (``Draws.party``): what a change of that party alone needs. The
    one-party scenario is a view for the sampler (``model_copy``, no edit of the scenario), never shown or saved."""
    return preferences_from_draws(scenario.model_copy(update={"parties": [party]}), draws)


def accepted_alone(alone: Preferences, pairs: ZonePairs) -> ZonePairs:
    """The pairs the one party of ``alone`` accepts."""
    if len(pairs) == 0:
        return pairs
    return pairs.take(np.flatnonzero(alone.accepts_at(pairs.codes, pairs.samples, [0])[0]))


def samples_hit(samples: np.ndarray, n_samples: int) -> int:
    """In how many distinct samples some of the given pairs lie."""
    return int(np.count_nonzero(np.bincount(samples, minlength=n_samples)))
