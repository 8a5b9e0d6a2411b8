"""Executors give the same results in the same order, and never need a particular free port."""

from __future__ import annotations

import os
import socket

from sim.executors import Executor, map_tasks


def square(x: int) -> int:
    return x * x


def test_every_executor_returns_results_in_task_order():
    expected = [x * x for x in range(7)]
    for executor in (Executor.local, Executor.processes):
        assert list(map_tasks(square, range(7), executor, workers=2)) == expected


def pid(_: int) -> int:
    return os.getpid()


def test_a_process_pool_starts_only_for_more_than_one_task():
    """One task runs in this process (a pool would add only its start-up); two or more run in workers."""
    assert list(map_tasks(pid, [0], Executor.processes, workers=2)) == [os.getpid()]
    assert os.getpid() not in set(map_tasks(pid, range(4), Executor.processes, workers=2))


def test_dask_runs_when_the_default_dashboard_port_is_taken():
    """Dask's dashboard port 8787 taken (by us, or by someone else already): the local cluster still starts."""
    blocker = socket.socket()
    try:
        try:
            blocker.bind(("127.0.0.1", 8787))
            blocker.listen()
        except OSError:
            pass  # already taken by another process: the very condition under test
        assert list(map_tasks(square, range(5), Executor.dask, workers=1)) == [0, 1, 4, 9, 16]
    finally:
        blocker.close()
