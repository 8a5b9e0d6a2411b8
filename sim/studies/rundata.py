"""A finished zone run read back from its directory, for studies over many runs (compare, sweep, report).

Everything comes from the run's own files (manifest, ``scenario.resolved.yaml``, tables, ``sample_hits.parquet``), so
a study never recomputes what the run already decided; only per-party acceptance bits are recomputed from the
recorded scenario and seed, which is cheap (one package per offer) and exact (sampling is seeded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from sim.outputs.owned import refuse_links
from sim.outputs.rundir import RunDirError
from sim.outputs.runmanifest import RunManifest
from sim.outputs.runsummary import RunSummary
from sim.outputs.tables import read_csv
from sim.outputs.zoneload import read_scenario
from sim.scenario.model import Scenario
from sim.zone.preferences import Preferences
from sim.zone.settings import run_preferences
from sim.zone.space import PackageSpace


@dataclass(eq=False)
class RunData:
    """One complete zone run; ``name`` is how tables and legends call it (unique within a study)."""

    path: Path
    name: str = ""
    manifest: RunManifest = field(init=False)

    def __post_init__(self) -> None:
        self.manifest = RunManifest.read(self.path)
        if self.manifest.kind != "zone":
            raise RunDirError(f"{self.path} is a '{self.manifest.kind}' run, not a zone run")
        if not self.manifest.complete:
            raise RunDirError(f"{self.path} is not complete; finish it with: negsim run ... --resume {self.path}")
        self.name = self.name or self.scenario.id

    @cached_property
    def scenario(self) -> Scenario:
        """The scenario exactly as run (already validated when the run started, so no file checks again)."""
        return read_scenario(self.path)

    @cached_property
    def summary(self) -> RunSummary:
        return RunSummary.read(dict(self.manifest.summary))

    @property
    def samples(self) -> int:
        return self.manifest.samples

    @property
    def seed(self) -> int:
        return self.manifest.seed

    @property
    def command(self) -> str:
        return self.manifest.command or ""

    @cached_property
    def offers(self) -> list[dict[str, Any]]:
        return pq.read_table(self.path / "offers.parquet").to_pylist() if self.scenario.offers else []

    @cached_property
    def marginals(self) -> list[dict[str, str]]:
        return read_csv(self.path / "marginals.csv")

    @cached_property
    def hits(self) -> dict[str, np.ndarray]:
        """Per target name (offer id, ``issue.option``, ``*`` for the whole space): per-sample zone bits."""
        path = self.path / "sample_hits.parquet"  # zone_nonempty, offer_<id>, option_<issue>.<option>
        if not path.is_file():
            return {}
        table = pq.read_table(path)
        return {_target_name(c): np.asarray(table.column(c).to_numpy(), dtype=bool) for c in table.column_names[1:]}

    def target_bits(self, name: str) -> np.ndarray | None:
        return self.hits.get(name)

    def option_labels(self) -> dict[str, str]:
        """``issue.option`` -> "Issue title: option label"."""
        return {
            f"{issue.id}.{option.id}": f"{issue.title}: {option.label}"
            for issue in self.scenario.issues
            for option in issue.options
        }

    def party_names(self) -> dict[str, str]:
        return {party.id: party.name for party in self.scenario.parties}

    def acceptance_bits(self, package: int) -> np.ndarray:
        """``[party, sample]``: whether each party accepts ``package`` in each sample of this run."""
        preferences = self.preferences
        space = PackageSpace.from_scenario(self.scenario)
        return preferences.acceptable(space, space.codes(np.array([package])))[:, 0, :]

    @cached_property
    def preferences(self) -> Preferences:
        return run_preferences(self.scenario, self)


def _target_name(column: str) -> str:
    """``sample_hits.parquet`` column -> target name: ``*``, an offer id or ``issue.option``."""
    if column == "zone_nonempty":
        return "*"
    kind, _, name = column.partition("_")
    return name if kind in ("offer", "option") else column


def load_runs(paths: list[Path]) -> list[RunData]:
    """Read runs and give each a unique name: the scenario id, then ``id (dir name)`` where ids repeat. A run
    directory holding a link is refused before anything in it is read."""
    for path in paths:
        refuse_links(path)
    runs = [RunData(path) for path in paths]
    ids = [run.scenario.id for run in runs]
    for run in runs:
        if ids.count(run.scenario.id) > 1:
            run.name = f"{run.scenario.id} ({run.path.name})"
    names = [run.name for run in runs]
    for i, run in enumerate(runs):
        if names.count(run.name) > 1:
            run.name = f"{run.name} #{i + 1}"
    return runs
