"""Scenario authoring commands: ``negsim new`` writes a commented starting scenario that validates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import allowed_roots, app, fail, load_or_exit, out
from sim.outputs.owned import claim_file
from sim.scenario.errors import ScenarioError


@app.command(
    "new",
    epilog="Example: negsim new donbas-freeze --from scenarios/baseline.yaml   (writes donbas-freeze.yaml)",
)
def new(
    name: Annotated[str, typer.Argument(help="Id of the new scenario; also its file name (NAME.yaml).")],
    from_: Annotated[
        Path | None,
        typer.Option("--from", help="Write a variant that extends this scenario, instead of a standalone example."),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: NAME.yaml).")] = None,
    force: Annotated[
        bool, typer.Option(help="Replace the file if negsim wrote it (a file you wrote or edited is never replaced).")
    ] = False,
) -> None:
    """Write a commented starting scenario that validates: a small example, or a variant of an existing scenario."""
    from sim.outputs.rundir import atomic_write_text
    from sim.scenario.loading import load_scenario
    from sim.scenario.starter import starter_scenario, variant_scenario
    from sim.scenario.untrusted import outside_roots
    from sim.scenario.values import ID_RULE, _check_id

    try:
        _check_id(name)
    except ValueError:
        fail(f"error: scenario name '{name}' {ID_RULE}")
    path = output or Path(f"{name}.yaml")
    claim_file(path, force)
    if from_ is None:
        text = starter_scenario(name, path.as_posix())
    else:
        parent = load_or_exit(from_, [])
        text = variant_scenario(name, parent, from_, path)
    atomic_write_text(path, text)
    roots = [*allowed_roots(), *([from_.parent] if from_ is not None else [])]
    try:
        load_scenario(path, roots=roots)
    except ScenarioError as exc:  # a template that does not validate is negsim's bug, not the user's
        path.unlink()
        raise AssertionError(f"negsim new wrote an invalid scenario:\n{exc}") from exc
    command = f"negsim validate {path}"
    if from_ is not None and outside_roots(from_, [path.parent]):  # a scenario reads only inside its own folder
        command = f"negsim --allow-root {from_.parent} validate {path}"
        out.print(f"note: {path} extends {from_}, outside its own folder: give --allow-root {from_.parent}")
    out.print(f"wrote {path}: edit it, then `{command}`", highlight=False)
