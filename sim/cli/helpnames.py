"""Readable names for many-valued arguments in ``--help``.

typer 0.29 shows a list argument as ``{paths}...`` in the usage line and ``paths... <list[Path]>`` in the argument
table, even when it has a metavar (``RUN_A RUN_B [RUN_C ...] <list[Path]>``), and offers no switch: its
``TyperArgument`` always appends the Python type. A reader wants ``SCENARIO...``: the metavar, alone. typer builds
the argument objects itself (no ``cls=`` for arguments), so the group re-classes each many-valued argument of the
command it resolves to this subclass, which only changes how the argument is named in help and usage.
"""

from __future__ import annotations

import click
from typer.core import TyperArgument


class ReadableArgument(TyperArgument):
    """A many-valued argument named by its metavar alone (``SCENARIO...``), with no ``<list[Path]>`` type."""

    def _readable(self) -> str:
        return self.metavar or f"{(self.name or 'value').upper()}..."

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None

    def _rich_display_name(self) -> str:
        return self._readable()

    def _usage_display_name(self) -> str:
        return self._readable() if self.required else f"[{self._readable()}]"


def readable_arguments(command: click.Command | None) -> click.Command | None:
    """Re-class the command's many-valued typer arguments (same fields, help naming only) and return the command."""
    for param in command.params if command is not None else ():
        if type(param) is TyperArgument and param.nargs != 1:
            param.__class__ = ReadableArgument
    return command
