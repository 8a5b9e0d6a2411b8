"""Issue 24, through the real CLI: negsim never touches a file it did not write, "complete" is the last thing
written and every command resumes, every location problem is one line and exit 2, and work is bounded up front.

The golden scenario with few samples. Refusals (which stop before any work) run the real app in this process
(``invoke``, typer's runner: no interpreter start per case); whatever writes, kills or resumes runs as a real
process. Kills use the fault hook NEGSIM_TEST_KILL_AFTER_WRITE (``sim.outputs.rundir``): the command SIGKILLs
itself right after a chosen file is in place, so the window between the last table and the marker is hit every
time, not by luck.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.outputs.rundir import LOCK, read_manifest
from tests.conftest import DATA, NEGSIM, ROOT
from tests.test_reliability_rundirs import hold_lock, small_tmpfs  # noqa: F401 - a fixture

GOLDEN = str(DATA / "golden.yaml")


def negsim(*args: str, cwd: Path = ROOT, kill_after: str = "", timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEGSIM_TEST_KILL_AFTER_WRITE": kill_after}
    return subprocess.run([str(NEGSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def invoke(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real app in this process, as a finished process would look (an escaped exception reads as a
    traceback, exit 1)."""
    from typer.testing import CliRunner

    from sim.cli.app import app

    before = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(before)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"Traceback: {result.exception!r}"
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, stderr)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error, in one line; the scenario's warnings (said on every command, e.g. weights that will be
    normalised) may stand before it, each on its own ``file:line:col: warning:`` line."""
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr)
    lines = [line for line in result.stderr.strip().splitlines() if ": warning: " not in line]
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    return lines[0]


def test_single_file_outputs_never_replace_a_users_file_and_force_replaces_only_negsims(tmp_path, loop_batch):
    run = str(loop_batch / "golden~copy")
    commands = {
        "report.html": ["report", run, "-o"],
        "catalogue.md": ["catalogue", GOLDEN, "--markdown"],
        "proposals.md": ["proposals", GOLDEN, "--samples", "50", "--whatif-samples", "20", "--markdown"],
        "answer.json": ["whatif", GOLDEN, "--offer", "split_deal", "--samples", "50", "--no-weight-moves", "--out"],
        "new.yaml": ["new", "fresh", "-o"],
    }
    for name, command in commands.items():
        target = tmp_path / name
        target.write_text("mine\n")
        for force in ([], ["--force"]):
            refused = one_line_error(invoke(*command, str(target), *force))
            assert ("--force" in refused) if not force else ("negsim did not write it" in refused)
            assert target.read_text() == "mine\n"
    for name in ("report.html", "catalogue.md"):  # negsim's own file: kept without --force, replaced with it
        target = tmp_path / name
        target.unlink()
        assert invoke(*commands[name], str(target)).returncode == 0
        assert "pass --force" in one_line_error(invoke(*commands[name], str(target)))
        assert invoke(*commands[name], str(target), "--force").returncode == 0
    assert not (tmp_path / LOCK).exists()


def test_run_directories_keep_the_users_files_and_a_refusal_leaves_no_lock(tmp_path, loop_batch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    refused = one_line_error(invoke("run", GOLDEN, "--samples", "50", "--out", str(out)))
    assert "--force" in refused and sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # no .lock left
    forced = negsim("run", GOLDEN, "--samples", "50", "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "notes.txt").read_text() == "mine\n" and read_manifest(out)["status"] == "complete"
    # compare: the user's compare.csv is neither replaced (no --force) nor removed (--force)
    cmp = tmp_path / "cmp"
    cmp.mkdir()
    (cmp / "compare.csv").write_text("mine\n")
    runs = [str(loop_batch / "golden~copy"), str(loop_batch / "golden~looser")]
    for force in ([], ["--force"]):
        one_line_error(invoke("compare", *runs, "--out", str(cmp), *force))
        assert (cmp / "compare.csv").read_text() == "mine\n"


def test_plots_dir_replaces_negsims_plots_and_keeps_the_users_files(tmp_path):
    plots = tmp_path / "plots"
    (plots / "golden").mkdir(parents=True)
    (plots / "golden" / "notes.txt").write_text("mine\n")
    (plots / "golden" / "zone_by_option.png").write_text("my own drawing\n")
    args = ["batch", GOLDEN, "--samples", "50", "--executor", "local", "--plots-dir", str(plots)]
    blocked = negsim(*args, "--out", str(tmp_path / "b1"))
    assert blocked.returncode == 2 and "negsim did not write it" in blocked.stderr and "Traceback" not in blocked.stderr
    assert (plots / "golden" / "zone_by_option.png").read_text() == "my own drawing\n"
    (plots / "golden" / "zone_by_option.png").unlink()
    for out in ("b2", "b3"):  # the second batch replaces the first one's plots
        result = negsim(*args, "--out", str(tmp_path / out))
        assert result.returncode == 0, result.stderr
    assert "replaced" in result.stderr and (plots / "golden" / "notes.txt").read_text() == "mine\n"
    assert (plots / "golden" / "zone_by_option.png").read_bytes() == (
        tmp_path / "b3" / "golden" / "plots" / "zone_by_option.png"
    ).read_bytes()


def _tables(directory: Path) -> dict[str, bytes | object]:
    found: dict[str, bytes | object] = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.suffix == ".parquet":
            found[relative] = pq.read_table(path).to_pylist()
        elif path.suffix == ".csv":
            found[relative] = path.read_bytes()
    return found


KILLS = {  # command, arguments, the file after which it is killed: the last one before its marker
    "sweep": (["sweep", GOLDEN, "--vary", "alpha.reservation=0.2,0.4", "--samples", "60"], "report.html:3"),
    "negotiate": (["negotiate", GOLDEN, "--runs", "20", "--workers", "1"], "report.html"),
    "batch": (["batch", GOLDEN, "--samples", "60"], "report.html:2"),
}


@pytest.mark.parametrize("kind", list(KILLS))
def test_killed_between_the_page_and_the_marker_is_not_complete_and_resumes_to_identical_tables(tmp_path, kind):
    args, kill_after = KILLS[kind]
    local = ["--executor", "local"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert negsim(*args, *local, "--out", str(whole)).returncode == 0
    assert negsim(*args, *local, "--out", str(killed), kill_after=kill_after).returncode == -9
    assert (killed / "report.html").is_file() and read_manifest(killed)["status"] == "running"
    resume = ["batch", "--resume", str(killed)] if kind == "batch" else [kind, GOLDEN, "--resume", str(killed)]
    resumed = negsim(*resume, *local)
    assert resumed.returncode == 0, resumed.stderr
    assert read_manifest(killed)["status"] == "complete" and (killed / "report.html").is_file()
    assert _tables(killed) == _tables(whole)


def test_killed_right_after_the_marker_resumes_to_what_an_uninterrupted_run_leaves(tmp_path):
    """The marker is written, then the scratch ``parts/`` removed: killed in between, ``--resume`` said "already
    complete" and left ``parts/`` behind (the issue-24 campaign's kill leg: negotiate after its 14th write; every
    command shares this step, ``rundir.finish_manifest``, so the cheapest one is tested)."""
    args = ["run", GOLDEN, "--samples", "60", "--figures", "none"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert negsim(*args, "--out", str(whole)).returncode == 0
    markers = (whole / ".negsim-written").read_text().count('"manifest.json"')
    assert negsim(*args, "--out", str(killed), kill_after=f"manifest.json:{markers}").returncode == -9
    assert read_manifest(killed)["status"] == "complete"
    resumed = negsim("run", GOLDEN, "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr

    def files(directory: Path) -> set[str]:
        return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}

    assert files(killed) == files(whole)
    assert _tables(killed) == _tables(whole)


def test_a_complete_sweep_missing_its_page_gets_it_back_on_resume(loop_sweep, tmp_path):
    import shutil

    sweep = tmp_path / "sweep"
    shutil.copytree(loop_sweep, sweep)
    (sweep / "report.html").unlink()
    resumed = negsim("sweep", GOLDEN, "--resume", str(sweep))
    assert resumed.returncode == 0, resumed.stderr
    assert (sweep / "report.html").is_file() and read_manifest(sweep)["status"] == "complete"


def test_batch_resumes_an_interrupted_batch_to_the_same_tables(tmp_path):
    args = ["batch", GOLDEN, str(DATA / "golden.yaml"), "--samples", "60", "--executor", "local"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert negsim(*args, "--out", str(whole)).returncode == 0
    assert negsim(*args, "--out", str(killed), kill_after="zone.parquet:2").returncode == -9  # inside the 2nd run
    again = negsim(*args, "--out", str(killed))  # (stderr also warns that the two files share an id)
    assert again.returncode == 2 and f"pass --resume {killed}" in again.stderr and "Traceback" not in again.stderr
    resumed = negsim("batch", "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((killed / "batch.json").read_text())["status"] == "complete"
    assert _tables(killed) == _tables(whole)


def test_a_second_compare_into_the_same_out_is_refused_while_the_first_writes(tmp_path, loop_batch):
    out = tmp_path / "cmp"
    holder = hold_lock(out)
    try:
        runs = [str(loop_batch / "golden~copy"), str(loop_batch / "golden~looser")]
        assert "in use by another negsim run" in one_line_error(invoke("compare", *runs, "--out", str(out)))
    finally:
        holder.kill()
        holder.communicate()


def test_report_refuses_a_run_directory_holding_a_link(tmp_path, loop_batch):
    import shutil

    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN PRIVATE KEY-----\n")
    run = tmp_path / "received"
    shutil.copytree(loop_batch / "golden~copy", run)
    (run / "plots" / "zone_by_option.png").unlink()
    (run / "plots" / "zone_by_option.png").symlink_to(secret)
    page = tmp_path / "page.html"
    assert "symbolic link" in one_line_error(invoke("report", str(run), "-o", str(page)))
    assert not page.exists()


def test_markdown_outputs_escape_html_from_the_scenario(tmp_path):
    text = (DATA / "golden.yaml").read_text().replace('"Land split"', '"<script>alert(1)</script> [x](javascript:y)"')
    scenario = tmp_path / "hostile.yaml"
    scenario.write_text(text.replace("file: tests/data/golden.yaml", f"file: {DATA / 'golden.yaml'}"))
    out = tmp_path / "catalogue.md"
    result = invoke("catalogue", str(scenario), "--markdown", str(out))
    assert result.returncode == 0, result.stderr
    written = out.read_text()
    assert "&lt;script&gt;" in written and "<script>" not in written and "](javascript" not in written


def test_work_that_cannot_fit_or_end_is_refused_up_front(tmp_path):
    beyond = invoke("run", GOLDEN, "--samples", "1000000000", "--out", str(tmp_path / "a"))  # the option's bound
    assert beyond.returncode == 2 and "less than or equal to 1000000" in beyond.stderr and not (tmp_path / "a").exists()
    baseline = str(ROOT / "scenarios" / "baseline.yaml")
    huge = negsim("run", baseline, "--samples", "1000000", "--out", str(tmp_path / "b"))
    from sim.outputs.budget import available_bytes, run_bytes
    from sim.scenario.loading import load_scenario

    if run_bytes(load_scenario(ROOT / "scenarios" / "baseline.yaml"), 1_000_000) > available_bytes():
        assert "use at most --samples" in one_line_error(huge) and not (tmp_path / "b").exists()
    endless = tmp_path / "endless.yaml"
    endless.write_text(f"extends: {DATA / 'golden.yaml'}\nid: endless\nrun: {{rounds: 1e18}}\n")
    refused = negsim("negotiate", str(endless), "--runs", "20", "--out", str(tmp_path / "c"), timeout=120)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and not (tmp_path / "c").exists()


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nothing can be written in: a read-only tmpfs when root (root ignores permissions), else 0555."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)]).returncode != 0:
            pytest.skip("cannot mount a read-only tmpfs here")
        yield folder
        subprocess.run(["umount", str(folder)], capture_output=True)
        return
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_every_output_command_in_a_read_only_folder_is_one_line(read_only_dir, loop_batch):
    run = str(loop_batch / "golden~copy")
    commands = [
        ["run", GOLDEN, "--samples", "50"],
        ["sweep", GOLDEN, "--vary", "alpha.reservation=0.2,0.4", "--samples", "50", "--executor", "local"],
        ["batch", GOLDEN, "--samples", "50", "--executor", "local"],
        ["negotiate", GOLDEN, "--runs", "5", "--executor", "local"],
        ["sensitivity", GOLDEN, "--samples", "50"],
        ["compare", run, run],
        ["report", run],
        ["catalogue", GOLDEN, "--markdown", "c.md"],
        ["proposals", GOLDEN, "--samples", "50", "--whatif-samples", "20", "--markdown", "p.md"],
        ["whatif", GOLDEN, "--offer", "split_deal", "--samples", "50", "--no-weight-moves"],
        ["new", "fresh"],
    ]
    for command in commands:
        assert "writable" in one_line_error(invoke(*command, cwd=read_only_dir)), command
    assert not any(read_only_dir.iterdir())


def test_a_file_where_a_folder_is_wanted_and_the_reverse_is_one_line(tmp_path, loop_batch):
    a_file = tmp_path / "file.txt"
    a_file.write_text("mine\n")
    run = str(loop_batch / "golden~copy")
    commands = [
        ["sweep", GOLDEN, "--vary", "alpha.reservation=0.2,0.4", "--samples", "50", "--out", str(a_file)],
        ["batch", GOLDEN, "--samples", "50", "--out", str(a_file)],
        ["compare", run, run, "--out", str(a_file)],
        ["negotiate", GOLDEN, "--runs", "5", "--out", str(a_file)],
        ["report", run, "-o", str(tmp_path)],
        ["batch", GOLDEN, "--samples", "50", "--out", str(tmp_path / "b"), "--plots-dir", str(a_file)],
        ["catalogue", GOLDEN, "--markdown", str(a_file / "c.md")],
        ["run", GOLDEN, "--samples", "50", "--out", str(a_file / "below")],
    ]
    for command in commands:
        one_line_error(invoke(*command))
    assert a_file.read_text() == "mine\n" and not (tmp_path / "b").exists()


def test_a_full_disk_during_a_sweep_names_the_sweep_and_the_command_that_finishes_it(small_tmpfs):  # noqa: F811
    disk = small_tmpfs("200k")
    sweep = disk / "sweep"
    args = ["sweep", GOLDEN, "--vary", "alpha.reservation=0.2,0.3,0.4,0.5", "--samples", "200", "--executor", "local"]
    full = negsim(*args, "--out", str(sweep))
    line = one_line_error(full)
    assert "No space left on device" in line and "points/point-" not in line.split("finish with:")[-1]
    assert f"negsim sweep {GOLDEN} --resume {sweep}" in line
    small_tmpfs("8m")
    resumed = negsim("sweep", GOLDEN, "--resume", str(sweep))
    assert resumed.returncode == 0, resumed.stderr
    assert read_manifest(sweep)["status"] == "complete" and (sweep / "report.html").is_file()
