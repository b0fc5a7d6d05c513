"""Investigation cases by seed, and files of them: case ``seed`` of a variant's level is puzzle
``seed`` of the one-shot game (``generate_puzzle``: the same cast, map, night, questions and
clues) with part of its clues withheld and a proven question budget (``prover.py`` says how).

The case itself and its record are ``case.py``'s, its prompt ``prompt.py``'s; the names of those
modules are re-exported here, where they were first defined.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from ..dataset import DatasetError, load_tasks
from ..generate import generate_puzzle
from ..variant import Level, Variant, get_variant
from ..workers import ordered_map
from .case import (
    CASE_FORMAT,
    DEFAULT_COST_PER_QUESTION,
    DEFAULT_WITHHOLD,
    InvestigationCase,
    InvestigationError,
    render_case_prompt,
)
from .prover import budget_for, case_from_puzzle, determines

__all__ = [
    "CASE_FORMAT",
    "DEFAULT_COST_PER_QUESTION",
    "DEFAULT_WITHHOLD",
    "InvestigationCase",
    "InvestigationError",
    "budget_for",
    "case_from_puzzle",
    "determines",
    "generate_case",
    "generate_case_record",
    "generate_case_records",
    "load_cases",
    "render_case_prompt",
]


def generate_case(
    variant: Variant | str,
    difficulty: Level = None,
    seed: int = 0,
    withhold: float = DEFAULT_WITHHOLD,
    cost_per_question: float = DEFAULT_COST_PER_QUESTION,
) -> InvestigationCase:
    """Investigation ``seed`` of ``variant`` at ``difficulty``: puzzle ``seed``'s world, investigated."""
    if isinstance(variant, str):
        variant = get_variant(variant)
    return case_from_puzzle(generate_puzzle(variant, difficulty, seed), withhold, cost_per_question)


def generate_case_record(
    variant: Variant, difficulty: Level, seed: int, withhold: float = DEFAULT_WITHHOLD
) -> dict[str, Any]:
    """Case ``seed`` as its JSON record."""
    return generate_case(variant, difficulty, seed, withhold).to_record()


def generate_case_records(
    variant: Variant | str,
    difficulty: Level,
    seeds: list[int],
    workers: int = 1,
    withhold: float = DEFAULT_WITHHOLD,
) -> Iterator[dict[str, Any]]:
    """Case records for ``seeds``, in seed order whatever the number of worker processes."""
    if isinstance(variant, str):
        variant = get_variant(variant)
    variant.difficulty(difficulty)  # fail before starting any worker
    return ordered_map(partial(generate_case_record, variant, difficulty, withhold=withhold), seeds, workers)


def load_cases(path: str | Path) -> list[InvestigationCase]:
    """Every case of a file of investigation records (JSONL, as ``to_record`` writes them; read
    by ``dataset.load_tasks``, so its errors are ``DatasetError``s naming file and record)."""
    out = []
    for task in load_tasks(path):
        try:
            out.append(InvestigationCase.from_record(task.record))
        except InvestigationError as err:
            raise DatasetError(f"{path}: case {task.id}: {err}") from None
    return out
