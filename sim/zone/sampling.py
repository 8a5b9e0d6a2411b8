"""Sampling: the seeded Monte-Carlo draws of every party's weights, option values, links, reservation and red lines,
mapped onto the scenario's ranges, and the published positions (range midpoints) as one point sample.

Every party consumes the same draws in a fixed order whatever its ranges, so editing one range never reshuffles
another party's samples (common random numbers across scenario edits; studies rebuild edited scenarios from the same
:class:`Draws`).

Red lines carry the probability ``holds`` that they are real: every sample draws, for every party and every issue,
one uniform number (common random numbers: the draws do not depend on the scenario's red lines), and a red line
holds in the samples whose number is below ``holds`` — so raising ``holds`` never raises a zone probability. A
party's red lines on options of one issue share that issue's number (issue 19, *coherent red lines*), so they nest:
whenever a red line with a smaller ``holds`` holds, every red line of that party on that issue with a larger
``holds`` holds too — a party that refuses permanent neutrality with a pledge in a sample also refuses the milder
ban it is surer to refuse. (Drawn per option, some pair of Ukraine's alliance red lines inverted in 17.9 % of the
baseline's 2,000 samples.)
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario.dependence import member_width
from sim.scenario.model import Party, Role, Scenario
from sim.zone.copula import correlate
from sim.zone.electorate import electorates
from sim.zone.preferences import LinkTerm, Preferences, RedLine, acceptance_threshold, to_units
from sim.zone.space import PackageSpace, option_index


def _bounds(bounds: tuple[float, float], draws: np.ndarray) -> np.ndarray:
    low, high = bounds
    return low + (high - low) * draws


def _red_line_refs(party: Party) -> list[tuple[str, float]]:
    """(option ref, probability it holds) for each red line."""
    return [(red.option, float(red.holds)) for red in party.red_lines]


def _midpoint(bounds: tuple[float, float]) -> float:
    return (bounds[0] + bounds[1]) / 2


@dataclass(frozen=True, eq=False)
class Draws:
    """The uniform numbers behind S samples, per party: ``weight[p, s, i]``, ``value[p, s, i, o]``,
    ``reservation[p, s]``, ``link[p, s, i, o]``, ``red_line[p, s, i, o]``.

    Kept apart from the ranges they are mapped onto so that studies can draw once and rebuild the preferences of
    edited scenarios from the same numbers (common random numbers) — bit for bit what re-sampling with the same
    seed gives, without drawing again.
    """

    weight: np.ndarray
    value: np.ndarray
    reservation: np.ndarray
    link: np.ndarray
    red_line: np.ndarray
    member: tuple[np.ndarray | None, ...] = ()  # per party: its chamber members' own numbers [m, s, k], or None

    def party(self, index: int) -> Draws:
        """One party's numbers (as a one-party set): its preferences alone are built from them."""
        keep = slice(index, index + 1)
        member = self.member[keep] if self.member else ()
        return Draws(
            self.weight[keep], self.value[keep], self.reservation[keep], self.link[keep], self.red_line[keep], member
        )

    def replace(self, **arrays: Any) -> Draws:
        return dataclasses.replace(self, **arrays)


def draw_uniforms(scenario: Scenario, samples: int, rng: np.random.Generator) -> Draws:
    """Every uniform number ``sample_preferences`` maps onto the scenario's ranges, in its fixed order.

    Every party consumes the same number of draws in a fixed order whether its numbers are exact or ranges, so
    editing one range never reshuffles another party's samples (common random numbers across scenario edits).
    Links and red lines draw from their own streams, after everything else, for the same reason.
    """
    n_issues, n_options = len(scenario.issues), max(len(issue.options) for issue in scenario.issues)
    weight, value, reservation = [], [], []
    for _ in scenario.parties:
        weight.append(rng.random((samples, n_issues)))
        value.append(rng.random((samples, n_issues, n_options)))
        reservation.append(rng.random(samples))
    link = rng.random((len(scenario.parties), samples, n_issues, n_options))
    red_line = rng.random((len(scenario.parties), samples, n_issues, n_options))
    # a chamber's members draw their own numbers last, so a scenario without chambers draws what it always drew
    member = tuple(
        rng.random((len(party.electorate.members), samples, member_width(n_issues, n_options)))
        if party.electorate is not None and party.electorate.members
        else None
        for party in scenario.parties
    )
    return Draws(np.stack(weight), np.stack(value), np.stack(reservation), link, red_line, member)


def sample_preferences(scenario: Scenario, samples: int, rng: np.random.Generator) -> Preferences:
    """Draw ``samples`` joint samples of every party's weights, values, links, reservation and red lines from
    ``rng``. Callers ask :func:`sim.zone.settings.run_preferences` (a run's samples, from its seed) or
    :func:`sim.negotiation.draws.draw_parties` (a negotiation's, from a generator it keeps drawing from)."""
    return preferences_from_draws(scenario, draw_uniforms(scenario, samples, rng))


@dataclass(frozen=True, eq=False)
class Ranges:
    """A scenario's ranges as arrays: ``weight[p, i, 2]``, ``value[p, i, o, 2]`` (padding options 0), ``reservation[p,
    2]`` — read from the models once per scenario, so drawing a sample is array arithmetic (a negotiation run draws
    one sample per run)."""

    weight: np.ndarray
    value: np.ndarray
    reservation: np.ndarray


_RANGES: dict[int, Ranges] = {}


def scenario_ranges(scenario: Scenario) -> Ranges:
    """The scenario's :class:`Ranges`, cached for the life of the scenario object (scenarios are never edited in
    place: every edit builds a new one)."""
    key = id(scenario)
    if key not in _RANGES:
        n_options = max(len(issue.options) for issue in scenario.issues)
        weight = np.array([[party.weight_range(issue.id) for issue in scenario.issues] for party in scenario.parties])
        value = np.zeros((len(scenario.parties), len(scenario.issues), n_options, 2))
        for p, party in enumerate(scenario.parties):
            for i, issue in enumerate(scenario.issues):
                for o, option in enumerate(issue.options):
                    value[p, i, o] = party.value_range(issue.id, option.id)
        reservation = np.array([party.reservation for party in scenario.parties], dtype=np.float64)
        weight = _scaled_weights(weight.astype(np.float64).reshape(len(scenario.parties), -1, 2))
        _RANGES[key] = Ranges(weight, value, reservation)
        weakref.finalize(scenario, _RANGES.pop, key, None)
    return _RANGES[key]


def _scaled_weights(weight: np.ndarray) -> np.ndarray:
    """Each party's weight ranges divided by the power of two at or above its largest weight, when that is above 1.

    Weights count only as shares of their total (normalised in every sample), but the total of ``{land: 1e308,
    money: 1e308}`` overflows to infinity and every share became 0: P(zone) 0.0 where ``{1, 1}`` gives 0.62
    (issue 24). Scaling by the maximum first avoids the overflow; scaling by a power of two is exact in floating
    point, so a draw and its normalised share are bit-identical to the unscaled ones whenever those did not
    overflow, and any finite input gives the same answer as its equivalent scaled by a power of two.
    """
    largest = weight.max(axis=(1, 2))
    exponent = np.where(largest > 1, np.frexp(largest)[1], 0)
    return np.ldexp(weight, -exponent[:, None, None])


def preferences_from_draws(scenario: Scenario, draws: Draws) -> Preferences:
    """Map drawn uniforms onto the scenario's ranges (``draws`` has one row per party of ``scenario``).

    ``low + (high - low) * u`` elementwise, the same float operations as one range at a time; ``correlations``
    and ``follows`` first tie the uniforms they name (:func:`sim.zone.dependence.correlate`), and ratifiers with an
    ``electorate`` get their bodies (:mod:`sim.zone.electorate`).
    """
    draws = correlate(scenario, draws)
    space = PackageSpace.from_scenario(scenario)
    ranges = scenario_ranges(scenario)
    w, v, r = ranges.weight, ranges.value, ranges.reservation
    weights = w[:, None, :, 0] + (w[:, None, :, 1] - w[:, None, :, 0]) * draws.weight  # [p, s, i]
    values = v[:, None, ..., 0] + (v[:, None, ..., 1] - v[:, None, ..., 0]) * draws.value  # [p, s, i, o]
    reservation = r[:, 0:1] + (r[:, 1:2] - r[:, 0:1]) * draws.reservation  # [p, s]
    preferences = _assemble(
        scenario,
        space,
        np.ascontiguousarray(weights.transpose(1, 0, 2)),  # the layout the sums always had: same rounding
        np.ascontiguousarray(values.transpose(1, 0, 2, 3)),
        reservation,
        lambda p, bounds, i, o: _bounds(bounds, draws.link[p, :, i, o]),
        lambda p, holds, i, o: red_line_numbers(draws)[p, :, i] < holds,
    )
    if any(party.electorate is not None for party in scenario.parties):
        bodies = electorates(scenario, draws, ranges, preferences_from_draws)
        preferences = dataclasses.replace(preferences, electorates=bodies)
    return preferences


def red_line_numbers(correlated: Draws) -> np.ndarray:
    """``[party, sample, issue]``: the uniform number a party's red lines on an issue are compared with (a red line
    holds in a sample when the number is below its ``holds``): one per issue, so a party's red lines on one issue
    nest. ``correlated``: the draws after the scenario's copula (:func:`sim.zone.copula.correlate`). Whatever asks
    how far a ``holds`` must drop for a red line to stop holding (``sim.studies.changeset``) reads these numbers."""
    return correlated.red_line[:, :, :, 0]


def point_preferences(scenario: Scenario) -> Preferences:
    """One 'sample' at the midpoint of every range: the scenario's published positions (red lines as certain)."""
    space = PackageSpace.from_scenario(scenario)
    ranges = scenario_ranges(scenario)
    weights = (ranges.weight[..., 0] + ranges.weight[..., 1]) / 2  # [p, i], as _midpoint of each range
    values = (ranges.value[..., 0] + ranges.value[..., 1]) / 2  # [p, i, o]; padding options stay 0
    reservation = ((ranges.reservation[:, 0] + ranges.reservation[:, 1]) / 2)[:, None]
    return _assemble(
        scenario,
        space,
        weights[None],
        values[None],
        reservation,
        lambda p, bounds, i, o: np.array([_midpoint(bounds)]),
        lambda p, holds, i, o: np.array([holds >= 0.5]),
    )


def _assemble(
    scenario: Scenario,
    space: PackageSpace,
    weights: np.ndarray,
    values: np.ndarray,
    reservation: np.ndarray,
    link_value: Any,
    red_line_holds: Any,
) -> Preferences:
    """weights ``[s, p, i]``, values ``[s, p, i, o]``, reservation ``[p, s]`` -> scoring layout."""
    total = weights.sum(axis=2, keepdims=True)
    weights = weights / np.where(total > 0, total, 1.0)
    contributions = np.ascontiguousarray((weights[..., None] * values).transpose(1, 2, 3, 0))
    links, red_lines = [], []
    for p, party in enumerate(scenario.parties):
        for link in party.links:
            first = option_index(space.issue_ids, space.option_ids, link.when)
            second = option_index(space.issue_ids, space.option_ids, link.option)
            linked = weights[:, p, second[0]] * link_value(p, tuple(link.value), *second)
            delta = linked - contributions[p, second[0], second[1]]
            delta_units = to_units(linked) - to_units(contributions[p, second[0], second[1]])
            links.append(LinkTerm(p, first, second, delta, delta_units.astype(np.int32)))
        for ref, holds in _red_line_refs(party):
            option = option_index(space.issue_ids, space.option_ids, ref)
            if holds > 0:
                in_sample = np.ones(weights.shape[0], dtype=bool) if holds >= 1 else red_line_holds(p, holds, *option)
                red_lines.append(RedLine(p, option, holds, in_sample))
    return Preferences(
        party_ids=tuple(p.id for p in scenario.parties),
        veto=np.array([p.has_veto for p in scenario.parties]),
        ratifier=np.array([p.role is Role.ratifier for p in scenario.parties]),
        weights=weights,
        values=values,
        reservation=np.asarray(reservation, dtype=np.float64),
        threshold=acceptance_threshold(reservation).astype(np.int32),
        contributions=contributions,
        units=to_units(contributions).astype(np.int32),
        red_line_list=tuple(red_lines),
        links=tuple(links),
        radices=space.radices,
    )
