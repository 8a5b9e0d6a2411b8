"""A run directory's manifest as a value, for the packages that read runs: the studies, the negotiation layer, the CLI.

``manifest.json`` is written and updated by :mod:`sim.outputs.rundir` alone (start, resume, record the summary,
finish). What the other packages need from it (the kind of run, its status, the command that made it, the scenario
it ran, its settings and summary) they read as a :class:`RunManifest`, so the raw JSON stays in ``sim/outputs``
(issue 18: no ``dict[str, Any]`` crosses a package boundary). Settings and summary differ by kind of run; they
stay JSON objects here, and each kind reads its own (``RunSummary.read``, ``NegotiationResult.of``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.outputs.rundir import read_manifest


@dataclass(frozen=True)
class RunManifest:
    """What ``manifest.json`` says of a run: ``status`` is ``running`` until the run is ``complete``."""

    status: str
    kind: str | None = None
    command: str | None = None
    scenario_id: str | None = None
    scenario_file: str | None = None
    finished: str | None = None
    settings: Mapping[str, object] = field(default_factory=dict)
    """The command's settings as recorded (``samples`` and ``seed`` for zone runs, sweeps and studies)."""
    summary: Mapping[str, object] = field(default_factory=dict)
    """The run's summary, once recorded (empty before)."""

    @classmethod
    def read(cls, run_dir: Path) -> RunManifest:
        """The manifest of ``run_dir``; a directory that is not a run is a ``RunDirError``."""
        raw = read_manifest(run_dir)

        def text(key: str) -> str | None:
            value = raw.get(key)
            return None if value is None else str(value)

        settings, summary = raw.get("settings"), raw.get("summary")
        return cls(
            status=str(raw["status"]),
            kind=text("kind"),
            command=text("command"),
            scenario_id=text("scenario_id"),
            scenario_file=text("scenario_file"),
            finished=text("finished"),
            settings=settings if isinstance(settings, dict) else {},
            summary=summary if isinstance(summary, dict) else {},
        )

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def samples(self) -> int:
        return _integer(self.settings["samples"])

    @property
    def seed(self) -> int:
        return _integer(self.settings["seed"])


def _integer(value: object) -> int:
    if not isinstance(value, int | float | str):
        raise TypeError(f"a manifest setting holds a number, not {value!r}")
    return int(value)
