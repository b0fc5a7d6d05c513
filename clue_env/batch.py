"""Generating many puzzles, in order, on one or more worker processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .generate import generate_puzzle
from .sizes import Sizes
from .variant import Variant


def _record(variant: Variant, difficulty: str | Sizes | None, seed: int) -> dict[str, Any]:
    return generate_puzzle(variant, difficulty, seed).to_record()


def generate_records(
    variant: Variant, difficulty: str | Sizes | None, seeds: list[int], workers: int = 1
) -> Iterator[dict[str, Any]]:
    """Puzzle records for ``seeds``, yielded in seed order whatever the number of workers."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    variant.difficulty(difficulty)  # fail before starting any worker
    if workers == 1:
        for seed in seeds:
            yield _record(variant, difficulty, seed)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        window = workers * 4
        pending = [pool.submit(_record, variant, difficulty, s) for s in seeds[:window]]
        nxt = window
        try:
            while pending:
                fut = pending.pop(0)
                yield fut.result()
                if nxt < len(seeds):
                    pending.append(pool.submit(_record, variant, difficulty, seeds[nxt]))
                    nxt += 1
        finally:
            for fut in pending:
                fut.cancel()
