"""Spreading many independent pieces of work (parsing record versions, opening sealed
records) over every core.

Workers are forked, so they inherit the work and its context (keys, schemas) instead of
receiving them pickled; only results travel back. Few items, one core, or a system without
fork: the same work runs here, in order. Workers die with the process that started them,
even when it is killed outright.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
WORTH_IT = 128  # fewer items than this are done here: starting workers costs more

_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def parallel_map(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """`[function(item) for item in items]`, on every core when it pays."""
    cores = os.cpu_count() or 1
    if len(items) < WORTH_IT or cores < 2:
        return [function(item) for item in items]
    # The process pool only when it is used: importing it is a tenth of a warm command.
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_all_start_methods, get_context

    if "fork" not in get_all_start_methods():
        return [function(item) for item in items]
    global _work
    _work = (function, items)  # set before the fork: the workers see it
    # Frozen objects are never walked by a collection in a worker, so the pages the workers
    # share with this process are not copied for it (the gc module's advice for forking).
    gc.freeze()
    try:
        step = -(-len(items) // (cores * 4))
        ranges = [(start, min(start + step, len(items))) for start in range(0, len(items), step)]
        with ProcessPoolExecutor(
            max_workers=cores,
            mp_context=get_context("fork"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            return [result for chunk in pool.map(_run, ranges) for result in chunk]
    finally:
        _work = None
        gc.unfreeze()


def _run(span: tuple[int, int]) -> list[Any]:
    assert _work is not None
    function, items = _work
    return [function(items[index]) for index in range(*span)]


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies (a kill -9 runs no cleanup of
    the parent's), and stop now if that already happened before the request was made."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
