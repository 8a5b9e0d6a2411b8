"""Issue 24 campaign (not in CI): kill every output command at many points and resume it; run every output command
against every bad location. Prints counts: kills, false "complete", resumes that differ, tracebacks, hangs,
multi-line errors, user files touched.

Kills use the fault hook NEGSIM_TEST_KILL_AFTER_WRITE=N (``sim.outputs.rundir``): the command SIGKILLs itself
right after its N-th file is in place; N runs over evenly spaced points of the command's writes, plus the page
(the last file before the marker). Run as root for the full-disk and read-only cases (a tmpfs is mounted).

    .venv/bin/python benchmarks/campaign_files.py --kills 60 --work /tmp/campaign
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
NEGSIM = Path(sys.executable).parent / "negsim"
GOLDEN = str(ROOT / "tests" / "data" / "golden.yaml")
LEDGER = ".negsim-written"

counts = {
    "kills": 0,
    "not_killed": 0,
    "killed_before_anything": 0,
    "false_complete": 0,
    "resume_failed": 0,
    "resume_differs": 0,
    "tracebacks": 0,
    "hangs": 0,
    "not_exit_2": 0,
    "multi_line": 0,
    "user_files_touched": 0,
    "location_cases": 0,
}
failures: list[str] = []
SUMMARY: list[Path] = []


def show(stage: str) -> None:
    """Print the counters so far (flushed) and write them to the summary file: a campaign cut short still says what
    it had counted."""
    lines = [f"[{stage}] " + ", ".join(f"{key} {value}" for key, value in counts.items())]
    lines += [f"FAIL {failure}" for failure in failures]
    print(lines[0], flush=True)
    if SUMMARY:
        SUMMARY[0].write_text("\n".join(lines) + "\n", encoding="utf-8")


def negsim(*args: str, cwd: Path = ROOT, kill_after: str = "", timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEGSIM_TEST_KILL_AFTER_WRITE": kill_after, "MPLBACKEND": "Agg"}
    try:
        result = subprocess.run([str(NEGSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        counts["hangs"] += 1
        failures.append(f"hang: {args}")
        return subprocess.CompletedProcess(args, -1, "", "")
    if "Traceback" in result.stderr:
        counts["tracebacks"] += 1
        failures.append(f"traceback: {args}: {result.stderr[-400:]}")
    return result


def tables(directory: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.suffix == ".parquet":
            found[relative] = pq.read_table(path).to_pylist()
        elif path.suffix == ".csv":
            found[relative] = path.read_bytes()
    return found


def files(directory: Path) -> set[str]:
    """What a finished command leaves (its lock aside): a "complete" directory missing one of these is a false
    complete."""
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and p.name != ".lock"}


def writes(directory: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in directory.rglob(LEDGER))


def status(directory: Path) -> str | None:
    import json

    try:
        return json.loads((directory / "manifest.json").read_text())["status"]
    except (OSError, ValueError, KeyError):
        return None


def kill_campaign(work: Path, kills: int, only: list[str] | None = None) -> None:
    reference_run = work / "ref-run"
    negsim("run", GOLDEN, "--samples", "60", "--out", str(reference_run))
    commands = {
        "run": (["run", GOLDEN, "--samples", "60"], lambda d: ["run", GOLDEN, "--resume", str(d)]),
        "sweep": (
            ["sweep", GOLDEN, "--vary", "alpha.reservation=0.2,0.4", "--samples", "60", "--executor", "local"],
            lambda d: ["sweep", GOLDEN, "--resume", str(d), "--executor", "local"],
        ),
        "batch": (
            ["batch", GOLDEN, str(ROOT / "tests" / "data" / "golden.yaml"), "--samples", "60", "--executor", "local"],
            lambda d: ["batch", "--resume", str(d), "--executor", "local"],
        ),
        "negotiate": (
            ["negotiate", GOLDEN, "--runs", "20", "--workers", "1", "--executor", "local"],
            lambda d: ["negotiate", GOLDEN, "--resume", str(d), "--executor", "local"],
        ),
        "sensitivity": (
            ["sensitivity", GOLDEN, "--samples", "60"],
            lambda d: ["sensitivity", GOLDEN, "--resume", str(d)],
        ),
        "compare": (
            ["compare", str(reference_run), str(reference_run)],
            lambda d: ["compare", str(reference_run), str(reference_run), "--out", str(d), "--force"],
        ),
    }
    commands = {name: value for name, value in commands.items() if not only or name in only}
    per_command = max(1, kills // len(commands))
    for name, (args, resume) in commands.items():
        whole = work / f"{name}-whole"
        negsim(*args, "--out", str(whole))
        total = writes(whole)
        points = sorted({max(1, round(i * total / per_command)) for i in range(1, per_command + 1)})
        for n in points:
            killed = work / f"{name}-killed-{n}"
            result = negsim(*args, "--out", str(killed), kill_after=str(n))
            if result.returncode != -9:
                # past the command's main-process writes (the hook kills only the main process): not a kill, and
                # then the command must have finished
                counts["not_killed"] += 1
                if result.returncode != 0 or status(killed) not in (None, "complete"):
                    failures.append(f"unkilled {name} at {n}: exit {result.returncode}: {result.stderr[-300:]}")
                shutil.rmtree(killed, ignore_errors=True)
                continue
            counts["kills"] += 1
            if status(killed) is None and name != "compare":
                counts["killed_before_anything"] += 1
                shutil.rmtree(killed, ignore_errors=True)
                continue
            missing = sorted(files(whole) - files(killed))
            if status(killed) == "complete" and missing:
                counts["false_complete"] += 1
                failures.append(f"false complete: {name} killed after write {n}: missing {missing[:5]}")
            done = negsim(*resume(killed))
            if done.returncode != 0:
                counts["resume_failed"] += 1
                failures.append(f"resume failed: {name} after write {n}: {done.stderr[-300:]}")
            elif tables(killed) != tables(whole) or files(killed) != files(whole):
                counts["resume_differs"] += 1
                extra = sorted(files(killed) ^ files(whole))[:5]
                failures.append(f"resume differs: {name} after write {n}: files only in one {extra}")
            shutil.rmtree(killed, ignore_errors=True)
        print(f"{name}: {total} writes recorded, kill points {points}", flush=True)
        show(f"kills: {name}")


def location_campaign(work: Path, disks: list[str]) -> None:
    run = work / "ref-run"
    a_file = work / "a-file.txt"
    a_file.write_text("mine\n")
    commands = {
        "run": ["run", GOLDEN, "--samples", "50"],
        "sweep": ["sweep", GOLDEN, "--vary", "alpha.reservation=0.2,0.4", "--samples", "50", "--executor", "local"],
        "batch": ["batch", GOLDEN, "--samples", "50", "--executor", "local"],
        "negotiate": ["negotiate", GOLDEN, "--runs", "5", "--workers", "1"],
        "sensitivity": ["sensitivity", GOLDEN, "--samples", "50"],
        "compare": ["compare", str(run), str(run)],
        "report": ["report", str(run)],
        "catalogue": ["catalogue", GOLDEN, "--markdown", "c.md"],
        "proposals": ["proposals", GOLDEN, "--samples", "50", "--whatif-samples", "20", "--markdown", "p.md"],
        "whatif": ["whatif", GOLDEN, "--offer", "split_deal", "--samples", "50", "--no-weight-moves"],
        "new": ["new", "fresh"],
    }
    out_option = {"report": "-o", "catalogue": "--markdown", "proposals": "--markdown", "new": "-o"}

    def with_out(name: str, target: Path) -> list[str]:
        args = list(commands[name])
        option = out_option.get(name, "--out")
        if option in args:
            args[args.index(option) + 1] = str(target)
            return args
        return [*args, option, str(target)]

    def check(result: subprocess.CompletedProcess, case: str) -> None:
        counts["location_cases"] += 1
        if counts["location_cases"] % 10 == 0:
            show(f"locations: {case}")
        if result.returncode != 2:
            counts["not_exit_2"] += 1
            failures.append(f"exit {result.returncode}: {case}: {result.stderr[-300:]}")
        elif len(result.stderr.strip().splitlines()) != 1:
            counts["multi_line"] += 1
            failures.append(f"multi-line: {case}: {result.stderr[-300:]}")

    root = os.geteuid() == 0
    read_only = work / "ro"
    read_only.mkdir()
    if root:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(read_only)], check=True)
    else:
        read_only.chmod(0o555)
    try:
        for name in commands:
            check(negsim(*commands[name], cwd=read_only), f"{name} in a read-only folder")
            check(
                negsim(*commands[name], "--plots-dir", str(read_only / "plots"))
                if name == "batch"
                else negsim(*with_out(name, read_only / "x"), cwd=work),
                f"{name} into a read-only folder",
            )
            check(negsim(*with_out(name, a_file / "below"), cwd=work), f"{name} under a file")
            if name in out_option and name != "new":
                check(negsim(*with_out(name, work), cwd=work), f"{name} -o a folder")
            elif name != "new":
                check(negsim(*with_out(name, a_file), cwd=work), f"{name} --out a file")
        check(negsim(*commands["batch"], "--plots-dir", str(a_file), cwd=work), "batch --plots-dir a file")
    finally:
        if root:
            subprocess.run(["umount", str(read_only)])
        else:
            read_only.chmod(0o755)
    if root:
        disk = work / "disk"
        disk.mkdir()
        for size in disks:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], check=True)
            try:
                for name in commands:
                    if name in ("new", "catalogue"):  # a few kB: they fit
                        continue
                    check(negsim(*with_out(name, disk / name), cwd=work), f"{name} on a full {size} disk")
            finally:
                subprocess.run(["umount", str(disk)])
    if a_file.read_text() != "mine\n":
        counts["user_files_touched"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--work", type=Path, default=Path("/tmp/negsim-campaign"))
    parser.add_argument("--disks", default="12k,60k,200k", help="Sizes of the full tmpfs disks tried (root only).")
    parser.add_argument("--only", choices=["kills", "locations"], help="Run one half of the campaign.")
    parser.add_argument("--commands", help="Comma-separated commands the kill leg runs (default: all six).")
    parser.add_argument(
        "--summary", type=Path, help="Counters and failures file (default WORK-summary.txt beside WORK)."
    )
    options = parser.parse_args()
    shutil.rmtree(options.work, ignore_errors=True)
    options.work.mkdir(parents=True)
    SUMMARY.append(options.summary or options.work.parent / f"{options.work.name}-summary.txt")
    try:
        if options.only != "locations":
            kill_campaign(options.work, options.kills, options.commands.split(",") if options.commands else None)
        else:
            negsim("run", GOLDEN, "--samples", "60", "--out", str(options.work / "ref-run"))
        if options.only != "kills":
            location_campaign(options.work, options.disks.split(","))
    finally:
        show("final")
        for key, value in counts.items():
            print(f"{key}: {value}")
        for failure in failures:
            print("FAIL", failure, flush=True)


if __name__ == "__main__":
    main()
