"""The analyst's loop: compare runs, sweep a parameter, run a batch, and build one report to review."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.common import app, fail, out
from sim.outputs.rundir import RunDirError
from sim.studies.compare import Cell


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@app.command(
    epilog="Example: negsim compare runs/baseline runs/harder-russia --out runs/compare-harder "
    "(the first run is the reference)"
)
def compare(
    run_dirs: Annotated[
        list[Path], typer.Argument(metavar="RUN_A RUN_B [RUN_C ...]", help="Complete run directories.")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Where compare.csv, compare.html and plots go (default: runs/compare-<time>)."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Print every option and acceptance row, not only changes.")
    ] = False,
) -> None:
    """Runs side by side with 95 % intervals, differences beyond Monte-Carlo noise flagged, scenario changes listed."""
    from sim.studies.compare import scenario_differences, zone_mass_rows
    from sim.studies.compare_page import write_comparison
    from sim.studies.rundata import load_runs

    if len(run_dirs) < 2:
        fail("error: compare needs at least two run directories")
    try:
        runs = load_runs(run_dirs)
    except RunDirError as exc:
        fail(f"error: {exc}")
        return
    target = out_dir or Path("runs") / f"compare-{_stamp()}"
    cells = write_comparison(runs, target)
    for run in runs[1:]:
        diff = scenario_differences(runs[0], run)
        table = Table("setting", runs[0].name, run.name, title=f"What {run.name} changes from {runs[0].name}")
        for path, a, b in diff:
            table.add_row(path, a, b)
        out.print(table if diff else f"{run.name} and {runs[0].name}: identical scenarios and settings")
    masses = {row["run"]: row["zone_mass"] for row in zone_mass_rows(runs)}
    names = [run.name for run in runs]
    for kind, title in (
        ("zone", "Zone"),
        ("offer", "Offers: P(completion in zone)"),
        ("acceptance", "Acceptance of each offer's best completion"),
        ("option", "Option marginals"),
    ):
        rows: dict[str, dict[str, Cell]] = {}
        for cell in cells:
            if cell.kind == kind:
                rows.setdefault(cell.label, {})[cell.run] = cell
        changed = {label: per for label, per in rows.items() if any(c.beyond_noise for c in per.values())}
        shown = rows if show_all or kind in ("zone", "offer") else changed
        table = Table(title, *names, *(f"Δ {name}" for name in names[1:]), title=None)
        if kind == "zone":
            table.add_row(
                "zone mass (expected packages)", *(f"{masses[n]:.2f}" for n in names), *("" for _ in names[1:])
            )
        for label, per in shown.items():
            table.add_row(
                label,
                *(_estimate(per.get(n)) for n in names),
                *(_difference(per.get(n)) for n in names[1:]),
            )
        hidden = len(rows) - len(shown)
        note = f" ({hidden} more within noise; --all or compare.csv lists them)" if hidden else ""
        if shown or kind == "zone":
            out.print(table)
        if note:
            out.print(f"{title}: {len(changed)} beyond noise{note}", highlight=False)
    out.print(f"wrote {target / 'compare.csv'}, {target / 'compare.html'}", highlight=False)


def _estimate(cell: Cell | None) -> str:
    if cell is None:
        return "absent"
    return f"{cell.p:.3f} [{cell.low:.3f}, {cell.high:.3f}]"


def _difference(cell: Cell | None) -> str:
    if cell is None or cell.diff != cell.diff:
        return "n/a"
    flag = " ◆" if cell.beyond_noise else ""
    return f"{cell.diff:+.3f}{flag}"
