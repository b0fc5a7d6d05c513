"""Solving a puzzle from its prompt alone, and auditing whether its answers are forced.

``solve_prompt(prompt)`` reads the prompt (``prompt_parse.parse_prompt``), builds the
CP-SAT model of every night the rules allow (``model.NightModel``) with every clue forced
true, and answers each question from one night that fits. It then asks, per question,
for a night that fits every clue but gives another answer: where there is one the
question is not unique, and that other answer is reported as evidence.

``audit(prompt, solution, reading)`` does the same against a given solution and lists,
per question, *every* answer that some night fitting the clues gives. Two readings:

- ``"encoded"``: the clues mean what their generator encoded. For the original
  benchmark's prompts a bare "X or Y" is exclusive (exactly one holds);
- ``"literal"``: the clues mean what their English says. For the original's prompts "X or
  Y" is then inclusive (at least one holds), so a puzzle whose answer relied on the
  exclusive reading has a second valid answer. This project's prompts say which "or" they
  mean, so both readings are the same for them.

Every night offered as evidence is checked against the clues with ``clues.holds`` and
against the rules with ``night.check_night``, independently of the CP-SAT encoding.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .clues import Clue, Either, holds
from .model import Lit, NightModel, new_solver
from .night import Night, check_night
from .prompt_parse import ParsedPuzzle, PromptParseError, parse_prompt
from .questions import Question

__all__ = [
    "READINGS",
    "Audit",
    "PromptParseError",
    "QuestionAudit",
    "SolveError",
    "SolveResult",
    "audit",
    "audit_summary",
    "reading_clues",
    "solve_parsed",
    "solve_prompt",
]

READINGS = ("encoded", "literal")

SOLVE_TIME_LIMIT_S = 120.0
"""Per CP-SAT call; the largest puzzles need well under a second."""


class SolveError(ValueError):
    """No night fits the prompt's clues (they contradict each other or the rules), or the
    solver gave up."""


# --------------------------------------------------------------------------- readings


def _inclusive(clue: Clue) -> Clue:
    if isinstance(clue, Either) and clue.exclusive:
        return Either(clue.a, clue.b, exclusive=False)
    return clue


def reading_clues(parsed: ParsedPuzzle, reading: str) -> tuple[Clue, ...]:
    """The clues of ``parsed`` under ``reading`` ("encoded" or "literal")."""
    if reading not in READINGS:
        raise ValueError(f"unknown reading {reading!r}; choose from {', '.join(READINGS)}")
    if reading == "literal" and parsed.format == "original":
        # The original writes its exclusive "or" as a bare "X or Y": English reads it inclusively.
        return tuple(_inclusive(c) for c in parsed.clues)
    return parsed.clues


# --------------------------------------------------------------------------- the search


class _Search:
    """One model of the rules with the clues forced true; finds nights under assumptions."""

    def __init__(self, parsed: ParsedPuzzle, clues: Sequence[Clue]):
        self.parsed, self.case, self.clues = parsed, parsed.case, tuple(clues)
        self.model = NightModel(self.case)
        for clue in self.clues:
            self.model.model.add_bool_or([self.model.literal(clue)])
        self.solver = new_solver(0)
        self.solver.parameters.max_time_in_seconds = SOLVE_TIME_LIMIT_S
        self.solves = 0

    def night(self, assumptions: Sequence[Lit] = ()) -> Night | None:
        """A night that fits every clue and the ``assumptions``, or None if there is none."""
        m = self.model.model
        m.clear_assumptions()
        m.add_assumptions(list(assumptions))
        status = self.solver.solve(m)
        self.solves += 1
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise SolveError(f"CP-SAT returned {self.solver.status_name(status)}")
        night = self.model.read_night(self.solver)
        self._check(night)
        return night

    def _check(self, night: Night) -> None:
        problems = check_night(self.case, night)
        false = [c for c in self.clues if not holds(c, self.case, night)]
        if problems or false:  # a bug in the model, never a property of the puzzle
            raise AssertionError(f"the solver's night breaks the rules {problems} or clues {false[:3]}")

    def answer(self, q: Question, night: Night) -> str:
        return q.answer(self.case, night)

    def fitting(self, q: Question, first: Night, limit: int | None = None) -> list[tuple[str, Night]]:
        """Answers to ``q`` that some night fitting the clues gives, each with such a night:
        ``first``'s answer first, then others until there are none (or ``limit`` in all)."""
        options = list(q.options(self.case))
        found = [(self.answer(q, first), first)]
        while limit is None or len(found) < limit:
            excluded = [self.model.answer_literal(q, options.index(a)).Not() for a, _ in found]
            other = self.night(excluded)
            if other is None:
                break
            answer = self.answer(q, other)
            if any(answer == a for a, _ in found):  # the model and the question disagree: a bug
                raise AssertionError(f"question {q}: excluded answer {answer!r} came back")
            found.append((answer, other))
        return found


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class SolveResult:
    """The answers a prompt's clues force, and where they do not.

    Attributes:
        answers: label -> the answer of one night that fits every clue.
        unique: label -> whether every night that fits gives that answer.
        alternatives: label -> a second valid answer, for each question that is not unique.
        night: the night the answers come from.
        parsed: the puzzle as read from the prompt.
        reading: "encoded" or "literal".
        solves: CP-SAT calls made; seconds: wall time, parsing included.
    """

    answers: dict[str, str]
    unique: dict[str, bool]
    alternatives: dict[str, str]
    night: Night
    parsed: ParsedPuzzle
    reading: str
    solves: int
    seconds: float

    @property
    def all_unique(self) -> bool:
        return all(self.unique.values())

    def text(self) -> str:
        """The answers in the prompt's format: one "A. answer" line per question."""
        return "\n".join(f"{lab}. {self.answers[lab]}" for lab in self.parsed.labels)


def solve_parsed(parsed: ParsedPuzzle, reading: str = "encoded", check_unique: bool = True) -> SolveResult:
    """Solve an already parsed puzzle (see ``solve_prompt``)."""
    start = time.perf_counter()
    search = _Search(parsed, reading_clues(parsed, reading))
    night = search.night()
    if night is None:
        raise SolveError("no night fits the clues: they contradict each other or the rules")
    answers, unique, alternatives = {}, {}, {}
    for lab, q in zip(parsed.labels, parsed.questions):
        answers[lab] = search.answer(q, night)
        if check_unique:
            found = search.fitting(q, night, limit=2)
            unique[lab] = len(found) == 1
            if len(found) > 1:
                alternatives[lab] = found[1][0]
    seconds = time.perf_counter() - start
    return SolveResult(answers, unique, alternatives, night, parsed, reading, search.solves, seconds)


def solve_prompt(prompt: str, reading: str = "encoded", check_unique: bool = True) -> SolveResult:
    """Answer every question of ``prompt`` from its text alone.

    Raises ``PromptParseError`` when the prompt cannot be read and ``SolveError`` when no
    night fits its clues. With ``check_unique=False`` the per-question uniqueness checks are
    skipped (``unique`` is then empty).
    """
    start = time.perf_counter()
    result = solve_parsed(parse_prompt(prompt), reading, check_unique)
    return SolveResult(**{**vars(result), "seconds": time.perf_counter() - start})


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class QuestionAudit:
    """One question under one reading.

    Attributes:
        label, text: the question as the prompt asks it; ``main``: not a bonus question.
        expected: the given solution's answer (None when none was given).
        fits: every answer that some night fitting all clues gives (the solution's first
            when it fits).
        unique: exactly one answer fits.
        correct: it is unique and it is ``expected`` (None without a solution).
        alternative: an answer that fits other than ``expected`` (or than the first fit),
            the evidence that the question is not unique; ``nights`` holds a night for
            each fitting answer.
    """

    label: str
    text: str
    main: bool
    expected: str | None
    fits: tuple[str, ...]
    unique: bool
    correct: bool | None
    alternative: str | None
    nights: dict[str, Night] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self, nights: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "question": self.text,
            "main": self.main,
            "expected": self.expected,
            "fits": list(self.fits),
            "unique": self.unique,
            "correct": self.correct,
            "alternative": self.alternative,
        }
        if nights and self.alternative is not None:
            out["alternative_night"] = self.nights[self.alternative].to_dict()
        return out


@dataclass(frozen=True)
class Audit:
    """Whether a prompt's clues force its answers, under one reading.

    Attributes:
        reading: "encoded" or "literal"; format: "clue_env" or "original".
        satisfiable: some night fits every clue.
        solution_fits: one night fits every clue and gives every answer of the solution
            (None without a solution).
        questions: one ``QuestionAudit`` per question, in label order.
        seconds: wall time, parsing included.
    """

    reading: str
    format: str
    satisfiable: bool
    solution_fits: bool | None
    questions: tuple[QuestionAudit, ...]
    seconds: float

    @property
    def ambiguous(self) -> list[str]:
        """Labels of questions with more than one fitting answer."""
        return [q.label for q in self.questions if len(q.fits) > 1]

    @property
    def ambiguous_main(self) -> list[str]:
        return [q.label for q in self.questions if q.main and len(q.fits) > 1]

    @property
    def unique(self) -> bool:
        """Satisfiable, and every question has exactly one answer."""
        return self.satisfiable and all(q.unique for q in self.questions)

    @property
    def ok(self) -> bool:
        """Unique, and (with a solution) the one answer of each question is the solution's."""
        return self.unique and all(q.correct is not False for q in self.questions) and self.solution_fits is not False

    def to_dict(self, nights: bool = False) -> dict[str, Any]:
        return {
            "reading": self.reading,
            "format": self.format,
            "satisfiable": self.satisfiable,
            "solution_fits": self.solution_fits,
            "unique": self.unique,
            "ok": self.ok,
            "ambiguous": self.ambiguous,
            "ambiguous_main": self.ambiguous_main,
            "questions": [q.to_dict(nights) for q in self.questions],
            "seconds": round(self.seconds, 4),
        }


def audit(prompt: str, solution: Mapping[str, str] | None = None, reading: str = "literal") -> Audit:
    """Check, from the prompt's text alone, whether each question has exactly one answer.

    ``reading="literal"`` reads the clues as English does (the original's bare "or" is
    inclusive); ``"encoded"`` as the generator meant them (the original's "or" exclusive).
    ``solution`` (label -> answer) is the answer key to check; labels it lacks are checked
    for uniqueness only. Raises ``PromptParseError`` for an unreadable prompt and
    ``ValueError`` for an unknown reading.
    """
    start = time.perf_counter()
    parsed = parse_prompt(prompt)
    search = _Search(parsed, reading_clues(parsed, reading))
    solution = dict(solution or {})
    first = search.night()
    if first is None:
        questions = tuple(
            QuestionAudit(lab, q.text(parsed.case), not q.bonus, solution.get(lab), (), False,
                          False if lab in solution else None, None)
            for lab, q in zip(parsed.labels, parsed.questions)
        )  # fmt: skip
        return Audit(reading, parsed.format, False, False if solution else None, questions, time.perf_counter() - start)

    # A night that gives as many of the solution's answers as possible, to start from.
    wanted: list[Lit] = []
    unknown: list[str] = []
    for lab, q in zip(parsed.labels, parsed.questions):
        if lab in solution:
            options = list(q.options(parsed.case))
            if solution[lab] in options:
                wanted.append(search.model.answer_literal(q, options.index(solution[lab])))
            else:
                unknown.append(lab)
    solution_fits: bool | None = None
    if solution:
        together = search.night(wanted) if not unknown else None
        solution_fits = together is not None
        if together is not None:
            first = together

    out = []
    for lab, q in zip(parsed.labels, parsed.questions):
        expected = solution.get(lab)
        start_night = first
        if expected is not None and expected != search.answer(q, first) and expected in q.options(parsed.case):
            options = list(q.options(parsed.case))
            start_night = search.night([search.model.answer_literal(q, options.index(expected))]) or first
        found = search.fitting(q, start_night)
        fits = tuple(a for a, _ in found)
        others = [a for a in fits if a != (expected if expected is not None else fits[0])]
        correct = None if expected is None else fits == (expected,)
        out.append(
            QuestionAudit(
                label=lab,
                text=q.text(parsed.case),
                main=not q.bonus,
                expected=expected,
                fits=fits,
                unique=len(fits) == 1,
                correct=correct,
                alternative=others[0] if others else None,
                nights={a: n for a, n in found},
            )
        )
    return Audit(reading, parsed.format, True, solution_fits, tuple(out), time.perf_counter() - start)


def audit_summary(audits: Sequence[Audit]) -> dict[str, Any]:
    """Counts over many audits of one reading: how many puzzles are unique, how many have a
    main question with a second valid answer, and which questions' kinds those are."""
    by_kind: dict[str, int] = {}
    for a in audits:
        for q in a.questions:
            if q.main and not q.unique:
                by_kind[q.text] = by_kind.get(q.text, 0) + 1
    return {
        "puzzles": len(audits),
        "unique": sum(a.unique for a in audits),
        "ok": sum(a.ok for a in audits),
        "unsatisfiable": sum(not a.satisfiable for a in audits),
        "solution_does_not_fit": sum(a.solution_fits is False for a in audits),
        "ambiguous_main": sum(bool(a.ambiguous_main) for a in audits),
        "ambiguous_any": sum(bool(a.ambiguous) for a in audits),
        "ambiguous_main_questions": dict(sorted(by_kind.items())),
    }
