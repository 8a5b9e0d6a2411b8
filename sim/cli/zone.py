"""Zone commands: validate scenarios, run one, print the catalogue (``batch`` lives with the loop commands)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.common import (
    SamplesOption,
    SeedOption,
    SetOption,
    UnsetOption,
    WorkersOption,
    app,
    err,
    load_or_exit,
    out,
    scenario_files,
    with_progress,
)
from sim.outputs.pipeline import ZoneSettings, run_zone
from sim.outputs.rundir import default_run_dir
from sim.scenario.checks import validate_findings
from sim.scenario.errors import ScenarioError
from sim.scenario.model import Scenario, load_scenario_located
from sim.zone.space import PackageSpace


@app.command(epilog="Example: negsim validate scenarios/*.yaml")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")],
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
) -> None:
    """Check scenarios: schema, references, ranges, quotes in cited files; warn about uncited claims."""
    failed = False
    for path in scenario_files(paths):
        try:
            scenario, located = load_scenario_located(path, [*(unset or []), *(set_ or [])])
        except ScenarioError as exc:
            err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            failed = True
            continue
        errors, warnings = validate_findings(scenario, located)
        for problem in [*errors, *(replace(w, message=f"warning: {w.message}") for w in warnings)]:
            err.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        if errors:
            failed = True
            continue
        space = PackageSpace.from_scenario(scenario)
        out.print(
            f"ok {path}: {len(scenario.issues)} issues, {len(scenario.parties)} parties, "
            f"{space.size:,} packages, {len(scenario.offers)} offers",
            highlight=False,
        )
    if failed:
        raise typer.Exit(2)


def run_one(scenario: Scenario, path: Path, settings: ZoneSettings, run_dir: Path, resume: bool) -> dict:
    return with_progress(
        f"scoring {scenario.id}",
        lambda progress: run_zone(
            scenario, run_dir, settings, resume=resume, scenario_file=str(path), progress=progress
        ),
    )


@app.command(epilog="Example: negsim run scenarios/baseline.yaml --samples 2000 --seed 1 --out runs/demo")
def run(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    samples: SamplesOption = None,
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run directory (default: runs/<time>-<id>-<hash>).")
    ] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted run in this directory.")] = None,
    workers: WorkersOption = 2,
) -> None:
    """Map the acceptable zone of a scenario into a run directory (tables, plots, report)."""
    scenario = load_or_exit(scenario_path, [*(unset or []), *(set_ or [])])
    settings = ZoneSettings.for_scenario(scenario, samples, seed, workers)
    run_dir = resume or out_dir or default_run_dir(Path("runs"), scenario)
    summary = run_one(scenario, scenario_path, settings, run_dir, resume is not None)
    print_summary(scenario, summary, run_dir)


def print_summary(scenario: Scenario, summary: dict, run_dir: Path) -> None:
    out.print(f"[bold]{scenario.title}[/bold]  ->  {run_dir}")
    out.print(
        f"feasible packages {summary['feasible_packages']:,} of {summary['space_size']:,}; "
        f"zone mass {summary['zone_mass']:.2f}; P(zone not empty) {summary['p_zone_nonempty']:.3f}; "
        f"best package P(zone) {summary['best_p_zone']:.3f}",
        highlight=False,
    )
    if summary["offers"]:
        table = Table("offer", "P(completion in zone)", "best P(zone)", "blocker")
        for offer_id, score in summary["offers"].items():
            table.add_row(
                offer_id, f"{score['p_complete']:.3f}", f"{score['best_p_zone']:.3f}", score["blocker"] or "-"
            )
        out.print(table)


@app.command(epilog="Example: negsim catalogue scenarios/baseline.yaml --markdown docs/catalogue.md")
def catalogue(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    markdown: Annotated[Path | None, typer.Option(help="Write the full catalogue as Markdown to this file.")] = None,
    set_: SetOption = None,  # type: ignore[assignment]
    unset: UnsetOption = None,  # type: ignore[assignment]
) -> None:
    """Issues, options, sources and each party's position, as a table (or a Markdown document)."""
    from sim.outputs.rundir import atomic_write_text
    from sim.scenario.catalogue import catalogue_markdown, option_rows

    scenario = load_or_exit(scenario_path, [*(unset or []), *(set_ or [])])
    if markdown is not None:
        atomic_write_text(markdown, catalogue_markdown(scenario) + "\n")
        out.print(f"wrote {markdown}")
        return
    table = Table(
        "issue",
        "option",
        "label",
        "sources",
        *(p.id for p in scenario.parties),
        title=f"{scenario.title} (⛔ = red line)",
    )
    for row in option_rows(scenario):
        table.add_row(*row)
    out.print(table)
