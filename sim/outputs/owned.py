"""Which files negsim wrote, so that it replaces and removes only those (issue 24).

negsim never deletes or overwrites a file it did not write. Every file it writes is recorded, as it is written,
in the ledger ``.negsim-written`` of the folder the file belongs to: the run directory this process holds locked
(a run, sweep, batch, comparison...), or else the file's own folder (``report -o``, ``catalogue --markdown``).
A ledger line is ``<sha256> <relative path as JSON>``; lines are only appended, with ``O_APPEND`` (one write per
line, so two processes recording into one folder do not interleave). An existing file is negsim's to replace
only when its current bytes hash to a value recorded for its path: a user's file, a symbolic link, or negsim's
own file edited since, is never replaced or removed, whatever ``--force`` says.

The record is written after the new file's bytes are on disk and before it is renamed into place, so a file
that exists under a recorded name is either the recorded one or an earlier recorded one: a kill never leaves a
negsim file that negsim no longer recognises (only the reverse, which errs on the side of keeping a file).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import stat
from pathlib import Path

LEDGER = ".negsim-written"
LOCK = ".lock"


class OutputError(Exception):
    """An output cannot be written where asked without touching a file negsim did not write."""


_roots: set[Path] = set()  # run directories this process holds locked: their files are recorded in their ledger
_resumed: set[Path] = set()  # ...of which these are negsim runs being finished: every regular file in them is negsim's


def hold_root(directory: Path) -> None:
    _roots.add(directory.absolute())


def trust_root(directory: Path) -> None:
    """Mark a held run directory as a negsim run being resumed (its manifest names this kind and scenario): its
    files are negsim's even where its ledger does not list them (a run started by a negsim from before the ledger),
    so resuming may replace them. Links and special files are still never written through."""
    _resumed.add(directory.absolute())


def release_root(directory: Path) -> None:
    _roots.discard(directory.absolute())
    _resumed.discard(directory.absolute())


def root_of(path: Path) -> Path:
    """The folder whose ledger records ``path``: the innermost held run directory above it, else its own folder."""
    path = path.absolute()
    for parent in path.parents:
        if parent in _roots:
            return parent
    return path.parent


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recorded(root: Path) -> dict[str, set[str]]:
    """Relative path -> every hash negsim recorded for it in ``root``'s ledger (a torn last line is ignored)."""
    found: dict[str, set[str]] = {}
    try:
        text = (root / LEDGER).read_bytes().decode("utf-8", "replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return found
    for line in text.splitlines():
        digest, _, name = line.partition(" ")
        try:
            relative = json.loads(name)
        except ValueError:
            continue
        if len(digest) == 64 and isinstance(relative, str):
            found.setdefault(relative, set()).add(digest)
    return found


def record(path: Path, digest: str, root: Path | None = None) -> None:
    """Append ``path``'s hash to its root's ledger (fsynced: the record must not be lost while the file stays).
    Bytes already recorded at that path are not recorded again, so rewriting a committed folder with the same
    bytes (``make run`` over ``plots/``) leaves its ledger, and ``git status``, unchanged."""
    root = root or root_of(path)
    relative = path.absolute().relative_to(root).as_posix()
    if digest in recorded(root).get(relative, ()):
        return
    line = f"{digest} {json.dumps(relative)}\n".encode()
    handle = os.open(root / LEDGER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(handle, line)
        os.fsync(handle)
    finally:
        os.close(handle)


def is_ours(path: Path, root: Path | None = None) -> bool:
    """Whether ``path`` is a regular file (not a link) whose bytes negsim recorded writing."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        return False
    root = root or root_of(path)
    try:
        relative = path.absolute().relative_to(root).as_posix()
    except ValueError:
        return False
    hashes = recorded(root).get(relative)
    return bool(hashes) and file_hash(path) in hashes


def check_replaceable(path: Path, root: Path | None = None) -> None:
    """Refuse, in one line, to write over anything at ``path`` that negsim did not write."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise OutputError(f"{path}: a file stands where a folder is needed; choose another place") from None
    if stat.S_ISDIR(mode):
        raise OutputError(f"{path} is a folder, not a file; choose another name")
    if stat.S_ISREG(mode) and (root or root_of(path)) in _resumed:
        return
    if not is_ours(path, root):
        raise OutputError(
            f"{path} exists and negsim did not write it (or it was changed since); negsim never replaces such a "
            f"file: move it away (mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.bak')}) or choose another name"
        )


def claim_file(path: Path, force: bool) -> None:
    """Before a single-file output (``report -o``, ``--markdown``...) is computed: an existing file is refused,
    unless ``force`` and negsim wrote it."""
    blocking = next((p for p in path.absolute().parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"{path}: {blocking} is a file, not a folder; choose another place")
    folder = next(p for p in path.absolute().parents if p.exists())
    if not os.access(folder, os.W_OK | os.X_OK):  # before the work, not after it: a read-only folder, say
        raise OutputError(
            f"{path} cannot be written: {folder} is not writable (read-only?); write it somewhere writable "
            "(-o/--out, --markdown) or cd to a writable folder"
        )
    if not os.path.lexists(path):
        return
    if path.is_dir() and not path.is_symlink():
        raise OutputError(f"{path} is a folder, not a file; choose another name")
    if not force:
        raise OutputError(f"{path} exists; pass --force to replace it (only a file negsim wrote is replaced)")
    check_replaceable(path)


def remove_ours(directory: Path) -> list[Path]:
    """Remove every file under ``directory`` that negsim wrote (each judged by the ledger of its innermost folder
    holding one), then the folders left empty; returns what was kept (the user's files). Links are not followed."""
    kept: list[Path] = []
    ledgers: dict[Path, dict[str, set[str]]] = {}
    for folder, folders, files in os.walk(directory, topdown=False):
        here = Path(folder)
        for name in files:
            path = here / name
            if name in (LEDGER, LOCK):
                continue  # bookkeeping: a held lock stays; a folder left with only these goes below
            root = _ledger_root(here.absolute())
            if root is not None:
                relative = path.absolute().relative_to(root).as_posix()
                hashes = ledgers.setdefault(root, recorded(root)).get(relative, set())
                if stat.S_ISREG(os.lstat(path).st_mode) and file_hash(path) in hashes:
                    path.unlink()
                    continue
            if name.startswith(".") and name.endswith(".tmp") and root is not None:
                path.unlink()  # a temporary sibling of a killed write (``atomic_write``'s mkstemp name)
                continue
            kept.append(path)
        for name in folders:
            sub = here / name
            if sub.is_symlink():
                kept.append(sub)
                continue
            if set(os.listdir(sub)) <= {LEDGER, LOCK}:  # nothing of anyone's left but negsim's bookkeeping
                for leftover in sub.iterdir():
                    leftover.unlink()
                sub.rmdir()
    return kept


def _ledger_root(folder: Path) -> Path | None:
    """The innermost folder at or above ``folder`` keeping a ledger (a run's ``plots/`` is recorded by the run)."""
    return next((c for c in (folder, *folder.parents) if (c / LEDGER).is_file()), None)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def refuse_links(directory: Path) -> None:
    """Refuse a run directory holding a symbolic link or a special file anywhere inside: a received directory
    could point negsim at the reader's own files (``plots/x.png -> ~/.ssh/id_rsa``) and have them embedded."""
    for folder, folders, files in os.walk(directory):
        for name in [*folders, *files]:
            path = Path(folder) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                raise OutputError(
                    f"{path} is {kind}; negsim reads only regular files from a run directory (a received "
                    "directory could point it at your own files): remove it, or copy the directory with the link's "
                    "target (cp -rL) if you trust it"
                )


def embeddable(png: Path) -> bool:
    """Whether a plot may go into a page: a regular file (no link), negsim's by its folder's ledger (a directory
    from before the ledger existed: a PNG by its first bytes)."""
    try:
        mode = os.lstat(png).st_mode
    except OSError:
        return False
    if not stat.S_ISREG(mode):
        return False
    root = _ledger_root(png.parent.absolute())
    if root is not None:
        return is_ours(png, root)
    with open(png, "rb") as file:
        return file.read(8) == PNG_SIGNATURE
