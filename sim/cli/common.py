"""What every command shares: the typer app, consoles, option types, one-line errors, progress bars.

User errors (a bad scenario, a bad ``--set``, an unusable run directory) print one line per problem and exit 2.
"""

from __future__ import annotations

import errno
import shlex
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from sim.cli.helpnames import readable_arguments
from sim.executors import Executor
from sim.outputs.figure_choice import Figures
from sim.outputs.owned import OutputError
from sim.outputs.whatif_choice import WhatIfScope
from sim.scenario.edit_values import Edit, Unset
from sim.scenario.errors import ScenarioError
from sim.scenario.limits import MAX_SAMPLES

if TYPE_CHECKING:
    from rich.progress import Progress

    from sim.scenario.model import Scenario

# Start-up is part of every command (issue 23: `negsim --help` <= 0.3 s, `validate` <= 1 s): the command modules
# import at load time only typer, rich's console and the light modules above; numpy, pydantic models, pyarrow,
# matplotlib, scipy, dask and mesa are imported inside the commands that use them (tests/test_cli.py checks).

T = TypeVar("T")


class OneLineErrors(TyperGroup):
    """Every command's last line of defence: a file-system problem (read-only folder, a file where a folder is
    needed, a full disk) or an output negsim may not write is one line and exit 2, never a traceback."""

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except OutputError as exc:
            problem = f"error: {exc}"
        except OSError as exc:
            problem = f"error: {os_error_line(exc)}"
        except MemoryError:
            problem = "error: out of memory; ask for fewer --samples (or runs), or free memory, and run again"
        fail(problem)
        return None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return readable_arguments(super().get_command(ctx, cmd_name))


app = typer.Typer(
    cls=OneLineErrors,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="negsim: which settlement packages could every party accept, and how sure can we be?",
)
# Every message is printed literally: no rich markup, no emoji codes (``file:100:1`` once printed as ``file💯1``),
# no highlighting. Scenario text (titles, labels) reaches these consoles and may hold ``[...]`` or ``:name:``.
out = Console(width=None if sys.stdout.isatty() else 160, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a value, e.g. russia.weights.alliance=0.6 or ukraine.reservation=[0.3,0.5]. Repeatable.",
    ),
]
UnsetOption = Annotated[
    list[Unset] | None,
    typer.Option(
        "--unset",
        parser=Unset,
        metavar="PATH",
        help="Remove an inherited value or list item, e.g. russia.red_lines.donbas.frozen_line, constraints.0, "
        'russia.reasons["red_lines.donbas.frozen_line"] (quote keys holding dots). Repeatable; applied before --set.',
    ),
]
SamplesOption = Annotated[
    int | None,
    typer.Option(min=1, max=MAX_SAMPLES, help="Monte-Carlo samples (default: the scenario's run.samples)."),
]
ScenarioArgument = Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")]
SeedOption = Annotated[int | None, typer.Option(min=0, help="Random seed (default: the scenario's run.seed).")]
WorkersOption = Annotated[int, typer.Option(min=1, help="Threads scoring blocks of the package space.")]
ExecutorOption = Annotated[
    Executor, typer.Option(help="local: this process; processes: a local process pool; dask: a Dask cluster.")
]
FiguresOption = Annotated[
    Figures,
    typer.Option(
        help="Figures each run draws: all; light (the four no table of the page restates: utility pairs, option "
        "pairs, convergence, histogram; negsim run's default); key (the zone by option and the offers, which a batch "
        "page shows); none (tables and report only). Drawing costs more than scoring a small run."
    ),
]
WhatIfOption = Annotated[
    WhatIfScope,
    typer.Option(
        "--whatif",
        help="Which named offers the report's 'what would it take' searches (negsim whatif, at most 2 changes): "
        "cheap (those reaching the target as they stand and those whose search is small, about 0.1-0.2 s each); "
        "all (every offer: minutes on a large scenario); none (the page gives the command).",
    ),
]
WhatIfOffersOption = Annotated[
    str | None,
    typer.Option(
        "--whatif-offers",
        help="Offer ids (comma-separated) the report's 'what would it take' also searches, whatever their cost "
        "(an offer leaving much open takes seconds to a minute at 2,000 samples).",
    ),
]


def offer_ids(text: str | None, scenarios: Sequence[Scenario]) -> tuple[str, ...]:
    """``--whatif-offers a,b`` -> offer ids, each named by one of ``scenarios`` (a one-line error otherwise)."""
    if not text:
        return ()
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    known = {offer.id for scenario in scenarios for offer in scenario.offers}
    unknown = [i for i in ids if i not in known]
    if unknown:
        fail(f"error: --whatif-offers {text}: no offer {', '.join(unknown)} (offers: {', '.join(sorted(known))})")
    return ids


TalksOption = Annotated[
    int,
    typer.Option(
        "--talks",
        min=0,
        max=10_000,
        help="Also simulate N talks per protocol (mediated, alternating) on each run's scenario, so its report "
        "answers 'do talks get there?' (agreement rate against a zone existing); 0: the report gives the command.",
    ),
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="Address of a running Dask scheduler (implies --executor dask).")
]
RunsSideBySideOption = Annotated[int, typer.Option(min=1, help="Runs side by side (processes or Dask workers).")]
RunDirOption = Annotated[Path | None, typer.Option("--out", help="Run directory.")]


def scenario_edits(set_: list[str] | None, unset: list[Unset] | None) -> list[Edit]:
    """The command line's edits of a scenario in the order they apply: every ``--unset``, then every ``--set``."""
    return [*(unset or []), *(set_ or [])]


def chosen_executor(executor: Executor, scheduler: str | None) -> Executor:
    """``--scheduler`` implies ``--executor dask``."""
    return Executor.dask if scheduler else executor


def fail(message: str) -> NoReturn:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from sim import __version__

        out.print(f"negsim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    allow_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-root",
            metavar="DIR",
            help="Also let scenarios read files (extends:, sources' file:) under DIR; by default a scenario reads "
            "only inside its own folder. Repeatable; give it before the command.",
        ),
    ] = None,
) -> None:
    """negsim: which settlement packages could every party accept, and how sure can we be?"""
    _INVOCATION["roots"] = tuple(allow_root or ())


_INVOCATION: dict[str, tuple[Path, ...]] = {"roots": ()}  # set anew by every invocation's callback


def allowed_roots() -> tuple[Path, ...]:
    """The folders named with ``negsim --allow-root DIR`` in this invocation."""
    return _INVOCATION["roots"]


# The largest package space a command will score. bench_zone measures about 1.5e9 package x sample x party
# evaluations per second on 2 cores; 10^10 packages x 100 samples x 4 parties is then about 45 minutes, and every
# further factor of 10 a working day more. A space of 10^30 once "ran" for ever building its block list.
MAX_PACKAGES = 10**10


def space_too_large(scenario: Scenario) -> str | None:
    """Why a scenario's package space cannot be scored in reasonable time, or ``None`` when it can."""
    from sim.zone.space import PackageSpace

    size = PackageSpace.from_scenario(scenario).size
    if size <= MAX_PACKAGES:
        return None
    return (
        f"the package space has {size:.3g} packages, more than negsim scores ({MAX_PACKAGES:.0e}, about 45 minutes "
        "at the measured speed): merge or drop options, or split the scenario"
    )


def load_or_exit(path: Path, overrides: Sequence[Edit]) -> Scenario:
    """The scenario, or one line per problem and exit 2; a space too large to score is refused up front."""
    from sim.scenario.advice import command_warnings
    from sim.scenario.loading import load_scenario_located

    try:
        scenario, located = load_scenario_located(path, overrides, allowed_roots())
    except ScenarioError as exc:
        fail(str(exc))
    for warning in command_warnings(scenario, located):  # weights that will be normalised: said on every command
        err.print(f"{warning.mark}: warning: {warning.message} ({warning.field})", markup=False, highlight=False)
    too_large = space_too_large(scenario)
    if too_large:
        fail(f"{path}: {too_large}")
    return scenario


def check_memory(path: Path, scenario: Scenario, samples: int, concurrent: int = 1) -> None:
    """Exit 2 with one line, before any work, when the runs asked for cannot fit in memory (``budget``)."""
    from sim.outputs.budget import too_large

    problem = too_large(scenario, samples, concurrent)
    if problem:
        fail(f"error: {path}: {problem}")


def scenario_files(paths: list[Path]) -> list[Path]:
    """Files as given; directories expand to their *.yaml files in name order."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return found


def _progress() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def with_progress(description: str, work: Callable[[Callable[[int, int], None]], T]) -> T:
    """Run ``work(progress)`` under a progress bar; an unusable run directory is a one-line error, exit 2."""
    problem = ""
    with _progress() as bar, warnings.catch_warnings():
        # Scenario text may hold any script: a glyph the plot font lacks is drawn as a box, not announced.
        warnings.filterwarnings("ignore", message=r"(Glyph \d+ .*missing from|Tight layout not applied)")
        task = bar.add_task(description, total=None)
        try:
            return work(lambda done, total: bar.update(task, completed=done, total=total))
        except OutputError as exc:
            problem = f"error: {exc}"
        except OSError as exc:  # a full disk, a read-only or vanished directory: one line, exit 2
            problem = f"error: {os_error_line(exc)}"
    fail(problem)  # after the progress bar is gone, so the line stands alone


ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace negsim's own earlier outputs there (files negsim did not write are never touched)."
    ),
]


def os_error_line(exc: OSError) -> str:
    """One line for a failed write or read: what failed, where, and the command that finishes or cleans up."""
    where = f" ({exc.filename})" if exc.filename else ""
    line = f"{exc.strerror or ' '.join(str(exc).split())}{where}"
    path = Path(exc.filename) if isinstance(exc.filename, str) else None
    run_dir = _outermost_run_dir(path) if path is not None else None
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(exc)
    if full and run_dir is not None:
        quoted = shlex.quote(str(run_dir))
        return f"{line}; free some space, then finish with: {resume_command(run_dir)} (or remove it: rm -r {quoted})"
    if full:
        return f"{line}; free some space and run the command again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        folder = _existing_parent(path) if path is not None else Path.cwd()
        return f"{line}: {folder} cannot be written here; pass --out (or -o) in a writable folder, or cd to one"
    if exc.errno == errno.ENOTDIR:
        return f"{line}: a file stands where a folder is needed; choose another --out (or -o)"
    if exc.errno == errno.EISDIR:
        return f"{line}: a folder stands where a file is needed; choose another --out (or -o)"
    return line


def usable_folder(folder: Path, option: str) -> None:
    """Exit 2 with one line when ``folder`` can never take outputs (a file stands there or on the way)."""
    blocking = next((p for p in (folder, *folder.absolute().parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        fail(f"error: {option} {folder}: {blocking} is a file, not a folder; choose another {option}")


def resume_command(run_dir: Path) -> str:
    """The command that finishes the interrupted study in ``run_dir`` (read from its manifest)."""
    from sim.outputs.rundir import RunDirError
    from sim.outputs.runmanifest import RunManifest

    quoted = shlex.quote(str(run_dir))
    try:
        manifest = RunManifest.read(run_dir)
    except (RunDirError, OSError):
        return f"negsim run SCENARIO --resume {quoted}"
    kind = str(manifest.kind)
    if kind == "batch":
        return f"negsim batch --resume {quoted}"
    if kind == "compare":
        return f"{manifest.command or 'negsim compare ...'} --force"
    scenario = shlex.quote(manifest.scenario_file or "SCENARIO")
    command = {"zone": "run"}.get(kind, kind)
    return f"negsim {command} {scenario} --resume {quoted}"


def _outermost_run_dir(path: Path) -> Path | None:
    """The outermost negsim directory holding ``path`` (a sweep, not its ``points/point-000``; a batch, not a run)."""
    from sim.outputs.rundir import MANIFEST

    found = [p for p in (path, *path.parents) if (p / MANIFEST).is_file() and _is_run(p)]
    return found[-1] if found else None


def _is_run(directory: Path) -> bool:
    from sim.outputs.rundir import RunDirError
    from sim.outputs.runmanifest import RunManifest

    try:
        return RunManifest.read(directory).kind is not None
    except (RunDirError, OSError):
        return False


def _existing_parent(path: Path) -> Path:
    return next((p for p in (path, *path.absolute().parents) if p.exists()), Path("/"))
