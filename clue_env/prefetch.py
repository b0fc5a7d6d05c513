"""Generating puzzles ahead in worker processes, so that ``reset`` never waits on CP-SAT
in steady state. Results come back in seed order, so prefetching never changes which
puzzle an episode gets."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from .generate import generate_puzzle
from .puzzle import Task
from .sizes import Sizes
from .variant import Variant


def make_task(variant: Variant, difficulty: str | Sizes | None, seed: int) -> Task:
    """Generate one puzzle and return it as a ``Task`` (prompt already rendered)."""
    return generate_puzzle(variant, difficulty, seed).task()


class Prefetcher:
    """Keeps ``ahead`` puzzles of a seed sequence in flight on ``workers`` processes."""

    def __init__(self, variant: Variant, difficulty: str | Sizes | None, workers: int = 1, ahead: int = 8):
        if workers < 1 or ahead < 1:
            raise ValueError(f"prefetch needs workers >= 1 and ahead >= 1, got {workers} and {ahead}")
        self.variant, self.difficulty, self.ahead = variant, difficulty, ahead
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self._queue: deque[tuple[int, Future]] = deque()
        self._seeds: Iterator[int] | None = None

    def start(self, seeds: Iterator[int]) -> None:
        """Forget what was in flight and start on a new seed sequence."""
        for _, fut in self._queue:
            fut.cancel()
        self._queue.clear()
        self._seeds = seeds
        self._fill()

    def _fill(self) -> None:
        assert self._seeds is not None
        while len(self._queue) < self.ahead:
            seed = next(self._seeds)
            self._queue.append((seed, self._pool.submit(make_task, self.variant, self.difficulty, seed)))

    def next(self, seed: int) -> Task:
        """The puzzle for ``seed``, which must be the next seed of the sequence."""
        if not self._queue or self._queue[0][0] != seed:
            raise RuntimeError(
                f"prefetcher expected seed {self._queue[0][0] if self._queue else None}, was asked for {seed}"
            )
        _, fut = self._queue.popleft()
        if len(self._queue) <= self.ahead // 2:  # refill in batches: fewer wake-ups of the pool
            self._fill()
        return fut.result()

    def ready(self) -> int:
        """How many prefetched puzzles are finished."""
        return sum(1 for _, f in self._queue if f.done())

    def queued(self) -> int:
        """How many puzzles are prefetched or in the making (refills come in batches, so
        this drifts between ``ahead // 2`` and ``ahead``)."""
        return len(self._queue)

    def close(self) -> None:
        for _, fut in self._queue:
            fut.cancel()
        self._queue.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
