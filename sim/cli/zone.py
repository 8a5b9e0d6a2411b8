"""Zone commands: validate scenarios, run one, run a batch, print the catalogue."""

from __future__ import annotations

import shutil
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


@app.command(epilog="Example: negsim batch scenarios/ --samples 500 --plots-dir plots")
def batch(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders of *.yaml.")],
    samples: SamplesOption = None,
    seed: SeedOption = None,
    out_root: Annotated[Path, typer.Option("--out-root", help="Parent of the run directories.")] = Path("runs"),
    plots_dir: Annotated[Path | None, typer.Option(help="Also copy each run's plots to <dir>/<scenario id>/.")] = None,
    workers: WorkersOption = 2,
) -> None:
    """Run every scenario into its own run directory and print one summary table."""
    files = scenario_files(paths)
    scenarios = [(path, load_or_exit(path, [])) for path in files]
    results = []
    for path, scenario in scenarios:
        settings = ZoneSettings.for_scenario(scenario, samples, seed, workers)
        run_dir = default_run_dir(out_root, scenario)
        summary = run_one(scenario, path, settings, run_dir, resume=False)
        results.append((scenario, summary, run_dir))
        if plots_dir is not None:
            target = plots_dir / scenario.id
            target.mkdir(parents=True, exist_ok=True)
            for png in (run_dir / "plots").glob("*.png"):
                shutil.copy2(png, target / png.name)
    print_batch_summary(results)


def print_batch_summary(results: list[tuple[Scenario, dict, Path]]) -> None:
    """Two tables: one row per scenario, then offers x scenarios (probability of a completion in the zone)."""
    table = Table("scenario", "zone mass", "P(zone not empty)", "best P(zone)", "run directory")
    for scenario, summary, run_dir in results:
        table.add_row(
            scenario.id,
            f"{summary['zone_mass']:.2f}",
            f"{summary['p_zone_nonempty']:.3f}",
            f"{summary['best_p_zone']:.3f}",
            str(run_dir),
        )
    out.print(table)
    offer_ids = list(dict.fromkeys(o for _, summary, _ in results for o in summary["offers"]))
    if offer_ids:
        offers = Table("offer: P(completion in zone)", *(scenario.id for scenario, _, _ in results))
        for offer_id in offer_ids:
            offers.add_row(
                offer_id,
                *(
                    f"{summary['offers'][offer_id]['p_complete']:.3f}" if offer_id in summary["offers"] else "-"
                    for _, summary, _ in results
                ),
            )
        out.print(offers)


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
