"""The package space: every combination of one option per issue, as a mixed-radix grid.

Package number *k* and its option indices are converted by arithmetic (``numpy.unravel_index``), never by a
lookup table, so a space of 10^7 packages costs no memory until a chunk of it is scored. Issue order is the
scenario's: the first issue is the most significant digit.

Chunks are *blocks of the grid*: a chunk holds whole "tails" (every combination of the last issues) for a run of
"heads" (combinations of the first issues). Scoring then adds one small head table to one tail table instead of
summing every issue for every package (see ``sim.zone.scoring``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from math import prod

import numpy as np

from sim.scenario.model import Scenario, split_option_ref


@dataclass(frozen=True)
class PackageSpace:
    """The grid of packages of a scenario, with its constraints as (issue index, option index) tuples."""

    issue_ids: tuple[str, ...]
    option_ids: tuple[tuple[str, ...], ...]
    forbidden: tuple[tuple[tuple[int, int], ...], ...] = ()
    required: tuple[tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]], ...] = ()

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PackageSpace:
        issue_ids = tuple(issue.id for issue in scenario.issues)
        option_ids = tuple(tuple(issue.option_ids) for issue in scenario.issues)
        forbidden = [
            tuple(option_index(issue_ids, option_ids, ref) for ref in c.forbid)
            for c in scenario.constraints
            if c.forbid
        ]
        required = tuple(
            tuple(tuple(option_index(issue_ids, option_ids, ref) for ref in refs) for refs in (c.requires, c.one_of))
            for c in scenario.constraints
            if c.requires and c.one_of
        )
        for issue_id, kept in scenario.fixed.items():  # a settled issue: every other option is infeasible
            issue = issue_ids.index(issue_id)
            forbidden += [((issue, o),) for o, option in enumerate(option_ids[issue]) if option != kept]
        return cls(issue_ids, option_ids, tuple(forbidden), required)  # type: ignore[arg-type]

    @property
    def radices(self) -> tuple[int, ...]:
        return tuple(len(options) for options in self.option_ids)

    @property
    def size(self) -> int:
        return prod(self.radices)

    def codes(self, packages: np.ndarray) -> np.ndarray:
        """Option indices of package numbers, shape ``(n, issues)``."""
        return np.stack(np.unravel_index(np.asarray(packages, dtype=np.int64), self.radices), axis=-1)

    def package(self, codes: np.ndarray) -> np.ndarray:
        """Package numbers of option-index rows (inverse of :meth:`codes`)."""
        codes = np.atleast_2d(np.asarray(codes, dtype=np.int64))
        return np.ravel_multi_index(tuple(codes.T), self.radices)

    def feasible(self, codes: np.ndarray) -> np.ndarray:
        """True where a package holds no forbidden combination and, wherever it holds every option a ``requires``
        constraint names, also one of its ``one_of`` options. One vectorised pass per constraint."""
        ok = np.ones(codes.shape[0], dtype=bool)
        for combination in self.forbidden:
            hit = np.ones(codes.shape[0], dtype=bool)
            for issue, option in combination:
                hit &= codes[:, issue] == option
            ok &= ~hit
        for requires, one_of in self.required:
            triggered = np.ones(codes.shape[0], dtype=bool)
            for issue, option in requires:
                triggered &= codes[:, issue] == option
            ok &= ~triggered | self.holds_any(codes, list(one_of))
        return ok

    def holds_any(self, codes: np.ndarray, options: list[tuple[int, int]]) -> np.ndarray:
        """True where a package holds at least one of ``options`` (used for red lines)."""
        hit = np.zeros(codes.shape[0], dtype=bool)
        for issue, option in options:
            hit |= codes[:, issue] == option
        return hit

    def describe(self, package: int) -> dict[str, str]:
        codes = self.codes(np.array([package]))[0]
        return {issue: self.option_ids[i][codes[i]] for i, issue in enumerate(self.issue_ids)}

    def blocks(self, chunk_size: int) -> GridBlocks:
        return GridBlocks.plan(self.radices, chunk_size)


def option_index(issue_ids: tuple[str, ...], option_ids: tuple[tuple[str, ...], ...], ref: str) -> tuple[int, int]:
    issue_id, option_id = split_option_ref(ref)
    issue = issue_ids.index(issue_id)
    return issue, option_ids[issue].index(option_id)


@dataclass(frozen=True)
class Block:
    """Packages ``start .. stop-1``: heads ``head_start .. head_stop-1`` times the whole tail."""

    index: int
    head_start: int
    head_stop: int
    tail_size: int

    @property
    def start(self) -> int:
        return self.head_start * self.tail_size

    @property
    def stop(self) -> int:
        return self.head_stop * self.tail_size

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class GridBlocks:
    """How a grid is cut: the first ``split`` issues form the head, the rest the tail."""

    radices: tuple[int, ...]
    split: int
    heads_per_block: int

    @classmethod
    def plan(cls, radices: tuple[int, ...], chunk_size: int) -> GridBlocks:
        """Smallest head such that one tail fits in a chunk; then as many heads per block as fit."""
        split = len(radices)
        while split > 0 and prod(radices[split - 1 :]) <= max(chunk_size, 1):
            split -= 1
        tail = prod(radices[split:])
        return cls(radices, split, max(1, chunk_size // tail))

    @property
    def head_radices(self) -> tuple[int, ...]:
        return self.radices[: self.split]

    @property
    def tail_radices(self) -> tuple[int, ...]:
        return self.radices[self.split :]

    @property
    def head_count(self) -> int:
        return prod(self.head_radices)

    @property
    def tail_size(self) -> int:
        return prod(self.tail_radices)

    def __len__(self) -> int:
        return -(-self.head_count // self.heads_per_block)

    def __iter__(self) -> Iterator[Block]:
        for index, head_start in enumerate(range(0, self.head_count, self.heads_per_block)):
            yield Block(index, head_start, min(head_start + self.heads_per_block, self.head_count), self.tail_size)

    def head_codes(self, block: Block) -> np.ndarray:
        heads = np.arange(block.head_start, block.head_stop, dtype=np.int64)
        if not self.head_radices:
            return np.zeros((heads.size, 0), dtype=np.int64)
        return np.stack(np.unravel_index(heads, self.head_radices), axis=-1)

    @cached_property
    def _tail_codes(self) -> np.ndarray:
        tails = np.arange(self.tail_size, dtype=np.int64)
        if not self.tail_radices:
            return np.zeros((1, 0), dtype=np.int64)
        return np.stack(np.unravel_index(tails, self.tail_radices), axis=-1)

    def tail_codes(self) -> np.ndarray:
        """Option indices of the tail issues for every tail position (the same for every block)."""
        return self._tail_codes

    def block_codes(self, block: Block) -> np.ndarray:
        """All option indices of a block, shape ``(block.size, issues)``, in package order."""
        heads = self.head_codes(block)
        tails = self.tail_codes()
        return np.concatenate([np.repeat(heads, tails.shape[0], axis=0), np.tile(tails, (heads.shape[0], 1))], axis=1)
