"""What repeated negotiations found, as a value: the agreement rate with its interval, the agreements reached most
often, how fast, and every run's outcome.

:func:`~sim.negotiation.runs.run_negotiations` (and ``negotiate``, the API's face on it) returns one;
:func:`read_negotiations` reads a run directory back into the same value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from sim.scenario.model import Scenario
from sim.zone.estimate import Estimate
from sim.zone.results import Package

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RoundRecord:
    """One party in one round of a traced run, as the DataCollector recorded it (a row of rounds.parquet)."""

    run: int
    round: int
    party: str
    aspiration: float
    reply: str
    offer_utility: float
    proposer: str
    offer: int

    def row(self) -> dict[str, Any]:
        """The rounds.parquet row: the fields in their order."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class TalksOutcome:
    """How one run ended: agreed (on ``package``, a package number) or not, in which round, and how many packages
    agreed at the table failed ratification before it."""

    protocol: str
    agreed: bool
    round: int
    package: int
    ratification_failures: int


@dataclass(frozen=True)
class Agreement:
    """A package agreed in some runs: the share of runs that agreed on it, its zone probability (a separate
    Monte-Carlo estimate, ``ZONE_SAMPLES`` samples), and in which rounds it was reached."""

    package: Package
    share: float
    p_zone: float
    median_round: float
    first_round: int


@dataclass(frozen=True, eq=False)
class NegotiationResult:
    """Repeated negotiations of one scenario under one protocol; ``outcomes`` holds one row per run (the columns of
    ``negotiations.parquet``)."""

    scenario: Scenario
    protocol: str
    runs: int
    seed: int
    agreement_rate: Estimate
    median_rounds: float | None
    blocked_at_ratification: float
    top_agreements: tuple[Agreement, ...]
    talks_vs_zone: str
    outcome_rows: tuple[dict[str, Any], ...]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NegotiationResult):
            return NotImplemented
        return all(
            getattr(self, name) == getattr(other, name)
            for name in ("scenario", "protocol", "runs", "seed", "agreement_rate", "median_rounds")
            + ("blocked_at_ratification", "top_agreements", "talks_vs_zone", "outcome_rows")
        )

    @property
    def agreements(self) -> pd.DataFrame:
        """The packages agreed most often (up to 20): package, one column per issue, share of runs, P(zone),
        median and first round."""
        import pandas as pd

        issues = [issue.id for issue in self.scenario.issues]
        return pd.DataFrame(
            [
                {
                    "package": a.package.number,
                    **a.package.options,
                    "share": a.share,
                    "p_zone": a.p_zone,
                    "median_round": a.median_round,
                    "first_round": a.first_round,
                }
                for a in self.top_agreements
            ],
            columns=["package", *issues, "share", "p_zone", "median_round", "first_round"],
        )

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per run: seed, agreed or not, package, round, utilities, and the run's own zone."""
        import pandas as pd

        return pd.DataFrame(list(self.outcome_rows))

    @classmethod
    def of(
        cls, scenario: Scenario, settings: dict[str, Any], summary: dict[str, Any], rows: list[dict[str, Any]]
    ) -> NegotiationResult:
        issues = [issue.id for issue in scenario.issues]
        agreed = sum(bool(row["agreed"]) for row in rows)
        return cls(
            scenario,
            str(settings["protocol"]),
            int(settings["runs"]),
            int(settings["seed"]),
            Estimate.of(agreed, len(rows)) if rows else Estimate(0.0, 0.0, 1.0),
            summary["median_rounds"],
            float(summary["blocked_at_ratification"]),
            tuple(
                Agreement(
                    Package(int(a["package"]), {i: a["options"][i] for i in issues}),
                    float(a["share"]),
                    float(a["p_zone"]),
                    float(a["median_round"]),
                    int(a["first_round"]),
                )
                for a in summary["top_agreements"]
            ),
            str(summary.get("talks_vs_zone_headline", "")),
            tuple(rows),
        )


def read_negotiations(run_dir: Path) -> NegotiationResult:
    """A complete ``negsim negotiate`` run directory as a value."""
    from sim.outputs.runmanifest import RunManifest
    from sim.outputs.zoneload import read_scenario

    manifest = RunManifest.read(run_dir)
    rows = pq.read_table(run_dir / "negotiations.parquet").to_pylist()
    return NegotiationResult.of(read_scenario(run_dir), dict(manifest.settings), dict(manifest.summary), rows)
