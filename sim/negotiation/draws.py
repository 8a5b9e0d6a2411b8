"""What a negotiation draws about the parties: preferences (the zone's own sampling), reservation drift and leverage
cuts, from a generator that goes on drawing afterwards (a run's Mesa model, or the mediator's belief seed).

Why one module: a run and the mediator's belief about it are drawn alike (:func:`draw_parties`), and the runs of a
chunk are drawn together (:func:`draw_runs`): each run's uniform numbers still come from its own generator, in the
order :func:`draw_parties` consumes them, but mapping them onto the scenario's ranges is one array operation for
the whole group instead of a few dozen small ones per run. The mapping is elementwise per sample (and the copula
a left fold, never a BLAS product: ``sim.zone.copula``), so run k of a group is bit for bit what
``draw_parties(scenario, veto, 1, generators[k])`` draws, whichever runs share its group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws, draw_uniforms, preferences_from_draws


@dataclass(frozen=True, eq=False)
class PartyDraws:
    """What a negotiation draws about the parties: preferences ``[party, ..., sample]``, and each veto party's
    reservation drift per round and leverage cut per rejection ``[veto party, sample]``."""

    preferences: Preferences
    drift: np.ndarray
    cut: np.ndarray


@dataclass(frozen=True, eq=False)
class _Uniforms:
    """The uniform numbers behind :class:`PartyDraws`, in the order a generator yields them."""

    preferences: Draws
    drift: np.ndarray
    cut: np.ndarray


def draw_parties(scenario: Scenario, veto: list[int], samples: int, rng: np.random.Generator) -> PartyDraws:
    """``samples`` draws of the parties, in one fixed order from ``rng``: preferences (the zone's own sampling), then
    drift, then leverage cuts.

    Why not :func:`sim.zone.settings.run_preferences` (a run's samples from its seed): a negotiation run draws its one
    sample from the Mesa model's own generator (Mesa: the model owns the generator) and the mediator's prior from its
    belief seed, and both go on drawing from that same generator.
    """
    return _mapped(scenario, veto, _uniforms(scenario, veto, samples, rng))


def draw_runs(scenario: Scenario, veto: list[int], generators: list[np.random.Generator]) -> PartyDraws:
    """One sample per generator (sample k from ``generators[k]``, which is left where ``draw_parties`` leaves it),
    mapped onto the ranges together: sample k equals ``draw_parties(scenario, veto, 1, generators[k])``."""
    drawn = [_uniforms(scenario, veto, 1, rng) for rng in generators]
    if len(drawn) == 1:
        return _mapped(scenario, veto, drawn[0])
    first = drawn[0].preferences

    def stacked(name: str) -> np.ndarray:
        return np.concatenate([getattr(d.preferences, name) for d in drawn], axis=1)  # [party, sample, ...]

    member = tuple(
        None if own is None else np.concatenate([d.preferences.member[p] for d in drawn], axis=1)
        for p, own in enumerate(first.member)
    )
    uniforms = _Uniforms(
        Draws(
            stacked("weight"), stacked("value"), stacked("reservation"), stacked("link"), stacked("red_line"), member
        ),
        np.concatenate([d.drift for d in drawn], axis=1),
        np.concatenate([d.cut for d in drawn], axis=1),
    )
    return _mapped(scenario, veto, uniforms)


def _uniforms(scenario: Scenario, veto: list[int], samples: int, rng: np.random.Generator) -> _Uniforms:
    """Every number a draw of the parties takes from ``rng``, in its fixed order (drift and cuts always drawn)."""
    preferences = draw_uniforms(scenario, samples, rng)
    drift = rng.random((len(veto), samples))
    return _Uniforms(preferences, drift, rng.random((len(veto), samples)))


def _mapped(scenario: Scenario, veto: list[int], uniforms: _Uniforms) -> PartyDraws:
    return PartyDraws(
        preferences_from_draws(scenario, uniforms.preferences),
        reservation_drift(scenario, veto, uniforms.drift),
        leverage_cuts(scenario, veto, uniforms.cut),
    )


def reservation_drift(scenario: Scenario, parties: list[int], draws: np.ndarray) -> np.ndarray:
    """Reservation drift per round ``[party, sample]``, uniform in each party's range."""
    low = np.array([scenario.parties[p].strategy.reservation_drift[0] for p in parties])[:, None]
    high = np.array([scenario.parties[p].strategy.reservation_drift[1] for p in parties])[:, None]
    return low + (high - low) * draws


def leverage_cuts(scenario: Scenario, parties: list[int], draws: np.ndarray) -> np.ndarray:
    """Reservation cut per rejection of the mediator's text, ``[party, sample]`` (0 for a party nobody presses)."""
    cut = np.zeros(draws.shape)
    for presser in scenario.parties:
        leverage = presser.strategy.leverage
        if leverage is None:
            continue
        for local, p in enumerate(parties):
            if scenario.parties[p].id == leverage.target:
                low, high = leverage.cut
                cut[local] += low + (high - low) * draws[local]
    return cut
