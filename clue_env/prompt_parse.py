"""The one reader of puzzle prompts: the outline (``prompt_outline``), then the puzzle.

Two levels, one reading:

- ``read_prompt(prompt, strict=True)`` -> ``PromptOutline`` (``prompt_outline``, re-exported
  here): what the text lists, section by section, in either wording (this project's or the
  original benchmark's), without reading what the clues mean; ``strict=False`` never raises
  on text. ``options_from_prompt`` is its answer options (None when they cannot be read).
- ``parse_prompt(prompt)`` -> ``ParsedPuzzle``: the strict outline turned into a
  ``Case``, clue trees (``clue_parse``) and ``questions.Question`` objects (read with the
  question forms of ``questions.QUESTION_FORMS``, the templates ``Question.text`` renders;
  ``parse_question(text, case)`` reads one sentence the same way).

What ``parse_prompt`` reads into the ``Case``: the victim (the name in "Who murdered X?",
else the one in the murder rule, else "Mr. Boddy"), rooms re-ordered to the map's cells
(row by row) and outdoor where some clue says "at the <room>", a single unnamed time
"12:00 AM" when none are listed (the original drops it), motives with how many suspects
have each ("(2 suspects)"; none given: one each). Clues are read in the prompt's dialect
(``clue_env`` or ``original``, whose bare "or" is exclusive, as its generator meant it).

Whatever cannot be read raises ``PromptParseError`` (a ``ValueError``) saying what.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .case import Case
from .clue_parse import CLUE_ENV, DIALECTS, ORIGINAL, ClueParseError, Dialect, Template, parser_for
from .clues import Clue
from .prompt_outline import FORMATS, PromptOutline, PromptParseError, QuestionLine, options_from_prompt, read_prompt
from .questions import QUESTION_FORMS, Question
from .theme import Room

__all__ = [
    "FORMATS",
    "SINGLE_TIME",
    "ParsedPuzzle",
    "PromptOutline",
    "PromptParseError",
    "QuestionLine",
    "options_from_prompt",
    "parse_prompt",
    "parse_question",
    "read_prompt",
]

SINGLE_TIME = "12:00 AM"
"""The label of the one time of a puzzle that lists none (the original's prompts drop it)."""

DEFAULT_VICTIM = "Mr. Boddy"

# --------------------------------------------------------------------------- the puzzle


@dataclass(frozen=True)
class ParsedPuzzle:
    """A puzzle as its prompt states it.

    Attributes:
        format: "clue_env" (this project's wording) or "original" (the original benchmark's).
        dialect: the ``clue_parse`` dialect the clues were read in.
        case: the cast, map, times and motives.
        clues: the clue trees, in prompt order; ``clue_texts`` their sentences.
        labels: the question labels, in order; ``questions`` the questions.
        answer_types: label -> the answer type the answer-format block asks for.
        outline: the prompt's outline it was read from.
    """

    format: str
    dialect: str
    case: Case
    clues: tuple[Clue, ...]
    clue_texts: tuple[str, ...]
    labels: tuple[str, ...]
    questions: tuple[Question, ...]
    answer_types: dict[str, str]
    outline: PromptOutline | None = field(default=None, compare=False, repr=False)

    @property
    def options(self) -> dict[str, list[str]]:
        """Every answer a player may give, per label."""
        return {lab: list(q.options(self.case)) for lab, q in zip(self.labels, self.questions)}

    def question(self, label: str) -> Question:
        return self.questions[self.labels.index(label)]


def _victim(lines: tuple[QuestionLine, ...], prompt: str) -> str:
    """The victim: the name the "who" question form asks about, else the one the murder rule names."""
    head, tail = QUESTION_FORMS["who"].template.split("{_:victim}")
    for line in lines:
        text = line.text
        if text.startswith(head) and text.endswith(tail) and len(text) > len(head) + len(tail):
            return text[len(head) : len(text) - len(tail)]
    m = re.search(r"the murderer and (.+?) must have been alone", prompt) or re.search(
        r"the only suspect in a room with (.+?) and at least one weapon", prompt
    )
    return m.group(1) if m else DEFAULT_VICTIM


class _QuestionReader:
    """Reads question sentences with the forms of ``questions.QUESTION_FORMS``, against
    the phrases of one case in one dialect."""

    def __init__(self, case: Case, vocabulary):
        self.case = case
        self.forms = [(form, Template(form.template, vocabulary)) for form in QUESTION_FORMS.values()]

    def read(self, line: QuestionLine) -> Question:
        text = line.text
        found = []
        for form, template in self.forms:
            for values in template.readings(text):
                q = Question(form.kind, line.bonus, **values)  # type: ignore[arg-type]
                if q not in found:
                    found.append(q)
        if not found:
            near = [(form, t) for form, t in self.forms if t.lead and text.startswith(t.lead) and form.slots_say]
            if near:
                form, t = near[0]
                raise PromptParseError(
                    f"cannot read the question {text!r}: no {form.slots_say} of the puzzle fit {t.template!r}"
                )
            raise PromptParseError(f"cannot read the question {text!r}: it has none of the question forms")
        if len(found) > 1:
            raise PromptParseError(f"the question {text!r} can be read {len(found)} ways: {found[:3]}")
        (q,) = found
        problem = q.problem(self.case)
        if problem is not None:
            raise PromptParseError(f"question {text!r} {problem}")
        return q


def parse_question(text: str, case: Case, dialect: Dialect | str = CLUE_ENV, bonus: bool = False) -> Question:
    """The question ``text`` asks of ``case`` (read with the question forms, in ``dialect``'s
    phrases); ``bonus`` says which section it came from. Raises ``PromptParseError``."""
    if not isinstance(text, str):
        raise PromptParseError(f"a question must be text, got {type(text).__name__}: {text!r}")
    if isinstance(dialect, str):
        if dialect not in DIALECTS:
            raise ValueError(f"unknown clue dialect {dialect!r}; known: {', '.join(DIALECTS)}")
        dialect = DIALECTS[dialect]
    return _QuestionReader(case, dialect.vocabulary(case)).read(QuestionLine("", text, bonus))


def _outdoor(names: tuple[str, ...], clue_texts: tuple[str, ...]) -> set[str]:
    """Rooms some clue places a piece "at" ("at the Fountain"), longest names first."""
    if not names:
        return set()
    pattern = re.compile(
        r"\bat the (" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w'])"
    )
    return {m.group(1) for text in clue_texts for m in pattern.finditer(text)}


@lru_cache(maxsize=512)
def parse_prompt(prompt: str) -> ParsedPuzzle:
    """The puzzle ``prompt`` states, read from its text alone (cached per prompt text).

    Raises ``PromptParseError`` naming the part that could not be read.
    """
    outline = read_prompt(prompt, strict=True)
    dialect = ORIGINAL if outline.format == "original" else CLUE_ENV
    assert outline.layout is not None  # strict reading raised otherwise
    victim = _victim(outline.questions, prompt)
    outdoor = _outdoor(outline.rooms, outline.clue_texts)
    rooms = tuple(Room(outline.rooms[i], outline.rooms[i] in outdoor) for i in outline.room_order)
    names = [*outline.suspects, *outline.weapons, *outline.rooms, *outline.motives, victim]
    folded = [n.casefold() for n in names]
    if len(set(folded)) != len(names):
        dup = next(n for n in names if folded.count(n.casefold()) > 1)
        raise PromptParseError(f"the name {dup!r} is used for two things")
    case = Case(
        victim,
        outline.suspects,
        outline.weapons,
        rooms,
        outline.layout,
        outline.times or (SINGLE_TIME,),
        outline.motives,
        outline.motive_counts,
    )

    parser = parser_for(case, dialect)
    clues = []
    for number, text in enumerate(outline.clue_texts, 1):
        try:
            clues.append(parser.parse(text))
        except ClueParseError as err:
            raise PromptParseError(f"clue {number}: {err}") from None

    reader = _QuestionReader(case, dialect.vocabulary(case))
    questions = tuple(reader.read(line) for line in outline.questions)
    labels = outline.labels
    for lab, q in zip(labels, questions):
        want = outline.answer_types.get(lab)
        if want is not None and want != q.answer_type():
            raise PromptParseError(f"question {lab} asks for a {q.answer_type()}, the answer format says {want}")
    return ParsedPuzzle(
        format=outline.format,
        dialect=dialect.name,
        case=case,
        clues=tuple(clues),
        clue_texts=outline.clue_texts,
        labels=labels,
        questions=questions,
        answer_types=dict(outline.answer_types),
        outline=outline,
    )
