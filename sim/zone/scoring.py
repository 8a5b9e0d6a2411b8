"""The Monte-Carlo acceptable zone: for every package, how often every veto party would accept it.

Work is done per grid block (``sim.zone.space``), vectorised over packages and samples at once:

* utility of (head h, tail t) = head_sum[h] + tail_sum[t] in exact integer units (``sim.zone.preferences``); the
  tail table is built once per run, so each package costs one comparison per party and sample,
  ``tail_sum >= threshold - head_sum``. Links between a head issue and a tail issue add their term to the tail
  table of the heads that hold the link's head-side option (one tail variant per set of active links);
* **exact pruning**: before comparing a head with every tail, an upper bound settles most heads at once. In sample
  *s* no package of head *h* can satisfy party *p* unless ``head_sum[h,p,s] + max_t tail_sum[t,p,s] >= threshold``;
  a head for which no sample satisfies this for every veto party at once (or that holds a veto party's certain red
  line) has no package in the zone in any sample, and is skipped. The bound is exact (a maximum over the very
  integers that would be compared), so pruning changes no zone count, hit or best package — property-tested
  against the brute-force path (``prune=False``);
* acceptance over samples is bit-packed (8 samples a byte): the veto parties' AND and the per-sample "does some
  completion of this target fall in the zone" OR run on packed bytes, and counts use ``numpy.bitwise_count``.
  Red lines that hold in some samples only clear those samples' bits; certain ones mask whole packages.

Ratifiers (veto players not at the table) are scored separately too: ``table_count`` counts the samples in which
every veto party *at the table* accepts, ``zone_count`` those in which ratifiers accept as well.

Per-party acceptance counts are computed for scored heads only; a pruned package's ``accept_count`` is -1 (not
computed — no sample puts it in the zone). Memory is bounded by the block size whatever the size of the space.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.preferences import LinkTerm, Preferences, add_link_terms, gather_sums, grid_sums, sample_preferences
from sim.zone.space import Block, GridBlocks, PackageSpace, option_index

DEFAULT_BLOCK_BYTES = 2**26
MAX_BLOCK_PACKAGES = 2**18  # bounds the per-package arrays (option codes, masks) when samples are few


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
class BlockScore:
    """Counts over samples for one block of packages (all arrays indexed by position in the block)."""

    block: Block
    zone_count: np.ndarray
    table_count: np.ndarray
    accept_count: np.ndarray
    valid: np.ndarray
    target_hits: np.ndarray
    table_hits: np.ndarray
    best_count: np.ndarray
    best_package: np.ndarray
    scored: int = 0


@dataclass(eq=False)
class ZoneScorer:
    """Everything block scoring needs that does not change between blocks (built once per run)."""

    space: PackageSpace
    preferences: Preferences
    targets: list[Target]
    chunk_size: int
    prune: bool = True
    blocks: GridBlocks = field(init=False)
    tail_sum: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.blocks = self.space.blocks(self.chunk_size)
        prefs, split = self.preferences, self.blocks.split
        tables = prefs.by_issue_units
        self.head_tables = tables[:split]
        self.tail_sum = grid_sums(tables[split:], prefs.n_parties, prefs.samples)
        tail_codes = self.blocks.tail_codes()
        self.head_links: tuple[LinkTerm, ...] = tuple(
            link for link in prefs.links if link.first[0] < split and link.second[0] < split
        )
        tail_links = [link for link in prefs.links if link.first[0] >= split and link.second[0] >= split]
        if tail_links:
            shifted = [_shift(link, split) for link in tail_links]
            add_link_terms(self.tail_sum, tuple(shifted), tail_codes, units=True)
        spanning = [link for link in prefs.links if (link.first[0] < split) != (link.second[0] < split)]
        self.spanning = [(_head_side(link, split), link, _tail_mask(link, split, tail_codes)) for link in spanning]
        self.veto = np.flatnonzero(prefs.veto)
        self.at_table = np.flatnonzero(prefs.veto & ~prefs.ratifier)
        self.has_ratifiers = bool((prefs.veto & prefs.ratifier).any())
        self.certain_table_red_lines = [option for p in self.at_table for option in prefs.red_lines[p]]
        self._tail_max: dict[bytes, np.ndarray] = {}

    def _tail_variant(self, party: int, active: np.ndarray) -> np.ndarray:
        """Party's tail table ``[tail, sample]`` with the spanning links in ``active`` added."""
        table = self.tail_sum[:, party, :]
        extra = [(link, mask) for (_, link, mask), on in zip(self.spanning, active, strict=True) if on]
        extra = [(link, mask) for link, mask in extra if link.party == party]
        if not extra:
            return table
        table = table.copy()
        for link, mask in extra:
            table[mask] += link.delta_units
        return table

    def score(self, block: Block) -> BlockScore:
        prefs, space = self.preferences, self.space
        n_parties, samples = prefs.n_parties, prefs.samples
        heads = self.blocks.head_codes(block)
        tail_size = self.blocks.tail_size
        head_sum = gather_sums(self.head_tables, heads, n_parties, samples, dtype=np.int32)
        add_link_terms(head_sum, self.head_links, heads, units=True)
        threshold = prefs.threshold[None, :, :] - head_sum
        active = np.zeros((heads.shape[0], len(self.spanning)), dtype=bool)
        for column, (side, _, _) in enumerate(self.spanning):
            active[:, column] = heads[:, side[0]] == side[1]
        variants, variant_of_head = np.unique(active, axis=0, return_inverse=True)
        variant_of_head = variant_of_head.reshape(-1)
        tables = [[self._tail_variant(p, variant) for p in range(n_parties)] for variant in variants]
        keys = [np.packbits(variant).tobytes() + bytes([variant.size]) for variant in variants]
        alive = self._alive_heads(heads, threshold, tables, variant_of_head, keys)

        zone_count = np.zeros(block.size, dtype=np.int32)
        table_count = np.zeros(block.size, dtype=np.int32)
        accept_count = np.full((n_parties, block.size), -1, dtype=np.int32)
        codes = self.blocks.block_codes(block)
        valid = space.feasible(codes)
        n_bytes = -(-samples // 8)
        zone_bits = np.zeros((0, n_bytes), dtype=np.uint8)
        table_bits = zone_bits
        rows = (alive[:, None] * tail_size + np.arange(tail_size)[None, :]).reshape(-1)
        if alive.size:
            zone_bits, table_bits = self._score_rows(
                alive, rows, codes[rows], threshold, tables, variant_of_head, accept_count, valid[rows]
            )
            zone_count[rows] = np.bitwise_count(zone_bits).sum(axis=-1, dtype=np.int32)
            table_count[rows] = np.bitwise_count(table_bits).sum(axis=-1, dtype=np.int32)
        hits, table_hits, best_count, best_package = self._score_targets(
            codes[rows], zone_bits, table_bits, zone_count[rows], rows, valid[rows], block
        )
        return BlockScore(
            block, zone_count, table_count, accept_count, valid, hits, table_hits, best_count, best_package, rows.size
        )

    def _best_tail(self, tables: list[np.ndarray], key: bytes) -> np.ndarray:
        """Per party and sample, the largest tail utility of a tail variant ``[party, sample]`` (cached per run)."""
        if key not in self._tail_max:
            self._tail_max[key] = np.stack([table.max(axis=0) for table in tables])
        return self._tail_max[key]

    def _alive_heads(
        self,
        heads: np.ndarray,
        threshold: np.ndarray,
        tables: list[list[np.ndarray]],
        variant_of_head: np.ndarray,
        keys: list[bytes],
    ) -> np.ndarray:
        """Heads some package of which can be accepted by every veto party at the table in some sample."""
        if not self.prune:
            return np.arange(heads.shape[0])
        possible = np.ones((heads.shape[0], threshold.shape[2]), dtype=bool)
        best = np.stack([self._best_tail(tables[v], v_key) for v, v_key in enumerate(keys)])
        for p in self.at_table:
            possible &= best[variant_of_head, p] >= threshold[:, p, :]
        alive = possible.any(axis=1)
        for issue, option in self.certain_table_red_lines:
            if issue < heads.shape[1]:
                alive &= heads[:, issue] != option
        return np.flatnonzero(alive)

    def _score_rows(
        self,
        alive: np.ndarray,
        rows: np.ndarray,
        codes: np.ndarray,
        threshold: np.ndarray,
        tables: list[list[np.ndarray]],
        variant_of_head: np.ndarray,
        accept_count: np.ndarray,
        valid: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        prefs, space = self.preferences, self.space
        tail_size = self.blocks.tail_size
        zone_bits: np.ndarray | None = None
        table_bits: np.ndarray | None = None
        for p in range(prefs.n_parties):
            bits = np.empty((alive.size, tail_size, -(-prefs.samples // 8)), dtype=np.uint8)
            for v in np.unique(variant_of_head[alive]):
                mine = np.flatnonzero(variant_of_head[alive] == v)
                bits[mine] = np.packbits(tables[v][p][None, :, :] >= threshold[alive[mine], p, None, :], axis=-1)
            bits = bits.reshape(rows.size, -1)
            for red in prefs.uncertain_red_lines[p]:
                held = codes[:, red.option[0]] == red.option[1]
                bits[held] &= ~np.packbits(red.in_sample)[None, :]
            bits[space.holds_any(codes, list(prefs.red_lines[p]))] = 0
            accept_count[p, rows] = np.bitwise_count(bits).sum(axis=-1, dtype=np.int32)
            if not prefs.veto[p]:
                continue
            if prefs.ratifier[p]:
                zone_bits = bits if zone_bits is None else np.bitwise_and(zone_bits, bits, out=zone_bits)
            else:
                table_bits = bits if table_bits is None else np.bitwise_and(table_bits, bits, out=table_bits)
        if table_bits is None:  # every veto party is a ratifier: nobody at the table can refuse
            table_bits = np.repeat(np.packbits(np.ones(prefs.samples, dtype=bool))[None, :], rows.size, axis=0)
        table_bits[~valid] = 0
        zone_bits = table_bits if zone_bits is None else np.bitwise_and(zone_bits, table_bits, out=zone_bits)
        zone_bits[~valid] = 0
        return zone_bits, table_bits

    def _score_targets(
        self,
        codes: np.ndarray,
        zone_bits: np.ndarray,
        table_bits: np.ndarray,
        zone_count: np.ndarray,
        rows: np.ndarray,
        valid: np.ndarray,
        block: Block,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n_bytes = -(-self.preferences.samples // 8)
        hits = np.zeros((len(self.targets), n_bytes), dtype=np.uint8)
        table_hits = np.zeros_like(hits)
        best_count = np.full(len(self.targets), -1, dtype=np.int64)
        best_package = np.full(len(self.targets), -1, dtype=np.int64)
        for t, target in enumerate(self.targets):
            match = valid.copy()
            for issue, option in target.fix:
                match &= codes[:, issue] == option
            matching = np.flatnonzero(match)
            if matching.size == 0:
                continue
            hits[t] = np.bitwise_or.reduce(zone_bits[matching], axis=0)
            table_hits[t] = np.bitwise_or.reduce(table_bits[matching], axis=0)
            best = matching[np.argmax(zone_count[matching])]
            if zone_count[best] > 0:
                best_count[t], best_package[t] = zone_count[best], block.start + rows[best]
        return hits, table_hits, best_count, best_package


def _head_side(link: LinkTerm, split: int) -> tuple[int, int]:
    return link.first if link.first[0] < split else link.second


def _tail_mask(link: LinkTerm, split: int, tail_codes: np.ndarray) -> np.ndarray:
    issue, option = link.second if link.second[0] >= split else link.first
    return tail_codes[:, issue - split] == option


def _shift(link: LinkTerm, split: int) -> LinkTerm:
    """The same link with issue indices relative to the tail (for tables built over the tail issues only)."""
    first, second = (link.first[0] - split, link.first[1]), (link.second[0] - split, link.second[1])
    return LinkTerm(link.party, first, second, link.delta, link.delta_units)


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
    def p_not_ratified(self) -> np.ndarray:
        """Share of samples in which a completion is agreed at the table but none survives ratification."""
        return np.bitwise_count(self.table_hits & ~self.hits).sum(axis=-1) / self.samples


def combine_targets(scores: Iterable[BlockScore], targets: list[Target], samples: int) -> TargetScores:
    """OR the per-sample hits and keep the best completion across blocks (ties: lowest package number)."""
    n_bytes = -(-samples // 8)
    hits = np.zeros((len(targets), n_bytes), dtype=np.uint8)
    table_hits = np.zeros_like(hits)
    best_count = np.full(len(targets), -1, dtype=np.int64)
    best_package = np.full(len(targets), -1, dtype=np.int64)
    for score in sorted(scores, key=lambda s: s.block.index):
        hits |= score.target_hits
        table_hits |= score.table_hits
        better = score.best_count > best_count
        best_count[better] = score.best_count[better]
        best_package[better] = score.best_package[better]
    return TargetScores(targets, samples, hits, table_hits, best_count, best_package)


def score_blocks(
    scorer: ZoneScorer,
    blocks: Iterable[Block],
    workers: int = 1,
    on_done: Callable[[BlockScore], None] | None = None,
) -> Iterator[BlockScore]:
    """Score blocks on ``workers`` threads (numpy releases the GIL); results come back in block order."""
    if workers <= 1:
        for block in blocks:
            score = scorer.score(block)
            if on_done:
                on_done(score)
            yield score
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for score in pool.map(scorer.score, blocks):
            if on_done:
                on_done(score)
            yield score


def default_chunk_size(samples: int) -> int:
    """Packages per block so that one party's boolean comparison array stays near 64 MiB."""
    return max(1, min(DEFAULT_BLOCK_BYTES // max(samples, 1), MAX_BLOCK_PACKAGES))


@dataclass(frozen=True, eq=False)
class ZoneResult:
    """The whole zone in memory: for tests, analysis and small spaces (runs stream blocks to disk instead)."""

    space: PackageSpace
    preferences: Preferences
    packages: np.ndarray
    zone_count: np.ndarray
    table_count: np.ndarray
    accept_count: np.ndarray
    targets: TargetScores

    @property
    def samples(self) -> int:
        return self.preferences.samples

    @property
    def p_zone(self) -> np.ndarray:
        return self.zone_count / self.samples

    @property
    def p_accept(self) -> np.ndarray:
        """Per-party acceptance share; -1/samples marks a pruned package (never in the zone, not computed)."""
        return self.accept_count / self.samples

    @property
    def expected_utility(self) -> np.ndarray:
        from sim.zone.preferences import expected_utility

        return expected_utility(self.preferences, self.space.codes(self.packages))


def compute_zone(
    scenario: Scenario,
    samples: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    with_options: bool = True,
    prune: bool = True,
    preferences: Preferences | None = None,
) -> ZoneResult:
    """Sample preferences (or take given ones) and score every feasible package; independent of chunk size."""
    samples = samples or scenario.run.samples
    seed = scenario.run.seed if seed is None else seed
    if preferences is None:
        preferences = sample_preferences(scenario, samples, np.random.default_rng(seed))
    space = PackageSpace.from_scenario(scenario)
    targets = scenario_targets(scenario, space, with_options)
    scorer = ZoneScorer(
        space,
        preferences,
        targets,
        chunk_size or scenario.run.chunk_size or default_chunk_size(preferences.samples),
        prune,
    )
    scores = list(score_blocks(scorer, scorer.blocks, workers))
    return collect_zone(space, preferences, targets, scores)


def collect_zone(
    space: PackageSpace, preferences: Preferences, targets: list[Target], scores: list[BlockScore]
) -> ZoneResult:
    """Concatenate block scores into one in-memory result, keeping only feasible packages."""
    scores = sorted(scores, key=lambda s: s.block.index)
    packages = np.concatenate([s.block.start + np.flatnonzero(s.valid) for s in scores])
    zone_count = np.concatenate([s.zone_count[s.valid] for s in scores])
    table_count = np.concatenate([s.table_count[s.valid] for s in scores])
    accept_count = np.concatenate([s.accept_count[:, s.valid] for s in scores], axis=1)
    return ZoneResult(
        space,
        preferences,
        packages,
        zone_count,
        table_count,
        accept_count,
        combine_targets(scores, targets, preferences.samples),
    )
