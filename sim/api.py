"""The Python API behind ``import sim``: load a scenario, map its zone, look at the answer, save it, play the talks.

Every function here is a thin face on the library (the CLI calls the same code): ``zone`` scores and analyses in
memory exactly as ``negsim run`` does (same tables for the same seed and samples), ``open`` reads a run directory back
into the same value, ``save`` writes what ``negsim run`` writes. Nothing prints, no progress bar is shown unless asked,
no global state (matplotlib backend, rcParams, random state) is touched. Heavy modules are imported inside the
functions, so ``import sim`` stays cheap.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.zone.analysis import ZoneAnalysis

if TYPE_CHECKING:
    import pandas as pd

    from sim.outputs.zonefigures import ZoneFigures
    from sim.scenario.model import Scenario
    from sim.studies.whatif_answer import WhatIfResult


class Zone(ZoneAnalysis):
    """A :class:`~sim.zone.analysis.ZoneAnalysis` with the notebook's verbs: ``plot`` (every figure, ``ax=`` optional,
    each returns its Figure) and ``save`` (the run directory ``negsim run`` writes). Equal to the plain analysis it
    wraps: the verbs add no data."""

    @classmethod
    def of(cls, analysis: ZoneAnalysis) -> Zone:
        from dataclasses import fields

        return cls(**{f.name: getattr(analysis, f.name) for f in fields(analysis)})

    @property
    def plot(self) -> ZoneFigures:
        """The run's figures: ``z.plot.zone_by_option(ax=ax)``, ``offers``, ``blockers``, ``histogram``,
        ``convergence``, ``option_pairs``, ``utility_pairs``."""
        from sim.outputs.zonefigures import ZoneFigures

        return ZoneFigures(self)

    def save(self, path: str | Path, *, plots: bool = True, scenario_file: str | None = None) -> Path:
        """Write this analysis as a run directory (tables, manifest, what would it take for the cheap offers, and
        with ``plots`` the PNGs and report.html), the same files ``negsim run`` writes for the same scenario,
        samples and seed. The directory must be new or
        empty."""
        from sim.outputs.pipeline import save_run
        from sim.studies.whatif_page import RunWhatIf

        return save_run(self, Path(path), plots=plots, scenario_file=scenario_file, answers=(RunWhatIf(),))


def load(path: str | Path, set: Sequence[str] = (), unset: Sequence[str] = ()) -> Scenario:  # noqa: A002
    """Load and validate a scenario file, with ``--set``-style changes (``"russia.reservation=[0.45,0.6]"``) and
    ``--unset`` removals (applied first, as on the command line). A bad file raises
    :class:`~sim.scenario.errors.ScenarioError` listing every problem with its line."""
    from sim.scenario.edits import Unset
    from sim.scenario.loading import load_scenario

    return load_scenario(path, [*(Unset(u) for u in unset), *set])


def zone(
    scenario: Scenario,
    samples: int | None = None,
    seed: int | None = None,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Zone:
    """Map the zone of ``scenario`` in memory: ``samples`` and ``seed`` default to the scenario's ``run:`` settings.
    ``progress(done, total)`` is called as blocks of the space finish (off by default)."""
    from sim.zone.analyse import map_zone
    from sim.zone.settings import RunSettings

    return Zone.of(map_zone(scenario, RunSettings.for_scenario(scenario, samples, seed), workers, progress))


def open(path: str | Path) -> Zone:  # noqa: A001 - the API's name for reading a run back
    """Read a complete ``negsim run`` directory back into the analysis it holds."""
    from sim.outputs.zoneload import load_analysis

    return Zone.of(load_analysis(Path(path)))


def negotiate(
    scenario: Scenario,
    protocol: str = "mediated",
    runs: int = 500,
    seed: int | None = None,
    *,
    trace: int = 0,
    workers: int = 1,
    out: str | Path | None = None,
) -> Any:
    """Play the negotiation ``runs`` times on Mesa (``alternating`` offers or a ``mediated`` single text); returns a
    :class:`~sim.negotiation.result.NegotiationResult` (``.agreements``: a frame of the agreed packages). ``out``:
    also keep the run directory ``negsim negotiate`` writes there (else a temporary one is removed)."""
    from sim.negotiation.runs import negotiate as play

    return play(
        scenario, protocol, runs, scenario.run.seed if seed is None else seed, trace=trace, workers=workers, out=out
    )


def compare(*runs: str | Path) -> pd.DataFrame:
    """Run directories side by side: every probability with its interval and its difference from the first run,
    flagged when beyond Monte-Carlo noise (paired sample by sample when seeds and sample counts agree)."""
    import pandas as pd

    from sim.studies.compare import compare_runs
    from sim.studies.rundata import load_runs

    return pd.DataFrame(compare_runs(load_runs([Path(r) for r in runs])))  # a column per Cell field


def sweep(
    scenario_file: str | Path,
    vary: Sequence[str],
    samples: int | None = None,
    seed: int | None = None,
    *,
    set: Sequence[str] = (),  # noqa: A002
    out: str | Path | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """One or two values over a grid (``vary=["russia.reservation=0.4:0.7:4"]``), each point a zone run with the
    same samples and seed; one row per point (P(zone non-empty), each offer's completion probability, intervals)."""
    import pandas as pd

    from sim.executors import Executor
    from sim.studies.fanout import Fanout
    from sim.studies.sweep import Vary, run_sweep

    with _directory(out) as where:
        points = run_sweep(
            Path(scenario_file),
            list(set),
            [Vary.parse(v) for v in vary],
            where / "sweep",
            samples,
            seed,
            Fanout(Executor.local, workers),
        )
    return pd.DataFrame([point.row() for point in points])


def sensitivity(
    scenario: Scenario, samples: int | None = None, seed: int | None = None, *, out: str | Path | None = None
) -> pd.DataFrame:
    """What moves the zone: every weight, reservation and red line pushed to its range's ends, one row each with the
    zone mass, P(zone non-empty) and every offer's completion probability."""
    import pandas as pd

    from sim.studies.sensitivity_runs import run_sensitivity

    samples = samples or scenario.run.samples
    with _directory(out) as where:
        rows = run_sensitivity(scenario, where / "sensitivity", samples, scenario.run.seed if seed is None else seed)
    return pd.DataFrame([row.columns() for row in rows])


def whatif(
    scenario: Scenario, offer: str, target: float | None = None, samples: int | None = None, seed: int | None = None
) -> WhatIfResult:
    """The smallest change set (fewest changes, then least concession) that brings ``offer`` to a zone probability
    of ``target`` (default: a share of the best package's), or the proof that none of at most three does."""
    from sim.studies.whatif import what_would_it_take

    samples = samples or scenario.run.samples
    return what_would_it_take(scenario, offer, target, samples, scenario.run.seed if seed is None else seed)


class _directory:
    """``out`` as a directory, or a temporary one removed afterwards."""

    def __init__(self, out: str | Path | None) -> None:
        self.out = Path(out) if out is not None else None
        self.temporary: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.out is not None:
            return self.out
        self.temporary = tempfile.TemporaryDirectory(prefix="negsim-")
        return Path(self.temporary.name)

    def __exit__(self, *exc: object) -> None:
        if self.temporary is not None:
            self.temporary.cleanup()
