"""negsim: which settlement packages could every party accept, and how sure can we be.

The flow, one package per step, each importing only those before it: ``scenario`` (the format: load and
validate) -> ``zone`` (package grid, sampled preferences, Monte-Carlo zone, bargaining) -> ``outputs`` (run
directories, tables, plots, report) -> ``studies`` (many runs) / ``negotiation`` (the Mesa layer) -> ``cli``.

The Python API (``docs/api.md``; implemented in ``sim.api``, imported on first use so ``import sim`` stays cheap)::

    import sim
    sc = sim.load("scenarios/baseline.yaml", set=["russia.reservation=[0.45,0.6]"])
    z = sim.zone(sc, samples=2000, seed=7)      # a ZoneAnalysis
    z.p_nonempty, z.top_packages(10), z.offers, z.plot.zone_by_option(), z.save("runs/demo"), sim.open("runs/demo")
    sim.negotiate(sc, protocol="mediated", runs=500, seed=1).agreements

``sim.zone`` is both the numeric-core package (``sim.zone.scoring``, ...) and the function that maps a scenario's
zone: the package module is made callable below, since importing any ``sim.zone.*`` module rebinds the name
``sim.zone`` to the package, which would otherwise replace a plain function of that name.
"""

from __future__ import annotations

import types
from importlib import import_module
from typing import Any

from sim import zone as _zone_package  # the package's __init__ is a docstring: cheap

API = ("load", "open", "negotiate", "compare", "sweep", "sensitivity", "whatif", "Zone", "ZoneAnalysis", "Estimate")


class _ZonePackage(types.ModuleType):
    """``sim.zone``: the package, and ``sim.zone(scenario, samples=, seed=)`` -> :class:`sim.api.Zone`."""

    def __call__(self, scenario: Any, samples: int | None = None, seed: int | None = None, **options: Any) -> Any:
        return import_module("sim.api").zone(scenario, samples, seed, **options)


_zone_package.__class__ = _ZonePackage


def _version() -> str:
    """The installed distribution's version; looked up on first use (``importlib.metadata`` costs ~70 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("negsim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = found = _version()
        return found
    if name in ("ZoneAnalysis",):
        return import_module("sim.zone.analysis").ZoneAnalysis
    if name == "Estimate":
        return import_module("sim.zone.estimate").Estimate
    if name in API:
        return getattr(import_module("sim.api"), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API, "zone", "__version__"])
