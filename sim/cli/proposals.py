"""The ``proposals`` command: every offer of a scenario as a brief (docs/proposals.md).

The poll calibration (docs/calibration.md) is ``negsim calibrate --markdown``: a fit with held-out polls, not the
one-respondent-per-sample comparison this command used to write."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    ForceOption,
    SamplesOption,
    ScenarioArgument,
    SeedOption,
    SetOption,
    UnsetOption,
    app,
    check_memory,
    load_or_exit,
    out,
    scenario_edits,
    with_progress,
)
from sim.outputs.owned import claim_file
from sim.scenario.limits import MAX_SAMPLES


@app.command(epilog="Example: negsim proposals scenarios/baseline.yaml --markdown docs/proposals.md")
def proposals(
    scenario_path: ScenarioArgument,
    samples: SamplesOption = None,
    whatif_samples: Annotated[
        int, typer.Option(min=1, max=MAX_SAMPLES, help="Samples for the smallest-change search.")
    ] = 200,
    target: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Zone probability the change set must reach (default: the best package's, reachable).",
        ),
    ] = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    unset: UnsetOption = None,
    markdown: Annotated[Path | None, typer.Option(help="Write the brief as Markdown here.")] = None,
    force: ForceOption = False,
) -> None:
    """Every offer: P(completion in zone) with its interval, P(agreed at the table but not ratified), its blocker,
    and the smallest change set (issues moved, parties conceding) that reaches --target."""
    from rich.table import Table

    from sim.outputs.rundir import atomic_write_text
    from sim.studies.proposals import Settings, brief, proposals_markdown

    scenario = load_or_exit(scenario_path, scenario_edits(set_, unset))
    check_memory(scenario_path, scenario, max(samples or scenario.run.samples, whatif_samples))
    if markdown is not None:
        claim_file(markdown, force)  # before the work: a refusal costs nothing
    settings = Settings(
        samples or scenario.run.samples, scenario.run.seed if seed is None else seed, target, whatif_samples
    )
    command = "negsim proposals " + shlex.join(
        [str(scenario_path)]
        + [f"--unset={u.path}" for u in unset or []]
        + [f"--set={s}" for s in set_ or []]
        + ([f"--samples={samples}"] if samples else [])
        + ([f"--whatif-samples={whatif_samples}"] if whatif_samples != 200 else [])
        + ([f"--target={target:g}"] if target is not None else [])
        + ([f"--seed={seed}"] if seed is not None else [])
    )
    result = with_progress(f"proposals {scenario.id}", lambda progress: brief(scenario, settings))
    table = Table(
        "offer",
        "sponsor",
        "P(zone)",
        "95 % interval",
        "P(table)",
        "not ratified",
        "blocker",
        title=f"{scenario.id}: some package in the zone in {result.space_p_zone:.1%} of samples",
    )
    for o in result.offers:
        table.add_row(
            o.offer,
            o.sponsor,
            f"{o.p_zone:.3f}",
            f"[{o.interval[0]:.3f}, {o.interval[1]:.3f}]",
            f"{o.p_table:.3f}",
            f"{o.p_not_ratified:.3f}",
            o.blocker,
        )
    out.print(table)
    if markdown:
        atomic_write_text(markdown, proposals_markdown(result, command))
        out.print(f"saved {markdown}")
