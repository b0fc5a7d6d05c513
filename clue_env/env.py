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
is made in this process at its reset (the pool's puzzle for that seed is dropped). All of this
is ``episodes.EpisodeSource``'s, shared with ``TemporalClueInvestigation-v0``.
"""

from __future__ import annotations

from typing import Any

from gymnasium.error import ResetNeeded

from .episodes import MAX_ACTION_CHARS, MAX_PROMPT_CHARS, EpisodeSource, TextEpisodeEnv, episode_seed, theme_charset
from .generate import generate_task
from .grading import Grader
from .puzzle import Task
from .sizes import Sizes
from .variant import Variant

__all__ = ["MAX_ACTION_CHARS", "MAX_PROMPT_CHARS", "TemporalClueEnv", "episode_seed", "theme_charset"]


def _as_played(task: Task) -> Task:
    """A file's puzzle is played as it is."""
    return task


class TemporalClueEnv(TextEpisodeEnv[Task]):
    """See the module docstring."""

    def __init__(
        self,
        variant: str | Variant = "temporal",
        difficulty: str | int | Sizes | None = None,
        dataset: str | None = None,
        prefetch: int = 0,
        workers: int = 1,
        render_mode: str | None = None,
    ):
        super().__init__(render_mode)
        self._serve(
            EpisodeSource(
                generate_task,
                _as_played,
                variant=variant,
                difficulty=difficulty,
                dataset=dataset,
                prefetch=prefetch,
                workers=workers,
                index_refusal=(
                    "options['index'] picks a puzzle of a dataset; this environment generates puzzles (use seed=)"
                ),
            )
        )
        self._task: Task | None = None
        self._grader: Grader | None = None
        self._done = True
        self._last_info: dict[str, Any] = {}

    @property
    def task(self) -> Task | None:
        """The current puzzle."""
        return self._task

    # ------------------------------------------------------------------ gym API

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        task = self._next_episode(seed, options)
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
            self.render()
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
