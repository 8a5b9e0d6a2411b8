"""A Monte-Carlo probability with its 95 % interval: the one type every result uses, printed one way.

``Estimate.of(successes, trials)`` is the share and its interval from ``sim.zone.intervals`` (Wilson score,
Clopper–Pearson at 0 and n); ``str(e)`` reads ``0.553 [0.531, 0.575]`` in the console, the report and the API.
Tables store an estimate as three columns ``name``, ``name_lo``, ``name_hi`` (:func:`estimate_columns`), and
:meth:`Estimate.from_columns` reads them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.zone.intervals import proportion_interval


@dataclass(frozen=True)
class Estimate:
    """A probability ``p`` estimated from samples and its 95 % Monte-Carlo interval ``[lo, hi]``.

    >>> e = Estimate.of(50, 100)
    >>> str(e)
    '0.500 [0.404, 0.596]'
    >>> Estimate.of(0, 2000).text(4)
    '0.0000 [0.0000, 0.0018]'
    """

    p: float
    lo: float
    hi: float

    @classmethod
    def of(cls, successes: int, trials: int) -> Estimate:
        p, low, high = estimate_arrays(successes, trials)
        return cls(float(p), float(low), float(high))

    def text(self, digits: int = 3) -> str:
        """``p [lo, hi]`` to ``digits`` places: how every face of negsim prints a probability."""
        return f"{self.p:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}]"

    def __str__(self) -> str:
        return self.text()

    def columns(self, name: str) -> dict[str, float]:
        """The three table columns of this estimate: ``name``, ``name_lo``, ``name_hi``."""
        return {name: self.p, f"{name}_lo": self.lo, f"{name}_hi": self.hi}

    @classmethod
    def from_columns(cls, row: Mapping[str, object], name: str) -> Estimate:
        """The estimate stored in ``row`` as ``name``, ``name_lo``, ``name_hi`` (inverse of :meth:`columns`)."""
        return cls(_real(row[name]), _real(row[f"{name}_lo"]), _real(row[f"{name}_hi"]))


def _real(value: object) -> float:
    if not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"an estimate column holds a number, not {value!r}")
    return float(value)


def estimate_arrays(successes: np.ndarray | int, trials: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares ``successes / trials`` and their interval bounds, elementwise (float64)."""
    low, high = proportion_interval(successes, trials)
    return np.asarray(successes, dtype=np.float64) / trials, low, high


def estimate_columns(name: str, successes: np.ndarray | int, trials: int) -> dict[str, np.ndarray]:
    """Table columns ``name``, ``name_lo``, ``name_hi`` for many estimates at once (a column per bound)."""
    p, low, high = estimate_arrays(successes, trials)
    return {name: p, f"{name}_lo": low, f"{name}_hi": high}


def share_text(share: float) -> str:
    """A share of samples as a percentage a reader can tell from zero: 1/200 is 0.5 %, not "0%"."""
    if 0 < share < 0.001:
        return "<0.1%"
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"
