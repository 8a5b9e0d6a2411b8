"""Negotiation tactics as pure functions: how a party's aspiration moves, and what it believes of the others.

Time-dependent tactics follow Faratin, Sierra & Jennings (1998): aspiration falls from the best a party can hope
for to its reservation as the deadline nears, ``a(t) = r + (u_max - r) * (1 - (t/T) ** (1/e))``; e < 1 is
Boulware (holds firm, concedes late), e = 1 linear, e > 1 Conceder. The reciprocal tactic is their relative
tit-for-tat (concede, in one's own utility, what the others conceded last round); the hardliner never concedes.
The frequency opponent model is the one used by ANAC agents such as HardHeaded (van Krimpen et al. 2013): an
option the opponent keeps offering is taken to be one it values.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.scenario.model import Concession, Strategy

ACCEPTANCE_SOFTNESS = 0.05


def held_share(round_: int, deadline: int, exponent: float | np.ndarray) -> float | np.ndarray:
    """``1 - (t/T) ** (1/e)``: the share of the way from reservation to best that a time-dependent tactic still
    holds at ``round_``. One formula for the agents' aspiration and the mediator's bound on what they accept."""
    progress = min(max(round_ / max(deadline, 1), 0.0), 1.0)
    return 1.0 - progress ** (1.0 / exponent)


def time_aspiration(round_: int, deadline: int, best: float, reservation: float, exponent: float) -> float:
    """Aspiration at ``round_`` (1..deadline) of a time-dependent tactic; equals the reservation at the deadline."""
    return reservation + (best - reservation) * _held(round_, deadline, exponent)


@lru_cache(maxsize=4096)
def _held(round_: int, deadline: int, exponent: float) -> float:
    """``held_share`` of one party, remembered: every run of a process asks the same few rounds and exponents."""
    return float(held_share(round_, deadline, exponent))


def next_aspiration(
    strategy: Strategy,
    round_: int,
    deadline: int,
    best: float,
    reservation: float,
    current: float,
    others_concession: float | None,
) -> float:
    """The aspiration for this round, never below the reservation."""
    if strategy.concession == Concession.hardliner:
        return best
    if strategy.concession == Concession.reciprocal and others_concession is not None:
        return max(reservation, current - max(others_concession, 0.0))
    return time_aspiration(round_, deadline, best, reservation, strategy.effective_exponent)


def log_acceptance(utility: np.ndarray, reservation: float) -> np.ndarray:
    """Log of a believed acceptance probability: a logistic in the margin over the reservation."""
    return -np.logaddexp(0.0, -(utility - reservation) / ACCEPTANCE_SOFTNESS)


class FrequencyModel:
    """What one agent has learnt of one opponent from the options that opponent has offered."""

    def __init__(self, radices: tuple[int, ...]) -> None:
        self.counts = [np.zeros(r) for r in radices]

    def observe(self, codes: np.ndarray) -> None:
        for issue, option in enumerate(codes):
            self.counts[issue][option] += 1

    def estimated_values(self) -> list[np.ndarray]:
        """Laplace-smoothed frequency of each option, scaled so the most offered option is worth 1."""
        return [(c + 1) / (c.max() + 1) for c in self.counts]

    def estimated_utility(self, weights: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        values = self.estimated_values()
        return sum(weights[i] * values[i][candidates[:, i]] for i in range(candidates.shape[1]))
