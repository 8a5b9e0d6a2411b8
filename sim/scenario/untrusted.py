"""Reading the files a scenario names (``extends:``, ``sources.X.file:``) as a mailed scenario may name them.

An analyst runs what a colleague mailed (issue 24). Whatever a scenario names, negsim reads only:

- files inside the scenario's own folder tree (the folder of the file given on the command line), or inside a
  folder the user names with ``--allow-root DIR``; links are followed first, so a link out of the tree is outside.
  ``extends: ../private/secrets.yaml`` once printed that file's keys and values in its errors, and a quote checked
  in ``file: ../../../etc/passwd`` was a yes/no oracle on any readable file;
- regular files, opened non-blocking and checked on the open descriptor (not by name before opening, which a swap
  could defeat): a FIFO or ``/proc/kmsg`` never blocks, ``/proc/self/mem`` or an unreadable file is one line;
- at most ``limit`` bytes, read in bounded chunks (``/proc`` files report size 0 and may be endless).

Every refusal is an :class:`UnreadableFile` whose message names the path as the scenario wrote it and never any of
the file's contents.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

_CHUNK = 1 << 20


class UnreadableFile(Exception):
    """A file negsim will not or cannot read; the message is one line, without the file's contents."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def resolved(path: Path) -> Path:
    """The absolute path with links followed as far as they exist (a missing file resolves lexically)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop
        return Path(os.path.abspath(path))


def outside_roots(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` (links followed) lies outside every root folder."""
    target = resolved(path)
    return not any(target == root or target.is_relative_to(root) for root in map(resolved, roots))


def containment_hint(roots: Sequence[Path]) -> str:
    """What a refusal says: which folders negsim reads, and how to allow another when the user trusts it."""
    shown = ", ".join(str(resolved(root)) for root in roots)
    return f"negsim reads only files under {shown} (if you trust this scenario: negsim --allow-root DIR COMMAND ...)"


def read_bytes(path: Path, limit: int, roots: Sequence[Path] | None = None) -> bytes:
    """At most ``limit`` bytes of a regular file inside ``roots`` (no check when ``roots`` is None)."""
    if roots is not None and outside_roots(path, roots):
        raise UnreadableFile(path, f"outside the scenario's folder: {containment_hint(roots)}")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read file: {_reason(exc)}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, "not a regular file")
        if info.st_size > limit:
            raise UnreadableFile(path, f"file is {info.st_size:,} bytes; at most {limit:,} bytes are read")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnreadableFile(path, f"file is more than {limit:,} bytes; at most {limit:,} bytes are read")
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read file: {_reason(exc)}") from None
    finally:
        os.close(descriptor)


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
        return "it has nothing to read now (a device or pipe, not a file)"
    return (exc.strerror or type(exc).__name__).lower()
