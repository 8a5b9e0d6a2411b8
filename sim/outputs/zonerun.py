"""A :class:`~sim.zone.analysis.ZoneAnalysis` as a run directory, and back: ``load_analysis(d) == a`` after
``save_analysis(a, d)``.

The files: ``offers.parquet`` and ``marginals.csv`` (one row per offer / option: estimates as ``name``, ``name_lo``,
``name_hi`` columns, the completion's options as one column per issue), ``frontier.parquet`` and ``solutions.json``
(the negotiation set and its bargaining solutions), ``sample_hits.parquet`` (per-sample hits), ``zone.parquet``
(every package in the zone in some sample plus the named ones, with every party's acceptance and expected utility)
and the manifest's ``summary`` (headline numbers, read by batch and sweep tables). Reading needs no recomputation:
zone.parquet's acceptance and utility columns are derived data, written from the run's samples and not read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.outputs.rundir import atomic_write_json
from sim.outputs.runsummary import RunSummary
from sim.outputs.tables import (
    issue_columns,
    nulls,
    rows_table,
    table_metadata,
    write_csv,
    write_parquet,
    write_parquet_stream,
    zone_rows,
)
from sim.zone.analysis import ZoneAnalysis
from sim.zone.electorate import accepting_shares, body_shares
from sim.zone.estimate import estimate_columns
from sim.zone.intervals import METHOD
from sim.zone.offers import target_labels
from sim.zone.preferences import Preferences, expected_utility
from sim.zone.results import (
    Blocker,
    ClosestPackage,
    Completion,
    Headline,
    NegotiationSet,
    OfferResult,
    OptionResult,
    Reason,
)
from sim.zone.scoring import acceptance_counts
from sim.zone.settings import run_preferences
from sim.zone.space import PackageSpace

ZONE_TABLE_ROWS = 2**17  # rows of zone.parquet built and written at a time
ZONE_TABLE = "packages with p_zone > 0, plus those named by offers, solutions and the summary"
INTERVAL = f"95 % Monte-Carlo interval: {METHOD}"


def save_analysis(analysis: ZoneAnalysis, run_dir: Path, preferences: Preferences | None = None) -> dict[str, Any]:
    """Write every table of ``analysis`` into ``run_dir``; returns the manifest summary (the caller finishes the
    manifest). ``preferences``: the run's samples (drawn again from the settings when the analysis lacks them)."""
    preferences = preferences or analysis.preferences or run_preferences(analysis.scenario, analysis.settings)
    space = analysis.space
    veto = np.array([p in analysis.veto_parties for p in analysis.parties])
    metadata = table_metadata(analysis.parties, veto, space, target_labels(analysis.scenario))
    write_parquet(
        run_dir / "offers.parquet",
        rows_table(
            _with_shares([offer_row(analysis, r) for r in analysis.offer_results], preferences, space), metadata
        ),
    )
    option_rows = _with_shares([option_row(analysis, r) for r in analysis.option_results], preferences, space)
    write_csv(run_dir / "marginals.csv", nulls(option_rows))
    _write_negotiation_set(run_dir, analysis)
    hits = analysis.hits.hits
    columns = {"sample": pa.array(np.arange(analysis.samples, dtype=np.int32))}
    columns.update({name: pa.array(bits) for name, bits in hits.items()})
    write_parquet(run_dir / "sample_hits.parquet", pa.table(columns))
    _write_zone_table(run_dir, analysis, preferences, metadata)
    return summary_of(analysis)


def _completion_columns(analysis: ZoneAnalysis, c: Completion) -> dict[str, Any]:
    row: dict[str, Any] = {"completion": c.kind, "completion_package": c.package.number if c.package else -1}
    row.update(c.package.options if c.package else dict.fromkeys(analysis.space.issue_ids))
    row.update(c.p_zone.columns("completion_p_zone"))
    for party in analysis.parties:
        row.update(c.p_accept[party].columns(f"p_accept_{party}"))
    for party in analysis.parties:
        row[f"shortfall_{party}"] = c.shortfall[party] if c.shortfall is not None else None
    return row


def _with_shares(rows: list[dict[str, Any]], preferences: Preferences, space: PackageSpace) -> list[dict[str, Any]]:
    """A voting body's expected accepting share of each row's completion, with its interval, beside P(it passes)
    (``share_<party>``, ``_lo``, ``_hi``; NaN where there is no completion). Nothing is added without bodies."""
    if not preferences.electorates or not rows:
        return rows
    packages = np.array([max(int(row["completion_package"]), 0) for row in rows], dtype=np.int64)
    shares = accepting_shares(preferences, space.codes(packages))
    for k, row in enumerate(rows):
        missing = int(row["completion_package"]) < 0
        for p, (mean, low, high) in shares.items():
            party = preferences.party_ids[p]
            for suffix, values in (("", mean), ("_lo", low), ("_hi", high)):
                row[f"share_{party}{suffix}"] = np.nan if missing else float(values[k])
    return rows


def _tail_columns(b: Blocker, r: Reason) -> dict[str, Any]:
    return {
        "blocker": b.party,
        "blocker_name": b.name,
        "blocker_share": b.share,
        "blocker_red_lines": ", ".join(b.red_lines),
        "blocker_shortfall": b.shortfall,
        "reason": r.text,
        "reason_party": r.party,
        "reason_red_line": r.red_line,
        "reason_shortfall": r.shortfall,
    }


def offer_row(analysis: ZoneAnalysis, r: OfferResult) -> dict[str, Any]:
    """One row of offers.parquet."""
    row: dict[str, Any] = {"target": r.id, "label": r.label, "fixed": ", ".join(r.fixed)}
    row["fixed_labels"] = "; ".join(r.fixed_labels)
    row.update(r.p_complete.columns("p_complete"))
    return {**row, **_completion_columns(analysis, r.completion), **_tail_columns(r.blocker, r.reason)}


def option_row(analysis: ZoneAnalysis, r: OptionResult) -> dict[str, Any]:
    """One row of marginals.csv."""
    row: dict[str, Any] = {"target": r.ref, "label": r.label, "issue": r.issue, "option": r.option}
    row.update(issue_title=r.issue_title, red_lined_by=",".join(r.red_lined_by))
    row.update(r.p_complete.columns("p_complete"))
    row.update({**_completion_columns(analysis, r.completion), **_tail_columns(r.blocker, r.reason)})
    row["mean_p_zone"] = r.mean_p_zone
    return row


def _write_negotiation_set(run_dir: Path, analysis: ZoneAnalysis) -> None:
    """frontier.parquet (one row per package of the negotiation set) and solutions.json."""
    negotiation = analysis.negotiation_set
    space = analysis.space
    columns: dict[str, Any] = {"package": pa.array(negotiation.packages.astype(np.int64))}
    columns.update(issue_columns(space, space.codes(negotiation.packages)))
    columns.update(
        {k: pa.array(v) for k, v in estimate_columns("p_zone", negotiation.zone_count, analysis.samples).items()}
    )
    for p, party in enumerate(analysis.parties):
        columns[f"eu_{party}"] = pa.array(negotiation.expected_utility[p])
    write_parquet(run_dir / "frontier.parquet", pa.table(columns))
    solutions = {
        name: None
        if sol is None
        else {
            "package": sol.package.number,
            "options": sol.package.options,
            "expected_utility": sol.expected_utility,
            "gain_over_reservation": sol.gain_over_reservation,
            **sol.p_zone.columns("p_zone"),
        }
        for name, sol in negotiation.solutions.items()
    }
    atomic_write_json(
        run_dir / "solutions.json",
        {
            "definition": NegotiationSet.DEFINITION,
            "frontier": NegotiationSet.FRONTIER,
            "frontier_size": int(len(negotiation.packages)),
            "reservation": negotiation.reservation,
            "solutions": solutions,
        },
    )


def _write_zone_table(
    run_dir: Path, analysis: ZoneAnalysis, preferences: Preferences, metadata: dict[str, str]
) -> None:
    """zone.parquet in bounded chunks: memory does not grow with the zone."""
    space = analysis.space
    keep = analysis.table_packages()

    def chunk(start: int) -> pa.Table:
        packages = keep[start : start + ZONE_TABLE_ROWS]
        codes = space.codes(packages)
        zone_counts = analysis.zone.counts_of(packages)
        return zone_rows(
            space,
            preferences.party_ids,
            packages,
            codes,
            zone_counts,
            _acceptance(analysis, preferences, packages),
            expected_utility(preferences, codes),
            analysis.samples,
            body_shares(preferences, codes, zone_counts > 0),
        ).replace_schema_metadata(metadata)

    # the first chunk (empty when nothing is listed) gives the schema; one chunk is built and held at a time
    write_parquet_stream(
        run_dir / "zone.parquet", (chunk(start) for start in range(0, max(keep.size, 1), ZONE_TABLE_ROWS))
    )


def _acceptance(analysis: ZoneAnalysis, preferences: Preferences, packages: np.ndarray) -> np.ndarray:
    """Each party's acceptance count of sorted ``packages``: the scorer's counts for the zone's packages, computed
    for the few others (named by offers or solutions but never in the zone) or when the counts were not kept."""
    known = analysis.zone.accepts_of(packages)
    if known is None:
        return acceptance_counts(preferences, analysis.space, packages)
    found, counts_found = known
    counts = np.zeros((preferences.n_parties, packages.size), dtype=np.int32)
    counts[:, found] = counts_found
    if not found.all():
        counts[:, ~found] = acceptance_counts(preferences, analysis.space, packages[~found])
    return counts


def headline_summary(headline: Headline) -> dict[str, Any]:
    """The headline as the manifest summary records it."""
    summary: dict[str, Any] = headline.p_nonempty.columns("p_zone_nonempty")
    if headline.best is not None:
        summary.update(best_package=headline.best.options, best_package_number=headline.best.number)
        summary.update(closest_package=None, **headline.best_p_zone.columns("best_p_zone"))
        return summary
    summary.update(best_package=None, best_package_number=None, **headline.best_p_zone.columns("best_p_zone"))
    summary["no_zone"] = Headline.NO_ZONE
    closest = headline.closest
    summary["closest_package"] = (
        None
        if closest is None
        else {
            "package": closest.package.number,
            "options": closest.package.options,
            "total_shortfall": closest.total_shortfall,
            "shortfall": closest.shortfall,
            "proven": closest.proven,
            "definition": ClosestPackage.DEFINITION,
        }
    )
    return summary


def summary_of(analysis: ZoneAnalysis) -> dict[str, Any]:
    """The manifest's ``summary``: headline numbers of the run (what batch and sweep tables read)."""
    offer_keys = ("p_complete", "p_complete_lo", "p_complete_hi", "completion")
    offer_keys += ("completion_p_zone", "completion_p_zone_lo", "completion_p_zone_hi")
    offer_keys += ("blocker", "blocker_share", "reason")
    offers = {}
    for r in analysis.offer_results:
        row = offer_row(analysis, r)
        offers[r.id] = {k: row[k] for k in offer_keys}
    return {
        "space_size": analysis.space_size,
        "feasible_packages": analysis.feasible,
        "zone_rows": analysis.zone_rows,
        "zone_table": ZONE_TABLE,
        "zone_mass": analysis.zone_mass,
        "zone_mass_interval": list(analysis.zone_mass_interval),
        **headline_summary(analysis.headline),
        "interval": INTERVAL,
        "p_zone_histogram": {
            "edges": analysis.histogram.edges,
            "zero": analysis.histogram.zero,
            "counts": list(analysis.histogram.counts),
        },
        "offers": offers,
        "solutions": {
            name: (sol.package.number if sol else None) for name, sol in analysis.negotiation_set.solutions.items()
        },
        "parties": list(analysis.parties),
        "veto_parties": list(analysis.veto_parties),
    }


def party_label(analysis: ZoneAnalysis, party_id: str) -> str:
    party = next(p for p in analysis.scenario.parties if p.id == party_id)
    return party.name if party_id in analysis.veto_parties else f"{party.name} ({party.role}, no veto)"


def run_summary(analysis: ZoneAnalysis) -> RunSummary:
    """The run's headline as a value: what the manifest's ``summary`` (:func:`summary_of`) reads back as."""
    return RunSummary.read(summary_of(analysis))
