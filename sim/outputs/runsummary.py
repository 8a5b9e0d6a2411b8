"""A zone run's headline numbers as a typed value: what a batch, a sweep, ``compare`` and the report's overview read
of each run without loading its tables.

A run's ``manifest.json`` records them as its ``summary`` (:func:`sim.outputs.zonerun.summary_of` writes it; the keys
are the public format, read by other tools too); :meth:`RunSummary.read` is the one parser of that record, so the
studies and the CLI above it see attributes, never the record's keys. A summary computed in a worker process and one
read back from a finished run's manifest are the same value (JSON keeps every float exactly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.outputs.rundir import read_manifest
from sim.zone.estimate import Estimate


@dataclass(frozen=True)
class OfferSummary:
    """One offer as the summary records it: P(some completion in the zone), the completion it names (``best``,
    ``closest`` or ``none``) with its own P(zone), and what blocks it, in words."""

    p_complete: Estimate
    completion: str
    completion_p_zone: Estimate
    blocker: str | None
    reason: str | None

    @classmethod
    def read(cls, record: Mapping[str, Any]) -> OfferSummary:
        return cls(
            Estimate.from_columns(record, "p_complete"),
            str(record["completion"]),
            Estimate.from_columns(record, "completion_p_zone"),
            record["blocker"],
            record["reason"],
        )


@dataclass(frozen=True)
class RunSummary:
    """A zone run's headline: P(zone not empty), the best package's P(zone), the zone's mass (expected number of
    packages in it) and each offer's summary, by offer id in the scenario's order."""

    p_nonempty: Estimate
    best_p_zone: Estimate
    zone_mass: float
    offers: Mapping[str, OfferSummary]

    @classmethod
    def read(cls, record: Mapping[str, Any]) -> RunSummary:
        """The value of a manifest's ``summary`` record."""
        return cls(
            Estimate.from_columns(record, "p_zone_nonempty"),
            Estimate.from_columns(record, "best_p_zone"),
            float(record["zone_mass"]),
            {offer_id: OfferSummary.read(offer) for offer_id, offer in record["offers"].items()},
        )

    @classmethod
    def load(cls, run_dir: Path) -> RunSummary:
        """The summary of the run in ``run_dir`` (its manifest only; the tables are not read)."""
        return cls.read(read_manifest(run_dir)["summary"])

    def offer_p(self, offer_id: str) -> float | None:
        """The offer's P(completion in zone), or None when the run's scenario has no such offer."""
        offer = self.offers.get(offer_id)
        return None if offer is None else offer.p_complete.p
