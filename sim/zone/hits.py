"""Which samples complete each *target* — a named offer, one option, or the whole space — and with which package.

A target is scored by its best completions: in a sample it is "in the zone" when some package holding its options
is in the zone there. Per block, the pairs agreed at the table are grouped per distinct package, so a target's
matches are decided once per package and reached from the pairs by an index; one-option targets (the marginals)
take one pass per issue. Hits are bit-packed per sample so blocks combine by OR, whatever the cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.space import PackageSpace, option_index


@dataclass(frozen=True)
class Target:
    """A partial package (an offer, one option, or nothing fixed): scored by its best completions."""

    name: str
    kind: str
    fix: tuple[tuple[int, int], ...]


def scenario_targets(scenario: Scenario, space: PackageSpace, with_options: bool = True) -> list[Target]:
    """The named offers, then every single option (marginals), then the whole space (is the zone empty?)."""
    targets = [
        Target(
            offer.id,
            "offer",
            tuple(option_index(space.issue_ids, space.option_ids, f"{i}.{o}") for i, o in offer.fix.items()),
        )
        for offer in scenario.offers
    ]
    if with_options:
        for i, issue_id in enumerate(space.issue_ids):
            for o, option_id in enumerate(space.option_ids[i]):
                targets.append(Target(f"{issue_id}.{option_id}", "option", ((i, o),)))
    targets.append(Target("*", "space", ()))
    return targets


@dataclass(frozen=True, eq=False)
class TargetScores:
    """Per target: share of samples with some completion in the zone (and at the table), best completion."""

    targets: list[Target]
    samples: int
    hits: np.ndarray
    table_hits: np.ndarray
    best_count: np.ndarray
    best_package: np.ndarray

    @property
    def zone_hit_count(self) -> np.ndarray:
        return np.bitwise_count(self.hits).sum(axis=-1)

    @property
    def p_complete(self) -> np.ndarray:
        return self.zone_hit_count / self.samples

    @property
    def p_table(self) -> np.ndarray:
        """Share of samples in which some completion is agreed by every veto party at the table."""
        return np.bitwise_count(self.table_hits).sum(axis=-1) / self.samples

    @property
    def not_ratified_count(self) -> np.ndarray:
        """Samples in which a completion is agreed at the table but none survives ratification."""
        return np.bitwise_count(self.table_hits & ~self.hits).sum(axis=-1)

    @property
    def p_not_ratified(self) -> np.ndarray:
        return self.not_ratified_count / self.samples


def pair_hits(
    targets: list[Target],
    space: PackageSpace,
    n_samples: int,
    unique_codes: np.ndarray,
    samples: np.ndarray,
    in_zone: np.ndarray,
    inverse: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per target, the samples (bit-packed) with a completion agreed at the table / in the zone, from (package,
    sample) pairs (``unique_codes[inverse[k]]``, ``samples[k]``)."""
    hits = np.zeros((len(targets), -(-n_samples // 8)), dtype=np.uint8)
    table_hits = np.zeros_like(hits)
    single = {t for t, target in enumerate(targets) if len(target.fix) == 1}
    _score_options(targets, space, n_samples, unique_codes, inverse, samples, in_zone, single, hits, table_hits)
    for t, target in enumerate(targets):
        if t in single:
            continue
        candidates = np.ones(unique_codes.shape[0], dtype=bool)
        for issue, option in target.fix:
            candidates &= unique_codes[:, issue] == option
        match = candidates[inverse]
        table_hits[t] = np.packbits(np.bincount(samples[match], minlength=n_samples) > 0)
        hits[t] = np.packbits(np.bincount(samples[match & in_zone], minlength=n_samples) > 0)
    return hits, table_hits


def grid_hits(
    targets: list[Target], head_codes: np.ndarray, tail_codes: np.ndarray, split: int, bits: np.ndarray
) -> np.ndarray:
    """Per target, the OR of the bit-packed sample rows ``bits[h, t]`` of the packages (head ``h``, tail ``t``) that
    hold its options: a grid's rows are reduced once over tails and once over heads, then grouped by option."""
    hits = np.zeros((len(targets), bits.shape[-1]), dtype=np.uint8)
    by_head = np.bitwise_or.reduce(bits, axis=1)  # [h, bytes]
    by_tail = np.bitwise_or.reduce(bits, axis=0)  # [t, bytes]
    for t, target in enumerate(targets):
        head_ok = np.ones(head_codes.shape[0], dtype=bool)
        tail_ok = np.ones(tail_codes.shape[0], dtype=bool)
        for issue, option in target.fix:
            if issue < split:
                head_ok &= head_codes[:, issue] == option
            else:
                tail_ok &= tail_codes[:, issue - split] == option
        if tail_ok.all():
            rows = by_head[head_ok]
        elif head_ok.all():
            rows = by_tail[tail_ok]
        else:
            rows = bits[np.ix_(head_ok, tail_ok)].reshape(-1, bits.shape[-1])
        if rows.shape[0]:
            hits[t] = np.bitwise_or.reduce(rows, axis=0)
    return hits


def best_completions(
    targets: list[Target], space: PackageSpace, unique_codes: np.ndarray, unique: np.ndarray, zone_count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per target, its completion most often in the zone and that count (ties: lowest package number; -1: none)."""
    best_count = np.full(len(targets), -1, dtype=np.int64)
    best_package = np.full(len(targets), -1, dtype=np.int64)
    best_count_of, best_package_of = _best_by_option(space, unique_codes, unique, zone_count)
    for t, target in enumerate(targets):
        if len(target.fix) == 1:
            ((issue, option),) = target.fix
            best_count[t], best_package[t] = best_count_of[issue][option], best_package_of[issue][option]
            continue
        candidates = zone_count > 0
        for issue, option in target.fix:
            candidates &= unique_codes[:, issue] == option
        rows = np.flatnonzero(candidates)
        if rows.size:
            best = rows[np.argmax(zone_count[rows])]
            best_count[t], best_package[t] = zone_count[best], unique[best]
    return best_count, best_package


def _score_options(
    targets: list[Target],
    space: PackageSpace,
    n_samples: int,
    unique_codes: np.ndarray,
    inverse: np.ndarray,
    samples: np.ndarray,
    in_zone: np.ndarray,
    single: set[int],
    hits: np.ndarray,
    table_hits: np.ndarray,
) -> None:
    """Hits of every one-option target, one pass per issue (a bincount over option x sample) instead of one
    pass over the pairs per option."""
    by_issue: dict[int, list[int]] = {}
    for t in single:
        by_issue.setdefault(targets[t].fix[0][0], []).append(t)
    for issue, ts in by_issue.items():
        radix = space.radices[issue]
        key = unique_codes[:, issue][inverse] * n_samples + samples
        at_table = np.bincount(key, minlength=radix * n_samples).reshape(radix, n_samples) > 0
        zone = np.bincount(key[in_zone], minlength=radix * n_samples).reshape(radix, n_samples) > 0
        for t in ts:
            option = targets[t].fix[0][1]
            table_hits[t] = np.packbits(at_table[option])
            hits[t] = np.packbits(zone[option])


def _best_by_option(
    space: PackageSpace, unique_codes: np.ndarray, unique: np.ndarray, zone_count: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per issue and option, the package with that option most often in the zone (ties: lowest number)."""
    order = np.lexsort((unique, -zone_count))
    order = order[zone_count[order] > 0]
    counts, packages = [], []
    for issue, radix in enumerate(space.radices):
        count = np.full(radix, -1, dtype=np.int64)
        package = np.full(radix, -1, dtype=np.int64)
        options, first = np.unique(unique_codes[order, issue], return_index=True)
        count[options] = zone_count[order[first]]
        package[options] = unique[order[first]]
        counts.append(count)
        packages.append(package)
    return counts, packages
