"""``negsim calibrate``: fit one party's free quantities to observed acceptance shares (issue 19 part 4)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import ForceOption, ScenarioArgument, app, fail, load_or_exit, out
from sim.outputs.owned import claim_file


@app.command(
    epilog="Example: negsim calibrate scenarios/baseline.yaml --data scenarios/data/kiis.yaml "
    "--out scenarios/baseline-kiis.yaml --points 1024\n\nWrites the variant, and next to it VARIANT.calibration.csv, "
    "VARIANT.calibration.png (observed vs fitted; held out: predicted vs observed) and VARIANT.quality.png; "
    "--markdown also writes the comparison as a document stamped with the scenario's hash (docs/calibration.md:\n\n"
    "negsim calibrate scenarios/baseline.yaml --data scenarios/data/kiis.yaml --out /tmp/baseline-kiis.yaml "
    "--points 8192 --markdown docs/calibration.md --force)."
)
def calibrate(
    scenario_path: ScenarioArgument,
    data: Annotated[Path, typer.Option(help="Observed shares (negsim_data: 1): party, free, observations, holdout.")],
    out_path: Annotated[Path, typer.Option("--out", help="The variant to write (extends: the scenario).")],
    points: Annotated[int, typer.Option(min=64, help="Sobol points per importance-sampling pass.")] = 4096,
    seed: Annotated[int, typer.Option(min=0, help="Scramble seed of the Sobol points.")] = 0,
    markdown: Annotated[
        Path | None, typer.Option(help="Also write fitted values, fit set and held-out predictions as Markdown here.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Fit a party's free quantities (binomial likelihood, posterior 95 % intervals), predict the held-out polls."""
    from rich.table import Table

    from sim.outputs.plots import save_figure
    from sim.outputs.rundir import atomic_write_text
    from sim.scenario.errors import ScenarioError
    from sim.scenario.observations import load_data
    from sim.studies.fit import ShareModel, fit_posterior
    from sim.studies.fit_outputs import (
        HEADER,
        calibration_markdown,
        comparison,
        plot_comparison,
        plot_quality,
        variant_document,
        write_rows,
    )

    scenario = load_or_exit(scenario_path, [])
    try:
        observed = load_data(data, scenario)
    except ScenarioError as exc:
        fail(str(exc))
    if out_path.exists() and not out_path.read_text(errors="replace").startswith(HEADER):
        fail(f"{out_path}: exists and was not written by negsim calibrate; choose another --out")
    if markdown is not None:
        claim_file(markdown, force)  # before the work: a refusal costs nothing
    model = ShareModel(scenario, observed)
    posterior = fit_posterior(model, points=points, seed=seed)
    rows = comparison(model, posterior)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(variant_document(model, posterior, scenario_path, out_path, data.name))
    stem = out_path.with_suffix("")
    write_rows(stem.with_name(stem.name + ".calibration.csv"), rows)
    save_figure(plot_comparison(rows), stem.with_name(stem.name + ".calibration.png"))
    save_figure(plot_quality(rows), stem.with_name(stem.name + ".quality.png"))
    table = Table(
        title=f"{observed.party}: fitted (posterior 95 % interval) — {posterior.evaluated} points, "
        f"effective sample {posterior.effective_points:.0f}"
    )
    for column in ("quantity", "mean", "95 % interval"):
        table.add_column(column)
    for k, quantity in enumerate(posterior.quantities):
        mean, low, high = posterior.interval(posterior.theta[:, k])
        table.add_row(quantity.name, f"{mean:.3f}", f"[{low:.3f}, {high:.3f}]")
    out.print(table)
    shares = Table(title="Observed vs model (fit: posterior of the share; held out: predictive, with binomial noise)")
    for column in ("observation", "set", "observed", "model", "95 % interval", "inside"):
        shares.add_column(column)
    for row in rows:
        shares.add_row(
            row.id,
            "held out" if row.held_out else "fit",
            f"{row.observed:.3f}",
            f"{row.modelled:.3f}",
            f"[{row.low:.3f}, {row.high:.3f}]",
            "yes" if row.covered else "NO",
        )
    out.print(shares)
    out.print(f"wrote {out_path} and {stem.name}.calibration.csv/.png, {stem.name}.quality.png")
    if markdown is not None:
        stamp = (
            f"<!-- negsim calibrate: scenario={scenario.id} hash={scenario.content_hash()} data={data.as_posix()} "
            f"points={points} seed={seed} -->"
        )
        command = "negsim calibrate " + shlex.join(
            [str(scenario_path), f"--data={data}", "--out=VARIANT.yaml", f"--points={points}", f"--seed={seed}"]
        )
        atomic_write_text(markdown, calibration_markdown(model, posterior, rows, stamp, command))
        out.print(f"saved {markdown}")
