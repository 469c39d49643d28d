"""Many seeded runs at once: one function, :func:`map_seeded`, for every sweep of the course.

A sweep over delays, buffer lengths or seeds is a list of independent, seeded runs on the
simulated clock: each gives the same result wherever and in whatever order it runs. So they can
run on several processes, and the result cannot tell. ``executor`` is anything with the
``map(fn, items)`` of :class:`concurrent.futures.Executor` (results in the order of ``items``):

* ``None`` (the default): a process pool of this machine's CPUs, shared by every call, when
  there are several CPUs and several items; else one after the other in this process (also
  where processes cannot be started, such as a browser kernel);
* :data:`SERIAL`: one after the other, in this process;
* your own: ``concurrent.futures.ProcessPoolExecutor(4)``, a Ray pool
  (``ray.util.multiprocessing.Pool()``), a Dask cluster (``client.get_executor()``), ... --
  no dependency on any of them here.

Simulated-clock work only: runs on the wall clock measure time, and must not share the
machine's cores with other runs while they do. ``fn`` and the items must be picklable
(functions defined at the top of a module, not lambdas) for any executor but :data:`SERIAL`.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

__all__ = ["SERIAL", "Executor", "default_executor", "map_seeded"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """What :func:`map_seeded` needs of an executor: ``concurrent.futures.Executor.map``."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]: ...


class _Serial:
    """Runs each item in turn, in this process."""

    def map(self, fn: Callable[..., R], *iterables: Iterable[Any]) -> Iterator[R]:
        return map(fn, *iterables)

    def __repr__(self) -> str:
        return "SERIAL"


SERIAL: Executor = _Serial()
"""The executor that runs every item in turn, in this process."""

_pool: concurrent.futures.ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (not Linux)
        return os.cpu_count() or 1



def _ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C (a notebook's *interrupt*) to the process that owns them,
    which stops handing out work; otherwise every worker prints its own traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_executor(items: int) -> Executor:
    """What :func:`map_seeded` uses without an executor, for ``items`` items.

    A process pool of this machine's CPUs, started on first use and shared by later calls
    (starting one costs more than a short sweep), if there are several CPUs and items; else
    :data:`SERIAL`. The pool's processes are started by a fork server, which imports rtgym_nb
    once: forking the calling process itself would copy whatever threads it runs (a Jupyter
    kernel's, a live figure's).
    """
    global _pool
    cpus = _cpus()
    if cpus < 2 or items < 2:
        return SERIAL
    with _pool_lock:
        if _pool is None:
            try:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["rtgym_nb.course.lessons"])
                _pool = concurrent.futures.ProcessPoolExecutor(cpus, mp_context=context,
                                                            initializer=_ignore_interrupts)
                # shut down while the interpreter is whole, not from a late weakref callback
                atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
            except (ValueError, OSError, NotImplementedError, ImportError):  # no processes here
                return SERIAL
        return _pool


def map_seeded(fn: Callable[[T], R], items: Iterable[T],
               executor: Executor | None = None) -> list[R]:
    """``[fn(item) for item in items]``, the items possibly run in parallel.

    Args:
        fn: A seeded, deterministic run: its result depends on its item only.
        items: One item per run (seeds, or tuples of settings and a seed).
        executor: Where the runs go (see the module's docstring); None picks
            :func:`default_executor`.

    Returns:
        The results, in the order of ``items``, the same whatever the executor.
    """
    items = list(items)
    if executor is None:
        executor = default_executor(len(items))
    return list(executor.map(fn, items))
