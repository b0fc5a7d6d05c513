"""Worker processes that compute one function over a sequence of seeds, results in seed order.

The one pipeline behind ``generate_records`` (``clue generate --workers N``) and the
environment's prefetching: it keeps up to ``ahead`` seeds in flight on ``workers`` spawned
processes and hands results back in the order the seeds came, so the number of workers
never changes what a seed gives.

Workers die with their parent. Each one watches its parent process and exits as soon as it
is gone (``kill -9`` of the parent included), and :meth:`OrderedPool.close` terminates them
at once, so an interrupted run (Ctrl-C, SIGTERM) leaves no process behind.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")

PARENT_POLL_S = 0.2


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _watch_parent(parent: int) -> None:
    """Worker initializer: a daemon thread that ends this worker once its parent is gone."""
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="watch-parent", daemon=True).start()


def default_workers() -> int:
    """How many CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class OrderedPool(Generic[T]):
    """``fn(seed)`` for a sequence of seeds on worker processes, results in seed order.

    ``fn`` must be picklable (a module-level function or a ``functools.partial`` of one).
    Refills come in batches (when half of ``ahead`` is used up): fewer wake-ups of the pool.
    """

    def __init__(self, fn: Callable[[int], T], workers: int, ahead: int):
        if workers < 1 or ahead < 1:
            raise ValueError(f"worker pool needs workers >= 1 and ahead >= 1, got {workers} and {ahead}")
        self.fn, self.ahead = fn, ahead
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_watch_parent, initargs=(os.getpid(),)
        )
        self._queue: deque[tuple[int, Future[T]]] = deque()
        self._seeds: Iterator[int] | None = None
        self._exhausted = False

    def start(self, seeds: Iterator[int]) -> None:
        """Drop whatever is in flight and start on a new seed sequence."""
        for _, fut in self._queue:
            fut.cancel()
        self._queue.clear()
        self._seeds, self._exhausted = iter(seeds), False
        self._fill()

    def _fill(self) -> None:
        assert self._seeds is not None
        while not self._exhausted and len(self._queue) < self.ahead:
            seed = next(self._seeds, None)
            if seed is None:
                self._exhausted = True
                break
            self._queue.append((seed, self._pool.submit(self.fn, seed)))

    def next(self) -> tuple[int, T]:
        """The next seed and its result (waits for it)."""
        if not self._queue:
            raise RuntimeError("no seed is queued: the seed sequence is used up")
        seed, fut = self._queue.popleft()
        if len(self._queue) <= self.ahead // 2:
            self._fill()
        return seed, fut.result()

    def skip(self) -> int:
        """Drop the next seed without waiting for its result (cancelled when not yet started); returns it."""
        if not self._queue:
            raise RuntimeError("no seed is queued: the seed sequence is used up")
        seed, fut = self._queue.popleft()
        fut.cancel()
        if len(self._queue) <= self.ahead // 2:
            self._fill()
        return seed

    def peek(self) -> int | None:
        """The seed whose result :meth:`next` returns, None when nothing is queued."""
        return self._queue[0][0] if self._queue else None

    def ready(self) -> int:
        """How many queued results are finished."""
        return sum(1 for _, f in self._queue if f.done())

    def queued(self) -> int:
        """How many seeds are queued or in the making (drifts between ``ahead // 2`` and ``ahead``)."""
        return len(self._queue)

    def close(self) -> None:
        """Stop at once: cancel what is queued and terminate the workers. Idempotent."""
        for _, fut in self._queue:
            fut.cancel()
        self._queue.clear()
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:  # a worker deep in a long solve would otherwise finish it first
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def __enter__(self) -> OrderedPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ordered_map(fn: Callable[[int], T], seeds: list[int], workers: int = 1) -> Iterator[T]:
    """``fn(seed)`` for each seed, in order, on ``workers`` processes (1: in this process)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1:
        for seed in seeds:
            yield fn(seed)
        return
    with OrderedPool(fn, workers, ahead=workers * 4) as pool:
        pool.start(iter(seeds))
        for _ in seeds:
            yield pool.next()[1]
