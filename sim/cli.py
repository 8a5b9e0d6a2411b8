"""The ``negsim`` command line (typer). Commands are thin: they parse, call the library, and print.

User errors (a bad scenario, a bad ``--set``, an unusable run directory) print one line per problem and exit 2.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim import __version__
from sim.checks import source_warnings
from sim.errors import ScenarioError
from sim.executors import Executor
from sim.model import Protocol
from sim.pipeline import ZoneSettings, run_zone
from sim.runs import RunDirError, default_run_dir
from sim.scenario import Scenario, load_scenario, load_scenario_located
from sim.space import PackageSpace

T = TypeVar("T")

app = typer.Typer(
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="negsim: which settlement packages could every party accept, and how sure can we be?",
)
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True, highlight=False)

SetOption = Annotated[
    list[str],
    typer.Option(
        "--set",
        help="Override a value, e.g. russia.weights.alliance=0.6 or ukraine.reservation=[0.3,0.5]. Repeatable.",
    ),
]
SamplesOption = Annotated[
    int | None, typer.Option(min=1, help="Monte-Carlo samples (default: the scenario's run.samples).")
]
SeedOption = Annotated[int | None, typer.Option(min=0, help="Random seed (default: the scenario's run.seed).")]
WorkersOption = Annotated[int, typer.Option(min=1, help="Threads scoring blocks of the package space.")]
ExecutorOption = Annotated[
    Executor, typer.Option(help="local: this process; processes: a local process pool; dask: a Dask cluster.")
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="Address of a running Dask scheduler (implies --executor dask).")
]


def fail(message: str) -> None:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        out.print(f"negsim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """negsim: which settlement packages could every party accept, and how sure can we be?"""


def load_or_exit(path: Path, overrides: list[str]) -> Scenario:
    try:
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from exc


def scenario_files(paths: list[Path]) -> list[Path]:
    """Files as given; directories expand to their *.yaml files in name order."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return found


@app.command(epilog="Example: negsim validate scenarios/*.yaml")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")], set_: SetOption = None
) -> None:  # type: ignore[assignment]
    """Check scenarios: schema, references, ranges; warn about claims that cite no source."""
    failed = False
    for path in scenario_files(paths):
        try:
            scenario, located = load_scenario_located(path, set_ or [])
        except ScenarioError as exc:
            err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            failed = True
            continue
        for where, message in source_warnings(scenario):
            err.print(
                f"{located.mark_for(where)}: warning: {message}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        space = PackageSpace.from_scenario(scenario)
        out.print(
            f"ok {path}: {len(scenario.issues)} issues, {len(scenario.parties)} parties, "
            f"{space.size:,} packages, {len(scenario.offers)} offers",
            highlight=False,
        )
    if failed:
        raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def with_progress(description: str, work: Callable[[Callable[[int, int], None]], T]) -> T:
    """Run ``work(progress)`` under a progress bar; an unusable run directory is a one-line error, exit 2."""
    with _progress() as bar:
        task = bar.add_task(description, total=None)
        try:
            return work(lambda done, total: bar.update(task, completed=done, total=total))
        except RunDirError as exc:
            fail(f"error: {exc}")
            raise AssertionError("unreachable") from exc


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
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run directory (default: runs/<time>-<id>-<hash>).")
    ] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted run in this directory.")] = None,
    workers: WorkersOption = 2,
) -> None:
    """Map the acceptable zone of a scenario into a run directory (tables, plots, report)."""
    scenario = load_or_exit(scenario_path, set_ or [])
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
) -> None:
    """Issues, options, sources and each party's position, as a table (or a Markdown document)."""
    from sim.catalogue import catalogue_markdown, option_rows
    from sim.runs import atomic_write_text

    scenario = load_or_exit(scenario_path, set_ or [])
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


@app.command(epilog="Example: negsim sensitivity scenarios/baseline.yaml --samples 128 --out runs/s")
def sensitivity(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    samples: Annotated[int, typer.Option(min=1, help="Monte-Carlo samples per perturbation.")] = 128,
    seed: SeedOption = None,
    set_: SetOption = None,  # type: ignore[assignment]
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted study in this directory.")] = None,
    executor: ExecutorOption = Executor.local,
    workers: WorkersOption = 2,
    scheduler: SchedulerOption = None,
) -> None:
    """Tornado of what moves the zone: each weight and reservation at its range ends, each red line off."""
    from sim.sensitivity import tornado_dataset
    from sim.studies import run_sensitivity

    scenario = load_or_exit(scenario_path, set_ or [])
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
    out_file: Annotated[Path | None, typer.Option("--out", help="JSON file for the answer.")] = None,
    party_moves: Annotated[bool, typer.Option(help="Also search one-party moves (slower).")] = True,
) -> None:
    """Smallest change that brings an offer to a zone probability: issues moved, or one party's move."""
    from sim.runs import atomic_write_json
    from sim.whatif import what_would_it_take

    scenario = load_or_exit(scenario_path, set_ or [])
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


@app.command(
    "import-genius",
    epilog="Example: negsim import-genius ../shared/reference/genius/Laptop/laptop_domain.xml "
    "../shared/reference/genius/Laptop/laptop_buyer_utility.xml "
    "../shared/reference/genius/Laptop/laptop_seller_utility.xml -o scenarios/laptop.yaml",
)
def import_genius(
    domain: Annotated[Path, typer.Argument(help="GENIUS domain XML.")],
    profiles: Annotated[list[Path], typer.Argument(help="Two or more linear-additive GENIUS profiles.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario YAML to write.")],
) -> None:
    """Convert a GENIUS (ANAC) domain and its profiles into a negsim scenario that validates."""
    import yaml

    from sim.interop import GeniusError, genius_scenario
    from sim.runs import atomic_write_text
    from sim.scenario import Scenario

    try:
        document, warnings = genius_scenario(domain, profiles)
    except GeniusError as exc:
        fail(f"error: {exc}")
        return
    Scenario.model_validate(document)  # the importer must only ever write valid scenarios
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    atomic_write_text(output, yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110))
    out.print(f"wrote {output}: {len(document['issues'])} issues, {len(document['parties'])} parties")


@app.command(epilog="Example: negsim negotiate scenarios/baseline.yaml --runs 2000 --seed 1 --out runs/talks")
def negotiate(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    runs: Annotated[int, typer.Option(min=1, help="Independent negotiation runs.")] = 1000,
    seed: SeedOption = None,
    protocol: Annotated[Protocol, typer.Option(help="alternating offers, or a mediator's single text.")] = (
        Protocol.alternating
    ),
    trace: Annotated[int, typer.Option(min=0, help="Keep the round-by-round trace of the first N runs.")] = 1,
    set_: SetOption = None,  # type: ignore[assignment]
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted runs in this directory.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes for the runs.")] = 2,
    executor: ExecutorOption = Executor.processes,
    scheduler: SchedulerOption = None,
) -> None:
    """Play the negotiation many times on Mesa and report which deals are reached, how often and how fast."""
    from sim.negotiate import run_negotiations

    scenario = load_or_exit(scenario_path, set_ or [])
    run_dir = resume or out_dir or default_run_dir(Path("runs"), scenario, "negotiate")
    summary = with_progress(
        f"negotiating {scenario.id}",
        lambda progress: run_negotiations(
            scenario,
            run_dir,
            protocol,
            runs,
            scenario.run.seed if seed is None else seed,
            trace,
            workers=workers,
            executor=Executor.dask if scheduler else executor,
            address=scheduler,
            resume=resume is not None,
            scenario_file=str(scenario_path),
            progress=progress,
        ),
    )
    median = summary["median_rounds"]
    out.print(f"[bold]{scenario.title}[/bold] ({protocol.value}) -> {run_dir}")
    out.print(
        f"agreement rate {summary['agreement_rate']:.3f} over {summary['runs']} runs; median rounds to "
        f"agreement {'-' if median is None else f'{median:g}'}",
        highlight=False,
    )
    top = summary["top_agreements"][:5]
    table = Table("share", "P(zone)", "agreement", title="Most frequent agreements (#2-#5: what differs from #1)")
    for rank, item in enumerate(top):
        shown = (
            item["options"].items()
            if rank == 0
            else [(k, v) for k, v in item["options"].items() if v != top[0]["options"][k]]
        )
        table.add_row(f"{item['share']:.3f}", f"{item['p_zone']:.3f}", ", ".join(f"{k}={v}" for k, v in shown))
    out.print(table)
