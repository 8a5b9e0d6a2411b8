"""Zone commands: validate scenarios, run one, print the catalogue (``batch`` lives with the loop commands)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.common import (
    ExecutorOption,
    FiguresOption,
    ForceOption,
    SamplesOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    SetOption,
    TalksOption,
    UnsetOption,
    WhatIfOffersOption,
    WhatIfOption,
    WorkersOption,
    allowed_roots,
    app,
    check_memory,
    err,
    fail,
    load_or_exit,
    offer_ids,
    out,
    scenario_edits,
    scenario_files,
    space_too_large,
    with_progress,
)
from sim.executors import Executor
from sim.outputs.figure_choice import Figures
from sim.outputs.whatif_choice import WhatIfScope
from sim.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from sim.outputs.pipeline import ZoneSettings
    from sim.scenario.model import Scenario
    from sim.studies.score import PackageScores
    from sim.zone.analysis import ZoneAnalysis


# The 95 % half-widths at p = 0.5 (``sim.zone.intervals.half_width``), written out so that `--help` does not import
# numpy; tests/test_cli.py checks them against half_width.
PRECISION_WIDTHS = {128: 0.085, 500: 0.044, 2000: 0.022, 10000: 0.010}
PRECISION = (
    "Precision of a probability from N samples (95 % interval half-width, worst case p = 0.5): "
    + ", ".join(f"{n:,}: ±{width:.3f}" for n, width in PRECISION_WIDTHS.items())
    + ". Same samples as `run` by default (the scenario's run.samples and seed: common random numbers)."
)


@app.command(epilog="Example: negsim validate scenarios/*.yaml")
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="SCENARIO...", help="Scenario files or folders.")],
    set_: SetOption = None,
    unset: UnsetOption = None,
) -> None:
    """Check scenarios: schema, references, ranges, quotes in cited files; warn about uncited claims."""
    from sim.scenario.advice import validate_findings
    from sim.scenario.loading import load_scenario_located
    from sim.zone.space import PackageSpace

    failed = False
    for path in scenario_files(paths):
        try:
            scenario, located = load_scenario_located(path, scenario_edits(set_, unset), allowed_roots())
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
        if space_too_large(scenario):
            err.print(f"{path}: warning: {space_too_large(scenario)}")
        out.print(
            f"ok {path}: {len(scenario.issues)} issues, {len(scenario.parties)} parties, "
            f"{space.size:,} packages, {len(scenario.offers)} offers",
            highlight=False,
        )
    if failed:
        raise typer.Exit(2)


def run_one(
    scenario: Scenario,
    path: Path,
    settings: ZoneSettings,
    run_dir: Path,
    resume: bool,
    pair: tuple[str, str] | None = None,
    force: bool = False,
    figures: Figures = Figures.all,
    whatif: WhatIfScope = WhatIfScope.cheap,
    talks: int = 0,
    also: tuple[str, ...] = (),
) -> ZoneAnalysis:
    from sim.negotiation.page_talks import RunTalks
    from sim.outputs.pipeline import run_zone
    from sim.studies.whatif_page import RunWhatIf

    return with_progress(
        f"scoring {scenario.id}",
        lambda progress: run_zone(
            scenario,
            run_dir,
            settings,
            resume=resume,
            scenario_file=str(path),
            progress=progress,
            pair=pair,
            force=force,
            figures=figures,
            answers=(RunWhatIf(whatif, also=also), RunTalks(talks)),
        ),
    )


def parse_pair(scenario: Scenario, text: str | None) -> tuple[str, str] | None:
    """``alliance,guarantees`` -> two distinct issue ids of the scenario (a one-line error otherwise)."""
    if text is None:
        return None
    issues = [part.strip() for part in text.split(",")]
    known = [issue.id for issue in scenario.issues]
    if len(issues) != 2 or issues[0] == issues[1] or any(i not in known for i in issues):
        fail(
            f"error: --pair {text}: give two different issue ids, e.g. {known[0]},{known[-1]} "
            f"(issues: {', '.join(known)})"
        )
    return issues[0], issues[1]


@app.command(
    epilog="Example: negsim run scenarios/baseline.yaml --samples 2000 --seed 1 --out runs/demo\n\n" + PRECISION
)
def run(
    scenario_path: ScenarioArgument,
    samples: SamplesOption = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run directory (default: runs/<time>-<id>-<hash>).")
    ] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish the interrupted run in this directory.")] = None,
    workers: WorkersOption = 2,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
    pair: Annotated[
        str | None,
        typer.Option(
            help="Two issues for the option-pair heatmap, e.g. alliance,guarantees (default: the two "
            "whose options' zone probabilities spread most)."
        ),
    ] = None,
    force: ForceOption = False,
    figures: FiguresOption = Figures.light,
    whatif: WhatIfOption = WhatIfScope.cheap,
    whatif_offers: WhatIfOffersOption = None,
    talks: TalksOption = 0,
) -> None:
    """Map the acceptable zone of a scenario into a run directory (tables, plots, report)."""
    from sim.outputs.pipeline import ZoneSettings
    from sim.outputs.rundir import default_run_dir

    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    chosen_pair = parse_pair(scenario, pair)
    settings = ZoneSettings.for_scenario(scenario, samples, seed, workers, executor, scheduler)
    check_memory(scenario_path, scenario, settings.samples)
    run_dir = resume or out_dir or default_run_dir(Path("runs"), scenario)
    finished = already_complete(run_dir) if resume is not None else None
    analysis = run_one(
        scenario,
        scenario_path,
        settings,
        run_dir,
        resume is not None,
        chosen_pair,
        force,
        figures,
        whatif,
        talks,
        offer_ids(whatif_offers, [scenario]),
    )
    if finished:
        err.print(f"{run_dir} was already complete (finished {finished}): nothing to resume; its summary:")
    print_summary(analysis, run_dir)


def already_complete(run_dir: Path) -> str | None:
    """When a run directory holds a complete run, when it finished (so --resume can say there is nothing to do)."""
    from sim.outputs.rundir import RunDirError
    from sim.outputs.runmanifest import RunManifest

    try:
        manifest = RunManifest.read(run_dir)
    except RunDirError:
        return None
    return (manifest.finished or "earlier") if manifest.complete else None


RANKED = 10


def print_ranked(analysis: ZoneAnalysis) -> None:
    """The packages most often in the zone (#2 onwards as what differs from #1), the options every zone package
    shares and those none holds."""
    from rich.table import Table

    table = Table(
        "#", "P(zone) [95 %]", "package (#2 on: what differs from #1)", title="Packages most often in the zone"
    )
    for ranked in analysis.ranked(RANKED):
        table.add_row(str(ranked.rank), str(ranked.p_zone), ranked.text())
    out.print(table)
    core = analysis.core()
    shared = "; ".join(f"{issue}={option}" for issue, option in core.shared.items()) or "none"
    out.print(f"every one of the {core.packages:,} packages ever in the zone holds: {shared}", highlight=False)
    if core.absent:
        out.print(f"no package ever in the zone holds: {', '.join(core.absent)}", highlight=False)


def print_solutions(analysis: ZoneAnalysis) -> None:
    """Veto parties that constrain nothing, and each bargaining solution's P(zone) with what keeps it out."""
    from sim.zone.blocker import constrains_nothing

    nothing = constrains_nothing(analysis.accepts_everything())
    if nothing:
        out.print(nothing, highlight=False)
    solutions = analysis.negotiation_set.solutions
    for name, solution in solutions.items():
        if solution is None:
            continue
        kept = analysis.rejections(solution.package.number)
        never = "never in the zone; " if solution.p_zone.p == 0 else ""
        others = len(kept) - 1
        more = f"; {others} other veto part{'y' if others == 1 else 'ies'} reject it in some samples" if others else ""
        why = f": {never}{kept[0].text()}{more}" if kept else ": in the zone in every sample"
        out.print(f"{name} solution P(zone) {solution.p_zone}{why}", highlight=False)
    if any(solutions.values()):
        out.print("(report.html: each solution's package and every veto party that rejects it)", highlight=False)


def print_summary(analysis: ZoneAnalysis, run_dir: Path) -> None:
    """Headline numbers with their 95 % intervals; no "best package" when nothing is ever in the zone."""
    from rich.table import Table

    from sim.outputs.zonerun import INTERVAL
    from sim.zone.blocker import DEFINITION as BLOCKER_DEFINITION
    from sim.zone.estimate import share_text
    from sim.zone.results import Headline

    head = analysis.headline
    out.print(f"{analysis.scenario.title}  ->  {run_dir}")
    out.print(
        f"feasible packages {analysis.feasible:,} of {analysis.space_size:,}; "
        f"zone mass {analysis.zone_mass_text()}; P(zone not empty) {head.p_nonempty}",
        highlight=False,
    )
    if head.best is not None:
        out.print(f"best package P(zone) {head.best_p_zone}: {head.best.text()}", highlight=False)
        print_ranked(analysis)
    else:
        out.print(f"{Headline.NO_ZONE}: there is no best package.")
        closest = head.closest
        if closest is not None:
            shortfalls = ", ".join(f"{party} {value:.3f}" for party, value in closest.shortfall.items() if value)
            out.print(
                f"closest package (not acceptable; total shortfall {closest.total_shortfall:.3f}: {shortfalls}): "
                + closest.package.text(),
                highlight=False,
            )
    print_solutions(analysis)
    if analysis.offer_results:
        table = Table(
            "offer",
            "P(completion in zone) [95 %]",
            "completion shown: P(zone)",
            "blocker: rejects every completion in",
            "why never in the zone",
        )
        for offer in analysis.offer_results:
            shown = f"{offer.completion.kind}: {offer.completion.p_zone.p:.3f}"
            blocker = offer.blocker
            named = f"{blocker.name}: {share_text(blocker.share)}" if blocker.party else "none alone"
            table.add_row(offer.id, str(offer.p_complete), shown, named, offer.reason.text or "-")
        out.print(table)
        out.print(BLOCKER_DEFINITION, highlight=False)
    out.print(f"intervals: {INTERVAL}", highlight=False)


@app.command(
    epilog="Example: negsim score scenarios/baseline.yaml --fix alliance=neutral,guarantees=article5_bilateral\n\n"
    "Scores use the same samples as `run` (the scenario's run.samples and seed). A partial package (--fix) is "
    "scored over all its completions, so it takes longer the fewer issues it fixes."
)
def score(
    scenario_path: ScenarioArgument,
    package: Annotated[
        str | None, typer.Option(help="A whole package: issue=option for every issue, comma-separated.")
    ] = None,
    fix: Annotated[str | None, typer.Option(help="A partial package: issue=option for some issues.")] = None,
    samples: SamplesOption = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
) -> None:
    """Full scores of any package or partial package: acceptance, expected utility, zone probability, blockers."""
    import numpy as np

    from sim.outputs.pipeline import ZoneSettings
    from sim.studies.score import (
        ScoreRequestError,
        package_scores,
        parse_assignment,
        partial_scores,
        why_no_completion,
    )
    from sim.zone.offers import TargetContext
    from sim.zone.settings import run_preferences
    from sim.zone.space import PackageSpace

    if (package is None) == (fix is None):
        fail("error: give exactly one of --package (every issue) or --fix (some issues)")
    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    space = PackageSpace.from_scenario(scenario)
    try:
        assignment = parse_assignment(space, package or fix or "", complete=package is not None)
    except ScoreRequestError as exc:
        fail(f"error: {exc}")
    settings = ZoneSettings.for_scenario(scenario, samples, seed)
    check_memory(scenario_path, scenario, settings.samples)
    preferences = run_preferences(scenario, settings)
    out.print(f"{scenario.title}: {settings.samples} samples, seed {settings.seed}; intervals: 95 %")
    if fix is not None:
        avoid = TargetContext(scenario, space, preferences).veto_avoid()
        partial = partial_scores(space, preferences, assignment, avoid)
        out.print(
            f"{partial.completions:,} completions; P(some completion in zone) {partial.p_complete.text(3)}",
            highlight=False,
        )
        if partial.package < 0:
            out.print(why_no_completion(scenario, space, assignment, avoid), highlight=False)
            return
        from sim.zone.blocker import offer_blocker

        blocker = offer_blocker(scenario, space, preferences, assignment)
        out.print(f"blocker of the partial package: {blocker.text()}", highlight=False)
        if partial.completion == "closest":
            out.print("no completion is in the zone in any sample; the closest completion (smallest total shortfall):")
        chosen = partial.package
    else:
        chosen = int(space.package(np.array([[assignment[i] for i in range(len(space.radices))]]))[0])
    _print_package(package_scores(scenario, space, preferences, chosen))


def _print_package(scores: PackageScores) -> None:
    from rich.table import Table

    options = "; ".join(f"{issue}={option}" for issue, option in scores.options.items())
    out.print(f"package {scores.package}: {options}", highlight=False)
    if not scores.feasible:
        out.print("infeasible: it breaks one of the scenario's constraints")
    out.print(f"zone probability {scores.p_zone.text(3)}", highlight=False)
    table = Table("party", "P(accept) [95 %]", "expected utility", "mean reservation", "red lines held")
    for row in scores.parties:
        name = row.name if row.veto else f"{row.name} (no veto)"
        table.add_row(
            name,
            row.accept.text(3),
            f"{row.expected_utility:.3f}",
            f"{row.mean_reservation:.3f}",
            ", ".join(row.red_lines_held) or "-",
        )
    out.print(table)
    names = {row.party: row.name for row in scores.parties}
    for rejecter in scores.blockers:  # who rejects this package (the blocker of an offer is another question)
        name = names.get(rejecter.party, rejecter.party)
        out.print(f"rejected by {name} in {rejecter.reject:.1%} of samples ({rejecter.why})", highlight=False)


@app.command(epilog="Example: negsim catalogue scenarios/baseline.yaml --markdown docs/catalogue.md")
def catalogue(
    scenario_path: ScenarioArgument,
    markdown: Annotated[Path | None, typer.Option(help="Write the full catalogue as Markdown to this file.")] = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    force: ForceOption = False,
) -> None:
    """Issues, options, sources and each party's position, as a table (or a Markdown document)."""
    from rich.table import Table

    from sim.outputs.owned import claim_file
    from sim.outputs.rundir import atomic_write_text
    from sim.scenario.catalogue import catalogue_markdown, option_rows

    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    if markdown is not None:
        claim_file(markdown, force)
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
