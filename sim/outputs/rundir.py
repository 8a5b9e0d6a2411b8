"""Run directories: where results live, how they are written so that nothing half-written looks complete.

Every file is written to a temporary name in the same directory and renamed (atomic on POSIX), so a file that
exists is whole. ``manifest.json`` says ``complete`` only after every other output exists; an interrupted run
keeps ``running`` and its finished blocks under ``parts/``, and ``--resume`` carries on from them.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import multiprocessing
import os
import platform
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.outputs.owned import (
    LEDGER,
    LOCK,
    OutputError,
    check_replaceable,
    file_hash,
    hold_root,
    record,
    release_root,
    remove_ours,
    trust_root,
)
from sim.outputs.owned import root_of as ledger_root
from sim.scenario.model import Scenario

MANIFEST = "manifest.json"
TRACKED_PACKAGES = ("numpy", "pydantic", "pyarrow", "mesa", "matplotlib", "pyyaml", "typer")


class RunDirError(OutputError):
    """A run directory cannot be used as asked (exists already, belongs to another scenario...)."""


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write through ``write(file)`` into a temporary sibling, fsync, then rename over ``path``.

    Only a file negsim wrote is ever replaced (``sim.outputs.owned``): the new file is recorded in the ledger of
    its folder before it is renamed into place.
    """
    root = ledger_root(path)
    check_replaceable(path, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp creates 0600; results are meant to be read by others
        record(path, file_hash(Path(temp_name)), root)
        os.replace(temp_name, path)
        _count_write(path)
    except OSError as exc:  # name the file (a full disk reports none), so the user learns which run it hit
        Path(temp_name).unlink(missing_ok=True)
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


# Fault injection for the kill tests (tests/test_reliability_files.py, benchmarks/campaign_files.py): with
# NEGSIM_TEST_KILL_AFTER_WRITE=N the command kills itself (SIGKILL: no cleanup runs) right after its N-th file is
# in place; with NAME or NAME:K, after the K-th file of that name (report.html:4). So a test can stop a command
# between any two of its writes, e.g. between the last table and the marker. Worker processes never count.
_KILL_AFTER = os.environ.get("NEGSIM_TEST_KILL_AFTER_WRITE", "")
_MAIN_PID = os.getpid() if multiprocessing.parent_process() is None else -1
_writes: dict[str, int] = {}


def _count_write(path: Path) -> None:
    if not _KILL_AFTER or os.getpid() != _MAIN_PID:
        return
    name, _, nth = _KILL_AFTER.partition(":")
    key = "" if name.isdigit() else name
    if key and path.name != key:
        return
    _writes[key] = _writes.get(key, 0) + 1
    if _writes[key] == int(name if not key else nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def atomic_write_text(path: Path, text: str) -> None:
    # backslashreplace: a lone surrogate (from an undecodable command-line byte) must not stop a run at its last write
    atomic_write(path, lambda file: file.write(text.encode("utf-8", "backslashreplace")))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def package_versions() -> dict[str, str]:
    found = {"negsim": __version__, "python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def default_run_dir(root: Path, scenario: Scenario, kind: str = "") -> Path:
    """A new, empty directory ``<utc-time>-<id>[-kind]-<hash>``, claimed by creating it: two runs started in the
    same second (two ``batch`` commands at once) get ``...-2``, ``...-3`` instead of sharing one directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{kind}" if kind else ""
    base = f"{stamp}-{scenario.id}{suffix}-{scenario.content_hash()[:8]}"
    root.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        candidate = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise RunDirError(f"{root}: cannot find a free name for {base}")


_held: dict[Path, int] = {}


def lock_run_dir(run_dir: Path) -> bool:
    """Take the run directory's exclusive lock (``flock`` on ``.lock``) for the rest of this run.

    The OS releases it when the process ends, however it ends, so a killed run never blocks its ``--resume``; a
    second writer is refused with the holder's pid instead of interleaving its files with the first's. Returns
    whether this call created ``.lock`` (a refusal then removes it again: it leaves nothing behind).
    """
    key = run_dir.resolve()
    if key in _held:
        return False
    path = run_dir / LOCK
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        created = True
    except FileExistsError:
        handle = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
        created = False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(handle)
        message = f"{run_dir} is in use by another negsim run (pid {holder}); wait for it or use another --out"
        raise RunDirError(message) from None
    os.ftruncate(handle, 0)
    os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
    _held[key] = handle
    hold_root(run_dir)
    return created


def unlock_run_dir(run_dir: Path) -> None:
    """Release the lock taken by :func:`lock_run_dir` (the ``.lock`` file stays: removing it would race)."""
    handle = _held.pop(run_dir.resolve(), None)
    if handle is not None:
        release_root(run_dir)
        os.close(handle)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    if not path.is_file():
        raise RunDirError(f"{run_dir}: no {MANIFEST}; not a negsim run directory{_removal_hint(run_dir)}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunDirError(f"{path} is unreadable ({exc}); the run cannot be resumed{_removal_hint(run_dir)}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("status"), str):
        raise RunDirError(f"{path} is not a negsim manifest; the run cannot be resumed{_removal_hint(run_dir)}")
    manifest.setdefault("resumed", [])
    manifest.setdefault("timings", {})
    return manifest


def _removal_hint(run_dir: Path) -> str:
    if run_dir.is_dir() and (run_dir / LOCK).exists():  # a directory negsim created: say how to start again
        return f"; remove it with: rm -r {shlex.quote(str(run_dir))}"
    return ""


def _check_usable(run_dir: Path) -> None:
    """Refuse, in one line, a path that can never be a run directory (a file, a path under /proc or /sys)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is a file, not a run directory; choose another --out")
    resolved = run_dir.resolve()
    if resolved.parts[1:2] in (("proc",), ("sys",)):
        raise RunDirError(f"{run_dir} is on a system file system ({resolved.parts[1]}); choose another --out")
    parent = next((p for p in (resolved, *resolved.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise RunDirError(f"{run_dir}: {parent} is a file, not a directory; choose another --out")


def claim_run_dir(run_dir: Path, force: bool = False, resume_hint: bool = True) -> None:
    """Create (if need be) and lock ``run_dir`` for a new run. A directory holding files is refused, unless
    ``force``: then the files negsim wrote there are removed and the user's are left alone (``owned``). A refusal
    leaves nothing behind: no ``.lock``, and no directory this call created."""
    _check_usable(run_dir)
    created = not run_dir.exists()
    if not created and not force and _holds_files(run_dir):
        raise RunDirError(_occupied(run_dir, resume_hint))
    run_dir.mkdir(parents=True, exist_ok=True)
    lock_created = lock_run_dir(run_dir)
    try:
        if force:
            remove_ours(run_dir)  # the user's files stay; one in the way of an output is refused when written
        elif _holds_files(run_dir):  # filled while we took the lock (another run won the race)
            raise RunDirError(_occupied(run_dir, resume_hint))
    except BaseException:
        unlock_run_dir(run_dir)
        if lock_created:
            (run_dir / LOCK).unlink(missing_ok=True)
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _holds_files(run_dir: Path) -> bool:
    return any(entry.name not in (LOCK, LEDGER) for entry in run_dir.iterdir())


def _occupied(run_dir: Path, resume_hint: bool) -> str:
    quoted = shlex.quote(str(run_dir))
    try:
        complete = read_manifest(run_dir)["status"] == "complete"
    except RunDirError:
        complete = None
    resume = f"pass --resume {quoted} to finish it, " if resume_hint and complete is False else ""
    if complete:
        resume = "it holds a complete run; "
    return (
        f"{run_dir} already holds files; {resume}choose another --out, or pass --force to replace negsim's own "
        "outputs there (files negsim did not write are kept)"
    )


def start_manifest(
    run_dir: Path,
    scenario: Scenario | None,
    kind: str,
    settings: dict[str, Any],
    scenario_file: str | None,
    force: bool = False,
) -> dict[str, Any]:
    """Claim (and lock) the run directory and write its first manifest (status ``running``). A study of several
    scenarios (a batch, a comparison) passes ``scenario=None``: its runs carry their own."""
    claim_run_dir(run_dir, force, resume_hint=kind not in ("compare",))
    manifest: dict[str, Any] = {"kind": kind, "status": "running", "command": shlex.join(sys.argv)}
    if scenario is not None:
        manifest.update(scenario_id=scenario.id, scenario_file=scenario_file, scenario_hash=scenario.content_hash())
    manifest.update(
        settings=settings,
        versions=package_versions(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        timings={},
        resumed=[],
    )
    try:
        if scenario is not None:
            atomic_write_text(run_dir / "scenario.resolved.yaml", scenario.to_yaml())
        atomic_write_json(run_dir / MANIFEST, manifest)
    except OSError:  # e.g. a full disk: leave no directory that neither a new run nor --resume would take
        remove_ours(run_dir)
        for temporary in run_dir.glob(".*.tmp"):
            temporary.unlink(missing_ok=True)
        unlock_run_dir(run_dir)
        raise
    return manifest


def resume_manifest(run_dir: Path, scenario: Scenario | None, kind: str) -> dict[str, Any]:
    """Check that ``run_dir`` is a run of this very scenario (if any) and kind before carrying on with it (locked,
    and cleared of the temporary files a killed write leaves). A complete run is returned unlocked."""
    _check_usable(run_dir)
    read_manifest(run_dir)  # a directory that is not a run is refused before anything is written into it
    lock_run_dir(run_dir)
    try:
        manifest = read_manifest(run_dir)
        if manifest.get("kind") != kind:
            raise RunDirError(f"{run_dir} is a '{manifest.get('kind')}' run, not '{kind}'")
        if scenario is not None and manifest.get("scenario_hash") != scenario.content_hash():
            raise RunDirError(
                f"{run_dir} was run on a different scenario (hash {str(manifest.get('scenario_hash', ''))[:8]}"
                f" vs {scenario.content_hash()[:8]}); resume with the same scenario and --set values"
            )
    except BaseException:
        unlock_run_dir(run_dir)
        raise
    trust_root(run_dir)
    if manifest["status"] != "complete":
        for temporary in run_dir.rglob(".*.tmp"):
            temporary.unlink(missing_ok=True)
        manifest["resumed"].append(
            {"at": datetime.now(UTC).isoformat(timespec="seconds"), "command": shlex.join(sys.argv)}
        )
        atomic_write_json(run_dir / MANIFEST, manifest)
    else:
        # killed between the marker and finish_manifest's removal of the scratch parts: finish that removal, so a
        # resumed directory holds what an uninterrupted run leaves (campaign, issue 24: negotiate kept parts/)
        remove_folder(run_dir / "parts")
        unlock_run_dir(run_dir)
    return manifest


def record_summary(run_dir: Path, manifest: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write the summary into the manifest while the run is still ``running``: the page written before the marker
    reads it from there."""
    manifest["summary"] = summary
    atomic_write_json(run_dir / MANIFEST, manifest)


def finish_manifest(run_dir: Path, manifest: dict[str, Any], summary: dict[str, Any]) -> None:
    """The last write of a run: only now does the directory claim to be complete."""
    manifest.update(status="complete", finished=datetime.now(UTC).isoformat(timespec="seconds"), summary=summary)
    atomic_write_json(run_dir / MANIFEST, manifest)
    remove_folder(run_dir / "parts")  # kept only while the run is resumable (issue 11, part 6)
    unlock_run_dir(run_dir)


def remove_folder(folder: Path) -> None:
    """Remove what negsim wrote in ``folder``, and the folder if nothing else is left in it."""
    if folder.is_dir() and not folder.is_symlink():
        remove_ours(folder)
        with contextlib.suppress(OSError):
            folder.rmdir()


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    atomic_write(path, lambda file: np.savez(file, **arrays))


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}
