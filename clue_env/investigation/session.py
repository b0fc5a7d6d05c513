"""One investigation played turn by turn, without Gymnasium: what the environment wraps and an
evaluation or a trainer can drive directly (many sessions side by side, each a plain object).

``Session(case).prompt`` is the first observation; ``session.step(text)`` takes one reply of
the detective and returns a ``Turn``:

- a **question** (the reply's last non-blank line is a question of ``grammar``): its true
  answer, one line, plus how many questions are left;
- the **final answers** (otherwise, when the grader reads at least one answer line for the
  case's labels): graded by the one-shot game's ``Grader``; the episode ends;
- anything else: a one-line explanation of the grammar; it costs a question.

Once the budget is spent, the next reply is graded as the final answers, whatever it is (a
question then goes unanswered). The reward comes with the last turn:
``fraction right - cost_per_question * questions asked`` (every earlier turn: 0), so an
episode's return is that one number. Nothing raises on any text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..clues import Clue, clue_text, clue_to_json
from ..grading import Grade, Grader
from .case import InvestigationCase
from .grammar import Query, QueryError, grammar_summary, parse_query

__all__ = ["MAX_ASKED_CHARS", "Session", "Turn", "TurnKind", "status_text"]

MAX_ASKED_CHARS = 500
"""How much of a line that is no question is kept in ``Session.asked``."""

TurnKind = Literal["question", "invalid", "accusation", "final"]
"""``question``: answered; ``invalid``: no question of the grammar (costs one); ``accusation``:
final answers given (also after the budget was spent); ``final``: a reply after the budget was
spent that holds no answer, graded as it stands (the episode is truncated)."""


@dataclass(frozen=True)
class Turn:
    """What one reply of the detective led to.

    Attributes:
        kind: see ``TurnKind``.
        observation: the reply to the detective (the answer or the explanation, with the
            questions left; after the last turn, a summary of the score).
        done: the episode is over; ``truncated``: it ended because the budget was spent.
        reward: 0 until the last turn, then the episode's reward.
        query: the question read (``question`` turns).
        facts: the facts its answer states.
    """

    kind: TurnKind
    observation: str
    done: bool
    truncated: bool = False
    reward: float = 0.0
    query: Query | None = None
    facts: tuple[Clue, ...] = ()


def status_text(left: int) -> str:
    """What every answer ends with: how many questions are left."""
    if left <= 0:
        return "(no questions left: your next reply is taken as your final answers)"
    return f"({left} question{'' if left == 1 else 's'} left)"


def _text(action: object) -> str:
    if isinstance(action, str):
        text = action
    elif isinstance(action, bytes):
        text = action.decode("utf-8", errors="replace")
    elif action is None:
        text = ""
    else:
        text = str(action)
    # Lone surrogates cannot be encoded anywhere downstream (JSON, terminals): replace them.
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _last_line(text: str) -> str | None:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else None


@dataclass
class Session:
    """One episode of an investigation (see the module docstring).

    Attributes:
        case: the case played; ``cost_per_question``: the cost taken off per question.
        asked: the questions asked, as the detective wrote them (invalid ones included).
        queries: the questions read, in order (one per answered question).
        facts: every fact learned, in order; ``fact_records`` the same as text and clue JSON.
        grade: the grade of the final answers, once given.
    """

    case: InvestigationCase
    cost_per_question: float | None = None
    asked: list[str] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    facts: list[Clue] = field(default_factory=list)
    grade: Grade | None = None
    fact_records: list[dict[str, Any]] = field(default_factory=list)
    reward: float = 0.0
    done: bool = False
    truncated: bool = False
    _grader: Grader | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        cost = self.case.cost_per_question if self.cost_per_question is None else self.cost_per_question
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not 0.0 <= cost <= 1.0:
            raise ValueError(f"cost_per_question must be a number between 0 and 1, got {cost!r}")
        self.cost_per_question = float(cost)
        self.case = self.case.with_cost(self.cost_per_question)
        self._grader = Grader(self.case.solution, self.case.options)

    @property
    def prompt(self) -> str:
        return self.case.prompt

    @property
    def questions_asked(self) -> int:
        return len(self.asked)

    @property
    def questions_left(self) -> int:
        return max(0, self.case.budget - len(self.asked))

    def step(self, action: object) -> Turn:
        """Play one reply (any object: text is read, anything else turned into text)."""
        if self.done:
            raise RuntimeError("this investigation is over: start a new session")
        text = _text(action)
        if self.questions_left == 0:
            assert self._grader is not None
            grade = self._grader(text)
            answered = any(a is not None for a in grade.answers.values())
            return self._finish(text, "accusation" if answered else "final", grade)
        line = _last_line(text)
        if line is not None:
            try:
                query = parse_query(line, self.case.case)
            except QueryError as err:
                query, why = None, str(err)
            if query is not None:
                return self._answer(line, query)
        else:
            why = "the reply is empty"
        assert self._grader is not None
        grade = self._grader(text)
        if any(a is not None for a in grade.answers.values()):
            return self._finish(text, "accusation", grade)
        self.asked.append((line or "").strip()[:MAX_ASKED_CHARS])
        explanation = f"That is no question I can answer ({why}): {grammar_summary(self.case.case)}."
        return Turn("invalid", f"{explanation} {status_text(self.questions_left)}", False)

    def _answer(self, line: str, query: Query) -> Turn:
        self.asked.append(line.strip())
        facts = query.facts(self.case.case, self.case.night)
        self.queries.append(query)
        self.facts.extend(facts)
        self.fact_records += [{"text": clue_text(f, self.case.case), "clue": clue_to_json(f)} for f in facts]
        answer = query.form.say(query, self.case.case, facts)
        return Turn("question", f"{answer} {status_text(self.questions_left)}", False, query=query, facts=facts)

    def _finish(self, text: str, kind: TurnKind, grade: Grade | None = None) -> Turn:
        assert self._grader is not None
        self.grade = grade if grade is not None else self._grader(text)
        self.reward = float(self.grade.reward) - self.cost_per_question * len(self.asked)  # type: ignore[operator]
        self.done = True
        self.truncated = kind == "final"
        right = sum(self.grade.correct.values())
        summary = (
            f"Case closed: {right} of {len(self.grade.correct)} answers right after "
            f"{len(self.asked)} question{'' if len(self.asked) == 1 else 's'}; score {self.reward:.4g}."
        )
        return Turn(kind, summary, True, truncated=self.truncated, reward=self.reward)

    # ------------------------------------------------------------------ info

    def info(self) -> dict[str, Any]:
        """What ``info`` holds after each step: the questions, the facts, and at the end the solution."""
        case = self.case.case
        out: dict[str, Any] = {
            "puzzle_id": self.case.id,
            "questions_asked": len(self.asked),
            "questions_left": self.questions_left,
            "budget": self.case.budget,
            "optimal_questions": self.case.optimal_questions,
            "optimal_kind": self.case.optimal_kind,
            "asked": list(self.asked),
            "questions": [q.text(case) for q in self.queries],
            "facts": [dict(f) for f in self.fact_records],
        }
        if self.done:
            assert self.grade is not None
            out.update(
                solution=dict(self.case.solution),
                correct=dict(self.grade.correct),
                answers=dict(self.grade.answers),
                num_correct=sum(self.grade.correct.values()),
                num_questions=len(self.grade.correct),
                fraction=float(self.grade.reward),
                reward=self.reward,
                witness=[q.text(case) for q in self.case.witness],
            )
        return out
