"""A sweep: one or two scenario values over a grid, every point an ordinary run under the sweep's directory.

Every point uses the same seed and sample count, so points share their random numbers (common random numbers):
a curve moves because the value moved, not because each point drew new noise. A value is addressed exactly as
``--set`` addresses it (``russia.reservation``, ``ukraine.weights.crimea``), and each point's scenario is the
base scenario with that ``--set`` applied, so a point can be re-run alone with the command its row records.
The sweep directory is a run directory of kind ``sweep`` (manifest, resolved base scenario); ``--resume``
finishes missing or interrupted points and then writes the tables and plots.
"""

from __future__ import annotations

import itertools
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.outputs.figure_choice import Figures
from sim.outputs.pipeline import ZoneSettings
from sim.outputs.rundir import (
    RunDirError,
    finish_manifest,
    lock_run_dir,
    resume_manifest,
    start_manifest,
    unlock_run_dir,
)
from sim.outputs.runsummary import RunSummary
from sim.outputs.tables import write_csv, write_parquet
from sim.scenario.edits import Edit, Unset
from sim.scenario.errors import Mark, Problem, ScenarioError
from sim.scenario.loading import load_scenario
from sim.studies.fanout import Fanout, RunTask, run_all
from sim.zone.estimate import Estimate
from sim.zone.intervals import proportion_interval

MAX_POINTS = 400


@dataclass(frozen=True)
class Vary:
    """One swept value: its ``--set`` path and the values it takes."""

    path: str
    values: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> Vary:
        """``path=lo:hi:n`` (n evenly spaced values, ends included) or ``path=v1,v2,...``.

        >>> Vary.parse("russia.reservation=0.4:0.7:4").values
        (0.4, 0.5, 0.6, 0.7)
        >>> Vary.parse("russia.red_lines.donbas.frozen_line.holds=0,0.5,1").values
        (0.0, 0.5, 1.0)
        """
        origin = f"--vary {text}"
        path, sep, spec = text.partition("=")
        if not sep or not path.strip() or not spec.strip():
            raise ScenarioError(
                [Problem(Mark(origin), "expected PATH=LO:HI:N or PATH=V1,V2,..., e.g. russia.reservation=0.4:0.7:7")]
            )
        try:
            if ":" in spec:
                low, high, count = spec.split(":")
                n = int(count)
                if n < 1:
                    raise ValueError
                values = np.linspace(float(low), float(high), n)
            else:
                values = np.array([float(v) for v in spec.split(",")])
        except ValueError:
            raise ScenarioError(
                [Problem(Mark(origin), "values must be LO:HI:N (N a positive integer) or numbers V1,V2,...")]
            ) from None
        if not np.all(np.isfinite(values)):
            raise ScenarioError([Problem(Mark(origin), "values must be finite numbers")])
        return cls(path.strip(), tuple(float(round(v, 12)) for v in values))

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "values": list(self.values)}


@dataclass(frozen=True)
class Point:
    index: int
    assignments: dict[str, float]

    @property
    def name(self) -> str:
        return f"point-{self.index:03d}"

    def overrides(self) -> list[str]:
        return [f"{path}={value!r}" for path, value in self.assignments.items()]


def grid(varies: list[Vary]) -> list[Point]:
    """Every combination, the first parameter varying slowest."""
    combos = itertools.product(*(v.values for v in varies))
    return [Point(i, {v.path: x for v, x in zip(varies, combo, strict=True)}) for i, combo in enumerate(combos)]


def edit_arguments(edits: list[Edit]) -> list[str]:
    """Edits as the command line spells them: ``--unset PATH`` and ``--set PATH=VALUE``."""
    return [arg for e in edits for arg in (("--unset", e.path) if isinstance(e, Unset) else ("--set", e))]


def point_command(scenario_file: str, overrides: list[Edit], point: Point, samples: int, seed: int) -> str:
    """The ``negsim run`` command that reproduces one point on its own."""
    edits = edit_arguments([*overrides, *point.overrides()])
    return shlex.join(["negsim", "run", scenario_file, *edits, "--samples", str(samples), "--seed", str(seed)])


def run_sweep(
    scenario_file: Path,
    overrides: list[Edit],
    varies: list[Vary],
    sweep_dir: Path,
    samples: int | None = None,
    seed: int | None = None,
    fanout: Fanout = Fanout(),
    *,
    roots: Sequence[Path] = (),
    figures: Figures = Figures.none,
) -> list[SweepPoint]:
    """Run (or finish) the sweep; write ``sweep.parquet``, ``sweep.csv``, the plots and ``report.html``, then mark
    it complete; return the points. A complete sweep whose page is missing gets it back. ``roots``: folders
    besides the scenario's own that it may read (``--allow-root``)."""
    base = load_scenario(scenario_file, overrides, roots)
    if fanout.resume:
        manifest = resume_manifest(sweep_dir, base, "sweep")
        recorded = manifest["settings"]
        if varies and [v.as_json() for v in varies] != recorded["vary"]:
            raise RunDirError(f"{sweep_dir} sweeps {_describe(recorded['vary'])}, not {_describe(varies)}")
        varies = [Vary(v["path"], tuple(v["values"])) for v in recorded["vary"]]
        samples, seed = recorded["samples"], recorded["seed"]
    if not 1 <= len(varies) <= 2:
        raise RunDirError("a sweep varies one or two values (--vary given once or twice)")
    points = grid(varies)
    if len(points) > MAX_POINTS:
        raise RunDirError(f"{len(points)} points is more than {MAX_POINTS}; use fewer values per --vary")
    scenarios = [load_scenario(scenario_file, [*overrides, *point.overrides()], roots) for point in points]
    # The sweep's samples and seed at every point: common random numbers, whatever a point changes.
    settings = ZoneSettings.for_scenario(base, samples, seed, fanout.threads_per_run)
    if not fanout.resume:
        recorded = {**settings.recorded(), "vary": [v.as_json() for v in varies], "edits": edit_arguments(overrides)}
        manifest = start_manifest(sweep_dir, base, "sweep", recorded, str(scenario_file), fanout.force)
    clock = time.perf_counter()
    tasks = [
        RunTask(scenario, sweep_dir / "points" / point.name, settings, str(scenario_file), figures)
        for point, scenario in zip(points, scenarios, strict=True)
    ]
    summaries = run_all(tasks, fanout)
    labels = {offer.id: offer.label for offer in base.offers}
    rows = point_rows(points, summaries, settings.samples, labels)
    for row, point in zip(rows, points, strict=True):
        row["command"] = point_command(str(scenario_file), overrides, point, settings.samples, settings.seed)
    from sim.studies.review import write_review  # reads the plots' captions (matplotlib) only when writing

    if manifest["status"] == "complete":  # only the page was missing
        lock_run_dir(sweep_dir)
        write_review([sweep_dir], sweep_dir / "report.html")
        unlock_run_dir(sweep_dir)
        return [SweepPoint.of(row) for row in rows]
    write_sweep_tables(sweep_dir, rows, [v.path for v in varies])
    from sim.studies.sweep_plots import write_sweep_plots  # matplotlib only when drawing

    write_sweep_plots(sweep_dir, rows, [v.path for v in varies], base)
    write_review([sweep_dir], sweep_dir / "report.html")
    manifest["timings"]["sweep_s"] = round(manifest["timings"].get("sweep_s", 0) + time.perf_counter() - clock, 3)
    finish_manifest(sweep_dir, manifest, {"points": len(points), "parameters": [v.path for v in varies]})
    return [SweepPoint.of(row) for row in rows]


def _describe(varies: list[Any]) -> str:
    return ", ".join(v["path"] if isinstance(v, dict) else v.path for v in varies)


def point_rows(
    points: list[Point], summaries: list[RunSummary], samples: int, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Per point: its values, directory, zone mass, and each quantity (zone, offers) with its interval."""
    rows = []
    for point, summary in zip(points, summaries, strict=True):
        quantities = [("p_zone_nonempty", "zone", "P(zone non-empty)", summary.p_nonempty.p)]
        quantities += [
            (o, "offer", f"offer: {label}", summary.offers[o].p_complete.p)
            for o, label in labels.items()
            if o in summary.offers
        ]
        entries = []
        for key, kind, label, p in quantities:
            low, high = proportion_interval(round(p * samples), samples)
            entries.append(
                {"quantity": key, "kind": kind, "label": label, "p": p, "low": float(low), "high": float(high)}
            )
        rows.append(
            {
                "point": point.index,
                **point.assignments,
                "run_dir": f"points/{point.name}",
                "zone_mass": summary.zone_mass,
                "quantities": entries,
            }
        )
    return rows


@dataclass(frozen=True)
class SweepQuantity:
    """One quantity at one point: the zone (``p_zone_nonempty``) or an offer's completion, with its interval."""

    quantity: str
    kind: str
    label: str
    estimate: Estimate


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the values it sets, its run directory, zone mass, quantities and the command that
    reruns it alone."""

    point: int
    values: dict[str, float]
    run_dir: str
    zone_mass: float
    quantities: tuple[SweepQuantity, ...]
    command: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> SweepPoint:
        """A row of :func:`point_rows` (with its command) as a value."""
        quantities = tuple(
            SweepQuantity(q["quantity"], q["kind"], q["label"], Estimate(q["p"], q["low"], q["high"]))
            for q in row["quantities"]
        )
        values = {path: row[path] for path in swept_paths([row])}
        return cls(row["point"], values, row["run_dir"], row["zone_mass"], quantities, row["command"])

    def row(self) -> dict[str, Any]:
        """The point's row as :func:`point_rows` gives it (inverse of :meth:`of`)."""
        quantities = [
            {"quantity": q.quantity, "kind": q.kind, "label": q.label, "p": q.estimate.p}
            | {"low": q.estimate.lo, "high": q.estimate.hi}
            for q in self.quantities
        ]
        return {
            "point": self.point,
            **self.values,
            "run_dir": self.run_dir,
            "zone_mass": self.zone_mass,
            "quantities": quantities,
            "command": self.command,
        }


def swept_paths(rows: list[dict[str, Any]]) -> list[str]:
    """The varied paths of :func:`point_rows`' rows, in order (every key of a row but the point's own fields)."""
    return [key for key in rows[0] if key not in ("point", "run_dir", "zone_mass", "quantities", "command")]


def long_rows(rows: list[dict[str, Any]], parameters: list[str]) -> list[dict[str, Any]]:
    """One row per point and quantity: the shape of ``sweep.parquet`` and ``sweep.csv``."""
    return [
        {
            "point": row["point"],
            **{path: row[path] for path in parameters},
            "quantity": q["quantity"],
            "kind": q["kind"],
            "label": q["label"],
            "p": q["p"],
            "low": q["low"],
            "high": q["high"],
            "zone_mass": row["zone_mass"],
            "run_dir": row["run_dir"],
            "command": row["command"],
        }
        for row in rows
        for q in row["quantities"]
    ]


def write_sweep_tables(sweep_dir: Path, rows: list[dict[str, Any]], parameters: list[str]) -> None:
    table = long_rows(rows, parameters)
    write_parquet(sweep_dir / "sweep.parquet", pa.Table.from_pylist(table))
    write_csv(sweep_dir / "sweep.csv", table)
