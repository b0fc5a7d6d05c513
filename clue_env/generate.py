"""From (variant, difficulty, seed) to a puzzle, the same one byte for byte everywhere; many of them in order."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np

from .case import draw_case
from .night import check_night, simulate_night
from .puzzle import Puzzle, Task
from .questions import draw_questions
from .selection import SelectionStats, select_clues
from .variant import Level, Variant
from .workers import ordered_map


def seeded_rng(*parts: object) -> np.random.Generator:
    """A generator seeded from text, never from Python's salted ``hash``."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(np.frombuffer(digest, dtype=np.uint32))


def generate_puzzle(
    variant: Variant,
    difficulty: Level = None,
    seed: int = 0,
    stats: SelectionStats | None = None,
) -> Puzzle:
    """Generate puzzle ``seed`` of ``variant`` at ``difficulty`` (a level name, a rung number,
    explicit ``Sizes``, or None for the variant's default level). Rung ``k`` and the named level
    that is rung ``k`` give the same puzzle."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    level = variant.difficulty(difficulty)
    rng = seeded_rng("temporal-clue", variant.name, level.name, seed)
    sizes = level.sample(rng)
    case = draw_case(rng, variant.theme, sizes)
    night = simulate_night(rng, case)
    problems = check_night(case, night)
    if problems:  # a bug, never a user error
        raise AssertionError(f"simulated night breaks the rules: {problems}")
    questions = draw_questions(rng, case, sizes.asked, sizes.bonus_questions)
    clues = select_clues(case, night, questions, sizes.pin, rng, variant.clue_weights, stats)
    return Puzzle(
        variant=variant.name,
        difficulty=level.name,
        seed=seed,
        sizes=sizes,
        intro=variant.theme.intro,
        case=case,
        night=night,
        clues=clues,
        questions=questions,
        rung=variant.rung_index(level),
    )


def generate_task(variant: Variant, difficulty: Level, seed: int) -> Task:
    """Puzzle ``seed`` as a ``Task`` (prompt rendered): what an environment serves."""
    return generate_puzzle(variant, difficulty, seed).task()


def generate_record(variant: Variant, difficulty: Level, seed: int) -> dict[str, Any]:
    """Puzzle ``seed`` as the JSON record ``clue generate`` writes."""
    return generate_puzzle(variant, difficulty, seed).to_record()


def generate_records(
    variant: Variant, difficulty: Level, seeds: list[int], workers: int = 1
) -> Iterator[dict[str, Any]]:
    """Puzzle records for ``seeds``, yielded in seed order whatever the number of worker processes."""
    variant.difficulty(difficulty)  # fail before starting any worker
    return ordered_map(partial(generate_record, variant, difficulty), seeds, workers)
