"""``negsim robustness``: the headline under every alternative of the scenario's named judgement calls."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    ExecutorOption,
    ForceOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    SetOption,
    UnsetOption,
    WorkersOption,
    app,
    chosen_executor,
    fail,
    load_or_exit,
    out,
    scenario_edits,
    with_progress,
)
from sim.cli.zone import PRECISION
from sim.executors import Executor


@app.command(
    epilog="Example: negsim robustness scenarios/baseline.yaml --markdown docs/robustness.md --force\n\n" + PRECISION
)
def robustness(
    scenario_path: ScenarioArgument,
    samples: Annotated[
        int | None, typer.Option(min=1, help="Samples per alternative (default: the scenario's run.samples).")
    ] = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Directory for the table, figure and page.")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Also write the table as Markdown to this file.")] = None,
    executor: ExecutorOption = Executor.local,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
) -> None:
    """The headline (at the table, ratified) under each judgement call's alternatives, and the range they span."""
    from rich.table import Table

    from sim.outputs.owned import OutputError, claim_file
    from sim.outputs.rundir import default_run_dir
    from sim.scenario.errors import ScenarioError
    from sim.studies.robustness import load_cases, run_robustness, write_robustness

    edits = scenario_edits(set_, unset)
    scenario = load_or_exit(scenario_path, edits)
    if markdown is not None:
        try:
            claim_file(markdown, force)  # before the work: a refusal costs nothing
        except OutputError as exc:
            fail(f"error: {exc}")
    if not scenario.judgement_calls:
        fail(f"{scenario_path}: the scenario names no judgement_calls: nothing to vary (docs/format.md)")
    try:
        cases = load_cases(scenario_path, edits)
    except ScenarioError as exc:
        fail(str(exc))
    count = samples or scenario.run.samples
    chosen_seed = scenario.run.seed if seed is None else seed
    run_dir = out_dir or default_run_dir(Path("runs"), scenario, "robustness")
    command = f"negsim robustness {scenario_path}" + (f" --samples {samples}" if samples else "")
    result = with_progress(
        f"robustness {scenario.id} ({len(cases)} cases)",
        lambda progress: run_robustness(
            cases, count, chosen_seed, chosen_executor(executor, scheduler), workers, scheduler, progress
        ),
    )
    write_robustness(result, run_dir, command, markdown)
    table = Table(
        "judgement call",
        "alternative",
        "at the table",
        "ratified",
        "change (paired)",
        "best offer",
        title=f"{scenario.id}: headline under each judgement call -> {run_dir}",
    )
    for row in result.rows:
        h = row.headline
        d, low, high = row.ratified_change
        table.add_row(
            row.case.call,
            row.case.label,
            h.table.text(),
            h.ratified.text(),
            f"{d:+.1%} [{low:+.1%}, {high:+.1%}]",
            f"{h.best_offer} {h.best.text()}",
        )
    out.print(table)
    (low_t, high_t), (low_r, high_r) = result.span("table"), result.span("ratified")
    out.print(f"range over the alternatives: at the table {low_t:.1%}–{high_t:.1%}, ratified {low_r:.1%}–{high_r:.1%}")
