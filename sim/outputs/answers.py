"""The answers a run's page gives beyond the zone's own tables, kept in the run directory as typed values:
"what would it take" for the named offers (``whatif.json``, :class:`sim.zone.whatif_result.OffersWhatIf`) and,
when asked, whether talks get there (``talks.json``, :class:`TalksLine`).

They are computed by later layers (the change-set search is a study, the talks a negotiation), which this layer
may not import; a run is handed them as *answer steps* (``Answer``: called with the analysis and the run directory
after the tables and before the page) by whoever can: the command line, a batch. The page then only reads them back
here (``load(save(x)) == x``), never re-derives or re-parses a table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sim.outputs.rundir import atomic_write_json
from sim.zone.analysis import ZoneAnalysis
from sim.zone.estimate import Estimate
from sim.zone.whatif_result import OffersWhatIf

WHATIF_FILE = "whatif.json"
TALKS_FILE = "talks.json"

Answer = Callable[[ZoneAnalysis, Path], None]


def save_whatif(run_dir: Path, value: OffersWhatIf) -> None:
    atomic_write_json(run_dir / WHATIF_FILE, value.as_json())


def load_whatif(run_dir: Path) -> OffersWhatIf | None:
    """The run's what-would-it-take answers, or None when the run has none (``--whatif none``, an older run)."""
    path = run_dir / WHATIF_FILE
    return OffersWhatIf.from_json(json.loads(path.read_text())) if path.is_file() else None


@dataclass(frozen=True)
class TalksProtocol:
    """One protocol's simulated talks over the run's scenario: how often they agree, and how often they fail
    although a zone existed in that run's sampled preferences (each a share of ``runs`` with its interval)."""

    protocol: str
    runs: int
    agreement: Estimate
    zone_exists: Estimate
    failed_with_zone: Estimate


@dataclass(frozen=True)
class TalksLine:
    """Whether talks get there: each protocol's short simulation, the seed and the command that repeats it."""

    protocols: tuple[TalksProtocol, ...]
    seed: int
    command: str

    def as_json(self) -> dict[str, Any]:
        return {"protocols": [asdict(p) for p in self.protocols], "seed": self.seed, "command": self.command}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TalksLine:
        protocols = tuple(
            TalksProtocol(
                p["protocol"],
                p["runs"],
                Estimate(**p["agreement"]),
                Estimate(**p["zone_exists"]),
                Estimate(**p["failed_with_zone"]),
            )
            for p in data["protocols"]
        )
        return cls(protocols, data["seed"], data["command"])


def save_talks(run_dir: Path, value: TalksLine) -> None:
    atomic_write_json(run_dir / TALKS_FILE, value.as_json())


def load_talks(run_dir: Path) -> TalksLine | None:
    path = run_dir / TALKS_FILE
    return TalksLine.from_json(json.loads(path.read_text())) if path.is_file() else None
