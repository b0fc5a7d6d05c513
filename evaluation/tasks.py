"""The puzzles a run plays: a puzzle file, or generated ones of a variant and level from a seed range;
one-shot puzzles (``game="puzzle"``) or investigations of the same worlds (``game="investigation"``).

One function for ``clue eval``, the trainer's validation and library users alike; it returns
the tasks and the settings that name where they came from (recorded in ``run.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clue_env.dataset import load_tasks, task_from_record
from clue_env.generate import generate_records
from clue_env.investigation import InvestigationCase, case_from_task, generate_case_records
from clue_env.puzzle import Task
from clue_env.sizes import Difficulty, Sizes
from clue_env.variant import Variant, get_variant

DEFAULT_COUNT = 10
GAMES = ("puzzle", "investigation")


@dataclass(frozen=True)
class TaskSource:
    """Where puzzles come from: ``dataset`` (a .json/.jsonl file) or ``variant``/``difficulty``
    with seeds ``seed .. seed + n - 1``. ``n`` None: the whole file, or :data:`DEFAULT_COUNT`.
    ``game``: ``puzzle`` (one prompt, one answer) or ``investigation`` (ask, then accuse; a file of
    ``clue generate`` puzzles or of investigation records)."""

    dataset: str | Path | None = None
    variant: str | Variant = "temporal"
    difficulty: str | Sizes | Difficulty | None = None
    n: int | None = None
    seed: int = 0
    game: str = "puzzle"

    def __post_init__(self) -> None:
        if self.game not in GAMES:
            raise ValueError(f"--game must be one of {', '.join(GAMES)}, got {self.game!r}")
        if self.n is not None and (isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1):
            raise ValueError(f"--n must be an integer >= 1, got {self.n!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"--seed must be an integer >= 0, got {self.seed!r}")


def load_source(
    source: TaskSource, workers: int = 1, on_task: Callable[[int, int], None] | None = None
) -> tuple[list[Task] | list[InvestigationCase], dict[str, Any]]:
    """The tasks (or investigation cases) of ``source`` and the settings naming them (``game``, and
    ``dataset`` or ``variant``, ``difficulty`` and ``seed``). ``on_task(done, total)`` is called as
    puzzles are generated."""
    investigating = source.game == "investigation"
    if source.dataset is not None:
        tasks = load_tasks(source.dataset)[: source.n]
        items = [case_from_task(t) for t in tasks] if investigating else tasks
        return items, {"game": source.game, "dataset": str(source.dataset)}
    variant = source.variant if isinstance(source.variant, Variant) else get_variant(source.variant)
    level = variant.difficulty(source.difficulty)
    n = source.n if source.n is not None else DEFAULT_COUNT
    seeds = list(range(source.seed, source.seed + n))
    make = generate_case_records if investigating else generate_records
    read = InvestigationCase.from_record if investigating else task_from_record
    items = []
    for record in make(variant, source.difficulty, seeds, workers=workers):
        items.append(read(record))
        if on_task is not None:
            on_task(len(items), n)
    return items, {"game": source.game, "variant": variant.name, "difficulty": level.name, "seed": source.seed}
