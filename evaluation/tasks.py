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
from clue_env.sizes import Difficulty
from clue_env.variant import Level, Variant, get_variant

DEFAULT_COUNT = 10
GAMES = ("puzzle", "investigation")


@dataclass(frozen=True)
class TaskSource:
    """Where puzzles come from: ``dataset`` (a .json/.jsonl file) or ``variant``/``difficulty``
    with seeds ``seed .. seed + n - 1``. ``n`` None: the whole file, or :data:`DEFAULT_COUNT`.
    ``difficulty`` is one level (a name, a rung number of the variant's ladder, explicit sizes; see
    ``Variant.difficulty``) or a tuple of them: then ``n`` puzzles of each, the same seeds at every
    level, level after level in the order given (``difficulty=(0, 1, 2)``: rungs 0 to 2).
    ``game``: ``puzzle`` (one prompt, one answer) or ``investigation`` (ask, then accuse; a file of
    ``clue generate`` puzzles or of investigation records)."""

    dataset: str | Path | None = None
    variant: str | Variant = "temporal"
    difficulty: Level | tuple[Level, ...] = None
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
        if isinstance(self.difficulty, list):
            object.__setattr__(self, "difficulty", tuple(self.difficulty))
        if isinstance(self.difficulty, tuple) and not self.difficulty:
            raise ValueError("--difficulty: give at least one level")

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels asked for, as a tuple (one level: a tuple of one)."""
        return self.difficulty if isinstance(self.difficulty, tuple) else (self.difficulty,)

    def resolve(self) -> tuple[Variant, tuple[Difficulty, ...]]:
        """The variant and each level, checked (``Variant.difficulties``: a level given twice is an error)."""
        variant = self.variant if isinstance(self.variant, Variant) else get_variant(self.variant)
        return variant, variant.difficulties(self.levels)

    def difficulty_names(self) -> str | list[str]:
        """What ``run.json`` records as ``difficulty``: the level's name, or the list of them."""
        _, levels = self.resolve()
        names = [level.name for level in levels]
        return names if isinstance(self.difficulty, tuple) else names[0]


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
    variant, levels = source.resolve()
    n = source.n if source.n is not None else DEFAULT_COUNT
    seeds = list(range(source.seed, source.seed + n))
    make = generate_case_records if investigating else generate_records
    read = InvestigationCase.from_record if investigating else task_from_record
    items = []
    for level in levels:
        for record in make(variant, level, seeds, workers=workers):
            items.append(read(record))
            if on_task is not None:
                on_task(len(items), n * len(levels))
    return items, {
        "game": source.game,
        "variant": variant.name,
        "difficulty": source.difficulty_names(),
        "seed": source.seed,
    }


def item_level(item: Task | InvestigationCase) -> tuple[str, str, int | None] | None:
    """The variant, level name and rung (or None) a puzzle or case was generated at, from its
    record; None for puzzles that say none (the original benchmark's)."""
    if isinstance(item, InvestigationCase):
        return item.puzzle.variant, item.puzzle.difficulty, item.puzzle.rung
    record = item.record
    name = record.get("difficulty") if isinstance(record, dict) else None
    if not isinstance(name, str):
        return None
    rung = record.get("rung")
    return str(record.get("variant", "")), name, rung if isinstance(rung, int) and not isinstance(rung, bool) else None


def level_position(variant: str, level: str) -> float | None:
    """Where ``level`` sits on ``variant``'s scale (``Variant.rung``), None when the variant is not
    installed or the level is none of its levels or rungs (explicit sizes)."""
    try:
        return get_variant(variant).rung(level)
    except (ValueError, KeyError):
        return None
