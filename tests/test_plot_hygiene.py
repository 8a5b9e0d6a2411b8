"""Drawing with negsim leaves a notebook's matplotlib as it was: no backend switch and no rcParams change on import
or while drawing, and every ``plot_*`` takes ``ax=`` and returns the Figure it drew on."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
from matplotlib.figure import Figure

from sim.outputs import plots, plots_review
from sim.studies import plots as study_plots
from tests.conftest import ROOT

CHECK = """
import importlib, pkgutil, matplotlib
def state():
    return {k: repr(dict.__getitem__(matplotlib.rcParams, k)) for k in matplotlib.rcParams}
before = state()
import sim
for info in pkgutil.walk_packages(sim.__path__, "sim."):
    importlib.import_module(info.name)
after = state()
changed = sorted(k for k in before if before[k] != after[k])
assert not changed, changed
print("unchanged", len(before))
"""


def test_importing_every_sim_module_leaves_backend_and_rcparams_unchanged():
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "module://matplotlib_inline_stand_in"}
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unchanged" in result.stdout


def test_every_plot_function_takes_ax_and_is_styled():
    functions = [
        f
        for module in (plots, plots_review, study_plots)
        for name, f in vars(module).items()
        if name.startswith("plot_") and inspect.isfunction(f)
    ]
    assert len(functions) >= 10
    for f in functions:
        assert "ax" in inspect.signature(f).parameters, f.__name__
        assert hasattr(f, "__wrapped__"), f"{f.__name__} is not drawn under negsim's style"


def test_drawing_on_a_callers_axes_returns_that_figure_and_keeps_rcparams():
    import matplotlib

    before = dict(matplotlib.rcParams)
    fig = Figure()
    ax = fig.subplots()
    dataset = {"edges": np.linspace(0, 1, 5), "counts": np.array([3, 1, 0, 2]), "zero": 10}
    drawn = plots.plot_zone_histogram(dataset, ax=ax, caption="a $x^$ label")
    assert drawn is fig
    assert dict(matplotlib.rcParams) == before
    assert all(not t.get_parse_math() for t in fig.findobj(matplotlib.text.Text))
