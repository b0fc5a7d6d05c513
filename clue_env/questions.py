"""Questions: the five main ones (who, what, where, when, why) and the bonus ones, from one table.

``QUESTION_FORMS`` defines every question kind once: its wording (a template whose
``{field:slot}`` placeholders are filled from the question's fields), its answer type,
the index of its right answer in a night, the clue that says "the answer is option k",
and the fields that make up its JSON form. ``Question.text`` renders the template;
``prompt_parse`` reads question sentences back with the same templates (through
``clue_parse.Template``, against the prompt's vocabulary), so the two cannot drift apart.

Slot kinds a template may use (the phrases are those of ``clue_parse``'s vocabularies):
``victim`` (the victim's name), ``ref`` (a piece as clues name it, ``clues.ref_text``),
``when`` (" at <time>", or nothing in a single-time puzzle), ``suspect_name`` (a
suspect's name) and ``motive`` (a motive's name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from .case import Case
from .clues import (
    MURDERER,
    At,
    Clue,
    Culprit,
    HasMotive,
    KilledWith,
    MurderRoom,
    MurderTime,
    Ref,
    members,
    ref_text,
    room_of,
    when_text,
)
from .night import Night

__all__ = [
    "MAIN_KINDS",
    "QUESTION_FORMS",
    "QUESTION_KINDS",
    "AnswerType",
    "Question",
    "QuestionForm",
    "QuestionKind",
    "draw_questions",
]

AnswerType = Literal["SUSPECT", "WEAPON", "ROOM", "TIME", "MOTIVE"]

QuestionKind = Literal["who", "what", "where", "when", "why", "room_of", "motive_of", "motive_holder"]
"""``who``/``what``/``where``/``when``/``why``: the murderer, weapon, room, time and motive;
``room_of``: where ``subject`` was at ``time``; ``motive_of``: the motive of the suspect
``subject``; ``motive_holder``: the one suspect with motive ``motive``."""

QUESTION_KINDS: tuple[str, ...] = get_args(QuestionKind)
MAIN_KINDS = ("who", "what", "where", "when", "why")
"""The five questions about the murder itself (``sizes.MAIN_QUESTIONS`` asks among them)."""


@dataclass(frozen=True)
class QuestionForm:
    """One kind of question, defined once.

    Attributes:
        kind: the ``Question.kind`` it defines.
        template: the sentence; ``{field:slot}`` is filled from the question's ``field``
            (``_`` for none) with a phrase of the ``slot`` kind.
        answer_type: what the answer names (the answer-format block's word).
        main: one of the five murder questions (drawn from ``Sizes.ask``, asked first).
        fields: the question's fields that say which question it is (its JSON form).
        answer: the index of the right answer among ``Question.options`` in a night.
        fact: the clue "the answer is option k".
        slots_say: what the slots stand for, for error messages ("piece and time").
    """

    kind: QuestionKind
    template: str
    answer_type: AnswerType
    main: bool
    fields: tuple[str, ...]
    answer: Callable[[Question, Night], int]
    fact: Callable[[Question, int], Clue]
    slots_say: str = ""


def _only_member(q: Question, night: Night) -> tuple[str, int]:
    assert q.subject is not None
    found = members(q.subject, night)
    if len(found) != 1:
        raise ValueError(f"question {q} names {len(found)} pieces in this night, not one")
    return found[0]


def _subject(q: Question) -> Ref:
    assert q.subject is not None
    return q.subject


QUESTION_FORMS: dict[str, QuestionForm] = {
    f.kind: f
    for f in (
        QuestionForm(
            "who",
            "Who murdered {_:victim}?",
            "SUSPECT",
            True,
            (),
            lambda q, night: night.murderer,
            lambda q, k: Culprit(Ref("suspect", k)),
        ),
        QuestionForm(
            "what",
            "What weapon did the murderer use?",
            "WEAPON",
            True,
            (),
            lambda q, night: night.weapon,
            lambda q, k: KilledWith(Ref("weapon", k)),
        ),
        QuestionForm(
            "where",
            "Where was the murder committed?",
            "ROOM",
            True,
            (),
            lambda q, night: night.room,
            lambda q, k: MurderRoom(k),
        ),
        QuestionForm(
            "when",
            "When did the murder occur?",
            "TIME",
            True,
            (),
            lambda q, night: night.time,
            lambda q, k: MurderTime(k),
        ),
        QuestionForm(
            "why",
            "Why did the murderer do it?",
            "MOTIVE",
            True,
            (),
            lambda q, night: night.motives[night.murderer],
            lambda q, k: HasMotive(MURDERER, k),
        ),
        QuestionForm(
            "room_of",
            "Where was {subject:ref}{time:when}?",
            "ROOM",
            False,
            ("subject", "time"),
            lambda q, night: room_of(_only_member(q, night), night, q.time),
            lambda q, k: At(_subject(q), k, q.time),
            "piece and time",
        ),
        QuestionForm(
            "motive_of",
            "What motivates {subject:suspect_name}?",
            "MOTIVE",
            False,
            ("subject",),
            lambda q, night: night.motives[_subject(q).index],
            lambda q, k: HasMotive(_subject(q), k),
            "suspect",
        ),
        QuestionForm(
            "motive_holder",
            "Who is motivated by {motive:motive}?",
            "SUSPECT",
            False,
            ("motive",),
            lambda q, night: night.motives.index(q.motive),
            lambda q, k: HasMotive(Ref("suspect", k), q.motive),
            "motive",
        ),
    )
}
assert tuple(QUESTION_FORMS) == QUESTION_KINDS, "every kind of QuestionKind has exactly one form"

_PLACEHOLDER = re.compile(r"\{(\w+):(\w+)\}")


def _phrase(slot: str, value: object, case: Case) -> str:
    """The words a slot of kind ``slot`` shows for ``value`` (see the module docstring)."""
    if slot == "victim":
        return case.victim
    if slot == "ref":
        assert isinstance(value, Ref)
        return ref_text(value, case)
    if slot == "when":
        assert isinstance(value, int)
        return when_text(case, value)
    if slot == "suspect_name":
        assert isinstance(value, Ref) and value.kind == "suspect"
        return case.suspects[value.index]
    if slot == "motive":
        assert isinstance(value, int)
        return case.motives[value]
    raise ValueError(f"unknown question slot kind {slot!r}")


@dataclass(frozen=True)
class Question:
    """One question: ``kind`` (see ``QuestionKind``) and the fields its form uses
    (``subject``, ``time``, ``motive``; the others keep their defaults). ``bonus`` says
    whether it is asked among the bonus questions; it does not change what is asked."""

    kind: QuestionKind
    bonus: bool = False
    subject: Ref | None = None
    time: int = 0
    motive: int = 0

    def __post_init__(self) -> None:
        if self.kind not in QUESTION_FORMS:
            raise ValueError(f"unknown question kind {self.kind!r}; known: {', '.join(QUESTION_KINDS)}")
        needs_subject = "subject" in QUESTION_FORMS[self.kind].fields
        if needs_subject != (self.subject is not None):
            raise ValueError(f"a {self.kind!r} question {'needs' if needs_subject else 'takes no'} subject")
        if self.kind == "motive_of" and self.subject is not None and self.subject.kind != "suspect":
            raise ValueError(f"a 'motive_of' question asks about a named suspect, not a {self.subject.kind!r}")

    @property
    def form(self) -> QuestionForm:
        return QUESTION_FORMS[self.kind]

    def answer_type(self) -> AnswerType:
        return self.form.answer_type

    def text(self, case: Case) -> str:
        """The sentence that asks it (the form's template, filled in)."""

        def fill(m: re.Match) -> str:
            field, slot = m.group(1), m.group(2)
            return _phrase(slot, None if field == "_" else getattr(self, field), case)

        return _PLACEHOLDER.sub(fill, self.form.template)

    def options(self, case: Case) -> tuple[str, ...]:
        """Every answer a player may give."""
        return {
            "SUSPECT": case.suspects,
            "WEAPON": case.weapons,
            "ROOM": case.room_names,
            "TIME": case.times,
            "MOTIVE": case.motives,
        }[self.answer_type()]

    def answer_index(self, night: Night) -> int:
        """The position of the right answer in ``options``."""
        return self.form.answer(self, night)

    def answer(self, case: Case, night: Night) -> str:
        """The right answer, as the name of a suspect, weapon, room, time or motive."""
        return self.options(case)[self.answer_index(night)]

    def fact(self, option: int) -> Clue:
        """The clue that holds exactly when option number ``option`` is the answer."""
        return self.form.fact(self, option)

    def answer_clue(self, night: Night) -> Clue:
        """The fact that makes the answer right, as a clue."""
        return self.fact(self.answer_index(night))

    def problem(self, case: Case) -> str | None:
        """Why this question cannot be asked of ``case`` with exactly one right answer (None: it can)."""
        if self.answer_type() == "TIME" and len(case.times) < 2:
            return "asks for a time, but the prompt lists no times"
        motive_kind = self.answer_type() == "MOTIVE" or self.kind == "motive_holder"
        if motive_kind and not case.motives:
            return "asks for a motive, but the prompt lists no motives"
        if self.kind == "motive_holder" and case.motive_counts[self.motive] != 1:
            return f"has {case.motive_counts[self.motive]} right answers (a shared motive)"
        if self.kind == "room_of" and self.subject is not None and self.subject.kind == "motive":
            count = case.motive_counts[self.subject.index]
            if count != 1:
                return f"asks about {count} suspects at once (a shared motive)"
        return None

    def to_json(self) -> dict:
        out: dict = {"kind": self.kind, "bonus": self.bonus}
        for name in self.form.fields:
            value = getattr(self, name)
            out[name] = [value.kind, value.index] if isinstance(value, Ref) else value
        return out

    @classmethod
    def from_json(cls, data: dict) -> Question:
        """A question from ``to_json``'s form; also reads the form of puzzle records of
        format 1, where a "where" question with a subject meant today's "room_of"."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise ValueError(f"a question must be an object with a 'kind', got {data!r}")
        kind = data["kind"]
        if kind == "where" and "subject" in data:
            kind = "room_of"
        if kind not in QUESTION_FORMS:
            raise ValueError(f"unknown question kind {kind!r} in {data!r}; known: {', '.join(QUESTION_KINDS)}")
        subject = Ref(data["subject"][0], int(data["subject"][1])) if "subject" in data else None
        return cls(kind, bool(data.get("bonus", False)), subject, int(data.get("time", 0)), int(data.get("motive", 0)))


def draw_questions(rng: np.random.Generator, case: Case, asked: tuple[str, ...], bonus: int) -> tuple[Question, ...]:
    """The main questions asked, then ``bonus`` distinct bonus questions."""
    main = tuple(Question(kind) for kind in asked)  # type: ignore[arg-type]
    pool: list[Question] = []
    n_t = len(case.times)
    for t in range(n_t):
        pool += [Question("room_of", True, Ref("suspect", s), t) for s in range(len(case.suspects))]
        pool += [Question("room_of", True, Ref("weapon", w), t) for w in range(len(case.weapons))]
        if case.unique_motives:
            pool += [Question("room_of", True, Ref("motive", m), t) for m in range(len(case.motives))]
    if case.motives:
        pool += [Question("motive_of", True, Ref("suspect", s)) for s in range(len(case.suspects))]
        if case.unique_motives:
            pool += [Question("motive_holder", True, motive=m) for m in range(len(case.motives))]
    picks = rng.permutation(len(pool))[: min(bonus, len(pool))]
    return main + tuple(pool[int(i)] for i in picks)
