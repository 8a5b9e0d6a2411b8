"""Study commands: sensitivity (tornado) and whatif (smallest change to reach a target)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.common import (
    ExecutorOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    UnsetOption,
    WorkersOption,
    app,
    fail,
    load_or_exit,
    out,
    with_progress,
)
from sim.executors import Executor
from sim.outputs.rundir import default_run_dir


@app.command(epilog="Example: negsim sensitivity scenarios/baseline.yaml --samples 128 --out runs/s")
def sensitivity(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    samples: Annotated[int, typer.Option(min=1, help="Monte-Carlo samples per perturbation.")] = 128,
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted study in this directory.")] = None,
    executor: ExecutorOption = Executor.local,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
) -> None:
    """Tornado of what moves the zone: each weight and reservation at its range ends, each red line off."""
    from sim.studies.sensitivity import tornado_dataset
    from sim.studies.sensitivity_runs import run_sensitivity

    scenario = load_or_exit(scenario_path, [*(unset or []), *(set_ or [])])
    run_dir = resume or out_dir or default_run_dir(Path("runs"), scenario, "sensitivity")
    rows = with_progress(
        f"sensitivity {scenario.id}",
        lambda progress: run_sensitivity(
            scenario,
            run_dir,
            samples,
            scenario.run.seed if seed is None else seed,
            resume=resume is not None,
            executor=Executor.dask if scheduler else executor,
            workers=workers,
            address=scheduler,
            scenario_file=str(scenario_path),
            progress=progress,
        ),
    )
    table = Table(
        "parameter",
        "low end / off",
        "high end",
        title=f"Change in zone mass (baseline {rows[0]['zone_mass']:.2f}) -> {run_dir}",
    )
    for name, low, high in tornado_dataset(rows, top=15):
        table.add_row(name, f"{low:+.2f}", f"{high:+.2f}")
    out.print(table)


@app.command(epilog="Example: negsim whatif scenarios/baseline.yaml --offer article5_no_membership --target 0.5")
def whatif(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    offer: Annotated[str, typer.Option(help="Id of a named offer in the scenario.")],
    target: Annotated[float, typer.Option(min=0.0, max=1.0, help="Zone probability to reach.")] = 0.5,
    samples: Annotated[int, typer.Option(min=1, help="Monte-Carlo samples.")] = 256,
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
    out_file: Annotated[Path | None, typer.Option("--out", help="JSON file for the answer.")] = None,
    party_moves: Annotated[bool, typer.Option(help="Also search one-party moves (slower).")] = True,
) -> None:
    """Smallest change that brings an offer to a zone probability: issues moved, or one party's move."""
    from sim.outputs.rundir import atomic_write_json
    from sim.studies.whatif import what_would_it_take

    scenario = load_or_exit(scenario_path, [*(unset or []), *(set_ or [])])
    if offer not in {o.id for o in scenario.offers}:
        fail(f"error: no offer '{offer}' in {scenario_path}; offers: {', '.join(o.id for o in scenario.offers)}")
    answer = what_would_it_take(
        scenario, offer, target, samples, scenario.run.seed if seed is None else seed, party_moves
    )
    path = out_file or default_run_dir(Path("runs"), scenario, f"whatif-{offer}").with_suffix(".json")
    atomic_write_json(
        path,
        {"scenario": scenario.id, "scenario_hash": scenario.content_hash(), "samples": samples, **answer.as_json()},
    )
    out.print(f"[bold]{offer}[/bold]: zone probability {answer.baseline:.3f}, target {target:.3f}")
    change = answer.issue_change
    if change is None:
        out.print("No change of the offer's fixed issues reaches the target.")
    else:
        table = Table(
            "issue",
            "from",
            "to",
            title=f"Move {len(change.changes)} issue(s): probability "
            f"{change.probability:.3f}, sponsor's expected utility lost {change.sponsor_loss:.3f}",
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
