"""``import sim``: the documented examples run, ``sim.zone(...).save(d)`` writes what ``negsim run`` writes, a run
directory reads back equal, and the API touches no global state."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import matplotlib
import pyarrow.parquet as pq
import pytest

import sim
from sim.zone.estimate import Estimate
from tests.conftest import DATA, NEGSIM, ROOT


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_api_document_runs_as_written(tmp_path, monkeypatch):
    """Every ``python`` block of docs/api.md, in order, in one namespace, from a folder holding ``scenarios/``."""
    blocks = python_blocks((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)
    zone = namespace["z"]
    assert isinstance(zone, sim.ZoneAnalysis) and isinstance(zone.p_nonempty, Estimate)
    top = namespace["top"]
    assert list(top.columns[:1]) == ["package"] and {"p_zone", "p_zone_lo", "p_zone_hi"} <= set(top.columns)
    assert [c for c in top.columns[1:-3]] == [issue.id for issue in namespace["sc"].issues]


def test_zone_then_save_writes_what_negsim_run_writes(tmp_path):
    """Same scenario, samples and seed: the same zone.parquet, offers.parquet, marginals, frontier, solutions, hits
    and manifest summary, whether computed by ``negsim run`` or in memory and saved; each reads back equal."""
    path = DATA / "golden.yaml"
    cli = tmp_path / "cli"
    result = subprocess.run(
        [str(NEGSIM), "run", str(path), "--samples", "96", "--seed", "5", "--out", str(cli)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    zone = sim.zone(sim.load(path), samples=96, seed=5)
    saved = zone.save(tmp_path / "api", plots=False)
    for name in ("zone.parquet", "offers.parquet", "frontier.parquet", "sample_hits.parquet"):
        left, right = pq.read_table(cli / name), pq.read_table(saved / name)
        assert left.schema.equals(right.schema, check_metadata=True) and left.equals(right), name
    for name in ("marginals.csv", "solutions.json", "scenario.resolved.yaml"):
        assert (cli / name).read_bytes() == (saved / name).read_bytes(), name
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (cli, saved)]
    assert manifests[0]["summary"] == manifests[1]["summary"]
    assert manifests[0]["settings"] == manifests[1]["settings"]
    assert sim.open(cli) == zone == sim.open(saved)
    assert "best package" in result.stdout and zone.headline.best is not None
    assert zone.headline.best.text() in result.stdout  # the console names the package, not just its P(zone)


def test_a_changed_analysis_is_not_equal(tmp_path):
    """Equality is by value: the round trip above would catch a field lost or changed on the way."""
    from dataclasses import replace

    zone = sim.zone(sim.load(DATA / "golden.yaml"), samples=64, seed=2)
    moved = replace(zone, headline=replace(zone.headline, p_nonempty=Estimate(0.5, 0.4, 0.6)))
    assert moved != zone
    assert replace(zone, zone_mass=zone.zone_mass + 1e-12) != zone
    assert sim.zone(sim.load(DATA / "golden.yaml"), samples=64, seed=2) == zone


def test_importing_sim_is_cheap_and_sim_zone_stays_callable():
    """``import sim`` loads no numeric or plotting library (``negsim --help`` starts fast); importing the zone
    package's modules does not replace ``sim.zone`` the function."""
    code = (
        "import sys, sim\n"
        "heavy = [m for m in ('numpy', 'pandas', 'matplotlib', 'pyarrow', 'pydantic', 'sim.api') if m in sys.modules]\n"
        "import sim.zone.scoring\n"
        "print(heavy, callable(sim.zone), sim.zone.scoring.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True sim.zone.scoring"


def test_plots_draw_on_the_callers_axes_and_touch_no_global_state():
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    zone = sim.zone(sim.load(DATA / "golden.yaml"), samples=64, seed=2)
    backend, params, figures = matplotlib.get_backend(), dict(matplotlib.rcParams), pyplot.get_fignums()
    fig = Figure()
    ax = fig.subplots()
    assert zone.plot.zone_by_option(ax=ax) is fig
    for draw in ("offers", "blockers", "histogram", "convergence", "option_pairs", "utility_pairs"):
        assert isinstance(getattr(zone.plot, draw)(), Figure)
    assert matplotlib.get_backend() == backend and dict(matplotlib.rcParams) == params
    assert pyplot.get_fignums() == figures


def test_load_applies_set_and_unset_and_refuses_bad_values():
    from sim.scenario.errors import ScenarioError

    changed = sim.load(ROOT / "scenarios" / "baseline.yaml", set=["russia.reservation=[0.45,0.6]"])
    russia = next(party for party in changed.parties if party.id == "russia")
    assert tuple(russia.reservation) == (0.45, 0.6)
    with pytest.raises(ScenarioError):
        sim.load(ROOT / "scenarios" / "baseline.yaml", set=["russia.reservation=[0.7,0.2]"])


def test_the_zone_core_is_what_every_zone_package_shares_and_what_none_holds():
    zone = sim.zone(sim.load(DATA / "talks-heldout.yaml"), samples=200, seed=2)
    space, packages = zone.space, zone.zone.packages
    assert packages.size > 1  # 76 packages, two options none of them holds
    codes = space.codes(packages)
    present = [set(codes[:, i].tolist()) for i in range(len(space.issue_ids))]
    core = zone.core()
    assert core.packages == packages.size
    assert core.shared == {
        issue: space.option_ids[i][next(iter(held))]
        for i, (issue, held) in enumerate(zip(space.issue_ids, present, strict=True))
        if len(held) == 1
    }
    assert core.absent == tuple(
        f"{issue}.{option}"
        for i, issue in enumerate(space.issue_ids)
        for j, option in enumerate(space.option_ids[i])
        if j not in present[i]
    )
