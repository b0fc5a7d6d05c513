"""The Gymnasium environment ``TemporalClueInvestigation-v0``: one episode is one investigation.

Observation at reset: the case (cast, map, times, motives, the rules), the starting clues
(which do not settle it), the question grammar with an example of each form, the budget, the
cost per question and the answer format. Each action is text: one question (on its last line)
or the final answers. A question's observation is its true answer (one line) and how many
questions are left; a text that is no question gets a one-line explanation of the grammar
and costs a question. The episode ends with the final answers (``terminated``) or, once the
budget is spent, with the next reply graded as it stands (``truncated`` when it holds no
answer). The reward comes with the last step: fraction right minus ``cost_per_question`` per
question asked; every earlier step returns 0. ``info`` holds the questions asked, the facts
learned (text and clue JSON) and, at the end, the solution, the grade and the plain fraction.
The rules of a turn are ``session.Session``'s; this module only serves cases.

Cases come from a generator (``variant``/``difficulty``, ``reset(seed=s)`` plays case ``s``:
puzzle ``s``'s world; later resets without a seed continue the same derived sequence as
``TemporalClue-v0``) or from a file (``dataset=``: investigation records, or puzzle records
of ``clue generate``, investigated when first played; ``reset(options={"index": i})``).
``difficulty`` and ``reset(options={"difficulty": d})`` work as in ``TemporalClue-v0``: a level
name, a rung number of the variant's ladder or explicit sizes, the option for that one reset.
"""

from __future__ import annotations

import itertools
from functools import partial
from typing import Any

import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from ..dataset import DatasetError, load_tasks
from ..env import (
    _BASE_CHARSET,
    MAX_ACTION_CHARS,
    MAX_PROMPT_CHARS,
    episode_seed,
    no_levels,
    reset_level,
    theme_charset,
)
from ..puzzle import Puzzle, Task
from ..sizes import Difficulty, Sizes
from ..variant import Variant, get_variant
from ..workers import OrderedPool
from .generate import (
    DEFAULT_COST_PER_QUESTION,
    DEFAULT_WITHHOLD,
    InvestigationCase,
    InvestigationError,
    case_from_puzzle,
    generate_case,
)
from .session import Session

__all__ = ["MAX_ACTION_CHARS", "TemporalClueInvestigationEnv", "case_from_task"]


def _no_night(task: Task) -> str | None:
    """Why ``task`` cannot be investigated (its record holds no simulated night), or None."""
    record = task.record
    if record.get("game") == "investigation" or ("night" in record and "case" in record):
        return None
    return (
        f"puzzle {task.id} has no simulated night to answer questions from (the original benchmark's "
        "files carry none); use a file written by `clue generate` or generated cases (variant=...)"
    )


def case_from_task(task: Task, withhold: float = DEFAULT_WITHHOLD) -> InvestigationCase:
    """The investigation a file's record stands for: an investigation record as it is, a puzzle
    record of ``clue generate`` investigated (``InvestigationError`` for a record without a night)."""
    why = _no_night(task)
    if why is not None:
        raise InvestigationError(why)
    record = task.record
    if record.get("game") == "investigation":
        return InvestigationCase.from_record(record)
    try:
        puzzle = Puzzle.from_record(record)
    except (KeyError, TypeError, ValueError) as err:
        raise InvestigationError(f"puzzle {task.id}: bad puzzle record: {type(err).__name__}: {err}") from None
    return case_from_puzzle(puzzle, withhold)


class TemporalClueInvestigationEnv(gym.Env[str, str]):
    """See the module docstring."""

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        variant: str | Variant = "temporal",
        difficulty: str | int | Sizes | None = None,
        dataset: str | None = None,
        prefetch: int = 0,
        workers: int = 1,
        render_mode: str | None = None,
        cost_per_question: float = DEFAULT_COST_PER_QUESTION,
        withhold: float = DEFAULT_WITHHOLD,
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if isinstance(cost_per_question, bool) or not isinstance(cost_per_question, (int, float)):
            raise ValueError(f"cost_per_question must be a number between 0 and 1, got {cost_per_question!r}")
        if not 0.0 <= cost_per_question <= 1.0:
            raise ValueError(f"cost_per_question must be a number between 0 and 1, got {cost_per_question!r}")
        if isinstance(withhold, bool) or not isinstance(withhold, (int, float)) or not 0.0 <= withhold <= 1.0:
            raise ValueError(f"withhold must be a share between 0 and 1, got {withhold!r}")
        self.render_mode = render_mode
        self.cost_per_question = float(cost_per_question)
        self.withhold = float(withhold)
        self._tasks: list[Task] | None = None
        self._cases: dict[int, InvestigationCase] = {}
        self._variant: Variant | None = None
        self._difficulty = difficulty
        self._prefetcher: OrderedPool[InvestigationCase] | None = None
        charset = set(_BASE_CHARSET)
        if dataset is not None:
            self._tasks = load_tasks(dataset)
            for task in self._tasks:
                why = _no_night(task)
                if why is not None:
                    raise DatasetError(f"{dataset}: {why}")
                charset.update(task.prompt)
        else:
            self._variant = variant if isinstance(variant, Variant) else get_variant(variant)
            self._level = self._variant.difficulty(difficulty)  # fail now on a bad level or size
            charset = theme_charset(self._variant)
            if prefetch:
                self._prefetcher = OrderedPool(
                    partial(generate_case, self._variant, difficulty, withhold=self.withhold), workers, ahead=prefetch
                )
        self.observation_space = spaces.Text(max_length=MAX_PROMPT_CHARS, min_length=1, charset=frozenset(charset))
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, min_length=0, charset=frozenset(charset))
        self._base_seed: int | None = None
        self._episode = 0
        self._session: Session | None = None
        self._transcript: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ cases

    @property
    def case(self) -> InvestigationCase | None:
        """The current case."""
        return self._session.case if self._session is not None else None

    @property
    def session(self) -> Session | None:
        """The current episode's state (questions, facts, grade)."""
        return self._session

    def _next_generated(self, seed: int | None, level: Difficulty | None = None) -> InvestigationCase:
        """The next case of the seed sequence, at the env's level or at ``level``."""
        assert self._variant is not None
        other = level is not None and level != self._level
        if seed is not None or self._base_seed is None:
            self._base_seed = seed if seed is not None else int(self.np_random.integers(2**31))
            self._episode = 0
            if self._prefetcher is not None:
                base = self._base_seed
                self._prefetcher.start(episode_seed(base, k) for k in itertools.count())
        case_seed = episode_seed(self._base_seed, self._episode)
        self._episode += 1
        if self._prefetcher is not None and other:
            seed_done = self._prefetcher.skip()
            assert seed_done == case_seed, (seed_done, case_seed)
        elif self._prefetcher is not None:
            seed_done, case = self._prefetcher.next()
            assert seed_done == case_seed, (seed_done, case_seed)  # the pool runs the same seed sequence
            return case
        return generate_case(self._variant, level if other else self._difficulty, case_seed, withhold=self.withhold)

    def _next_from_dataset(self, options: dict[str, Any]) -> InvestigationCase:
        assert self._tasks is not None
        if "index" in options:
            index = options["index"]
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self._tasks):
                raise ValueError(f"options['index'] must be an integer in [0, {len(self._tasks)}), got {index!r}")
        else:
            index = int(self.np_random.integers(len(self._tasks)))
        if index not in self._cases:
            self._cases[index] = case_from_task(self._tasks[index], self.withhold)
        return self._cases[index]

    # ------------------------------------------------------------------ gym API

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        if self._tasks is not None:
            no_levels(options)
            case = self._next_from_dataset(options)
        else:
            if "index" in options:
                raise ValueError("options['index'] picks a case of a dataset; this environment generates cases (seed=)")
            case = self._next_generated(seed, reset_level(self._variant, options))
        self._session = Session(case, self.cost_per_question)
        prompt = self._session.prompt
        self._transcript = [("case", prompt)]
        info = {
            "puzzle_id": case.id,
            "labels": list(case.labels),
            "num_clues": len(case.start),
            "budget": case.budget,
            "cost_per_question": self.cost_per_question,
            "optimal_questions": case.optimal_questions,
            "optimal_kind": case.optimal_kind,
        }
        return prompt, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._session is None or self._session.done:
            raise ResetNeeded("call reset() before step(): the investigation is over (or was never started)")
        turn = self._session.step(action)
        self._transcript += [("detective", str(action) if not isinstance(action, str) else action)]
        self._transcript += [("answer", turn.observation)]
        info = self._session.info()
        info["turn"] = turn.kind
        if self.render_mode == "human":
            print(self._render_text())
        terminated = turn.done and not turn.truncated
        return turn.observation, float(turn.reward), terminated, turn.truncated, info

    def _render_text(self) -> str:
        lines = []
        for who, text in self._transcript:
            lines.append(text if who == "case" else f"{'> ' if who == 'detective' else ''}{text}")
        return "\n\n".join(lines)

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
