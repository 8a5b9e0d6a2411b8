"""What every command shares: the typer app, consoles, option types, one-line errors, progress bars.

User errors (a bad scenario, a bad ``--set``, an unusable run directory) print one line per problem and exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim import __version__
from sim.executors import Executor
from sim.outputs.rundir import RunDirError
from sim.scenario.edits import Unset
from sim.scenario.errors import ScenarioError
from sim.scenario.model import Scenario, load_scenario

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
UnsetOption = Annotated[
    list[Unset],
    typer.Option(
        "--unset",
        parser=Unset,
        metavar="PATH",
        help="Remove an inherited value or list item, e.g. russia.red_lines.donbas.frozen_line, constraints.0, "
        'russia.reasons["red_lines.donbas.frozen_line"] (quote keys holding dots). Repeatable; applied before --set.',
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
