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

from functools import partial
from typing import Any

from gymnasium.error import ResetNeeded

from ..episodes import MAX_ACTION_CHARS, EpisodeSource, TextEpisodeEnv
from ..puzzle import Puzzle, Task
from ..sizes import Sizes
from ..variant import Variant
from .case import DEFAULT_COST_PER_QUESTION, DEFAULT_WITHHOLD, InvestigationCase, InvestigationError
from .generate import generate_case
from .prover import case_from_puzzle
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


class TemporalClueInvestigationEnv(TextEpisodeEnv[InvestigationCase]):
    """See the module docstring."""

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
        super().__init__(render_mode)
        if isinstance(cost_per_question, bool) or not isinstance(cost_per_question, (int, float)):
            raise ValueError(f"cost_per_question must be a number between 0 and 1, got {cost_per_question!r}")
        if not 0.0 <= cost_per_question <= 1.0:
            raise ValueError(f"cost_per_question must be a number between 0 and 1, got {cost_per_question!r}")
        if isinstance(withhold, bool) or not isinstance(withhold, (int, float)) or not 0.0 <= withhold <= 1.0:
            raise ValueError(f"withhold must be a share between 0 and 1, got {withhold!r}")
        self.cost_per_question = float(cost_per_question)
        self.withhold = float(withhold)
        self._serve(
            EpisodeSource(
                partial(generate_case, withhold=self.withhold),
                partial(case_from_task, withhold=self.withhold),
                variant=variant,
                difficulty=difficulty,
                dataset=dataset,
                prefetch=prefetch,
                workers=workers,
                check=_no_night,
                index_refusal="options['index'] picks a case of a dataset; this environment generates cases (seed=)",
            )
        )
        self._session: Session | None = None
        self._transcript: list[tuple[str, str]] = []

    @property
    def case(self) -> InvestigationCase | None:
        """The current case."""
        return self._session.case if self._session is not None else None

    @property
    def session(self) -> Session | None:
        """The current episode's state (questions, facts, grade)."""
        return self._session

    # ------------------------------------------------------------------ gym API

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        case = self._next_episode(seed, options)
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
            self.render()
        terminated = turn.done and not turn.truncated
        return turn.observation, float(turn.reward), terminated, turn.truncated, info

    def _render_text(self) -> str:
        lines = []
        for who, text in self._transcript:
            lines.append(text if who == "case" else f"{'> ' if who == 'detective' else ''}{text}")
        return "\n\n".join(lines)
