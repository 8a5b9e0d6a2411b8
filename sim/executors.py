"""Where independent tasks run: in this process, in local worker processes, or on Dask.

``processes`` (a stdlib process pool) is the fast choice on one machine; ``dask`` runs on a Dask LocalCluster or,
given a scheduler address, on a cluster that outgrows one machine.

Tasks carry their own seeds (drawn up front by the caller), so results are identical whichever executor runs
them and however many workers it has; results always come back in task order.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (``prctl(PR_SET_PDEATHSIG)``).

    A killed ``negsim negotiate`` once left its pool workers (and, through them, multiprocessing's resource
    tracker) running in 11 of 15 kills: nothing told them their parent was gone. Elsewhere this is a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class Executor(StrEnum):
    local = "local"
    processes = "processes"
    dask = "dask"


def map_tasks(
    function: Callable[[T], R],
    tasks: Iterable[T],
    executor: Executor = Executor.local,
    workers: int = 2,
    address: str | None = None,
) -> Iterator[R]:
    """Yield ``function(task)`` for every task, in order; on Dask, tasks run in parallel processes."""
    items = list(tasks)
    # one task runs here: a process pool would only add its start-up. Importing Mesa sets multiprocessing's start
    # method to "spawn" for the whole process (mesa/batchrunner.py, Mesa 3.3), so a pool started after it
    # re-imports negsim in every worker (~1.4 s each): `negsim negotiate --runs 100` spent most of its time there
    if executor is Executor.local or (executor is Executor.processes and min(workers, len(items)) <= 1):
        yield from map(function, items)
        return
    if executor is Executor.processes:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(workers, len(items)), initializer=die_with_parent) as pool:
            yield from pool.map(function, items)
        return
    import dask
    from dask.distributed import Client, LocalCluster  # imported only when asked for: it is heavy

    cluster: Any = None
    if address is None:
        # ":0" lets the OS pick the dashboard's port: ``None`` still binds 8787 and fails when it is taken.
        # One thread per worker: a 1-worker cluster is one core's worth. Workers keep glibc's own malloc trimming:
        # Dask's MALLOC_TRIM_THRESHOLD_=64 KiB (which also fixes the mmap threshold at 128 KiB) made every numpy
        # array of a block a fresh mmap, zeroed page by page (3^19 on one worker: 76 s of system time).
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(address or cluster)
    try:
        futures = client.map(function, items, pure=False)
        for future in futures:
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def collect_tasks(
    function: Callable[[T], R],
    tasks: list[T],
    executor: Executor = Executor.local,
    workers: int = 2,
    address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """Every ``function(task)`` in task order (``map_tasks``), reporting ``progress(done, total)`` as results come."""
    results: list[R] = []
    if progress:
        progress(0, len(tasks))
    for done, result in enumerate(map_tasks(function, tasks, executor, workers, address), start=1):
        results.append(result)
        if progress:
            progress(done, len(tasks))
    return results
