"""Interop commands: import a GENIUS (ANAC) domain as a scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import app, err, fail, out


@app.command(
    "import-genius",
    epilog="Example: negsim import-genius tests/data/genius/Laptop/laptop_domain.xml "
    "tests/data/genius/Laptop/laptop_buyer_utility.xml tests/data/genius/Laptop/laptop_seller_utility.xml "
    "-o laptop.yaml",
)
def import_genius(
    domain: Annotated[Path, typer.Argument(help="GENIUS domain XML.")],
    profiles: Annotated[
        list[Path], typer.Argument(metavar="PROFILE...", help="Two or more linear-additive GENIUS profiles.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario YAML to write.")],
) -> None:
    """Convert a GENIUS (ANAC) domain and its profiles into a negsim scenario that validates."""
    import yaml
    from pydantic import ValidationError

    from sim.outputs.rundir import atomic_write_text
    from sim.scenario.genius import GeniusError, genius_scenario
    from sim.scenario.model import Scenario

    try:
        document, warnings = genius_scenario(domain, profiles)
    except GeniusError as exc:
        fail(f"error: {exc}")
    try:
        Scenario.model_validate(document)  # the importer must only ever write valid scenarios
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"]))
        fail(f"error: {domain}: the imported scenario would be invalid: {problem['msg']} ({where})")
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    atomic_write_text(output, yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110))
    out.print(f"wrote {output}: {len(document['issues'])} issues, {len(document['parties'])} parties")
