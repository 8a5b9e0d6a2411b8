"""Study commands: sensitivity (tornado) and whatif (smallest change to reach a target)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.common import (
    ExecutorOption,
    ForceOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    UnsetOption,
    WorkersOption,
    app,
    check_memory,
    err,
    fail,
    load_or_exit,
    out,
    with_progress,
)
from sim.cli.zone import PRECISION, already_complete
from sim.executors import Executor
from sim.outputs.rundir import default_run_dir
from sim.scenario.limits import MAX_SAMPLES


@app.command(
    epilog="Example: negsim sensitivity scenarios/baseline.yaml --rank-by p_zone_nonempty --out runs/s\n\n" + PRECISION
)
def sensitivity(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    samples: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_SAMPLES, help="Samples per perturbation (default: the scenario's run.samples)."),
    ] = None,
    rank_by: Annotated[
        str,
        typer.Option(help="Measure to rank by: zone_mass, p_zone_nonempty, or an offer id (its P(completion))."),
    ] = "zone_mass",
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted study in this directory.")] = None,
    executor: ExecutorOption = Executor.local,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
    force: ForceOption = False,
) -> None:
    """Tornado of what moves the zone: each weight and reservation at its range ends, each red line off."""
    from sim.studies.sensitivity import tornado_dataset
    from sim.studies.sensitivity_runs import run_sensitivity

    scenario = load_or_exit(scenario_path, [*(unset or []), *(set_ or [])])
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
            executor=Executor.dask if scheduler else executor,
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
    noise = (
        f" [{base[measure + '_lo']:.3f}, {base[measure + '_hi']:.3f}]; changes inside that width may be noise"
        if measure + "_lo" in base
        else ""
    )
    table = Table(
        "parameter",
        "low end / off",
        "high end",
        title=f"Change in {rank_by} (baseline {base[measure]:.3f}{noise}) -> {run_dir}",
    )
    for name, low, high in tornado_dataset(rows, top=15, measure=measure):
        table.add_row(name, f"{low:+.3f}", f"{high:+.3f}")
    out.print(table)


@app.command(
    epilog="Example: negsim whatif scenarios/baseline.yaml --offer article5_no_membership --target 0.5\n\n" + PRECISION
)
def whatif(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    offer: Annotated[str, typer.Option(help="Id of a named offer in the scenario.")],
    target: Annotated[float, typer.Option(min=0.0, max=1.0, help="Zone probability to reach.")] = 0.5,
    samples: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_SAMPLES, help="Monte-Carlo samples (default: the scenario's run.samples)."),
    ] = None,
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
    out_file: Annotated[Path | None, typer.Option("--out", help="JSON file for the answer.")] = None,
    party_moves: Annotated[bool, typer.Option(help="Also search one-party moves (slower).")] = True,
    force: ForceOption = False,
) -> None:
    """Smallest change that brings an offer to a zone probability: issues moved, or one party's move."""
    from sim.outputs.owned import claim_file
    from sim.outputs.rundir import atomic_write_json
    from sim.studies.whatif import what_would_it_take

    scenario = load_or_exit(scenario_path, [*(unset or []), *(set_ or [])])
    if offer not in {o.id for o in scenario.offers}:
        fail(f"error: no offer '{offer}' in {scenario_path}; offers: {', '.join(o.id for o in scenario.offers)}")
    samples = samples or scenario.run.samples
    check_memory(scenario_path, scenario, samples)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_file or Path("runs") / f"{stamp}-{scenario.id}-whatif-{offer}-{scenario.content_hash()[:8]}.json"
    claim_file(path, force)  # before the search: a refusal costs nothing
    answer = what_would_it_take(
        scenario, offer, target, samples, scenario.run.seed if seed is None else seed, party_moves
    )
    atomic_write_json(
        path,
        {"scenario": scenario.id, "scenario_hash": scenario.content_hash(), "samples": samples, **answer.as_json()},
    )
    low, high = answer.interval(answer.baseline)
    out.print(
        f"{offer}: zone probability {answer.baseline:.3f} [{low:.3f}, {high:.3f}] "
        f"({samples} samples, 95 % interval), target {target:.3f}"
    )
    change = answer.issue_change
    if change is None:
        out.print("No change of the offer's fixed issues reaches the target.")
    else:
        table = Table(
            "issue",
            "from",
            "to",
            title=f"Move {len(change.changes)} issue(s): probability {change.probability:.3f} "
            "[{:.3f}, {:.3f}], sponsor's expected utility lost {:.3f}".format(
                *answer.interval(change.probability), change.sponsor_loss
            ),
        )
        for issue, (old, new) in change.changes.items():
            table.add_row(issue, old, new)
        out.print(table)
    if answer.party_moves:
        moves = Table(
            "party",
            "reservation cut needed",
            "or rescale one weight",
            "red lines in the way",
            title="Or one party moves alone",
        )
        for move in answer.party_moves:
            cut = "-" if move["reservation_cut"] is None else f"{move['reservation_cut']:.3f}"
            weight = "-" if move["weight_issue"] is None else f"{move['weight_issue']} x{move['weight_factor']:g}"
            moves.add_row(move["party"], cut, weight, ", ".join(move["red_lines_in_the_way"]) or "-")
        out.print(moves)
    out.print(f"saved {path}")
