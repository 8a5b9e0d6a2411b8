"""The analyst's loop: compare runs, sweep a parameter, run a batch, and build one report to review."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.common import (
    ExecutorOption,
    FiguresOption,
    ForceOption,
    RunsSideBySideOption,
    SamplesOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    SetOption,
    TalksOption,
    UnsetOption,
    WhatIfOffersOption,
    WhatIfOption,
    allowed_roots,
    app,
    check_memory,
    chosen_executor,
    err,
    fail,
    load_or_exit,
    offer_ids,
    out,
    scenario_edits,
    scenario_files,
    usable_folder,
    with_progress,
)
from sim.executors import Executor
from sim.outputs.figure_choice import Figures
from sim.outputs.whatif_choice import WhatIfScope

if TYPE_CHECKING:
    from sim.outputs.runsummary import RunSummary
    from sim.studies.batch import BatchEntry
    from sim.studies.compare import Cell


@app.command(epilog="Example: negsim compare runs/base runs/variant --out runs/cmp (the first run is the reference)")
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
    force: ForceOption = False,
) -> None:
    """Runs side by side with 95 % intervals, differences beyond Monte-Carlo noise flagged, scenario changes listed."""
    from rich.table import Table

    from sim.outputs.rundir import RunDirError
    from sim.studies.compare import completion_changes, quantity_rows, scenario_differences
    from sim.studies.compare_page import compare_into
    from sim.studies.fanout import claim_directory
    from sim.studies.rundata import load_runs

    if len(run_dirs) < 2:
        fail("error: compare needs at least two run directories")
    try:
        runs = load_runs(run_dirs)
    except RunDirError as exc:
        fail(f"error: {exc}")
    target = out_dir or claim_directory(Path("runs"), "compare")
    cells = compare_into(runs, target, force)
    for run in runs[1:]:
        diff = scenario_differences(runs[0], run)
        table = Table("setting", runs[0].name, run.name, title=f"What {run.name} changes from {runs[0].name}")
        for path, a, b in diff:
            table.add_row(path, a, b)
        out.print(table if diff else f"{run.name} and {runs[0].name}: identical scenarios and settings")
    masses = {run.name: run.summary.zone_mass for run in runs}
    names = [run.name for run in runs]
    for kind, title in (
        ("zone", "Zone"),
        ("offer", "Offers: P(completion in zone)"),
        ("acceptance", "Acceptance of each offer's completion (the first run's package, in every run)"),
        ("option", "Option marginals"),
    ):
        rows = quantity_rows(cells, (kind,))
        changed = [row for row in rows if row.beyond_noise]
        shown = rows if show_all or kind in ("zone", "offer") else changed
        table = Table(title, *names, *(f"Δ {name}" for name in names[1:]), title=None)
        if kind == "zone":
            table.add_row(
                "zone mass (expected packages)", *(f"{masses[n]:.2f}" for n in names), *("" for _ in names[1:])
            )
        for row in shown:
            table.add_row(
                row.label,
                *(_estimate(row.cells.get(n)) for n in names),
                *(_difference(row.cells.get(n)) for n in names[1:]),
            )
        hidden = len(rows) - len(shown)
        note = f" ({hidden} more within noise; --all or compare.csv lists them)" if hidden else ""
        if shown or kind == "zone":
            out.print(table)
        if note:
            out.print(f"{title}: {len(changed)} beyond noise{note}", highlight=False)
    for change in completion_changes(runs):
        moved = "; ".join(f"{issue}: {a} -> {b}" for issue, a, b in change.changed)
        out.print(
            f"{change.label}: best completion in {change.run} is a different package ({moved}); a different pick, "
            "not a change of acceptance (acceptance above is measured on the first run's package)",
            highlight=False,
        )
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
    list[str] | None,
    typer.Option(
        "--vary",
        metavar="PATH=VALUES",
        help="PATH=LO:HI:N (N evenly spaced values, ends included) or PATH=V1,V2,...; PATH as --set spells it, "
        "and each value replaces the entry as --set would (a range becomes that exact value). Once or twice.",
    ),
]


@app.command(
    epilog="Example: negsim sweep scenarios/baseline.yaml --vary russia.reservation=0.4:0.7:7 "
    "--vary ukraine.weights.donbas=0.1:0.3:5 --samples 500"
)
def sweep(
    scenario_path: ScenarioArgument,
    vary: VaryOption = None,
    samples: SamplesOption = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Sweep directory (default: runs/<time>-<id>-sweep).")
    ] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted sweep in this directory.")] = None,
    force: ForceOption = False,
    executor: ExecutorOption = Executor.processes,
    workers: RunsSideBySideOption = 2,
    scheduler: SchedulerOption = None,
    figures: FiguresOption = Figures.none,
) -> None:
    """One or two values over a grid: every point an ordinary run with the same seed, plus curves or heatmaps."""
    from rich.table import Table

    from sim.outputs.runmanifest import RunManifest
    from sim.scenario.errors import ScenarioError
    from sim.studies.fanout import Fanout, claim_directory
    from sim.studies.sweep import SweepPoint, Vary, run_sweep
    from sim.zone.intervals import half_width

    try:
        varies = [Vary.parse(text) for text in vary or []]
    except ScenarioError as exc:
        fail(str(exc))
    if resume is None and not varies:
        fail("error: give --vary PATH=LO:HI:N (once or twice), e.g. --vary russia.reservation=0.4:0.7:7")
    if resume is not None and _complete(resume) and (resume / "report.html").is_file():
        out.print(f"{resume} is already complete; nothing to do")
        return
    edits = scenario_edits(set_, unset)
    base = load_or_exit(scenario_path, edits)
    check_memory(scenario_path, base, samples or base.run.samples, 1 if executor is Executor.local else workers)
    sweep_dir = resume or out_dir or claim_directory(Path("runs"), f"{base.id}-sweep")

    def work(progress: Callable[[int, int], None]) -> list[SweepPoint]:
        try:
            return run_sweep(
                scenario_path,
                edits,
                varies,
                sweep_dir,
                samples,
                seed,
                Fanout(chosen_executor(executor, scheduler), workers, scheduler, progress, resume is not None, force),
                roots=allowed_roots(),
                figures=figures,
            )
        except ScenarioError as exc:
            _drop_if_empty(sweep_dir)
            fail(str(exc))

    points = with_progress(f"sweep {base.id}", work)
    parameters = list(points[0].values)
    table = Table(
        " / ".join(parameters),
        *("/".join(f"{point.values[p]:g}" for p in parameters) for point in points),
        title=f"Sweep -> {sweep_dir}",
    )
    for q, quantity in enumerate(points[0].quantities):
        table.add_row(quantity.label, *(f"{point.quantities[q].estimate.p:.3f}" for point in points))
    table.add_row("zone mass (expected packages)", *(f"{point.zone_mass:.2f}" for point in points))
    out.print(table)
    samples = RunManifest.read(sweep_dir).samples
    out.print(
        f"95 % intervals are within ±{half_width(samples):.3f} at {samples:,} samples; each one is in "
        f"{sweep_dir / 'sweep.csv'} and {sweep_dir / 'report.html'}",
        highlight=False,
    )


def _complete(run_dir: Path) -> bool:
    from sim.outputs.rundir import RunDirError
    from sim.outputs.runmanifest import RunManifest

    try:
        return RunManifest.read(run_dir).complete
    except (RunDirError, ValueError):
        return False


def _drop_if_empty(directory: Path) -> None:
    """A directory this command claimed but never wrote to is not left behind."""
    try:
        directory.rmdir()
    except OSError:
        pass


@app.command(
    epilog="Example: negsim batch scenarios/ --samples 500 --plots-dir plots   (an interrupted batch: "
    "negsim batch --resume runs/<time>-batch)"
)
def batch(
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="SCENARIO...", help="Scenario files or folders of *.yaml.")
    ] = None,
    samples: SamplesOption = None,
    seed: SeedOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Batch directory (default: a new <out-root>/<time>-batch).")
    ] = None,
    out_root: Annotated[Path, typer.Option("--out-root", help="Parent of new batch directories.")] = Path("runs"),
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted batch in this directory.")] = None,
    plots_dir: Annotated[Path | None, typer.Option(help="Also copy each run's plots to <dir>/<scenario>/.")] = None,
    force: ForceOption = False,
    executor: ExecutorOption = Executor.processes,
    workers: RunsSideBySideOption = 2,
    scheduler: SchedulerOption = None,
    figures: FiguresOption = Figures.key,
    whatif: WhatIfOption = WhatIfScope.cheap,
    whatif_offers: WhatIfOffersOption = None,
    talks: TalksOption = 0,
    talks_for: Annotated[
        str | None,
        typer.Option(help="Scenarios (keys, comma-separated) that get --talks (default: every one)."),
    ] = None,
    whatif_for: Annotated[
        str | None,
        typer.Option(
            help="Scenarios (keys, comma-separated) whose pages also search --whatif-offers (default: every one; "
            "a search of an offer leaving much open costs 20-150 s per scenario)."
        ),
    ] = None,
) -> None:
    """Run every scenario into its own directory of one batch; print the summary tables and write report.html."""
    from sim.negotiation.page_talks import RunTalks
    from sim.studies.batch import batch_entries, copy_plots, recorded_entries, run_batch
    from sim.studies.fanout import Fanout, claim_directory
    from sim.studies.review import write_review
    from sim.studies.whatif_page import RunWhatIf

    if plots_dir is not None:
        usable_folder(plots_dir, "--plots-dir")  # checked before the batch runs, not after
    if resume is not None:
        if paths:
            fail(f"error: --resume {resume} takes the scenarios the batch was started with; give no files")
        entries = recorded_entries(resume, lambda path: load_or_exit(path, []))
        batch_dir = resume
    else:
        files = scenario_files(paths or [])
        if not files:
            fail(f"error: no scenario files in {' '.join(map(str, paths or [])) or '(none given)'}")
        entries, warnings = batch_entries([(path, load_or_exit(path, [])) for path in files])
        for warning in warnings:
            err.print(warning, markup=False, highlight=False, soft_wrap=True)
        batch_dir = out_dir or claim_directory(out_root, "batch")
    keys = [entry.key for entry in entries]
    talking = _batch_keys("--talks-for", talks_for, keys)
    searching = _batch_keys("--whatif-for", whatif_for, keys)
    also = offer_ids(whatif_offers, [entry.scenario for entry in entries])
    concurrent = 1 if executor is Executor.local else workers
    for entry in entries:
        check_memory(entry.path, entry.scenario, samples or entry.scenario.run.samples, concurrent)
    summaries = with_progress(
        f"batch of {len(entries)}",
        lambda progress: run_batch(
            entries,
            batch_dir,
            samples,
            seed,
            Fanout(chosen_executor(executor, scheduler), workers, scheduler, progress, resume is not None, force),
            page=lambda directory: write_review([directory], directory / "report.html"),
            figures=figures,
            answers=lambda key: (
                RunWhatIf(whatif, also=also if key in searching else ()),
                RunTalks(talks if key in talking else 0),
            ),
        ),
    )
    print_batch_summary(entries, summaries, batch_dir)
    if plots_dir is not None:
        for message in copy_plots(entries, batch_dir, plots_dir):
            err.print(message, markup=False, highlight=False, soft_wrap=True)
    out.print(f"wrote {batch_dir / 'report.html'}", highlight=False)


def _batch_keys(option: str, text: str | None, keys: list[str]) -> set[str]:
    """The scenario keys a ``--...-for a,b`` option names (every key when not given); a key not in the batch is a
    one-line error naming the batch's keys."""
    chosen = set(keys) if text is None else {key.strip() for key in text.split(",")}
    if chosen - set(keys):
        fail(
            f"error: {option} {text}: no scenario {', '.join(sorted(chosen - set(keys)))} in this batch "
            f"(keys: {', '.join(keys)})"
        )
    return chosen


def print_batch_summary(entries: list[BatchEntry], summaries: list[RunSummary], batch_dir: Path) -> None:
    """Two tables: one row per scenario, then offers x scenarios (probability of a completion in the zone)."""
    from rich.table import Table

    table = Table("scenario", "title", "zone mass", "P(zone not empty)", "best P(zone)", "run directory")
    for entry, summary in zip(entries, summaries, strict=True):
        table.add_row(
            entry.key,
            entry.scenario.title,
            f"{summary.zone_mass:.2f}",
            f"{summary.p_nonempty.p:.3f}",
            f"{summary.best_p_zone.p:.3f}",
            str(batch_dir / entry.key),
        )
    out.print(table)
    labels = {o.id: o.label for entry in entries for o in entry.scenario.offers}
    offer_ids = list(dict.fromkeys(o.id for entry in entries for o in entry.scenario.offers))
    if offer_ids:
        # one line per offer: 23 wrapped labels once took ~200 lines; the full labels are in the batch report
        offers = Table(title="offer: P(completion in zone)")
        offers.add_column("offer", no_wrap=True, max_width=38, overflow="ellipsis")
        for entry in entries:
            offers.add_column(entry.key, overflow="fold", justify="right")
        for offer_id in offer_ids:
            offers.add_row(
                labels.get(offer_id, offer_id),
                *(
                    f"{summary.offers[offer_id].p_complete.p:.3f}" if offer_id in summary.offers else "-"
                    for summary in summaries
                ),
            )
        out.print(offers)


@app.command(
    epilog="Example: negsim report runs/base runs/sweep -o review.html (one self-contained page: mail it as is)"
)
def report(
    directories: Annotated[
        list[Path], typer.Argument(metavar="RUN_OR_SWEEP_OR_BATCH_DIR...", help="Run, sweep or batch directories.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")] = Path("report.html"),
    force: ForceOption = False,
) -> None:
    """One self-contained HTML page over runs, sweeps and batches: tables with intervals, captioned plots."""
    from sim.outputs.owned import claim_file
    from sim.studies.review import write_review

    claim_file(output, force)
    write_review(directories, output)
    out.print(f"wrote {output}", highlight=False)
