"""One writer per run directory, and nothing left that neither a new run nor ``--resume`` will take.

Real processes throughout: a holder of the lock, two ``negsim run`` racing for one ``--out``, kills (SIGKILL, so
no cleanup code runs) and resumes. Runs are small (the golden scenario, a few hundred samples).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.outputs.rundir import LOCK, RunDirError, default_run_dir, read_manifest
from sim.scenario.loading import load_scenario
from tests.conftest import DATA, NEGSIM, ROOT

HOLD = (
    "import sys; from pathlib import Path; from sim.outputs.rundir import lock_run_dir; "
    "lock_run_dir(Path(sys.argv[1])); print('locked', flush=True); sys.stdin.read()"
)


def negsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEGSIM), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def hold_lock(run_dir: Path) -> subprocess.Popen[str]:
    run_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(run_dir)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_writer_exits_2_naming_the_holder_and_a_killed_holder_blocks_nothing(tmp_path):
    run_dir = tmp_path / "run"
    holder = hold_lock(run_dir)
    try:
        blocked = negsim("run", str(DATA / "golden.yaml"), "--samples", "100", "--out", str(run_dir))
        assert blocked.returncode == 2 and "Traceback" not in blocked.stderr
        assert f"in use by another negsim run (pid {holder.pid})" in blocked.stderr
        assert sorted(p.name for p in run_dir.iterdir()) == [LOCK]  # the refused run wrote nothing
    finally:
        holder.kill()
        holder.communicate()
    done = negsim("run", str(DATA / "golden.yaml"), "--samples", "100", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    assert read_manifest(run_dir)["status"] == "complete"


def test_two_runs_racing_for_one_directory_one_wins_and_its_tables_are_its_own(tmp_path):
    run_dir = tmp_path / "race"
    command = [str(NEGSIM), "run", str(DATA / "golden.yaml"), "--samples", "300", "--out", str(run_dir)]
    racers = [
        subprocess.Popen([*command, "--seed", str(seed)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for seed in (1, 2)
    ]
    results = [(racer.wait(timeout=300), racer.stderr.read().decode()) for racer in racers]  # type: ignore[union-attr]
    for racer in racers:
        racer.stdout.close()  # type: ignore[union-attr]
        racer.stderr.close()  # type: ignore[union-attr]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(text for code, text in results if code == 2)
    assert "in use by another negsim run" in loser or "already holds files" in loser
    manifest = read_manifest(run_dir)
    winner_seed = manifest["settings"]["seed"]
    alone = tmp_path / "alone"
    assert (
        negsim(
            "run", str(DATA / "golden.yaml"), "--samples", "300", "--seed", str(winner_seed), "--out", str(alone)
        ).returncode
        == 0
    )
    assert pq.read_table(run_dir / "zone.parquet").equals(pq.read_table(alone / "zone.parquet"))


def test_default_run_dirs_started_at_once_are_distinct(tmp_path):
    scenario = load_scenario(DATA / "golden.yaml")
    made = [default_run_dir(tmp_path, scenario) for _ in range(5)]
    assert len(set(made)) == 5 and all(path.is_dir() for path in made)


def test_unusable_out_and_corrupt_manifest_are_one_line_errors(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    golden = str(DATA / "golden.yaml")
    for out in (a_file, a_file / "below", Path("/proc/negsim-run")):
        result = negsim("run", golden, "--samples", "50", "--out", str(out))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    run_dir = tmp_path / "run"
    assert negsim("run", golden, "--samples", "50", "--out", str(run_dir)).returncode == 0
    assert not (run_dir / "parts").exists()  # parts/ lives only while the run is resumable (issue 11, part 6)
    for corrupt in ("{not json", '{"status": 3}'):
        (run_dir / "manifest.json").write_text(corrupt, encoding="latin-1")
        result = negsim("run", golden, "--resume", str(run_dir))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "cannot be resumed" in result.stderr and f"rm -r {run_dir}" in result.stderr


def _kill_at_random(command: list[str], run_dir: Path, rng: random.Random) -> None:
    """Start ``command``, wait until ``run_dir`` has a manifest, then SIGKILL its process group at a random moment."""
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not (run_dir / "manifest.json").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 1.0))
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("kind", ["run", "negotiate", "sensitivity"])
def test_killed_at_a_random_moment_and_during_resume_then_resumed_equals_uninterrupted(tmp_path, kind):
    rng = random.Random(kind)
    golden = str(DATA / "golden.yaml")
    extra = {"run": ["--samples", "2000"], "negotiate": ["--runs", "40"], "sensitivity": ["--samples", "300"]}[kind]
    table = {"run": "zone.parquet", "negotiate": "negotiations.parquet", "sensitivity": "sensitivity.csv"}[kind]
    whole = tmp_path / "whole"
    assert negsim(kind, golden, *extra, "--seed", "4", "--out", str(whole)).returncode == 0
    killed = tmp_path / "killed"
    _kill_at_random([str(NEGSIM), kind, golden, *extra, "--seed", "4", "--out", str(killed)], killed, rng)
    if not (killed / "manifest.json").exists():
        pytest.skip("killed before the manifest was written: nothing to resume")
    _kill_at_random([str(NEGSIM), kind, golden, "--resume", str(killed)], killed, rng)  # the resume is killed too
    resumed = negsim(kind, golden, "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((killed / "manifest.json").read_text())["status"] == "complete"
    assert not list(killed.rglob(".*.tmp")) and not (killed / "parts").exists()
    if table.endswith(".parquet"):
        assert pq.read_table(killed / table).equals(pq.read_table(whole / table))
    else:
        assert (killed / table).read_text() == (whole / table).read_text()


def test_a_directory_that_is_not_a_run_is_refused_by_resume_without_being_touched(tmp_path):
    result = negsim("run", str(DATA / "golden.yaml"), "--resume", str(tmp_path))
    assert result.returncode == 2 and "not a negsim run directory" in result.stderr
    assert not (tmp_path / LOCK).exists()
    with pytest.raises(RunDirError):
        read_manifest(tmp_path)


def _group_members(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to list a process group")
def test_killing_negotiate_leaves_no_worker_or_resource_tracker(tmp_path):
    command = [str(NEGSIM), "negotiate", str(DATA / "golden.yaml"), "--runs", "400", "--workers", "2"]
    process = subprocess.Popen(
        [*command, "--out", str(tmp_path / "talks")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_group_members(process.pid)) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)  # the parent, its pool workers and the resource tracker
    if process.poll() is not None:
        pytest.skip("negotiate finished before its workers could be observed")
    os.kill(process.pid, signal.SIGKILL)  # the parent only: its workers must notice by themselves
    process.wait()
    deadline = time.monotonic() + 10
    while _group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _group_members(process.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"


@pytest.fixture
def small_tmpfs(tmp_path):
    """A tmpfs of a chosen size; skipped where mounting needs privileges this test does not have (not root, or no
    CAP_SYS_ADMIN in the container)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)]
        if mounted:
            command = ["mount", "-o", f"remount,size={size}", str(mount_point)]
        if os.geteuid() != 0 or subprocess.run(command, capture_output=True).returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
        mounted.append(mount_point)
        return mount_point

    yield mount
    if mounted:
        subprocess.run(["umount", str(mount_point)], capture_output=True)


@pytest.mark.parametrize("size", ["8k", "40k"])
def test_a_full_disk_is_one_line_and_leaves_a_resumable_or_reusable_directory(small_tmpfs, size):
    disk = small_tmpfs(size)
    run_dir = disk / "run"
    golden = str(DATA / "golden.yaml")
    full = negsim("run", golden, "--samples", "400", "--out", str(run_dir))
    assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr
    assert full.stderr.strip().count("\n") == 0 and "No space left on device" in full.stderr
    small_tmpfs("4m")  # space freed
    resumed = negsim("run", golden, "--resume", str(run_dir))
    if resumed.returncode != 0:  # nothing resumable was left: a new run must then take the directory
        assert "not a negsim run directory" in resumed.stderr
        fresh = negsim("run", golden, "--samples", "400", "--out", str(run_dir))
        assert fresh.returncode == 0, fresh.stderr
    assert read_manifest(run_dir)["status"] == "complete"


def test_a_space_too_large_to_score_is_sized_by_validate_and_refused_by_run(tmp_path):
    import yaml

    document = yaml.safe_load((DATA / "golden.yaml").read_text())
    for k in range(100):
        document["issues"].append(
            {"id": f"extra{k}", "title": "x", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}
        )
        for party in document["parties"]:
            party["weights"][f"extra{k}"] = 0.01
            party["values"][f"extra{k}"] = {"a": 1, "b": 0}
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(document))
    validated = negsim("validate", str(path))
    assert validated.returncode == 0 and "7.61e+30 packages" in validated.stderr
    started = time.monotonic()
    refused = negsim("run", str(path), "--out", str(tmp_path / "run"))
    assert refused.returncode == 2 and "7.61e+30 packages" in refused.stderr and "Traceback" not in refused.stderr
    assert time.monotonic() - started < 60 and not (tmp_path / "run").exists()
