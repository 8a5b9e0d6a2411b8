"""Parties' preferences as arrays: seeded Monte-Carlo samples of weights, option values and reservations.

Utility is linear-additive (DESIGN.md): ``u_p(x) = sum_i w_pi * v_pi(x_i)`` with weights normalised to 1, so a
package's utility is a sum of per-issue *contributions* ``w_pi * v_pi(option)``. Contributions are floored to a
grid of 2^-20: sums of such numbers below 2 are exact in float32, so a utility is bit-identical however the
package space is cut into chunks, and the comparison with the reservation never depends on summation order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.space import PackageSpace, option_index

QUANTUM = 2.0**-20


def quantize(values: np.ndarray) -> np.ndarray:
    """Floor to the 2^-20 grid (floor, not round, so utilities never exceed 1)."""
    return np.floor(np.asarray(values, dtype=np.float64) / QUANTUM) * QUANTUM


@dataclass(frozen=True, eq=False)
class Preferences:
    """S joint samples of every party's preferences.

    ``contributions[p, i, o, s]`` is party p's utility from option o of issue i in sample s (0 for padding);
    ``reservation[p, s]`` its reservation. Samples are the last axis so per-package work streams over them.
    """

    party_ids: tuple[str, ...]
    veto: np.ndarray
    weights: np.ndarray
    values: np.ndarray
    reservation: np.ndarray
    contributions: np.ndarray
    red_lines: tuple[tuple[tuple[int, int], ...], ...]
    radices: tuple[int, ...]

    @property
    def samples(self) -> int:
        return int(self.reservation.shape[1])

    @property
    def expected_contributions(self) -> np.ndarray:
        """Mean contribution over samples, ``[p, i, o]``: expected utility is linear, so it needs no samples."""
        return self.contributions.astype(np.float64).mean(axis=-1)

    @cached_property
    def by_issue(self) -> list[np.ndarray]:
        """Per issue, contributions as ``[option, party, sample]``: rows gather fast by option index."""
        return [
            np.ascontiguousarray(self.contributions[:, i, :radix].transpose(1, 0, 2))
            for i, radix in enumerate(self.radices)
        ]

    def utilities(self, space: PackageSpace, codes: np.ndarray) -> np.ndarray:
        """Utilities of packages given as option indices, shape ``[party, package, sample]``."""
        return gather_sums(self.by_issue, codes, len(self.party_ids), self.samples).transpose(1, 0, 2)

    def acceptable(self, space: PackageSpace, codes: np.ndarray) -> np.ndarray:
        """Whether each party accepts each package in each sample, ``[party, package, sample]``."""
        accepts = self.utilities(space, codes) >= self.reservation[:, None, :]
        for p, options in enumerate(self.red_lines):
            accepts[p, space.holds_any(codes, list(options))] = False
        return accepts


def _bounds(bounds: tuple[float, float], draws: np.ndarray) -> np.ndarray:
    low, high = bounds
    return low + (high - low) * draws


def sample_preferences(scenario: Scenario, samples: int, rng: np.random.Generator) -> Preferences:
    """Draw ``samples`` joint samples of every party's weights, values and reservation, uniform in their ranges.

    Every party consumes the same number of draws in a fixed order whether its numbers are exact or ranges, so
    editing one range never reshuffles another party's samples (common random numbers across scenario edits).
    """
    space = PackageSpace.from_scenario(scenario)
    n_issues, n_options = len(scenario.issues), max(space.radices)
    weights, values, reservation = [], [], []
    for party in scenario.parties:
        w_draw = rng.random((samples, n_issues))
        v_draw = rng.random((samples, n_issues, n_options))
        r_draw = rng.random(samples)
        w = np.stack(
            [_bounds(party.weight_range(issue.id), w_draw[:, i]) for i, issue in enumerate(scenario.issues)],
            axis=1,
        )
        weights.append(w / w.sum(axis=1, keepdims=True))
        v = np.zeros((samples, n_issues, n_options))
        for i, issue in enumerate(scenario.issues):
            for o, option in enumerate(issue.options):
                v[:, i, o] = _bounds(party.value_range(issue.id, option.id), v_draw[:, i, o])
        values.append(v)
        reservation.append(_bounds(party.reservation, r_draw))
    return _assemble(scenario, space, np.stack(weights, axis=1), np.stack(values, axis=1), np.stack(reservation))


def point_preferences(scenario: Scenario) -> Preferences:
    """One 'sample' at the midpoint of every range: the scenario's published positions."""
    space = PackageSpace.from_scenario(scenario)
    n_options = max(space.radices)
    weights = np.array([[sum(p.weight_range(i.id)) / 2 for i in scenario.issues] for p in scenario.parties])
    weights = weights / weights.sum(axis=1, keepdims=True)
    values = np.zeros((len(scenario.parties), len(scenario.issues), n_options))
    for p, party in enumerate(scenario.parties):
        for i, issue in enumerate(scenario.issues):
            for o, option in enumerate(issue.options):
                values[p, i, o] = sum(party.value_range(issue.id, option.id)) / 2
    reservation = np.array([[sum(p.reservation) / 2] for p in scenario.parties])
    return _assemble(scenario, space, weights[None], values[None], reservation)


def _assemble(
    scenario: Scenario, space: PackageSpace, weights: np.ndarray, values: np.ndarray, reservation: np.ndarray
) -> Preferences:
    """weights ``[s, p, i]``, values ``[s, p, i, o]``, reservation ``[p, s]`` -> scoring layout."""
    contributions = quantize(weights[..., None] * values)
    return Preferences(
        party_ids=tuple(p.id for p in scenario.parties),
        veto=np.array([p.has_veto for p in scenario.parties]),
        weights=weights,
        values=values,
        reservation=quantize(reservation).astype(np.float32),
        contributions=np.ascontiguousarray(contributions.transpose(1, 2, 3, 0)).astype(np.float32),
        radices=space.radices,
        red_lines=tuple(
            tuple(option_index(space.issue_ids, space.option_ids, ref) for ref in p.red_line_options)
            for p in scenario.parties
        ),
    )


def gather_sums(by_issue: list[np.ndarray], codes: np.ndarray, n_parties: int, samples: int) -> np.ndarray:
    """Utility of each listed package (rows of option indices): ``[package, party, sample]``."""
    total = np.zeros((codes.shape[0], n_parties, samples), dtype=np.float32)
    for issue in range(codes.shape[1]):
        total += by_issue[issue][codes[:, issue]]
    return total


def grid_sums(by_issue: list[np.ndarray], n_parties: int, samples: int) -> np.ndarray:
    """Utility of every package of a (sub)grid, ``[package, party, sample]`` in mixed-radix order.

    Built as an outer sum, one issue at a time, so each package costs one addition per issue-level instead of a
    gather per issue: this is how the whole tail of the grid is scored once per run.
    """
    total = np.zeros((1, n_parties, samples), dtype=np.float32)
    for table in by_issue:
        total = (total[:, None] + table[None, :]).reshape(-1, n_parties, samples)
    return total


def expected_utility(preferences: Preferences, codes: np.ndarray) -> np.ndarray:
    """Each party's expected utility of each package, ``[party, package]`` (linear, so exact without samples)."""
    expected = preferences.expected_contributions
    total = np.zeros((expected.shape[0], codes.shape[0]))
    for issue in range(codes.shape[1]):
        total += expected[:, issue, codes[:, issue]]
    return total
