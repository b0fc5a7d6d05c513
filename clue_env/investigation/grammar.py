"""The investigation's question grammar: what a detective may ask, its answers, and reading both back.

``QUERY_FORMS`` defines every kind of question once: its wording (a template whose
``{field:slot}`` placeholders are filled from the query's fields, the same notation as
``questions.QUESTION_FORMS``), one example, the facts of a night that answer it (clue trees
of ``clues.py``: ``At``, ``Not(At(...))``, ``HasMotive``), the sentence that states them, and
how that sentence is read back. ``Query.text`` renders a question; ``parse_query`` reads one
with the same templates (matched slot by slot against the case's phrases, as
``clue_parse.Template`` reads its own), so the two cannot drift apart.

The kinds:

- ``where``: "Where was PERSON OR WEAPON at TIME?" -- the room of a suspect, a weapon or
  the victim (his body, after the murder);
- ``who``: "Who was in ROOM at TIME?" -- every person (suspects and the victim) in a room;
- ``weapons``: "Which weapons were in ROOM at TIME?" -- every weapon in a room;
- ``motive``: "What was SUSPECT's motive?" (also "What motivates SUSPECT?") -- a
  suspect's motive, in cases with motives.

Reading is lenient about the form and strict about the meaning: case, spacing, dots in
titles ("Mr Green"), a leading "the" for weapons, "in"/"at" before a room, the usual ways of
writing a time ("10 pm", "10:00PM", "22:00", "midnight"), a final "?" and a leading
"Question:" or list bullet do not matter; a piece, room or time that is not in the case, a
description ("the murderer") instead of a name, or a question that can be read two ways is
no question. In a case with one time, questions name no time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

from ..case import Case
from ..clues import VICTIM, At, Clue, HasMotive, Not, Ref, clue_text, place_text, ref_text, room_of, when_text
from ..night import Night

__all__ = [
    "QUERY_FORMS",
    "QUERY_KINDS",
    "Query",
    "QueryError",
    "QueryForm",
    "QueryKind",
    "all_queries",
    "answer_codes",
    "answer_key",
    "grammar_lines",
    "grammar_summary",
    "parse_query",
    "read_answer",
]

QueryKind = Literal["where", "who", "weapons", "motive"]
QUERY_KINDS: tuple[str, ...] = get_args(QueryKind)


class QueryError(ValueError):
    """A text that is no question of the grammar (or an answer sentence that cannot be read);
    the message says why, in one line."""


@dataclass(frozen=True)
class Query:
    """One question of the investigation: ``kind`` and the fields its form uses.

    ``subject``: the piece (``where``: a suspect, weapon or the victim; ``motive``: a
    suspect); ``room`` and ``time``: indices into the case (``who``, ``weapons``; ``where``
    uses ``time``). Unused fields keep their defaults.
    """

    kind: QueryKind
    subject: Ref | None = None
    room: int = 0
    time: int = 0

    def __post_init__(self) -> None:
        if self.kind not in QUERY_FORMS:
            raise ValueError(f"unknown query kind {self.kind!r}; known: {', '.join(QUERY_KINDS)}")
        wants = {"where": ("suspect", "weapon", "victim"), "motive": ("suspect",)}.get(self.kind)
        if wants is None and self.subject is not None:
            raise ValueError(f"a {self.kind!r} query takes no subject")
        if wants is not None and (self.subject is None or self.subject.kind not in wants):
            raise ValueError(f"a {self.kind!r} query needs a subject of kind {' or '.join(wants)}, got {self.subject}")

    @property
    def form(self) -> QueryForm:
        return QUERY_FORMS[self.kind]

    def text(self, case: Case) -> str:
        """The question as the grammar writes it (the form's first template, filled in)."""

        def fill(m: re.Match) -> str:
            field, slot = m.group(1), m.group(2)
            return _phrase(slot, getattr(self, field), case)

        return _PLACEHOLDER.sub(fill, self.form.templates[0])

    def facts(self, case: Case, night: Night) -> tuple[Clue, ...]:
        """What ``night`` answers: clues true of it, together equivalent to the answer."""
        return self.form.facts(self, case, night)

    def answer(self, case: Case, night: Night) -> str:
        """The answer's sentence, as the environment replies it."""
        return self.form.say(self, case, self.facts(case, night))

    def to_json(self) -> dict:
        out: dict = {"kind": self.kind}
        if self.subject is not None:
            out["subject"] = [self.subject.kind, self.subject.index]
        if self.kind in ("who", "weapons"):
            out["room"] = self.room
        if self.kind != "motive":
            out["time"] = self.time
        return out

    @classmethod
    def from_json(cls, data: object) -> Query:
        if not isinstance(data, dict) or data.get("kind") not in QUERY_KINDS:
            raise ValueError(f"a query must be an object with a 'kind' among {', '.join(QUERY_KINDS)}, got {data!r}")
        subject = data.get("subject")
        ref = Ref(subject[0], int(subject[1])) if isinstance(subject, list) and len(subject) == 2 else None
        return cls(data["kind"], ref, int(data.get("room", 0)), int(data.get("time", 0)))


@dataclass(frozen=True)
class QueryForm:
    """One kind of question, defined once.

    Attributes:
        kind: the ``Query.kind`` it defines.
        templates: the accepted wordings; the first is the one questions are written in.
        shape: the form in words, with capitals for what to fill in (the prompt's grammar).
        facts: the facts of a night that answer a query of this form.
        say: the answer sentence stating those facts.
        read: the facts an answer sentence states (the inverse of ``say``).
        needs_motives: only asked in cases with motives.
    """

    kind: QueryKind
    templates: tuple[str, ...]
    shape: str
    facts: Callable[[Query, Case, Night], tuple[Clue, ...]]
    say: Callable[[Query, Case, tuple[Clue, ...]], str]
    read: Callable[[Query, Case, str], tuple[Clue, ...]]
    needs_motives: bool = False


# --------------------------------------------------------------------------- answers


def _members(case: Case, kind: str) -> list[Ref]:
    """The persons (suspects, then the victim) or the weapons of a case, as references."""
    if kind == "who":
        return [*(Ref("suspect", s) for s in range(len(case.suspects))), VICTIM]
    return [Ref("weapon", w) for w in range(len(case.weapons))]


def _where_facts(q: Query, case: Case, night: Night) -> tuple[Clue, ...]:
    assert q.subject is not None
    member = {"suspect": "s", "weapon": "w", "victim": "v"}[q.subject.kind]
    return (At(q.subject, room_of((member, q.subject.index), night, q.time), q.time),)


def _room_facts(q: Query, case: Case, night: Night) -> tuple[Clue, ...]:
    out: list[Clue] = []
    for ref in _members(case, q.kind):
        member = {"suspect": "s", "weapon": "w", "victim": "v"}[ref.kind]
        here = room_of((member, ref.index), night, q.time) == q.room
        out.append(At(ref, q.room, q.time) if here else Not(At(ref, q.room, q.time)))
    return tuple(out)


def _motive_facts(q: Query, case: Case, night: Night) -> tuple[Clue, ...]:
    assert q.subject is not None
    return (HasMotive(q.subject, night.motives[q.subject.index]),)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _say_one(q: Query, case: Case, facts: tuple[Clue, ...]) -> str:
    return clue_text(facts[0], case) + "."


def _names(refs: Sequence[Ref], case: Case) -> str:
    words = [ref_text(r, case) for r in refs]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_NOBODY = {"who": "nobody", "weapons": "no weapon"}
_NOBODY_ELSE = {"who": "and nobody else was", "weapons": "and no other weapon was"}


def _say_room(q: Query, case: Case, facts: tuple[Clue, ...]) -> str:
    present = [f.who for f in facts if isinstance(f, At)]
    where = f"{place_text(case, q.room)}{when_text(case, q.time)}"
    if not present:
        return _sentence(f"{_NOBODY[q.kind]} was {where}")
    verb = "was" if len(present) == 1 else "were"
    return _sentence(f"{_names(present, case)} {verb} {where}, {_NOBODY_ELSE[q.kind]}")


def _loose(text: str) -> str:
    """An answer sentence as it is compared: folded, a room's "at the" read as "in the" (a reader
    may not know which rooms are outdoors), without the final full stop."""
    return _AT_THE.sub("in the", fold(text)).rstrip(" .")


_AT_THE = re.compile(r"\bat the\b")


def _read_one(q: Query, case: Case, text: str) -> tuple[Clue, ...]:
    """The option whose sentence ``text`` is (``where``: a room; ``motive``: a motive)."""
    if q.kind == "where":
        options: list[Clue] = [At(q.subject, r, q.time) for r in range(len(case.rooms))]  # type: ignore[arg-type]
    else:
        options = [HasMotive(q.subject, m) for m in range(len(case.motives))]  # type: ignore[arg-type]
    said = _loose(text)
    for clue in options:
        if _loose(clue_text(clue, case)) == said:
            return (clue,)
    raise QueryError(f"cannot read {text!r} as an answer to {q.text(case)!r}")


def _read_room(q: Query, case: Case, text: str) -> tuple[Clue, ...]:
    """The facts of a ``who``/``weapons`` answer: who (what) was there, and nobody (nothing) else."""
    said = _loose(text)
    where = _loose(f"{place_text(case, q.room)}{when_text(case, q.time)}")
    refs = _members(case, q.kind)
    if said == _loose(f"{_NOBODY[q.kind]} was {where}"):
        return _facts_of(q, refs, [])
    for verb in ("was", "were"):
        tail = _loose(f" {verb} {where}, {_NOBODY_ELSE[q.kind]}")
        if said.endswith(tail):
            present = _split_names(said[: -len(tail)].strip(), refs, case)
            if present and _loose(_say_room(q, case, _facts_of(q, refs, present))) == said:
                return _facts_of(q, refs, present)
    raise QueryError(f"cannot read {text!r} as an answer to {q.text(case)!r}")


def _facts_of(q: Query, refs: list[Ref], present: list[Ref]) -> tuple[Clue, ...]:
    return tuple(At(r, q.room, q.time) if r in present else Not(At(r, q.room, q.time)) for r in refs)


def _split_names(text: str, refs: list[Ref], case: Case) -> list[Ref]:
    """The pieces a folded list "a, b and c" names, in the order of ``refs`` ([] when it is no such list)."""
    by_name = {fold(ref_text(r, case)): r for r in refs}
    names = sorted(by_name, key=len, reverse=True)
    found: list[Ref] = []
    rest = text
    while rest:
        name = next((n for n in names if rest.startswith(n)), None)
        if name is None:
            return []
        found.append(by_name[name])
        rest = rest[len(name) :]
        for sep in (", ", " and "):
            if rest.startswith(sep):
                rest = rest[len(sep) :]
                break
        else:
            if rest:
                return []
    return [r for r in refs if r in found]


QUERY_FORMS: dict[str, QueryForm] = {
    f.kind: f
    for f in (
        QueryForm(
            "where",
            ("Where was {subject:piece}{time:when}?",),
            "Where was PERSON OR WEAPON{when}?",
            _where_facts,
            _say_one,
            _read_one,
        ),
        QueryForm(
            "who",
            ("Who was {room:place}{time:when}?", "Who were {room:place}{time:when}?"),
            "Who was in ROOM{when}?",
            _room_facts,
            _say_room,
            _read_room,
        ),
        QueryForm(
            "weapons",
            (
                "Which weapons were {room:place}{time:when}?",
                "Which weapon was {room:place}{time:when}?",
                "What weapons were {room:place}{time:when}?",
            ),
            "Which weapons were in ROOM{when}?",
            _room_facts,
            _say_room,
            _read_room,
        ),
        QueryForm(
            "motive",
            ("What was {subject:suspect}'s motive?", "What motivates {subject:suspect}?"),
            "What was SUSPECT's motive?",
            _motive_facts,
            _say_one,
            _read_one,
            needs_motives=True,
        ),
    )
}
assert tuple(QUERY_FORMS) == QUERY_KINDS, "every kind of QueryKind has exactly one form"

_PLACEHOLDER = re.compile(r"\{(\w+):(\w+)\}")


def _phrase(slot: str, value: object, case: Case) -> str:
    if slot in ("piece", "suspect"):
        assert isinstance(value, Ref)
        return ref_text(value, case)
    if slot == "place":
        assert isinstance(value, int)
        return place_text(case, value)
    if slot == "when":
        assert isinstance(value, int)
        return when_text(case, value)
    raise ValueError(f"unknown query slot kind {slot!r}")


def answer_key(query: Query, case: Case, night: Night) -> tuple[Clue, ...]:
    """The answer ``night`` gives ``query``, as a hashable value (its facts)."""
    return query.facts(case, night)


def all_queries(case: Case) -> tuple[Query, ...]:
    """Every question the grammar accepts for ``case``, in a fixed order (each once)."""
    n_t = len(case.times)
    out: list[Query] = []
    pieces = [
        *(Ref("suspect", s) for s in range(len(case.suspects))),
        *(Ref("weapon", w) for w in range(len(case.weapons))),
        VICTIM,
    ]
    out += [Query("where", ref, time=t) for t in range(n_t) for ref in pieces]
    out += [Query("who", room=r, time=t) for t in range(n_t) for r in range(len(case.rooms))]
    out += [Query("weapons", room=r, time=t) for t in range(n_t) for r in range(len(case.rooms))]
    if case.motives:
        out += [Query("motive", Ref("suspect", s)) for s in range(len(case.suspects))]
    return tuple(out)


def answer_codes(case: Case, night: Night) -> tuple[int, ...]:
    """The answers ``night`` gives every question of ``all_queries(case)``, in that order, as
    numbers (equal exactly when the answers are): a room for ``where``, a bit set of the pieces
    present for ``who``/``weapons``, a motive for ``motive``. Fast, for comparing many nights."""
    n_t, n_r = len(case.times), len(case.rooms)
    persons = [*night.suspect_rooms, night.victim_rooms]
    codes: list[int] = []
    for t in range(n_t):
        codes += [path[t] for path in night.suspect_rooms]
        codes += [path[t] for path in night.weapon_rooms]
        codes.append(night.victim_rooms[t])
    for group in (persons, night.weapon_rooms):
        for t in range(n_t):
            rooms = [0] * n_r
            for bit, path in enumerate(group):
                rooms[path[t]] |= 1 << bit
            codes += rooms
    if case.motives:
        codes += list(night.motives)
    return tuple(codes)


# --------------------------------------------------------------------------- the grammar in words


def _example(kind: str, case: Case) -> Query:
    last = len(case.times) - 1
    if kind == "where":
        return Query("where", Ref("suspect", 0), time=last)
    if kind == "who":
        return Query("who", room=0, time=0)
    if kind == "weapons":
        return Query("weapons", room=len(case.rooms) - 1, time=last)
    return Query("motive", Ref("suspect", len(case.suspects) - 1))


def _forms(case: Case) -> list[QueryForm]:
    return [f for f in QUERY_FORMS.values() if case.motives or not f.needs_motives]


def grammar_lines(case: Case) -> list[str]:
    """One line per question form: its shape and an example from ``case`` (for the prompt)."""
    when = " at TIME" if len(case.times) > 1 else ""
    return [f"{f.shape.format(when=when)} (for example: {_example(f.kind, case).text(case)})" for f in _forms(case)]


def grammar_summary(case: Case) -> str:
    """The grammar in one line (the reply to a text that is no question)."""
    when = " at TIME" if len(case.times) > 1 else ""
    shapes = [f"'{f.shape.format(when=when)}'" for f in _forms(case)]
    listed = ", ".join(shapes[:-1]) + " or " + shapes[-1]
    return f"ask one question on the last line of your reply, as {listed}, or give your final answers"


# --------------------------------------------------------------------------- reading questions


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'"})
_MERIDIEM = re.compile(r"\b([ap])\.\s?m\b\.?")
_LOOSE_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_SPACE = re.compile(r"\s+")
_LEAD = re.compile(r"^(?:(?:[-*\u2022>]|\d+[.)])\s+)?(?:(?:question|q|ask|query)\s*(?:\d+\s*)?[:\-]\s*)?", re.I)
_WRAP = "\"'*_ "


def fold(text: str) -> str:
    """The form questions are matched in: NFKC, case-folded, quotes straightened, dots only
    inside numbers ("p.m." is "pm", "Mr. Green" is "mr green"), one space between words."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = _MERIDIEM.sub(r"\1m", text)
    text = _LOOSE_DOT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def _question_text(line: str) -> str:
    """A line as a question is matched: folded, without a leading bullet or "Question:",
    surrounding quotes or emphasis, or a final "?"."""
    text = fold(line)
    text = _LEAD.sub("", text).strip(_WRAP)
    return text.rstrip("?!").rstrip().strip(_WRAP)


def _time_phrases(label: str) -> list[str]:
    """Ways of writing the time ``label`` ("10:00 PM"), folded."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2}) ([AP])M", label)
    if not m:
        return [fold(label)]
    hour, minute, half = int(m.group(1)), m.group(2), m.group(3).lower()
    h24 = hour % 12 + (12 if half == "p" else 0)
    out = [f"{hour}:{minute} {half}m", f"{hour}:{minute}{half}m", f"{h24:02d}:{minute}", f"{h24}:{minute}"]
    out.append(f"{hour:02d}:{minute} {half}m")
    if minute == "00":
        out += [f"{hour} {half}m", f"{hour}{half}m", f"{hour} o'clock {half}m"]
        if hour == 12:
            out += ["midnight", "12 midnight"] if half == "a" else ["noon", "12 noon"]
    return list(dict.fromkeys(fold(p) for p in out))


def _name_phrases(name: str) -> list[str]:
    return list(dict.fromkeys([fold(name)]))


def _vocabulary(case: Case) -> dict[str, list[tuple[str, object]]]:
    persons = [(p, Ref("suspect", i)) for i, name in enumerate(case.suspects) for p in _name_phrases(name)]
    persons += [(p, VICTIM) for p in _name_phrases(case.victim)]
    weapons = [
        (p, Ref("weapon", i))
        for i, name in enumerate(case.weapons)
        for p in dict.fromkeys([fold(f"the {name}"), fold(name)])
    ]
    places = [
        (p, i)
        for i, r in enumerate(case.rooms)
        for p in dict.fromkeys(fold(f"{prep} {r.name}") for prep in ("in the", "at the", "in", "at"))
    ]
    if len(case.times) > 1:
        when = [(f" at {p}", t) for t, label in enumerate(case.times) for p in _time_phrases(label)]
    else:
        when = [("", 0)]
    return {
        "piece": persons + weapons,
        "suspect": [(p, r) for p, r in persons if r.kind == "suspect"],
        "place": places,
        "when": when,
    }


_Token = tuple[str, str, str]  # ("lit", text, "") or ("slot", field, kind)


def _tokens(folded: str) -> tuple[_Token, ...]:
    """A folded template as fixed text and slots."""
    out: list[_Token] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(folded):
        if m.start() > pos:
            out.append(("lit", folded[pos : m.start()], ""))
        out.append(("slot", m.group(1), m.group(2)))
        pos = m.end()
    if pos < len(folded):
        out.append(("lit", folded[pos:], ""))
    return tuple(out)


_FORMS: tuple[tuple[QueryForm, tuple[_Token, ...], str], ...] = tuple(
    (form, _tokens(_question_text(t)), _question_text(t).split("{", 1)[0].rstrip())
    for form in QUERY_FORMS.values()
    for t in form.templates
)
"""Every accepted wording: its form, its tokens, and the fixed words it starts with."""


def _readings(tokens: tuple[_Token, ...], k: int, text: str, pos: int, vocabulary, values: dict) -> Iterator[dict]:
    """Every way ``tokens[k:]`` fill ``text[pos:]`` exactly (the slots' values), as
    ``clue_parse.Template`` reads its templates, without compiling a pattern per case."""
    if k == len(tokens):
        if pos == len(text):
            yield dict(values)
        return
    kind, a, b = tokens[k]
    if kind == "lit":
        if text.startswith(a, pos):
            yield from _readings(tokens, k + 1, text, pos + len(a), vocabulary, values)
        return
    for phrase, value in vocabulary[b]:
        if text.startswith(phrase, pos):
            values[a] = value
            yield from _readings(tokens, k + 1, text, pos + len(phrase), vocabulary, values)
            del values[a]


class _Reader:
    """The question forms read against the phrases of one case."""

    def __init__(self, case: Case):
        self.case = case
        self.vocabulary = _vocabulary(case)

    def read(self, line: str) -> Query:
        text = _question_text(line)
        near = [(form, tokens) for form, tokens, lead in _FORMS if text.startswith(lead)]
        found: list[Query] = []
        for form, tokens in near:
            for values in _readings(tokens, 0, text, 0, self.vocabulary, {}):
                query = Query(form.kind, **values)  # type: ignore[arg-type]
                if query not in found:
                    found.append(query)
        if len(found) > 1:
            raise QueryError(f"the question can be read {len(found)} ways")
        if not near:
            raise QueryError("it is none of the question forms")
        form = found[0].form if found else near[0][0]
        if form.needs_motives and not self.case.motives:
            raise QueryError("this case has no motives to ask about")
        if not found:
            raise QueryError(f"no {_SAYS[form.kind]} of this case fits {form.shape.format(when=self._when)!r}")
        return found[0]

    @property
    def _when(self) -> str:
        return " at TIME" if len(self.case.times) > 1 else ""


_SAYS = {
    "where": "person or weapon and time",
    "who": "room and time",
    "weapons": "room and time",
    "motive": "suspect",
}


@lru_cache(maxsize=256)
def _reader(case: Case) -> _Reader:
    return _Reader(case)


def parse_query(text: object, case: Case) -> Query:
    """The question ``text`` asks (one line, as the grammar writes it, read leniently; see the
    module docstring). Raises ``QueryError`` saying why it is none."""
    if not isinstance(text, str):
        raise QueryError(f"a question must be text, got {type(text).__name__}")
    if "\n" in text.strip():
        raise QueryError("a question is one line")
    if len(text) > 500:
        raise QueryError(f"a question is one short line, this one has {len(text)} characters")
    return _reader(case).read(text)


def last_line_query(text: str, case: Case) -> Query | None:
    """The question on the last non-blank line of ``text``, None when that line is no question."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return parse_query(lines[-1], case)
    except QueryError:
        return None


def read_answer(query: Query, text: str, case: Case) -> tuple[Clue, ...]:
    """The facts an answer sentence (as ``Query.answer`` writes it) states; ``QueryError`` if it
    is no answer to ``query``."""
    if not isinstance(text, str):
        raise QueryError(f"an answer must be text, got {type(text).__name__}")
    return query.form.read(query, case, text.strip())
