"""What determines a run's results, and the one place that draws a run's samples from it.

Every face that needs a run's preference samples (the pipeline, ``compute_zone``, the report, studies reading a run
back, the ``score`` command, proposals, calibration, the negotiation table and its zone check) calls
:func:`run_preferences`; the studies that map the same uniform numbers onto edited scenarios (sensitivity, whatif,
proposals' change search, the explorer) take them from :func:`run_draws`. Both are functions of the scenario, the
number of samples and the seed, drawn one way (``sim.zone.sampling``), so every study of a run uses common random
numbers. The one other draw, a negotiation's (the Mesa model's own generator, which goes on to draw drift and
leverage), is :func:`sim.negotiation.draws.draw_parties`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.preferences import Preferences
from sim.zone.sampling import Draws, draw_uniforms, sample_preferences


class Sampled(Protocol):
    """Anything that names a run's samples: how many, and the seed they are drawn from."""

    @property
    def samples(self) -> int: ...

    @property
    def seed(self) -> int: ...


@dataclass(frozen=True)
class RunSettings:
    """What determines a zone's results: the number of samples, the seed, and the tail scored densely (which changes
    only speed and memory; recorded so a resumed run is cut the same way)."""

    samples: int
    seed: int
    chunk_size: int | None = None

    @classmethod
    def for_scenario(cls, scenario: Scenario, samples: int | None = None, seed: int | None = None) -> RunSettings:
        """The scenario's own ``run:`` settings unless given."""
        return cls(
            samples or scenario.run.samples, scenario.run.seed if seed is None else seed, scenario.run.chunk_size
        )

    def recorded(self) -> dict[str, int | None]:
        """The settings as a run's manifest records them."""
        return {"samples": self.samples, "seed": self.seed, "chunk_size": self.chunk_size}


def run_preferences(scenario: Scenario, settings: Sampled) -> Preferences:
    """The run's preference samples: ``settings.samples`` joint draws from a generator seeded with ``settings.seed``
    (the same samples whoever asks, so studies of a run use common random numbers)."""
    return sample_preferences(scenario, settings.samples, np.random.default_rng(settings.seed))


def run_draws(scenario: Scenario, settings: Sampled) -> Draws:
    """The uniform numbers :func:`run_preferences` maps onto the scenario's ranges:
    ``preferences_from_draws(scenario, run_draws(scenario, s))`` is ``run_preferences(scenario, s)``. A study that
    edits ranges maps these same numbers onto each edit, so an edit moves only what it changes."""
    return draw_uniforms(scenario, settings.samples, np.random.default_rng(settings.seed))
