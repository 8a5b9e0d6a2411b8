"""Negotiation commands: play the Mesa negotiation many times."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    ExecutorOption,
    ForceOption,
    RunDirOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    SetOption,
    UnsetOption,
    app,
    chosen_executor,
    fail,
    load_or_exit,
    out,
    scenario_edits,
    with_progress,
)
from sim.executors import Executor
from sim.negotiation.protocol import Protocol
from sim.outputs.figure_choice import Figures
from sim.scenario.limits import MAX_NEGOTIATION_ROUNDS, MAX_ROUNDS, MAX_RUNS


@app.command(epilog="Example: negsim negotiate scenarios/baseline.yaml --runs 2000 --seed 1 --out runs/talks")
def negotiate(
    scenario_path: ScenarioArgument,
    runs: Annotated[int, typer.Option(min=1, max=MAX_RUNS, help="Independent negotiation runs.")] = 1000,
    seed: SeedOption = None,
    protocol: Annotated[Protocol, typer.Option(help="alternating offers, or a mediator's single text.")] = (
        Protocol.alternating
    ),
    trace: Annotated[int, typer.Option(min=0, help="Keep the round-by-round trace of the first N runs.")] = 1,
    set_: SetOption = None,
    unset: UnsetOption = None,
    out_dir: RunDirOption = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted runs in this directory.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes for the runs.")] = 2,
    executor: ExecutorOption = Executor.processes,
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
    figures: Annotated[
        Figures,
        typer.Option(
            help="Figures to draw: key (talks vs zone, and the most frequent agreements; the default); all (also "
            "the rounds histogram, the traced run's aspiration paths and agreements against the zone); none (tables "
            "and report only). Drawing costs about a second, as much as a few thousand runs."
        ),
    ] = Figures.key,
) -> None:
    """Play the negotiation many times on Mesa and report which deals are reached, how often and how fast."""
    from rich.table import Table

    from sim.negotiation.runs import run_negotiations
    from sim.outputs.rundir import default_run_dir
    from sim.studies.review import write_review  # the run's own page (loop's page shell)

    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    rounds = scenario.run.rounds
    if rounds > MAX_ROUNDS:
        fail(
            f"error: {scenario_path}: run.rounds is {rounds:g}, more than {MAX_ROUNDS:,} rounds; set a smaller deadline"
        )
    if runs * rounds > MAX_NEGOTIATION_ROUNDS:
        fail(
            f"error: {runs:,} runs of up to {rounds:,} rounds is more than {MAX_NEGOTIATION_ROUNDS:,} rounds in all: "
            f"use at most --runs {MAX_NEGOTIATION_ROUNDS // rounds} (or a smaller run.rounds)"
        )
    run_dir = resume or out_dir or default_run_dir(Path("runs"), scenario, "negotiate")
    result = with_progress(
        f"negotiating {scenario.id}",
        lambda progress: run_negotiations(
            scenario,
            run_dir,
            protocol,
            runs,
            scenario.run.seed if seed is None else seed,
            trace,
            workers=workers,
            executor=chosen_executor(executor, scheduler),
            address=scheduler,
            resume=resume is not None,
            scenario_file=str(scenario_path),
            progress=progress,
            force=force,
            figures=figures,
            page=lambda directory: write_review([directory], directory / "report.html"),
        ),
    )
    median = result.median_rounds
    out.print(f"{scenario.title} ({protocol.value}) -> {run_dir}")
    out.print(
        f"agreement rate {result.agreement_rate.p:.3f} over {result.runs} runs; median rounds to "
        f"agreement {'-' if median is None else f'{median:g}'}",
        highlight=False,
    )
    if result.talks_vs_zone:
        out.print(result.talks_vs_zone, highlight=False)
    top = result.top_agreements[:5]
    table = Table("share", "P(zone)", "agreement", title="Most frequent agreements (#2-#5: what differs from #1)")
    for rank, agreement in enumerate(top):
        options = agreement.package.options
        shown = options.items() if rank == 0 else [(k, v) for k, v in options.items() if v != top[0].package.options[k]]
        table.add_row(f"{agreement.share:.3f}", f"{agreement.p_zone:.3f}", ", ".join(f"{k}={v}" for k, v in shown))
    out.print(table)
