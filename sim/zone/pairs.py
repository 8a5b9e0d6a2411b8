"""(package, sample) pairs agreed at the table: the one pair type of a zone, for a block or a whole space.

The scorer makes them where the zone is sparse (``sim.zone.scoring``); studies keep them whole to ask many questions
of one set of samples (``sim.studies.zone_pairs``); the negotiation layer compares runs with them
(``sim.negotiation.versus_zone``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class ZonePairs:
    """(package, sample) pairs agreed at the table — the one pair type of a zone, a block's or a whole space's.

    Pair k is package ``distinct[inverse[k]]`` (option indices ``distinct_codes[inverse[k]]``) in sample
    ``samples[k]``; ``ratified[k]`` says whether the ratifiers accept it too. Anything per package is computed once
    per distinct package and reached from a pair through ``inverse``.
    """

    distinct: np.ndarray
    distinct_codes: np.ndarray
    inverse: np.ndarray
    samples: np.ndarray
    ratified: np.ndarray
    checked: int = 0  # (package, sample) pairs compared densely; the rest were settled by the bound

    @classmethod
    def empty(cls, issues: int) -> ZonePairs:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, np.zeros((0, issues), dtype=np.int64), none, none, np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return int(self.samples.size)

    @cached_property
    def packages(self) -> np.ndarray:
        return self.distinct[self.inverse]

    @cached_property
    def codes(self) -> np.ndarray:
        return self.distinct_codes[self.inverse]

    def take(self, rows: np.ndarray) -> ZonePairs:
        return ZonePairs(
            self.distinct, self.distinct_codes, self.inverse[rows], self.samples[rows], self.ratified[rows]
        )

    def plus(self, other: ZonePairs) -> ZonePairs:
        """Both sets of pairs (callers pass disjoint ones)."""
        return ZonePairs.joined([self, other], self.distinct_codes.shape[1])

    @classmethod
    def joined(cls, parts: list[ZonePairs], issues: int) -> ZonePairs:
        """Every part's pairs (disjoint parts, e.g. the blocks of a space), concatenated once."""
        if not parts:
            return cls.empty(issues)
        offsets = np.cumsum([0] + [part.distinct.size for part in parts[:-1]])
        return cls(
            np.concatenate([part.distinct for part in parts]),
            np.concatenate([part.distinct_codes for part in parts]),
            np.concatenate([part.inverse + offset for part, offset in zip(parts, offsets, strict=True)]),
            np.concatenate([part.samples for part in parts]),
            np.concatenate([part.ratified for part in parts]),
            sum(part.checked for part in parts),
        )

    def in_zone(self) -> ZonePairs:
        """The pairs the ratifiers accept too."""
        return self.take(np.flatnonzero(self.ratified))

    def matching(self, fix: dict[int, int] | tuple[tuple[int, int], ...]) -> np.ndarray:
        """Which pairs' packages complete the partial package ``fix`` (issue -> option)."""
        match = np.ones(self.distinct.size, dtype=bool)
        for issue, option in dict(fix).items():
            match &= self.distinct_codes[:, issue] == option
        return match[self.inverse]
