"""Where a text environment's episodes come from, and the Gymnasium shell both environments share.

Episodes come from a generator (``variant``/``difficulty``; ``reset(seed=s)`` plays episode ``s``,
later resets without a seed continue a sequence derived from ``s``: ``episode_seed``) or from a
puzzle file (``dataset=...``; ``reset(options={"index": i})`` plays record ``i``, a reset without
it a random one).

``difficulty`` is any level ``Variant.difficulty`` takes: a level name, a rung number of the
variant's ladder (``difficulty=3``), explicit ``Sizes``. ``reset(options={"difficulty": d})``
plays that one reset's episode at level ``d`` instead: the same seed sequence (``seed=s`` with it
plays episode ``s`` of level ``d``), and the next reset without the option is back at the env's
own level. With ``prefetch`` the pool keeps making the env's own level; an episode of another level
is made in this process at its reset (the pool's episode for that seed is dropped).

``EpisodeSource`` is that choice for any kind of episode (a one-shot ``Task``, an investigation
case): ``make(variant, difficulty, seed)`` makes a generated one, ``from_task(task)`` turns a
file's record into one. ``TextEpisodeEnv`` is the shell around it: the render modes, Text spaces
over every character an episode can hold, ``render`` and ``close``; each environment adds its
own ``reset`` and ``step``.
"""

from __future__ import annotations

import hashlib
import itertools
import string
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Generic, TypeVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .dataset import DatasetError, load_tasks
from .puzzle import Task
from .sizes import Difficulty
from .variant import Level, Variant, get_variant
from .workers import OrderedPool

__all__ = [
    "BASE_CHARSET",
    "MAX_ACTION_CHARS",
    "MAX_PROMPT_CHARS",
    "EpisodeSource",
    "TextEpisodeEnv",
    "episode_seed",
    "no_levels",
    "reset_level",
    "theme_charset",
]

MAX_PROMPT_CHARS = 200_000
BASE_CHARSET = frozenset(string.printable) | frozenset("•·")
"""Characters every prompt may hold: printable ASCII and the bullets."""
MAX_ACTION_CHARS = 4096

T = TypeVar("T")


def theme_charset(variant: Variant) -> set[str]:
    """Every character a prompt of ``variant`` can hold: printable ASCII, the bullets, and the
    characters of its theme's names (the Text spaces' charset of both environments)."""
    theme = variant.theme
    charset = set(BASE_CHARSET)
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


class EpisodeSource(Generic[T]):
    """The episodes of one environment: generated (seed sequence, optional prefetch pool) or a file's.

    Args:
        make: ``make(variant, difficulty, seed)``, the generated episode (picklable: the pool's
            worker processes run it).
        from_task: a file's record as an episode (made once per record, when first played).
        variant, difficulty, prefetch, workers: the generator, its level, and how many episodes
            ``workers`` processes make ahead (0: each reset makes its own).
        dataset: a puzzle file to play instead of generating.
        check: why a file's record cannot be played (None: it can); the file is refused at once.
        index_refusal: the error message for ``options["index"]`` when episodes are generated.

    Attributes:
        tasks: the file's records (None when generated); ``variant``, ``level`` the generator and
            its level (None for a file); ``pool`` the prefetch pool (None without, or once closed);
            ``charset`` every character an episode's prompt can hold.
    """

    def __init__(
        self,
        make: Callable[[Variant, Level, int], T],
        from_task: Callable[[Task], T],
        *,
        variant: str | Variant = "temporal",
        difficulty: Level = None,
        dataset: str | None = None,
        prefetch: int = 0,
        workers: int = 1,
        check: Callable[[Task], str | None] | None = None,
        index_refusal: str = "options['index'] picks a puzzle of a dataset; this environment generates puzzles",
    ):
        self._make = make
        self._from_task = from_task
        self._difficulty = difficulty
        self._index_refusal = index_refusal
        self.tasks: list[Task] | None = None
        self.variant: Variant | None = None
        self.level: Difficulty | None = None
        self.pool: OrderedPool[T] | None = None
        self._made: dict[int, T] = {}
        self._base_seed: int | None = None
        self._episode = 0
        charset = set(BASE_CHARSET)
        if dataset is not None:
            self.tasks = load_tasks(dataset)
            for task in self.tasks:
                why = check(task) if check is not None else None
                if why is not None:
                    raise DatasetError(f"{dataset}: {why}")
                charset.update(task.prompt)
        else:
            self.variant = variant if isinstance(variant, Variant) else get_variant(variant)
            self.level = self.variant.difficulty(difficulty)  # fail now on a bad level or size
            charset = theme_charset(self.variant)
            if prefetch:
                self.pool = OrderedPool(partial(make, self.variant, difficulty), workers, ahead=prefetch)
        self.charset = frozenset(charset)

    def next(self, np_random: np.random.Generator, seed: int | None, options: dict[str, Any]) -> T:
        """The episode of one ``reset(seed=seed, options=options)``; ``np_random`` is the env's."""
        if self.tasks is not None:
            no_levels(options)
            return self._from_file(np_random, options)
        if "index" in options:
            raise ValueError(self._index_refusal)
        return self._generated(np_random, seed, reset_level(self.variant, options))

    def _generated(self, np_random: np.random.Generator, seed: int | None, level: Difficulty | None) -> T:
        """The next episode of the seed sequence, at the source's level or at ``level``."""
        assert self.variant is not None
        other = level is not None and level != self.level
        if seed is not None or self._base_seed is None:
            self._base_seed = seed if seed is not None else int(np_random.integers(2**31))
            self._episode = 0
            if self.pool is not None:
                self.pool.start(_seeds_from(self._base_seed, 0))
        episode_at = episode_seed(self._base_seed, self._episode)
        self._episode += 1
        if self.pool is not None and other:
            seed_done = self.pool.skip()
            assert seed_done == episode_at, (seed_done, episode_at)
        elif self.pool is not None:
            seed_done, episode = self.pool.next()
            assert seed_done == episode_at, (seed_done, episode_at)  # the pool runs the same seed sequence
            return episode
        return self._make(self.variant, level if other else self._difficulty, episode_at)

    def _from_file(self, np_random: np.random.Generator, options: dict[str, Any]) -> T:
        assert self.tasks is not None
        if "index" in options:
            index = options["index"]
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.tasks):
                raise ValueError(f"options['index'] must be an integer in [0, {len(self.tasks)}), got {index!r}")
        else:
            index = int(np_random.integers(len(self.tasks)))
        if index not in self._made:
            self._made[index] = self._from_task(self.tasks[index])
        return self._made[index]

    def close(self) -> None:
        """Stop the prefetch pool's workers (a later generated episode is made in this process)."""
        if self.pool is not None:
            self.pool.close()
            self.pool = None


class TextEpisodeEnv(gym.Env[str, str], Generic[T]):
    """A text environment over an ``EpisodeSource``: observations and actions are text.

    A subclass calls ``super().__init__(render_mode)`` first, checks its own arguments, then
    ``self._serve(source)``; it implements ``reset``, ``step`` and ``_render_text`` (what
    ``render`` shows: the text as an "ansi" string, printed for "human").
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(self, render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode

    def _serve(self, source: EpisodeSource[T]) -> None:
        """Play ``source``'s episodes: its characters make the Text spaces."""
        self._source = source
        self.observation_space = spaces.Text(max_length=MAX_PROMPT_CHARS, min_length=1, charset=source.charset)
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, min_length=0, charset=source.charset)

    @property
    def source(self) -> EpisodeSource[T]:
        """Where the episodes come from (``source.tasks`` of a file, ``source.pool`` when prefetching)."""
        return self._source

    def _next_episode(self, seed: int | None, options: dict[str, Any] | None) -> T:
        """The episode of ``reset(seed=seed, options=options)``; call after ``super().reset(seed=seed)``."""
        return self._source.next(self.np_random, seed, dict(options or {}))

    def _render_text(self) -> str:
        raise NotImplementedError

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "human":
            print(self._render_text())
        return None

    def close(self) -> None:
        self._source.close()
        super().close()
