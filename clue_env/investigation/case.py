"""An investigation case: a one-shot puzzle's world, the clues a detective starts with, the
question budget and the proof it suffices; the case's JSON record; and its prompt
(:func:`render_case_prompt`, what the detective reads at reset).

How a case is made and proved is ``prover.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

from ..case import Case
from ..clues import Clue, clue_text
from ..night import Night
from ..puzzle import Puzzle, render_prompt
from .grammar import Query, grammar_lines

__all__ = [
    "CASE_FORMAT",
    "DEFAULT_COST_PER_QUESTION",
    "DEFAULT_WITHHOLD",
    "InvestigationCase",
    "InvestigationError",
    "OptimalKind",
    "render_case_prompt",
]

CASE_FORMAT = 1
"""The record format ``InvestigationCase.to_record`` writes."""

DEFAULT_WITHHOLD = 0.5
"""The least share of the clues (beyond those always needed) withheld at the start."""

DEFAULT_COST_PER_QUESTION = 0.01
"""Reward taken off per question asked (the prompt states it; the environment may set another)."""

OptimalKind = Literal["minimum", "upper_bound"]


class InvestigationError(ValueError):
    """A puzzle that cannot be made into an investigation, or a case record that cannot be read."""


@dataclass(frozen=True)
class InvestigationCase:
    """One investigation: the world, what the detective starts with, and the proof it can be solved.

    Attributes:
        puzzle: the one-shot puzzle it comes from (its clues are all the clues; ``start``
            says which are given).
        start: indices into ``puzzle.clues`` of the starting clues, in prompt order.
        budget: how many questions may be asked before answering.
        optimal_questions: the size of ``witness``.
        optimal_kind: "minimum" (no smaller set of questions determines the answers, proven)
            or "upper_bound" (the witness is minimal -- no question of it can be dropped --
            but a smaller set may exist; ``lower_bound`` is what was proven).
        lower_bound: no set of fewer questions determines the answers.
        witness: questions whose true answers, with the starting clues, leave one answer
            to every question.
        withhold: the least share of clues withheld it was made with.
        opens: what the starting clues leave open: "the murderer" (some night fits them with
            another murderer), else "a main question", else "a question".
        cost_per_question: the cost the prompt states.
    """

    puzzle: Puzzle
    start: tuple[int, ...]
    budget: int
    optimal_questions: int
    optimal_kind: OptimalKind
    lower_bound: int
    witness: tuple[Query, ...]
    withhold: float = DEFAULT_WITHHOLD
    opens: str = "a question"
    cost_per_question: float = DEFAULT_COST_PER_QUESTION

    @property
    def id(self) -> str:
        return f"investigation/{self.puzzle.id}"

    @property
    def case(self) -> Case:
        return self.puzzle.case

    @property
    def night(self) -> Night:
        return self.puzzle.night

    @property
    def clues(self) -> tuple[Clue, ...]:
        """The starting clues."""
        return tuple(self.puzzle.clues[i] for i in self.start)

    @property
    def labels(self) -> list[str]:
        return self.puzzle.labels

    @property
    def solution(self) -> dict[str, str]:
        return self.puzzle.solution

    @property
    def options(self) -> dict[str, list[str]]:
        return self.puzzle.options

    @cached_property
    def prompt(self) -> str:
        """The observation at reset (rendered once)."""
        return render_case_prompt(self)

    def with_cost(self, cost_per_question: float) -> InvestigationCase:
        """The same case with another stated cost per question."""
        if cost_per_question == self.cost_per_question:
            return self
        return replace(self, cost_per_question=cost_per_question)

    def to_record(self) -> dict[str, Any]:
        """The JSON record of the case: ``prompt``, ``solution`` and ``num_clues`` first (so puzzle
        file readers take it), then everything needed to rebuild it."""
        world = self.puzzle.to_record()
        for key in ("prompt", "solution", "num_clues", "options"):
            world.pop(key)
        return {
            "prompt": self.prompt,
            "solution": self.solution,
            "num_clues": len(self.start),
            "id": self.id,
            "game": "investigation",
            "options": self.options,
            "budget": self.budget,
            "cost_per_question": self.cost_per_question,
            "optimal_questions": self.optimal_questions,
            "optimal_kind": self.optimal_kind,
            "lower_bound": self.lower_bound,
            "witness": [q.to_json() for q in self.witness],
            "witness_text": [q.text(self.case) for q in self.witness],
            "start": list(self.start),
            "start_clues": [clue_text(c, self.case) for c in self.clues],
            "withhold": self.withhold,
            "opens": self.opens,
            "puzzle": world,
            "format": CASE_FORMAT,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> InvestigationCase:
        """The case a record of ``to_record`` holds; ``InvestigationError`` saying what is wrong otherwise."""
        if not isinstance(record, dict) or record.get("game") != "investigation":
            raise InvestigationError("not an investigation case record (its 'game' is not 'investigation')")
        if record.get("format") != CASE_FORMAT:
            raise InvestigationError(
                f"investigation record format {record.get('format')!r} is not one this version reads ({CASE_FORMAT})"
            )
        try:
            world = dict(record["puzzle"])
            world.setdefault("clues", [])
            puzzle = Puzzle.from_record(world)
            start = tuple(int(i) for i in record["start"])
            if any(not 0 <= i < len(puzzle.clues) for i in start):
                raise InvestigationError(f"'start' names clues outside 0..{len(puzzle.clues) - 1}")
            return cls(
                puzzle=puzzle,
                start=start,
                budget=int(record["budget"]),
                optimal_questions=int(record["optimal_questions"]),
                optimal_kind=record["optimal_kind"],
                lower_bound=int(record["lower_bound"]),
                witness=tuple(Query.from_json(q) for q in record["witness"]),
                withhold=float(record.get("withhold", DEFAULT_WITHHOLD)),
                opens=str(record.get("opens", "a question")),
                cost_per_question=float(record.get("cost_per_question", DEFAULT_COST_PER_QUESTION)),
            )
        except InvestigationError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise InvestigationError(f"bad investigation record: {type(err).__name__}: {err}") from None


# --------------------------------------------------------------------------- the prompt


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_case_prompt(inv: InvestigationCase) -> str:
    """The prompt: the one-shot prompt of the world with the starting clues only, then how to
    investigate (the grammar with an example of each form, the budget, the cost, how to answer)."""
    base = render_prompt(replace(inv.puzzle, clues=inv.clues))
    base = base.removesuffix("Good luck, detective.").rstrip()
    forms = "\n".join(f"• {line}" for line in grammar_lines(inv.case))
    cost = f"{inv.cost_per_question:g}"
    parts = [
        base,
        "This is an investigation: the clues above do not settle the case yet. Before you answer you "
        f"may ask up to {_plural(inv.budget, 'question')} about the night, one per reply, and each "
        "gets a true answer. Ask with exactly one of these forms, on the last line of your reply:",
        forms,
        f"Your score is the fraction of questions above that you answer right, minus {cost} for every "
        "question you ask (a reply that is neither a question of these forms nor your final answers "
        "counts as a question). When you are ready, reply with your final answers in the format above "
        "instead of a question; once your questions are used up, your next reply is taken as your "
        "final answers.",
        "Good luck, detective.",
    ]
    return "\n\n".join(parts)
