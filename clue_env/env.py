"""The Gymnasium environment ``TemporalClue-v0``: one episode is one puzzle.

Observation: the prompt text. Action: the answer text. ``step`` grades the answer and
ends the episode with reward = fraction of questions answered right; ``info`` then holds
the solution, the per-question results and the parsed answers.

Puzzles come from a generator (``variant``/``difficulty``; ``reset(seed=s)`` plays puzzle
``s``, later resets without a seed continue a sequence derived from ``s``) or from a
puzzle file (``dataset=...``; ``reset(options={"index": i})`` plays puzzle ``i``).

``difficulty`` is any level ``Variant.difficulty`` takes: a level name, a rung number of the
variant's ladder (``difficulty=3``), explicit ``Sizes``. ``reset(options={"difficulty": d})``
plays that one reset's puzzle at level ``d`` instead: the same seed sequence (``seed=s`` with it
plays puzzle ``s`` of level ``d``), and the next reset without the option is back at the env's
own level. With ``prefetch`` the pool keeps making the env's own level; a puzzle of another level
is made in this process at its reset (the pool's puzzle for that seed is dropped).
"""

from __future__ import annotations

import hashlib
import itertools
import string
from collections.abc import Iterator
from functools import partial
from typing import Any

import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from .dataset import load_tasks
from .generate import generate_task
from .grading import Grader
from .puzzle import Task
from .sizes import Difficulty, Sizes
from .variant import Level, Variant, get_variant
from .workers import OrderedPool

MAX_PROMPT_CHARS = 200_000
_BASE_CHARSET = frozenset(string.printable) | frozenset("•·")
MAX_ACTION_CHARS = 4096


def theme_charset(variant: Variant) -> set[str]:
    """Every character a prompt of ``variant`` can hold: printable ASCII, the bullets, and the
    characters of its theme's names (the Text spaces' charset; the investigation env's too)."""
    theme = variant.theme
    charset = set(_BASE_CHARSET)
    for text in (
        theme.intro,
        theme.victim,
        *theme.suspects,
        *theme.weapons,
        *theme.motives,
        *(r.name for r in theme.rooms),
    ):
        charset.update(text)
    return charset


def episode_seed(base: int, episode: int) -> int:
    """Seed of the ``episode``-th puzzle after ``reset(seed=base)``: ``base`` itself first,
    then well-spread seeds, so that parallel environments seeded base, base+1, ... do not
    replay each other's puzzles."""
    if episode == 0:
        return base
    digest = hashlib.sha256(f"episode:{base}:{episode}".encode()).digest()
    return int.from_bytes(digest[:4], "little") >> 1


def _seeds_from(base: int, start: int) -> Iterator[int]:
    return (episode_seed(base, k) for k in itertools.count(start))


def reset_level(variant: Variant | None, options: dict[str, Any]) -> Difficulty | None:
    """The level ``options["difficulty"]`` asks of one reset (checked before any seed is used), or None."""
    if "difficulty" not in options:
        return None
    assert variant is not None
    level: Level = options["difficulty"]
    return variant.difficulty(level)


def no_levels(options: dict[str, Any]) -> None:
    """A dataset env has no levels to pick: ``options["difficulty"]`` is an error there."""
    if "difficulty" in options:
        raise ValueError(
            "options['difficulty'] picks a generated level; this environment plays a puzzle file (use options['index'])"
        )


def _resolve_variant(variant: str | Variant) -> Variant:
    if isinstance(variant, Variant):
        return variant
    return get_variant(variant)


class TemporalClueEnv(gym.Env[str, str]):
    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        variant: str | Variant = "temporal",
        difficulty: str | int | Sizes | None = None,
        dataset: str | None = None,
        prefetch: int = 0,
        workers: int = 1,
        render_mode: str | None = None,
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self._tasks: list[Task] | None = None
        self._variant: Variant | None = None
        self._prefetcher: OrderedPool[Task] | None = None
        charset = set(_BASE_CHARSET)
        if dataset is not None:
            self._tasks = load_tasks(dataset)
            for task in self._tasks:
                charset.update(task.prompt)
        else:
            self._variant = _resolve_variant(variant)
            self._difficulty = difficulty
            self._level = self._variant.difficulty(difficulty)  # fail now on a bad level or size
            charset = theme_charset(self._variant)
            if prefetch:
                self._prefetcher = OrderedPool(
                    partial(generate_task, self._variant, difficulty), workers, ahead=prefetch
                )
        self.observation_space = spaces.Text(max_length=MAX_PROMPT_CHARS, min_length=1, charset=frozenset(charset))
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, min_length=0, charset=frozenset(charset))
        self._base_seed: int | None = None
        self._episode = 0
        self._task: Task | None = None
        self._grader: Grader | None = None
        self._done = True
        self._last_info: dict[str, Any] = {}

    # ------------------------------------------------------------------ puzzles

    @property
    def task(self) -> Task | None:
        """The current puzzle."""
        return self._task

    def _next_generated(self, seed: int | None, level: Difficulty | None = None) -> Task:
        """The next puzzle of the seed sequence, at the env's level or at ``level``."""
        assert self._variant is not None
        other = level is not None and level != self._level
        restart = seed is not None or self._base_seed is None
        if restart:
            self._base_seed = seed if seed is not None else int(self.np_random.integers(2**31))
            self._episode = 0
            if self._prefetcher is not None:
                self._prefetcher.start(_seeds_from(self._base_seed, 0))
        assert self._base_seed is not None
        puzzle_seed = episode_seed(self._base_seed, self._episode)
        self._episode += 1
        if self._prefetcher is not None and other:
            seed_done = self._prefetcher.skip()
            assert seed_done == puzzle_seed, (seed_done, puzzle_seed)
        elif self._prefetcher is not None:
            seed_done, task = self._prefetcher.next()
            assert seed_done == puzzle_seed, (seed_done, puzzle_seed)  # the pool runs the same seed sequence
            return task
        return generate_task(self._variant, level if other else self._difficulty, puzzle_seed)

    def _next_from_dataset(self, options: dict[str, Any]) -> Task:
        assert self._tasks is not None
        if "index" in options:
            index = options["index"]
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self._tasks):
                raise ValueError(f"options['index'] must be an integer in [0, {len(self._tasks)}), got {index!r}")
        else:
            index = int(self.np_random.integers(len(self._tasks)))
        return self._tasks[index]

    # ------------------------------------------------------------------ gym API

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        if self._tasks is not None:
            no_levels(options)
            task = self._next_from_dataset(options)
        else:
            if "index" in options:
                raise ValueError(
                    "options['index'] picks a puzzle of a dataset; this environment generates puzzles (use seed=)"
                )
            task = self._next_generated(seed, reset_level(self._variant, options))
        self._task = task
        self._grader = Grader(task.solution, task.options)
        self._done = False
        self._last_info = {}
        info = {"puzzle_id": task.id, "num_clues": task.num_clues, "labels": list(task.solution)}
        return task.prompt, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._task is None or self._grader is None or self._done:
            raise ResetNeeded("call reset() before step(): each episode is one puzzle and one answer")
        grade = self._grader(action)
        self._done = True
        info = {
            "puzzle_id": self._task.id,
            "solution": dict(self._task.solution),
            "correct": dict(grade.correct),
            "answers": dict(grade.answers),
            "num_correct": sum(grade.correct.values()),
            "num_questions": len(grade.correct),
        }
        self._last_info = info
        if self.render_mode == "human":
            print(self._render_text())
        return self._task.prompt, float(grade.reward), True, False, info

    def _render_text(self) -> str:
        if self._task is None:
            return ""
        text = self._task.prompt
        if self._last_info:
            lines = [
                f"{label}. {self._last_info['answers'].get(label) or '(no answer)'} -- "
                f"{'right' if ok else 'wrong, it was ' + self._last_info['solution'][label]}"
                for label, ok in self._last_info["correct"].items()
            ]
            text += "\n\nYour answers:\n" + "\n".join(lines)
        return text

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "human":
            print(self._render_text())
        return None

    def close(self) -> None:
        if self._prefetcher is not None:
            self._prefetcher.close()
            self._prefetcher = None
        super().close()
