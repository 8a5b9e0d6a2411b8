"""sweep through the real entry point: 1-D and 2-D grids, common random numbers, kill and resume, executors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.scenario.errors import ScenarioError
from sim.studies.sweep import Vary, grid
from tests.conftest import DATA, NEGSIM
from tests.test_cli import negsim

ONE_D = ["--vary", "alpha.reservation=0.2:0.5:4", "--samples", "200", "--seed", "4"]  # as loop_sweep


def test_vary_parses_ranges_and_lists_and_rejects_nonsense():
    assert Vary.parse("a.b=1:2:3").values == (1.0, 1.5, 2.0)
    assert Vary.parse("a.b = 0.1,0.2").path == "a.b"
    points = grid([Vary.parse("a=1,2"), Vary.parse("b=5:6:2")])
    assert [p.assignments for p in points] == [{"a": 1, "b": 5}, {"a": 1, "b": 6}, {"a": 2, "b": 5}, {"a": 2, "b": 6}]
    for bad in ("a.b", "a.b=1:2", "a.b=1:2:0", "a.b=x,1", "a.b=nan,1", "=1,2"):
        with pytest.raises(ScenarioError):
            Vary.parse(bad)


@pytest.fixture
def reference(loop_sweep) -> Path:
    """The shared 1-D sweep, made with ONE_D's settings on the local executor."""
    return loop_sweep


def test_one_parameter_sweep_is_ordinary_runs_with_one_seed(reference):
    table = pq.read_table(reference / "sweep.parquet").to_pylist()
    assert sorted({row["alpha.reservation"] for row in table}) == [0.2, 0.3, 0.4, 0.5]
    assert {row["quantity"] for row in table} == {"p_zone_nonempty", "split_deal"}
    for row in table:
        assert row["low"] <= row["p"] <= row["high"]
        manifest = json.loads((reference / row["run_dir"] / "manifest.json").read_text())
        assert manifest["status"] == "complete" and manifest["settings"]["seed"] == 4
        assert "--set alpha.reservation=" in row["command"] and row["command"].startswith("negsim run ")
    zone = {row["alpha.reservation"]: row["p"] for row in table if row["quantity"] == "p_zone_nonempty"}
    assert zone[0.2] == 1.0 and zone[0.5] == 0.0  # alpha's reservation above what any zone package gives it
    assert (reference / "plots" / "sweep_curves.png").is_file()
    assert json.loads((reference / "manifest.json").read_text())["status"] == "complete"
    point = reference / table[0]["run_dir"]  # a point draws no figure of its own (the sweep draws its curves)
    assert not (point / "plots").exists() and "Not drawn for this run" in (point / "report.html").read_text()


def test_killed_sweep_on_a_process_pool_resumes_to_the_same_result(reference, tmp_path):
    killed = tmp_path / "killed"
    args = [str(NEGSIM), "sweep", str(DATA / "golden.yaml"), *ONE_D, "--workers", "2", "--out", str(killed)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    first = killed / "points" / "point-000" / "manifest.json"
    while time.monotonic() < deadline and not (first.is_file() and '"complete"' in first.read_text()):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its pool workers
    process.wait()
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"
    assert not (killed / "sweep.parquet").exists()
    negsim("sweep", str(DATA / "golden.yaml"), "--resume", str(killed))
    assert (killed / "sweep.parquet").read_bytes() == (reference / "sweep.parquet").read_bytes()
    for point in sorted((reference / "points").iterdir()):  # byte for byte (Arrow's equals has NaN != NaN)
        for table in ("zone.parquet", "offers.parquet", "marginals.csv", "sample_hits.parquet"):
            assert (killed / "points" / point.name / table).read_bytes() == (point / table).read_bytes(), table
    again = negsim("sweep", str(DATA / "golden.yaml"), "--resume", str(killed))
    assert "already complete" in again.stdout


def test_two_parameter_sweep_draws_one_heatmap_per_quantity(tmp_path):
    out = tmp_path / "grid"
    negsim(
        "sweep",
        str(DATA / "golden.yaml"),
        "--vary",
        "alpha.reservation=0.2,0.35",
        "--vary",
        "beta.weights.land=0.3,0.7",
        "--samples",
        "100",
        "--out",
        str(out),
    )
    table = pq.read_table(out / "sweep.parquet").to_pylist()
    assert len(table) == 4 * 2 and len({row["run_dir"] for row in table}) == 4
    assert (out / "plots" / "sweep_p_zone_nonempty.png").is_file() and (
        out / "plots" / "sweep_split_deal.png"
    ).is_file()


def test_sweep_errors_are_one_line(tmp_path):
    bad = negsim("sweep", str(DATA / "golden.yaml"), "--vary", "alpha.reservation=0.2:0.5", check=False)
    assert bad.returncode == 2 and "LO:HI:N" in bad.stderr and "Traceback" not in bad.stderr
    unknown = negsim(
        "sweep", str(DATA / "golden.yaml"), "--vary", "alpha.nonsense=1,2", "--out", str(tmp_path / "u"), check=False
    )
    assert unknown.returncode == 2 and "nonsense" in unknown.stderr and "Traceback" not in unknown.stderr
    assert not (tmp_path / "u").exists()  # nothing half-made is left behind
