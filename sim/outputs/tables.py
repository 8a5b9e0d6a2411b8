"""Result tables: Arrow/Parquet for per-package and per-offer results, CSV for small summaries.

Issue columns hold option ids as dictionary-encoded strings, so a 10^6-row table stays small on disk and reads
back in pandas, polars or DuckDB with readable values.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.outputs.rundir import atomic_write
from sim.zone.estimate import estimate_columns
from sim.zone.intervals import METHOD
from sim.zone.space import PackageSpace


def table_metadata(
    party_ids: tuple[str, ...],
    veto: np.ndarray,
    space: PackageSpace | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, str]:
    """Key-value metadata every Parquet table carries: how intervals are computed, which parties hold no veto, and
    (given ``labels`` by ``issue.option``) the label of every option id in the issue columns, as JSON."""
    metadata = {
        "interval": f"95 % Monte-Carlo interval: {METHOD}",
        "non_veto_parties": ",".join(p for p, v in zip(party_ids, veto, strict=True) if not v),
    }
    if space is not None and labels is not None:
        metadata["option_labels"] = json.dumps(
            {
                issue: {o: labels.get(f"{issue}.{o}", o) for o in space.option_ids[i]}
                for i, issue in enumerate(space.issue_ids)
            }
        )
    return metadata


def issue_columns(space: PackageSpace, codes: np.ndarray) -> dict[str, pa.Array]:
    """One dictionary column per issue id, holding option ids (same dictionary in every chunk)."""
    return {
        issue: pa.DictionaryArray.from_arrays(
            pa.array(codes[:, i].astype(np.int16)), pa.array(list(space.option_ids[i]))
        )
        for i, issue in enumerate(space.issue_ids)
    }


def zone_rows(
    space: PackageSpace,
    party_ids: tuple[str, ...],
    packages: np.ndarray,
    codes: np.ndarray,
    zone_count: np.ndarray,
    accept_count: np.ndarray,
    expected_utility: np.ndarray,
    samples: int,
    shares: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> pa.Table:
    """Rows of ``zone.parquet``: package, options, p_zone, p_accept_<party>, eu_<party> (probabilities with
    ``_lo``/``_hi`` interval bounds)."""
    columns: dict[str, Any] = {"package": pa.array(packages.astype(np.int64))}
    columns.update(issue_columns(space, codes))
    columns.update({k: pa.array(v) for k, v in estimate_columns("p_zone", zone_count, samples).items()})
    for p, party in enumerate(party_ids):
        columns.update(
            {k: pa.array(v) for k, v in estimate_columns(f"p_accept_{party}", accept_count[p], samples).items()}
        )
    for p, party in enumerate(party_ids):
        columns[f"eu_{party}"] = pa.array(expected_utility[p])
    for party, (mean, low, high) in (shares or {}).items():  # bodies: expected accepting share (NaN: never in zone)
        columns.update(
            {f"share_{party}": pa.array(mean), f"share_{party}_lo": pa.array(low), f"share_{party}_hi": pa.array(high)}
        )
    return pa.table(columns)


def write_parquet_stream(path: Path, tables: Iterable[pa.Table], schema: pa.Schema | None = None) -> int:
    """Write tables one after another into one Parquet file, atomically; returns the row count. ``schema``: the
    file's (default: the first table's). A table is let go before the next is asked for, so that a stream of large
    chunks holds one at a time (zone.parquet: 2^17 rows x ~45 columns, ~100 MB with what building it takes)."""
    rows = 0

    def write(file: io.BufferedWriter) -> None:
        nonlocal rows
        file_schema, writer = schema, None
        try:
            for table in tables:
                if writer is None:
                    file_schema = table.schema if file_schema is None else file_schema
                    writer = pq.ParquetWriter(file, file_schema)
                writer.write_table(table.cast(file_schema))
                rows += table.num_rows
                del table
            if writer is None:  # no table: the file still has the schema
                if file_schema is None:
                    raise ValueError("write_parquet_stream needs a schema or a table")
                writer = pq.ParquetWriter(file, file_schema)
        finally:
            if writer is not None:
                writer.close()

    atomic_write(path, write)
    return rows


def write_parquet(path: Path, table: pa.Table) -> None:
    write_parquet_stream(path, [table], table.schema)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    text = io.StringIO()
    if rows:
        writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    atomic_write(path, lambda file: file.write(text.getvalue().encode("utf-8")))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def nulls(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """NaN (not applicable, e.g. a shortfall of a completion in the zone) becomes a null in tables."""
    return [{k: None if isinstance(v, float) and v != v else v for k, v in row.items()} for row in rows]


def rows_table(rows: list[dict[str, Any]], metadata: dict[str, str]) -> pa.Table:
    table = pa.Table.from_pylist(nulls(rows)) if rows else pa.table({"target": pa.array([], pa.string())})
    return table.replace_schema_metadata(metadata)
