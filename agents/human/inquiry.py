"""What the terminal game knows of an investigation besides the sheet: the grammar's case, the
budget, what was asked and answered so far, and the checks a question passes before it is sent.

A question is checked here with the game's own grammar (``clue_env.investigation.grammar``):
one the grammar does not accept, or one already asked, is explained and never sent, so it costs
nothing (the environment, which reads a model's replies, counts a reply that is no question as
one). The answers come back as the environment words them, with the questions left in brackets
at the end; ``answer_text`` takes that bracket off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from clue_env.case import Case
from clue_env.investigation import InvestigationCase
from clue_env.investigation.grammar import QUERY_FORMS, Query, QueryError, grammar_lines, parse_query, read_answer

__all__ = [
    "Exchange",
    "Inquiry",
    "Learned",
    "QuestionRejected",
    "answer_text",
    "budget_of",
    "cost_of",
    "is_investigation_prompt",
    "read_exchanges",
]

# How the investigation's prompt states the budget and the cost, and how each answer ends
# (clue_env/investigation: case.render_case_prompt and session.status_text).
_BUDGET = re.compile(r"you may ask up to (\d+) questions?\b", re.IGNORECASE)
_COST = re.compile(r"minus (\d+(?:\.\d+)?) for every question you ask", re.IGNORECASE)
_STATUS = re.compile(r"\s*\((?:(\d+) questions? left|no questions left[^)]*)\)\s*$")


class QuestionRejected(ValueError):
    """A question that is not sent: the grammar does not accept it, it was asked before, or no
    questions are left. The message says why and what to do; nothing is spent."""


@dataclass(frozen=True)
class Learned:
    """One question put to the witness and its reply: ``answer`` without the questions-left
    bracket; ``answered`` False where the reply is an explanation instead (the question was not
    one the environment could read, and it still counted)."""

    question: str
    answer: str
    answered: bool = True


@dataclass
class Inquiry:
    """The investigation side of a game.

    Attributes:
        case: the cast, rooms, times and motives questions are read against (None: the prompt
            could not be read, so questions are sent as typed, unchecked).
        budget: questions allowed; ``left``: questions left (as the environment last said).
        cost_per_question: what each question takes off the score (None: not known).
        optimal_questions / optimal_kind: the case's proven witness size, where it is known.
        learned: every question asked and its reply, in order.
        queries: the questions read from ``learned`` (for refusing a repeat).
    """

    case: Case | None
    budget: int
    left: int
    cost_per_question: float | None = None
    optimal_questions: int | None = None
    optimal_kind: str | None = None
    learned: list[Learned] = field(default_factory=list)
    queries: list[Query | None] = field(default_factory=list)

    @classmethod
    def of_case(cls, inv: InvestigationCase) -> Inquiry:
        return cls(
            inv.case,
            inv.budget,
            inv.budget,
            inv.cost_per_question,
            inv.optimal_questions,
            inv.optimal_kind,
        )

    @classmethod
    def of_prompt(cls, prompt: str, case: Case | None) -> Inquiry:
        """What the prompt of an investigation states (``budget_of`` must find its budget)."""
        budget = budget_of(prompt)
        if budget is None:
            raise ValueError("the prompt states no question budget: it is no investigation")
        return cls(case, budget, budget, cost_of(prompt))

    @property
    def asked(self) -> int:
        return len(self.learned)

    @property
    def forms(self) -> list[str]:
        """The question forms with an example each, as the prompt lists them."""
        return grammar_lines(self.case) if self.case is not None else []

    @property
    def kinds(self) -> list[str]:
        """The kinds of question this case takes (no motives: no motive questions)."""
        if self.case is None:
            return []
        return [k for k, f in QUERY_FORMS.items() if self.case.motives or not f.needs_motives]

    def check(self, text: str) -> str:
        """The question ``text`` as the grammar writes it, ready to send; ``QuestionRejected``
        (nothing spent) when no question is left, the grammar does not accept it or it was asked."""
        text = text.strip()
        if self.left <= 0:
            raise QuestionRejected("No questions left: a gives your final answers.")
        if not text:
            raise QuestionRejected("Type a question after i, or i alone to pick one from a menu.")
        if self.case is None:
            return text  # nothing to check it against: the environment will say
        try:
            query = parse_query(text, self.case)
        except QueryError as err:
            raise QuestionRejected(f"Not asked, nothing spent: {err}. See l for the forms.") from None
        return self.check_query(query)

    def check_query(self, query: Query) -> str:
        """``query``'s text, ready to send; ``QuestionRejected`` when it was asked before."""
        assert self.case is not None
        if self.left <= 0:
            raise QuestionRejected("No questions left: a gives your final answers.")
        if query in self.queries:
            k = self.queries.index(query)
            raise QuestionRejected(f"You asked that already (question {k + 1}, see l): not asked again, nothing spent.")
        return query.text(self.case)

    def record(self, question: str, reply: str, left: int | None = None) -> Learned:
        """Note the reply to ``question`` (as the environment gave it) and the questions ``left``
        (default: one fewer). A reply that reads back as an answer is a fact learned."""
        answer = answer_text(reply)
        query: Query | None = None
        answered = True
        if self.case is not None:
            try:
                query = parse_query(question, self.case)
                read_answer(query, answer, self.case)
            except QueryError:
                query, answered = None, False
        learned = Learned(question.strip(), answer, answered)
        self.learned.append(learned)
        self.queries.append(query)
        self.left = max(0, self.left - 1) if left is None else max(0, left)
        return learned


def answer_text(reply: str) -> str:
    """An answer of the environment without its questions-left bracket."""
    return _STATUS.sub("", reply).strip()


def left_in(reply: str) -> int | None:
    """The questions left an answer of the environment states, None when it states none."""
    m = _STATUS.search(reply)
    if m is None:
        return None
    return int(m.group(1)) if m.group(1) else 0


def budget_of(prompt: object) -> int | None:
    """The question budget an investigation's prompt states; None for any other text."""
    m = _BUDGET.search(prompt) if isinstance(prompt, str) else None
    return int(m.group(1)) if m else None


def cost_of(prompt: str) -> float | None:
    """The cost per question an investigation's prompt states, None when it states none."""
    m = _COST.search(prompt)
    return float(m.group(1)) if m else None


def is_investigation_prompt(prompt: object) -> bool:
    """Whether ``prompt`` is the first observation of an investigation (it states a budget)."""
    return budget_of(prompt) is not None


@dataclass(frozen=True)
class Exchange:
    """One turn of the conversation: the detective's ``reply`` and the environment's ``answer``."""

    reply: str
    answer: str


def read_exchanges(messages: Sequence[Mapping[str, object]]) -> tuple[str, list[Exchange]]:
    """The case's prompt (the first user message) and each (reply, answer) after it, from chat
    messages (system messages skipped). ``ValueError`` when it is not the detective's turn."""
    turns = [(m.get("role"), m.get("content")) for m in messages if m.get("role") != "system"]
    if not turns or turns[0][0] != "user" or not isinstance(turns[0][1], str):
        raise ValueError("an investigation starts with the case's prompt as a user message")
    if turns[-1][0] != "user":
        raise ValueError("the last message is the detective's own: it is the environment's turn, not the player's")
    for k, (role, _) in enumerate(turns[1:], 1):
        if role != ("assistant" if k % 2 else "user"):
            raise ValueError(f"turn {k} is a {role} message where the conversation needs the other side's turn")
    exchanges = [Exchange(str(r), str(a)) for (_, r), (_, a) in zip(turns[1::2], turns[2::2])]
    return turns[0][1], exchanges
