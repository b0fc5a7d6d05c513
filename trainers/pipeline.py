"""Pipelined rollouts (``max_off_policy_steps = 1``): the next iteration's rollouts sampled while this one trains.

One worker thread on rank 0 runs the next iteration's :func:`trainers.rollouts.collect` while the
main thread trains; the engine has its own driver thread (or processes), so generation and the
optimizer steps overlap. The recipe's order, iteration ``i``::

    take(i)              the rollouts of i (sampled by the weights of i - 1 while i - 1 trained)
    start(i + 1, w)      sample i + 1 in the background with the engine's weights w (those of i)
    ... train i ...
    wait()               the engine idle again: i + 1's rollouts are in
    push the weights of i + 1 into the engine

So rollouts are never more than one iteration old, and the weights only move while the engine is
idle. A checkpoint is written after ``wait()``: it holds the finished rollouts of the next
iteration (:meth:`RolloutPipeline.state_dict`), so ``--resume`` trains on exactly what the
uninterrupted run would have (the engine restarts with the checkpoint's weights, those that sample
the iteration after).
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rollouts:
    """One iteration's scored rollouts, and which weights sampled them."""

    iteration: int
    """The iteration (0-based) they are for."""
    weights_iteration: int
    """How many iterations had been trained into the engine's weights when they were sampled."""
    batch: Any
    """The :class:`~trainers.scoring.ScoredBatch`."""
    timing: dict[str, float]
    """``rollout_s`` and ``scoring_s`` of the background collection."""
    wait_s: float = 0.0
    """How long the main thread waited for them to finish."""

    @property
    def staleness(self) -> int:
        """Iterations between the weights that sampled them and the weights they train."""
        return self.iteration - self.weights_iteration


class RolloutPipeline:
    """See the module docstring. ``collect(iteration) -> (ScoredBatch, timing)`` runs on the worker thread
    (it must not touch what the main thread uses while training: the engine and the puzzle source only)."""

    def __init__(self, collect: Callable[[int], tuple[Any, dict[str, float]]]) -> None:
        self._collect = collect
        self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="clue-rollouts")
        self._future: cf.Future | None = None
        self._iteration: int | None = None
        self._weights: int | None = None
        self._done: Rollouts | None = None
        self._wait_s = 0.0

    @property
    def pending(self) -> int | None:
        """The iteration whose rollouts are being sampled or are ready (None: none)."""
        return self._iteration

    def start(self, iteration: int, weights_iteration: int) -> None:
        """Start sampling ``iteration``'s rollouts from the engine's weights (``weights_iteration`` trained in)."""
        if self._iteration is not None:
            raise RuntimeError(f"rollouts of iteration {self._iteration + 1} are still pending")
        self._iteration, self._weights, self._done, self._wait_s = iteration, weights_iteration, None, 0.0
        self._future = self._pool.submit(self._collect, iteration)

    def wait(self) -> float:
        """Block until the pending rollouts are in (the engine is then idle); the seconds waited now.
        Raises what the collection raised (the recipe's TrainError)."""
        if self._iteration is None or self._done is not None:
            return 0.0
        t = time.perf_counter()
        try:
            batch, timing = self._future.result()
        finally:
            waited = time.perf_counter() - t
            self._wait_s += waited
        self._done = Rollouts(self._iteration, self._weights, batch, timing, round(self._wait_s, 4))
        self._future = None
        return waited

    def take(self, iteration: int) -> Rollouts | None:
        """The rollouts of ``iteration`` if they were sampled ahead (waiting for them if need be), else None."""
        if self._iteration != iteration:
            return None
        self.wait()
        done, self._done, self._iteration, self._weights = self._done, None, None, None
        return done

    def state_dict(self) -> dict[str, Any] | None:
        """The finished rollouts of the next iteration, for a checkpoint (call after :meth:`wait`)."""
        if self._iteration is None:
            return None
        if self._done is None:
            raise RuntimeError("wait() for the pending rollouts before saving them")
        d = self._done
        return {
            "iteration": d.iteration,
            "weights_iteration": d.weights_iteration,
            "batch": d.batch,
            "timing": d.timing,
        }

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        """Rollouts saved by :meth:`state_dict` (a resumed run takes them instead of sampling them again)."""
        if not state:
            return
        self._iteration, self._weights = int(state["iteration"]), int(state["weights_iteration"])
        self._done = Rollouts(self._iteration, self._weights, state["batch"], dict(state["timing"]))
        self._future = None

    def close(self) -> None:
        """Drop what is pending (waiting for a running collection to return: close the engine first to end it)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._future, self._iteration, self._done = None, None, None
