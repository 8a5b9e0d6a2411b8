"""Run directories: where results live, how they are written so that nothing half-written looks complete.

Every file is written to a temporary name in the same directory and renamed (atomic on POSIX), so a file that
exists is whole. ``manifest.json`` says ``complete`` only after every other output exists; an interrupted run
keeps ``running`` and its finished blocks under ``parts/``, and ``--resume`` carries on from them.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.scenario.model import Scenario

MANIFEST = "manifest.json"
TRACKED_PACKAGES = ("numpy", "pydantic", "pyarrow", "mesa", "matplotlib", "pyyaml", "typer")


class RunDirError(Exception):
    """A run directory cannot be used as asked (exists already, belongs to another scenario...)."""


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write through ``write(file)`` into a temporary sibling, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp creates 0600; results are meant to be read by others
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


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
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{kind}" if kind else ""
    return root / f"{stamp}-{scenario.id}{suffix}-{scenario.content_hash()[:8]}"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    if not path.is_file():
        raise RunDirError(f"{run_dir}: no {MANIFEST}; not a negsim run directory")
    return json.loads(path.read_text(encoding="utf-8"))


def start_manifest(
    run_dir: Path, scenario: Scenario, kind: str, settings: dict[str, Any], scenario_file: str | None
) -> dict[str, Any]:
    """Create the run directory and its first manifest (status ``running``)."""
    if run_dir.exists() and any(run_dir.iterdir()):
        raise RunDirError(
            f"{run_dir} already holds files; pass --resume {run_dir} to finish it, or choose another --out"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "kind": kind,
        "status": "running",
        "command": shlex.join(sys.argv),
        "scenario_id": scenario.id,
        "scenario_file": scenario_file,
        "scenario_hash": scenario.content_hash(),
        "settings": settings,
        "versions": package_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings": {},
        "resumed": [],
    }
    atomic_write_text(run_dir / "scenario.resolved.yaml", scenario.to_yaml())
    atomic_write_json(run_dir / MANIFEST, manifest)
    return manifest


def resume_manifest(run_dir: Path, scenario: Scenario, kind: str) -> dict[str, Any]:
    """Check that ``run_dir`` is a run of this very scenario and kind before carrying on with it."""
    manifest = read_manifest(run_dir)
    if manifest.get("kind") != kind:
        raise RunDirError(f"{run_dir} is a '{manifest.get('kind')}' run, not '{kind}'")
    if manifest.get("scenario_hash") != scenario.content_hash():
        raise RunDirError(
            f"{run_dir} was run on a different scenario (hash {manifest.get('scenario_hash', '')[:8]}"
            f" vs {scenario.content_hash()[:8]}); resume with the same scenario and --set values"
        )
    if manifest["status"] != "complete":
        manifest["resumed"].append(
            {"at": datetime.now(UTC).isoformat(timespec="seconds"), "command": shlex.join(sys.argv)}
        )
        atomic_write_json(run_dir / MANIFEST, manifest)
    return manifest


def finish_manifest(run_dir: Path, manifest: dict[str, Any], summary: dict[str, Any]) -> None:
    """The last write of a run: only now does the directory claim to be complete."""
    manifest.update(status="complete", finished=datetime.now(UTC).isoformat(timespec="seconds"), summary=summary)
    atomic_write_json(run_dir / MANIFEST, manifest)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    atomic_write(path, lambda file: np.savez(file, **arrays))


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}
