"""The training puzzles of each iteration: generated ahead on a worker process, or drawn from a file.

Puzzle ``k`` of iteration ``i`` has the seed ``train_seed(seed, i, k)`` and the difficulty the
curriculum's plan gives it (``trainers.curriculum.Plan``); ``k`` beyond ``tasks_per_iteration``
are the spares dynamic sampling draws when it replaces groups that had nothing to learn from. So a
resumed run replays the same puzzles, and a run without a curriculum the same ones as before
curricula existed. The next iteration's puzzles are queued as soon as its plan is known (after
this iteration's scoring) and are generated while this one trains.
"""

from __future__ import annotations

import hashlib
import random
from functools import partial
from pathlib import Path
from typing import Any

from trainers.curriculum import Plan

TRAIN_SEED_RANGE = 10**9
"""Training puzzle seeds are drawn below this; validation seeds (``val_seed``) default to it."""


def train_seed(seed: int, iteration: int, k: int) -> int:
    """Seed of the ``k``-th training puzzle of ``iteration``: the same on every machine, below 10**9."""
    digest = hashlib.sha256(f"train:{seed}:{iteration}:{k}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % TRAIN_SEED_RANGE


def make_puzzle(variant: Any, game: str, job: tuple[Any, int]) -> Any:
    """Puzzle ``job = (difficulty, seed)`` of ``variant``: a Task, or an investigation's Case (worker side)."""
    difficulty, seed = job
    if game == "investigation":
        from clue_env.investigation import generate_case

        return generate_case(variant, difficulty, seed)
    from clue_env.generate import generate_task

    return generate_task(variant, difficulty, seed)


def check_puzzle_settings(config: Any) -> None:
    """Raise the one-line error a bad ``variant``/``difficulty`` or a missing ``dataset`` (and the same
    of validation) would give later, now: before the run's folder is written. (A file that exists is
    read once, by the source; what a bad one leaves, the next start clears.)"""
    from clue_env.variant import get_variant

    c = config
    for dataset, variant, difficulty in (
        (c.dataset, c.variant, c.difficulty),
        (c.val_dataset, c.val_variant or c.variant, c.val_difficulty if c.val_difficulty is not None else c.difficulty),
    ):
        if dataset:
            if not Path(dataset).is_file():
                raise ValueError(f"dataset {dataset}: no such file")
        else:
            get_variant(variant).difficulty(difficulty)


class PuzzleSource:
    """Where ``clue train`` takes its training puzzles from (see the module docstring)."""

    def __init__(self, config: Any):
        c = self.config = config
        self.pool = None
        self.items: list | None = None
        self.variant = None
        self._iteration = -1
        self._taken = 0
        self._plan: Plan | None = None
        if c.dataset:
            from clue_env.dataset import load_tasks

            self.items = load_tasks(c.dataset)
            if c.game == "investigation":  # each puzzle's world investigated (a file without nights is refused here)
                from clue_env.investigation import case_from_task

                self.items = [case_from_task(task) for task in self.items]
            return
        from clue_env.variant import get_variant
        from clue_env.workers import OrderedPool

        self.variant = get_variant(c.variant)
        self.variant.difficulty(c.difficulty)
        self.pool = OrderedPool(
            partial(make_puzzle, self.variant, c.game), workers=1, ahead=max(2, c.tasks_per_iteration * 2)
        )

    def spares(self) -> int:
        """Puzzles an iteration may draw beyond its own: dynamic sampling's refills."""
        c = self.config
        return c.tasks_per_iteration * c.dynamic_sampling_max_rounds if c.dynamic_sampling else 0

    def queue(self, iteration: int, plan: Plan) -> None:
        """Start making ``iteration``'s puzzles (dropping whatever is left of the one before)."""
        c = self.config
        self._iteration, self._taken, self._plan = iteration, 0, plan
        if self.pool is None:
            return
        total = c.tasks_per_iteration + self.spares()
        jobs = ((plan.spare(k), train_seed(c.seed, iteration, k)) for k in range(total))
        self.pool.start(jobs)

    def take(self, n: int) -> list:
        """The next ``n`` puzzles of the queued iteration, in order (fewer if its spares ran out)."""
        c = self.config
        if self.pool is None:
            assert self.items is not None
            order = random.Random(f"{c.seed}:{self._iteration}").sample(range(len(self.items)), len(self.items))
            out = [self.items[order[k % len(order)]] for k in range(self._taken, self._taken + n)]
        else:
            out = []
            while len(out) < n and self.pool.queued():
                out.append(self.pool.next()[1])
        self._taken += len(out)
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None
