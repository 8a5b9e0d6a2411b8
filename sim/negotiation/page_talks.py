"""Do talks get there? A short talks simulation for a run's page (``negsim run --talks N``): each protocol played
``N`` times on the run's scenario (``sim.negotiation.runs.negotiate``, the command's own code, seeded from the run
seed), summarised as how often the talks agree (ratified), how often a zone existed in the run's own sample, and how
often they failed although it did (:mod:`sim.negotiation.versus_zone`). Saved as ``talks.json`` beside the run's
tables (:class:`sim.outputs.answers.TalksLine`), each protocol with the command that repeats it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from sim.negotiation.protocol import Protocol
from sim.outputs.answers import TalksLine, TalksProtocol, save_talks
from sim.zone.analysis import ZoneAnalysis
from sim.zone.estimate import Estimate

PAGE_PROTOCOLS = (Protocol.mediated, Protocol.alternating)


@dataclass(frozen=True)
class RunTalks:
    """The answer step a run is handed (:data:`sim.outputs.answers.Answer`) when asked for talks: writes
    ``talks.json``; ``runs`` 0 writes nothing (the page then gives the command)."""

    runs: int = 0

    def __call__(self, analysis: ZoneAnalysis, run_dir: Path) -> None:
        if self.runs > 0:
            save_talks(run_dir, talks_line(analysis, run_dir, self.runs))


def talks_line(analysis: ZoneAnalysis, run_dir: Path, runs: int) -> TalksLine:
    """Each page protocol's talks against the zone of each run's own sample."""
    from sim.negotiation.runs import negotiate  # the negotiation model (mesa): only when talks are asked for

    seed = analysis.settings.seed
    rows = []
    for protocol in PAGE_PROTOCOLS:
        result = negotiate(analysis.scenario, protocol.value, runs, seed)
        outcomes = result.outcome_rows
        agreed = [bool(o["agreed"]) for o in outcomes]
        zone = [bool(o.get("zone_exists", False)) for o in outcomes]
        missed = sum(z and not a for a, z in zip(agreed, zone, strict=True))
        rows.append(
            TalksProtocol(
                protocol.value,
                len(outcomes),
                Estimate.of(sum(agreed), len(outcomes)),
                Estimate.of(sum(zone), len(outcomes)),
                Estimate.of(missed, len(outcomes)),
            )
        )
    command = shlex.join(
        ["negsim", "negotiate", str(run_dir / "scenario.resolved.yaml"), "--protocol", "PROTOCOL"]
        + ["--runs", str(runs), "--seed", str(seed)]
    )
    return TalksLine(tuple(rows), seed, command)
