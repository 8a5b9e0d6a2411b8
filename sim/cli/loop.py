"""The analyst's loop: compare runs, sweep a parameter, run a batch, and build one report to review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.common import (
    ExecutorOption,
    SamplesOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    app,
    fail,
    load_or_exit,
    out,
    with_progress,
)
from sim.executors import Executor
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


VaryOption = Annotated[
    list[str],
    typer.Option(
        "--vary",
        help="PATH=LO:HI:N (N evenly spaced values) or PATH=V1,V2,...; PATH as --set spells it. Once or twice.",
    ),
]


@app.command(
    epilog="Example: negsim sweep scenarios/baseline.yaml --vary russia.reservation=0.4:0.7:7 "
    "--vary ukraine.weights.territory=0.1:0.3:5 --samples 500"
)
def sweep(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    vary: VaryOption = None,  # type: ignore[assignment]
    samples: SamplesOption = None,
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Sweep directory (default: runs/<time>-<id>-sweep).")
    ] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted sweep in this directory.")] = None,
    executor: ExecutorOption = Executor.processes,
    workers: Annotated[int, typer.Option(min=1, help="Runs side by side (processes or Dask workers).")] = 2,
    scheduler: SchedulerOption = None,
) -> None:
    """One or two values over a grid: every point an ordinary run with the same seed, plus curves or heatmaps."""
    from sim.scenario.errors import ScenarioError
    from sim.studies.fanout import claim_directory
    from sim.studies.sweep import Vary, run_sweep

    try:
        varies = [Vary.parse(text) for text in vary or []]
    except ScenarioError as exc:
        fail(str(exc))
        return
    if resume is None and not varies:
        fail("error: give --vary PATH=LO:HI:N (once or twice), e.g. --vary russia.reservation=0.4:0.7:7")
    if resume is not None and _complete(resume):
        out.print(f"{resume} is already complete; nothing to do")
        return
    base = load_or_exit(scenario_path, set_ or [])
    if resume is None and out_dir is not None and out_dir.exists() and any(out_dir.iterdir()):
        fail(f"error: {out_dir} already holds files; pass --resume {out_dir} to finish it, or choose another --out")
    sweep_dir = resume or out_dir or claim_directory(Path("runs"), f"{base.id}-sweep")

    def work(progress: Callable[[int, int], None]) -> list[dict]:
        try:
            return run_sweep(
                scenario_path,
                set_ or [],
                varies,
                sweep_dir,
                samples,
                seed,
                resume=resume is not None,
                executor=Executor.dask if scheduler else executor,
                workers=workers,
                address=scheduler,
                progress=progress,
            )
        except ScenarioError as exc:
            _drop_if_empty(sweep_dir)
            fail(str(exc))
            raise AssertionError("unreachable") from exc

    rows = with_progress(f"sweep {base.id}", work)
    parameters = [key for key in rows[0] if key not in ("point", "run_dir", "zone_mass", "quantities", "command")]
    table = Table(*parameters, *(q["label"] for q in rows[0]["quantities"]), "zone mass", title=f"Sweep -> {sweep_dir}")
    for row in rows:
        table.add_row(
            *(f"{row[p]:g}" for p in parameters),
            *(f"{q['p']:.3f} [{q['low']:.3f}, {q['high']:.3f}]" for q in row["quantities"]),
            f"{row['zone_mass']:.2f}",
        )
    out.print(table)


def _complete(run_dir: Path) -> bool:
    from sim.outputs.rundir import read_manifest

    try:
        return read_manifest(run_dir).get("status") == "complete"
    except (RunDirError, ValueError):
        return False


def _drop_if_empty(directory: Path) -> None:
    """A directory this command claimed but never wrote to is not left behind."""
    try:
        directory.rmdir()
    except OSError:
        pass
