"""Study commands: sensitivity (tornado) and whatif (smallest change to reach a target)."""

from __future__ import annotations

from datetime import UTC, datetime
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
    WorkersOption,
    app,
    check_memory,
    chosen_executor,
    err,
    fail,
    load_or_exit,
    out,
    scenario_edits,
    with_progress,
)
from sim.cli.zone import PRECISION, already_complete
from sim.executors import Executor
from sim.scenario.limits import MAX_SAMPLES


@app.command(
    epilog="Example: negsim sensitivity scenarios/baseline.yaml --rank-by p_zone_nonempty --out runs/s\n\n" + PRECISION
)
def sensitivity(
    scenario_path: ScenarioArgument,
    samples: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_SAMPLES, help="Samples per perturbation (default: the scenario's run.samples)."),
    ] = None,
    rank_by: Annotated[
        str,
        typer.Option(help="Measure to rank by: zone_mass, p_zone_nonempty, or an offer id (its P(completion))."),
    ] = "zone_mass",
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    out_dir: RunDirOption = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted study in this directory.")] = None,
    executor: ExecutorOption = Executor.local,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
) -> None:
    """Tornado of what moves the zone: each weight and reservation at its range ends, each red line off."""
    from rich.table import Table

    from sim.outputs.rundir import default_run_dir
    from sim.studies.sensitivity import tornado_dataset
    from sim.studies.sensitivity_runs import run_sensitivity

    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    offers = [o.id for o in scenario.offers]
    if rank_by not in ("zone_mass", "p_zone_nonempty", *offers):
        fail(f"error: --rank-by {rank_by}: choose zone_mass, p_zone_nonempty or an offer id ({', '.join(offers)})")
    measure = rank_by if rank_by in ("zone_mass", "p_zone_nonempty") else f"offer_{rank_by}"
    check_memory(scenario_path, scenario, samples or scenario.run.samples, 1 if executor is Executor.local else workers)
    run_dir = resume or out_dir or default_run_dir(Path("runs"), scenario, "sensitivity")
    if resume is not None and (finished := already_complete(resume)):
        err.print(f"{resume} was already complete (finished {finished}): nothing to resume; its results:")
    rows = with_progress(
        f"sensitivity {scenario.id}",
        lambda progress: run_sensitivity(
            scenario,
            run_dir,
            samples or scenario.run.samples,
            scenario.run.seed if seed is None else seed,
            resume=resume is not None,
            executor=chosen_executor(executor, scheduler),
            workers=workers,
            address=scheduler,
            scenario_file=str(scenario_path),
            progress=progress,
            measure=measure,
            announce=lambda message: err.print(message),
            force=force,
        ),
    )
    base = rows[0]
    estimate = base.estimates.get(measure)
    noise = (
        f" [{estimate.lo:.3f}, {estimate.hi:.3f}]; changes inside that width may be noise"
        if estimate is not None
        else ""
    )
    table = Table(
        "parameter",
        "low end / off",
        "high end",
        title=f"Change in {rank_by} (baseline {base.measure(measure):.3f}{noise}) -> {run_dir}",
    )
    for name, low, high in tornado_dataset(rows, top=15, measure=measure):
        table.add_row(name, f"{low:+.3f}", f"{high:+.3f}")
    out.print(table)


WHATIF_HELP = (
    "Example: negsim whatif scenarios/baseline.yaml --offer us_28pt_nov2025 --target 0.05\n\n"
    "Searches combinations: the offer's fixed issues moved and concessions by one or several veto parties (a "
    "reservation cut, a red line's holds lowered), by branch and bound over the change set. Smallest = fewest "
    "changes, then least total concession (the sponsor's expected utility lost on moved issues + reservation cuts "
    "(up to --max-cut) "
    "+ drops in holds; amounts to 4 decimals, rounded up). When no set of at most --max-changes changes reaches "
    "the target, that is proven over every set of that size, and the parties whose shortfall stays are named.\n\n"
)


@app.command(epilog=WHATIF_HELP + PRECISION)
def whatif(
    scenario_path: ScenarioArgument,
    offer: Annotated[str, typer.Option(help="Id of a named offer in the scenario.")],
    target: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Zone probability to reach (default: the best package's, reachable by construction)."
        ),
    ] = None,
    max_changes: Annotated[int, typer.Option(min=0, max=6, help="Largest change set searched (K).")] = 3,
    max_cut: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Largest reservation cut searched (utility units).")
    ] = 0.25,
    samples: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_SAMPLES, help="Monte-Carlo samples (default: the scenario's run.samples)."),
    ] = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="JSON file for the answer.")] = None,
    weight_moves: Annotated[
        bool, typer.Option(help="Also list single weight rescales that reach the target alone (slower).")
    ] = False,
    force: ForceOption = False,
) -> None:
    """Smallest change set (issues moved, parties conceding) that brings an offer to a zone probability."""
    from rich.table import Table

    from sim.outputs.owned import claim_file
    from sim.outputs.rundir import atomic_write_json
    from sim.studies.whatif import what_would_it_take
    from sim.studies.whatif_answer import SMALLEST

    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    if offer not in {o.id for o in scenario.offers}:
        fail(f"error: no offer '{offer}' in {scenario_path}; offers: {', '.join(o.id for o in scenario.offers)}")
    samples = samples or scenario.run.samples
    check_memory(scenario_path, scenario, samples)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_file or Path("runs") / f"{stamp}-{scenario.id}-whatif-{offer}-{scenario.content_hash()[:8]}.json"
    claim_file(path, force)  # before the search: a refusal costs nothing
    answer = what_would_it_take(
        scenario,
        offer,
        target,
        samples,
        scenario.run.seed if seed is None else seed,
        max_changes,
        weight_moves,
        max_cut,
    )
    atomic_write_json(path, {"scenario": scenario.id, "scenario_hash": scenario.content_hash(), **answer.as_json()})
    out.print(answer.now_text())
    if answer.changes is None:
        out.print(answer.verdict())
        stays = Table(
            "veto party",
            "why it stays short",
            "in (share of samples)",
            "mean shortfall",
            title="What stays: the veto parties the offer, as it is, leaves short",
        )
        for row in answer.what_stays:
            shortfall = f"{row.mean_shortfall:.3f}" if row.mean_shortfall else "-"
            stays.add_row(row.name, row.what, f"{row.below:.1%}", shortfall)
        if answer.what_stays:
            out.print(stays)
    elif not answer.changes:
        out.print(answer.verdict())
    else:
        table = Table("change", "concession", title=answer.verdict())
        for change in answer.changes:
            table.add_row(change.text, f"{change.concession:.4f}")
        out.print(table)
    for move in answer.weight_moves:
        out.print(f"Or alone: {move.text}")
    out.print(f"({SMALLEST}.) {answer.seconds:.1f} s; saved {path}")
