"""Read a complete zone run directory back into the :class:`~sim.zone.analysis.ZoneAnalysis` that wrote it.

The inverse of :func:`sim.outputs.zonerun.save_analysis` (a round-trip test holds them together). Counts are
recovered exactly from the stored shares (``round(p * samples)``: a share of at most 2^53 samples is exact in
float64); CSV cells are parsed by the column's type, an empty cell being "not applicable".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from sim.outputs.rundir import RunDirError, read_json, read_manifest
from sim.outputs.tables import read_csv
from sim.scenario.model import Scenario
from sim.scenario.yamlfast import plain_yaml
from sim.zone.analysis import ZoneAnalysis
from sim.zone.estimate import Estimate
from sim.zone.offers import fixed_label
from sim.zone.results import (
    BargainingSolution,
    Blocker,
    ClosestPackage,
    Completion,
    Headline,
    NegotiationSet,
    OfferResult,
    OptionResult,
    Package,
    Reason,
    SampleHits,
    ZoneHistogram,
    ZoneList,
)
from sim.zone.settings import RunSettings


def read_scenario(run_dir: Path) -> Scenario:
    """The scenario exactly as run (validated when the run started, so no file checks again)."""
    path = run_dir / "scenario.resolved.yaml"
    return Scenario.model_validate(plain_yaml(path.read_text(encoding="utf-8"), str(path)))


def load_analysis(run_dir: Path) -> ZoneAnalysis:
    """The analysis a complete zone run directory holds."""
    manifest = read_manifest(run_dir)
    if manifest.get("kind") != "zone":
        raise RunDirError(f"{run_dir} is a '{manifest.get('kind')}' run, not a zone run")
    if manifest.get("status") != "complete":
        raise RunDirError(f"{run_dir} is not complete; finish it with: negsim run ... --resume {run_dir}")
    summary = manifest["summary"]
    scenario = read_scenario(run_dir)
    settings = RunSettings(**manifest["settings"])
    samples = settings.samples
    parties = tuple(summary["parties"])
    issues = [issue.id for issue in scenario.issues]
    reader = _Rows(issues, parties, samples)
    offers = pq.read_table(run_dir / "offers.parquet").to_pylist() if scenario.offers else []
    zone = pq.read_table(run_dir / "zone.parquet", columns=["package", "p_zone"]).to_pydict()
    counts = _counts(zone["p_zone"], samples)
    listed = counts > 0
    hits = pq.read_table(run_dir / "sample_hits.parquet")
    return ZoneAnalysis(
        scenario=scenario,
        settings=settings,
        parties=parties,
        veto_parties=tuple(summary["veto_parties"]),
        space_size=int(summary["space_size"]),
        feasible=int(summary["feasible_packages"]),
        zone_rows=int(summary["zone_rows"]),
        zone_mass=float(summary["zone_mass"]),
        zone_mass_interval=(float(summary["zone_mass_interval"][0]), float(summary["zone_mass_interval"][1])),
        headline=_headline(summary, issues),
        offer_results=tuple(reader.offer(scenario, row) for row in offers),
        option_results=tuple(
            reader.option(scenario, _typed(row, issues)) for row in read_csv(run_dir / "marginals.csv")
        ),
        negotiation_set=_negotiation_set(run_dir, parties, issues, samples),
        histogram=ZoneHistogram(int(summary["p_zone_histogram"]["zero"]), tuple(summary["p_zone_histogram"]["counts"])),
        hits=SampleHits({name: np.asarray(hits.column(name).to_numpy(), dtype=bool) for name in hits.column_names[1:]}),
        zone=ZoneList(np.asarray(zone["package"], dtype=np.int64)[listed], counts[listed].astype(np.int32)),
    )


def _counts(shares: Any, samples: int) -> np.ndarray:
    return np.rint(np.asarray(shares, dtype=np.float64) * samples).astype(np.int64)


def _in_order(options: dict[str, str], issues: list[str]) -> dict[str, str]:
    return {issue: options[issue] for issue in issues}


def _headline(summary: dict[str, Any], issues: list[str]) -> Headline:
    p_nonempty = Estimate.from_columns(summary, "p_zone_nonempty")
    best_p = Estimate.from_columns(summary, "best_p_zone")
    if summary.get("best_package"):
        best = Package(int(summary["best_package_number"]), _in_order(summary["best_package"], issues))
        return Headline(p_nonempty, best, best_p, None)
    found = summary.get("closest_package")
    closest = (
        None
        if not found
        else ClosestPackage(
            Package(int(found["package"]), _in_order(found["options"], issues)),
            float(found["total_shortfall"]),
            {party: float(v) for party, v in found["shortfall"].items()},
            bool(found["proven"]),
        )
    )
    return Headline(p_nonempty, None, best_p, closest)


TEXT_COLUMNS = frozenset(
    "target label issue option issue_title red_lined_by completion blocker blocker_name blocker_red_lines reason "
    "reason_party reason_red_line".split()
)


def _typed(row: dict[str, str], issues: list[str]) -> dict[str, Any]:
    """A marginals.csv row: text columns (and the completion's option ids) as text, the others as numbers; an empty
    cell is "not applicable"."""
    text = TEXT_COLUMNS | set(issues)
    return {k: v if k in text else (None if v == "" else float(v)) for k, v in row.items()}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


class _Rows:
    """Offer and option rows back to typed values."""

    def __init__(self, issues: list[str], parties: tuple[str, ...], samples: int) -> None:
        self.issues, self.parties, self.samples = issues, parties, samples

    def completion(self, row: dict[str, Any]) -> Completion:
        number = int(row["completion_package"])
        kind = str(row["completion"])
        return Completion(
            kind,
            Package(number, {issue: str(row[issue]) for issue in self.issues}) if number >= 0 else None,
            Estimate.from_columns(row, "completion_p_zone"),
            {party: Estimate.from_columns(row, f"p_accept_{party}") for party in self.parties},
            {party: float(row[f"shortfall_{party}"]) for party in self.parties} if kind == "closest" else None,
        )

    @staticmethod
    def blocker(scenario: Scenario, row: dict[str, Any]) -> Blocker:
        """The stored blocker; the ``holds`` of its red lines are read back from the run's scenario."""
        party = _text(row["blocker"])
        refs = tuple(ref for ref in _text(row["blocker_red_lines"]).split(", ") if ref)
        holds = {r.option: float(r.holds) for p in scenario.parties if p.id == party for r in p.red_lines}
        return Blocker(
            party,
            _text(row["blocker_name"]),
            float(row["blocker_share"]),
            refs,
            tuple(holds[ref] for ref in refs),
            _optional(row["blocker_shortfall"]),
        )

    @staticmethod
    def reason(row: dict[str, Any]) -> Reason:
        return Reason(
            _text(row["reason"]),
            _text(row["reason_party"]),
            _text(row["reason_red_line"]),
            _optional(row["reason_shortfall"]),
        )

    def offer(self, scenario: Scenario, row: dict[str, Any]) -> OfferResult:
        fixed = tuple(ref for ref in str(row["fixed"]).split(", ") if ref)
        return OfferResult(
            str(row["target"]),
            str(row["label"]),
            fixed,
            tuple(fixed_label(scenario, ref) for ref in fixed),
            Estimate.from_columns(row, "p_complete"),
            self.completion(row),
            self.blocker(scenario, row),
            self.reason(row),
        )

    def option(self, scenario: Scenario, row: dict[str, Any]) -> OptionResult:
        return OptionResult(
            _text(row["target"]),
            _text(row["label"]),
            _text(row["issue"]),
            _text(row["option"]),
            _text(row["issue_title"]),
            tuple(p for p in _text(row["red_lined_by"]).split(",") if p),
            Estimate.from_columns(row, "p_complete"),
            self.completion(row),
            self.blocker(scenario, row),
            self.reason(row),
            float(row["mean_p_zone"]),
        )


def _negotiation_set(run_dir: Path, parties: tuple[str, ...], issues: list[str], samples: int) -> NegotiationSet:
    frontier = pq.read_table(run_dir / "frontier.parquet").to_pydict()
    stored = read_json(run_dir / "solutions.json")
    solutions: dict[str, BargainingSolution | None] = {}
    for name, sol in stored["solutions"].items():
        solutions[name] = (
            None
            if sol is None
            else BargainingSolution(
                name,
                Package(int(sol["package"]), _in_order(sol["options"], issues)),
                {p: float(sol["expected_utility"][p]) for p in parties},
                {p: float(v) for p, v in sol["gain_over_reservation"].items()},
                Estimate.from_columns(sol, "p_zone"),
            )
        )
    return NegotiationSet(
        np.asarray(frontier["package"], dtype=np.int64),
        _counts(frontier["p_zone"], samples),
        np.array([frontier[f"eu_{p}"] for p in parties], dtype=np.float64).reshape(len(parties), -1),
        {p: float(v) for p, v in stored["reservation"].items()},
        solutions,
    )
