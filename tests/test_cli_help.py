"""``--help`` names many-valued arguments the way a reader writes them (``SCENARIO...``), not typer's
``{paths}... <list[Path]>`` (issue 24 leftover; issue 21 fixed the same for options)."""

from __future__ import annotations

import re

import click
import typer

from sim.cli.app import app


def _helps() -> dict[str, str]:
    """Every command's help and usage text, built in process exactly as ``negsim COMMAND --help`` builds it."""
    group = typer.main.get_command(app)
    parent = click.Context(group, info_name="negsim")
    helps = {}
    for name in group.list_commands(parent):  # type: ignore[attr-defined]
        command = group.get_command(parent, name)  # type: ignore[attr-defined]
        helps[name] = command.get_help(click.Context(command, info_name=name, parent=parent))
    return helps


def test_no_command_shows_a_python_type_or_a_braced_name_for_a_list_argument():
    helps = _helps()
    assert {"validate", "batch", "compare", "report", "import-genius"} <= set(helps)
    for name, text in helps.items():
        assert not re.search(r"<list\[", text), (name, text)
        assert not re.search(r"\{\w+\}\.\.\.", text), (name, text)


def test_list_arguments_read_as_their_metavar():
    helps = _helps()
    assert "Usage: negsim validate [OPTIONS] SCENARIO..." in helps["validate"]
    assert re.search(r"^  SCENARIO\.\.\.\s+Scenario files or folders", helps["validate"], re.M)
    assert "Usage: negsim batch [OPTIONS] [SCENARIO...]" in helps["batch"]
    assert "Usage: negsim compare [OPTIONS] RUN_A RUN_B [RUN_C ...]" in helps["compare"]
    assert re.search(r"^  RUN_OR_SWEEP_OR_BATCH_DIR\.\.\.\s+Run, sweep or batch", helps["report"], re.M)
    assert re.search(r"^  PROFILE\.\.\.\s+Two or more", helps["import-genius"], re.M)
