"""Reading clues back from their text: the clue a sentence states, derived from the words alone.

``parse_clue(text, case)`` returns the clue tree (the dataclasses of ``clues.py``) that a
sentence of a prompt states (``prompt_parse`` finds the clue sentences of a whole prompt
and reads them with it). It is the inverse of ``clues.clue_text``, written independently
of it: the tests check ``parse_clue(clue_text(c)) == c``, so the sentences a puzzle shows
are proved to say what the generator meant, and a checker can re-derive a puzzle's meaning
from its prompt alone. ``Template`` reads other sentences with slots only (the question
forms of ``questions.py``) the same way.

How a sentence is read
----------------------
A *dialect* is a wording: a table of atom forms, a table of combination forms and the
phrases that fill their slots (names, rooms, times, ...). A form is a template such as
``"{who:ref} {not:was} {room:place}{time:when}"``:

- ``{field:kind}`` is a slot filled by one phrase of the ``kind`` vocabulary (built from
  the case's names); the phrase's value becomes the clue's ``field``. The ``not`` field is
  special: its value says whether the atom is negated. ``_`` names no field.
- ``{a}`` and ``{b}`` in a combination form are clauses (an atom or its negative form),
  tried at every split point where the literal text that follows them occurs.

Every form is compiled, per case, to a regex (names escaped, longest first) that screens
sentences fast, and to a matcher that enumerates *every* way the sentence fits, so that a
sentence that can be read two ways is reported instead of silently read one way. The first
letter of a sentence may be upper-cased (the templates are written in lower case) and one
final full stop is ignored.

A second wording is added by building another ``Dialect`` (reusing the tables here where
they agree) and registering it in ``DIALECTS``.

Dialects
--------
- ``clue_env`` (``CLUE_ENV``): this project's wording, ``clues.clue_text``. Its "or"
  combinations say which "or" they mean: "a, or b, or both" / "either a or b, but not both".
- ``original`` (``ORIGINAL``): the original Temporal Clue benchmark's wording
  (bradhilton/temporal-clue). Its bare "a or b" is read *exclusively*, as its generator
  encoded it (exactly one of the two holds); "the" and "a suspect motivated by M" both
  name some suspect with motive M; rooms read "in the" or "at the"; in a single-time
  puzzle the text drops " at <time>" and "together at least once" becomes "together".
- ``original-literal`` (``ORIGINAL_LITERAL``): the same wording with "a or b" read as
  English reads it, inclusively (at least one holds). Where a puzzle's answer depends on
  the difference, the original's text did not say what its generator meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .case import Case
from .clues import (
    MURDER_WEAPON,
    MURDERER,
    VICTIM,
    At,
    Atom,
    Beside,
    Carried,
    Clause,
    Clue,
    Culprit,
    Either,
    HasMotive,
    Iff,
    KilledWith,
    Moved,
    MurderRoom,
    MurderTime,
    Not,
    Ref,
    SameRoom,
    Together,
)

__all__ = [
    "CLUE_ENV",
    "DIALECTS",
    "ORIGINAL",
    "ORIGINAL_LITERAL",
    "AtomForm",
    "ClueParseError",
    "ClueParser",
    "ComboForm",
    "Dialect",
    "Template",
    "parse_clue",
    "readings",
]


class ClueParseError(ValueError):
    """A clue text that matches no clue form, or matches more than one way."""


Vocabulary = Mapping[str, Sequence[tuple[str, object]]]
"""For each slot kind, the (phrase, value) pairs that may fill it (phrases may repeat)."""


@dataclass(frozen=True)
class AtomForm:
    """One sentence form of an atom: ``build(**fields)`` makes the atom from the slots."""

    build: Callable[..., Atom]
    template: str


@dataclass(frozen=True)
class ComboForm:
    """One sentence form that joins two clauses ``{a}`` and ``{b}``."""

    name: str
    template: str
    build: Callable[[Clause, Clause], Clue]


@dataclass(frozen=True)
class Dialect:
    """A wording of clues.

    Attributes:
        name: the key in ``DIALECTS``.
        atoms: every atom form (positive and, through a ``{not:...}`` slot, negative).
        combos: every combination form; a lone clause is always a clue as well.
        vocabulary: the phrases of each slot kind for a case.
    """

    name: str
    atoms: tuple[AtomForm, ...]
    combos: tuple[ComboForm, ...]
    vocabulary: Callable[[Case], Vocabulary]


# --------------------------------------------------------------------------- this project's wording


def _refs(case: Case) -> list[tuple[str, Ref]]:
    """How this project's clues name pieces (see ``clues.ref_text``)."""
    out: list[tuple[str, Ref]] = [(name, Ref("suspect", i)) for i, name in enumerate(case.suspects)]
    out += [(f"the {name}", Ref("weapon", i)) for i, name in enumerate(case.weapons)]
    out.append((case.victim, VICTIM))
    out.append(("the murderer", MURDERER))
    out.append(("the murder weapon", MURDER_WEAPON))
    if case.motives:
        # "the" names the one suspect with a unique motive; "a" any of those sharing one.
        article = "the" if case.unique_motives else "a"
        out += [(f"{article} suspect motivated by {m}", Ref("motive", i)) for i, m in enumerate(case.motives)]
    return out


def clue_env_vocabulary(case: Case) -> Vocabulary:
    refs = _refs(case)
    return {
        "ref": refs,
        "suspect": [(text, ref) for text, ref in refs if ref.kind in ("suspect", "murderer", "motive")],
        "weapon": [(text, ref) for text, ref in refs if ref.kind in ("weapon", "murder_weapon")],
        "victim": [(case.victim, None)],
        "place": [(f"{'at' if r.outdoor else 'in'} the {r.name}", i) for i, r in enumerate(case.rooms)],
        "room": [(r.name, i) for i, r in enumerate(case.rooms)],
        "time": [(t, i) for i, t in enumerate(case.times)],
        # With a single time, clues name no time at all.
        "when": [(f" at {t}", i) for i, t in enumerate(case.times)] if len(case.times) > 1 else [("", 0)],
        "motive": [(m, i) for i, m in enumerate(case.motives)],
        "suspect_name": [(name, Ref("suspect", i)) for i, name in enumerate(case.suspects)],
        "direction": [(d, d) for d in ("north", "south", "east", "west")],
        "was": [("was", False), ("was not", True)],
        "is": [("is", False), ("is not", True)],
    }


CLUE_ENV_ATOMS: tuple[AtomForm, ...] = (
    AtomForm(At, "{who:ref} {not:was} {room:place}{time:when}"),
    AtomForm(SameRoom, "{a:ref} {not:was} in the same room as {b:ref}{time:when}"),
    AtomForm(Beside, "{a:ref} was in the room just {direction:direction} of {b:ref}{time:when}"),
    AtomForm(Moved, "{who:ref} moved from the {src:room} to the {dst:room} at {time:time}"),
    AtomForm(Carried, "{who:suspect} moved {weapon:weapon} from the {src:room} to the {dst:room} at {time:time}"),
    AtomForm(Together, "{a:ref} and {b:ref} were {room:place} together at least once"),
    AtomForm(HasMotive, "{who:suspect} {not:is} motivated by {motive:motive}"),
    AtomForm(Culprit, "{_:victim} {not:was} murdered by {who:suspect}"),
    AtomForm(KilledWith, "{_:victim} {not:was} killed with {weapon:weapon}"),
    AtomForm(MurderTime, "{_:victim} {not:was} murdered at {time:time}"),
    AtomForm(MurderRoom, "{_:victim} {not:was} murdered {room:place}"),
)
"""This project's atom forms, one per atom (``clues._atom_text``)."""

CLUE_ENV_COMBOS: tuple[ComboForm, ...] = (
    ComboForm("or", "{a}, or {b}, or both", lambda a, b: Either(a, b, exclusive=False)),
    ComboForm("xor", "either {a} or {b}, but not both", lambda a, b: Either(a, b, exclusive=True)),
    ComboForm("iff", "{a} if and only if {b}", Iff),
)

CLUE_ENV = Dialect("clue_env", CLUE_ENV_ATOMS, CLUE_ENV_COMBOS, clue_env_vocabulary)


# --------------------------------------------------------------------------- the original's wording


def original_vocabulary(case: Case) -> Vocabulary:
    """The original benchmark's phrases: this project's, plus its looser variants."""
    out = dict(clue_env_vocabulary(case))
    refs = [(text, ref) for text, ref in out["ref"] if ref.kind != "motive"]
    # Its generator writes "the suspect motivated by M" when one suspect has M and "a
    # suspect ..." when several do; both mean some suspect with motive M.
    refs += [
        (f"{article} suspect motivated by {m}", Ref("motive", i))
        for i, m in enumerate(case.motives)
        for article in ("the", "a")
    ]
    out["ref"] = refs
    out["suspect"] = [(text, ref) for text, ref in refs if ref.kind in ("suspect", "murderer", "motive")]
    out["place"] = [(f"{prep} the {r.name}", i) for i, r in enumerate(case.rooms) for prep in ("in", "at")]
    single = len(case.times) == 1
    # A single-time prompt has " at 12:00 AM" and " at least once" cut from its text.
    out["once"] = [("", None), (" at least once", None)] if single else [(" at least once", None)]
    return out


ORIGINAL_ATOMS: tuple[AtomForm, ...] = (
    AtomForm(At, "{who:ref} {not:was} {room:place}{time:when}"),
    AtomForm(SameRoom, "{a:ref} {not:was} in the same room as {b:ref}{time:when}"),
    AtomForm(Beside, "{a:ref} was in the room just {direction:direction} of {b:ref}{time:when}"),
    AtomForm(Moved, "{who:ref} moved from the {src:room} to the {dst:room} at {time:time}"),
    AtomForm(Carried, "{who:suspect} moved {weapon:weapon} from the {src:room} to the {dst:room} at {time:time}"),
    AtomForm(Together, "{a:ref} and {b:ref} were {room:place} together{_:once}"),
    AtomForm(HasMotive, "{who:suspect} {not:is} motivated by {motive:motive}"),
    AtomForm(Culprit, "{_:victim} {not:was} murdered by {who:suspect}"),
    AtomForm(KilledWith, "{_:victim} {not:was} killed with {weapon:weapon}"),
    AtomForm(MurderTime, "{_:victim} {not:was} murdered{time:when}"),
    AtomForm(MurderRoom, "{_:victim} {not:was} murdered {room:place}"),
)
"""The original's atom forms (it writes only positive ones; negative forms are kept)."""

ORIGINAL = Dialect(
    "original",
    ORIGINAL_ATOMS,
    (
        ComboForm("xor", "{a} or {b}", lambda a, b: Either(a, b, exclusive=True)),
        ComboForm("iff", "{a} if and only if {b}", Iff),
    ),
    original_vocabulary,
)

ORIGINAL_LITERAL = Dialect(
    "original-literal",
    ORIGINAL_ATOMS,
    (
        ComboForm("or", "{a} or {b}", lambda a, b: Either(a, b, exclusive=False)),
        ComboForm("iff", "{a} if and only if {b}", Iff),
    ),
    original_vocabulary,
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (CLUE_ENV, ORIGINAL, ORIGINAL_LITERAL)}


# --------------------------------------------------------------------------- templates


_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@dataclass(frozen=True)
class _Lit:
    text: str


@dataclass(frozen=True)
class _Slot:
    field: str
    phrases: tuple[tuple[str, object], ...]  # longest first


@dataclass(frozen=True)
class _Hole:
    field: str


_Token = _Lit | _Slot | _Hole


class _Form:
    """A template compiled for one case: its tokens and a regex that screens texts."""

    def __init__(self, template: str, vocabulary: Vocabulary, holes: bool):
        tokens: list[_Token] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(template):
            if m.start() > pos:
                tokens.append(_Lit(template[pos : m.start()]))
            field, kind = m.group(1), m.group(2)
            if kind is None:
                if not holes:
                    raise ValueError(f"atom template {template!r}: {{{field}}} needs a slot kind")
                tokens.append(_Hole(field))
            else:
                if kind not in vocabulary:
                    raise ValueError(f"template {template!r}: unknown slot kind {kind!r}")
                phrases = sorted(vocabulary[kind], key=lambda pv: -len(pv[0]))
                tokens.append(_Slot(field, tuple(phrases)))
            pos = m.end()
        if pos < len(template):
            tokens.append(_Lit(template[pos:]))
        for here, after in zip(tokens, tokens[1:] + [None]):
            if isinstance(here, _Hole) and after is not None and not isinstance(after, _Lit):
                raise ValueError(f"template {template!r}: a clause must be followed by fixed text or end it")
        fields = [t.field for t in tokens if not isinstance(t, _Lit) and t.field != "_"]
        if len(set(fields)) != len(fields):
            raise ValueError(f"template {template!r}: a field appears twice")
        if holes and sorted(t.field for t in tokens if isinstance(t, _Hole)) != ["a", "b"]:
            raise ValueError(f"combination template {template!r}: needs the clauses {{a}} and {{b}}")
        self.template = template
        self.tokens = tuple(tokens)
        parts = []
        for tok in self.tokens:
            if isinstance(tok, _Lit):
                parts.append(re.escape(tok.text))
            elif isinstance(tok, _Slot):
                # An empty vocabulary matches nothing.
                parts.append("(?:" + "|".join(re.escape(p) for p, _ in tok.phrases) + ")" if tok.phrases else "(?!)")
            else:
                parts.append("(?s:.+?)")
        self.regex = re.compile("".join(parts))


def _walk(
    tokens: tuple[_Token, ...],
    k: int,
    text: str,
    pos: int,
    values: dict,
    clauses: Callable[[str], Sequence[Clause]] | None,
) -> Iterator[dict]:
    """Every way ``tokens[k:]`` matches ``text[pos:]`` exactly: the slot values of each.
    ``clauses`` reads the text of a ``{a}``/``{b}`` clause (None: the template has none)."""
    if k == len(tokens):
        if pos == len(text):
            yield dict(values)
        return
    tok = tokens[k]
    if isinstance(tok, _Lit):
        if text.startswith(tok.text, pos):
            yield from _walk(tokens, k + 1, text, pos + len(tok.text), values, clauses)
    elif isinstance(tok, _Slot):
        for phrase, value in tok.phrases:
            if text.startswith(phrase, pos):
                values[tok.field] = value
                yield from _walk(tokens, k + 1, text, pos + len(phrase), values, clauses)
                del values[tok.field]
    else:
        assert clauses is not None
        if k + 1 == len(tokens):
            ends = [len(text)]
        else:
            after = tokens[k + 1]
            assert isinstance(after, _Lit)
            ends = [m.start() for m in re.finditer(f"(?={re.escape(after.text)})", text[pos + 1 :])]
            ends = [pos + 1 + e for e in ends]
        for end in ends:
            for clause in clauses(text[pos:end]):
                values[tok.field] = clause
                yield from _walk(tokens, k + 1, text, end, values, clauses)
                del values[tok.field]


class Template:
    """A sentence form with slots only (no clauses), compiled for one vocabulary.

    ``Template("Where was {subject:ref}{time:when}?", vocabulary).readings(text)`` lists
    every way ``text`` fills the form, as ``{field: value}`` dicts (the ``_`` field is
    dropped); a text that fits two ways gets two readings.
    """

    def __init__(self, template: str, vocabulary: Vocabulary):
        self.template = template
        self._form = _Form(template, vocabulary, holes=False)

    def readings(self, text: str) -> list[dict[str, object]]:
        if not self._form.regex.fullmatch(text):
            return []
        out = []
        for values in _walk(self._form.tokens, 0, text, 0, {}, None):
            values.pop("_", None)
            if values not in out:
                out.append(values)
        return out

    @property
    def lead(self) -> str:
        """The fixed words the form starts with (empty when it starts with a slot)."""
        first = self._form.tokens[0] if self._form.tokens else None
        return first.text if isinstance(first, _Lit) else ""


# --------------------------------------------------------------------------- parser


def _valid(atom: Atom, case: Case) -> str | None:
    """Why an atom that reads well cannot be a clue (None when it can)."""
    if isinstance(atom, (Moved, Carried)) and atom.time < 1:
        return f"a move at {case.times[atom.time]}, the first time, when nobody can have moved yet"
    return None


class ClueParser:
    """Reads the clues of one case in one dialect (compiled once; see ``parser_for``)."""

    def __init__(self, case: Case, dialect: Dialect = CLUE_ENV):
        self.case, self.dialect = case, dialect
        vocabulary = dialect.vocabulary(case)
        self.atoms = [(form.build, _Form(form.template, vocabulary, holes=False)) for form in dialect.atoms]
        self.combos = [(form.build, _Form(form.template, vocabulary, holes=True)) for form in dialect.combos]
        self._clauses: dict[str, tuple[tuple[Clause, ...], tuple[str, ...]]] = {}
        self._rejected: list[str] = []  # why readings were dropped, during one ``parse``

    def clauses(self, text: str) -> tuple[Clause, ...]:
        """Every reading of ``text`` as one atom or one negated atom."""
        if text not in self._clauses:
            if len(self._clauses) > 50_000:
                self._clauses.clear()
            self._clauses[text] = self._read_clause(text)
        result, rejected = self._clauses[text]
        self._rejected += rejected
        return result

    def _read_clause(self, text: str) -> tuple[tuple[Clause, ...], tuple[str, ...]]:
        found: list[Clause] = []
        rejected: list[str] = []
        for build, form in self.atoms:
            if not form.regex.fullmatch(text):
                continue
            for values in _walk(form.tokens, 0, text, 0, {}, self.clauses):
                negated = bool(values.pop("not", False))
                values.pop("_", None)
                atom = build(**values)
                why = _valid(atom, self.case)
                if why is not None:
                    rejected.append(why)
                    continue
                found.append(Not(atom) if negated else atom)
        return tuple(_unique(found)), tuple(rejected)

    def readings(self, text: str) -> list[Clue]:
        """Every clue ``text`` can state (one for a well-formed clue)."""
        found: list[Clue] = []
        for variant in _variants(text):
            found += self.clauses(variant)
            for build, form in self.combos:
                if form.regex.fullmatch(variant):
                    found += [build(v["a"], v["b"]) for v in _walk(form.tokens, 0, variant, 0, {}, self.clauses)]
        return _unique(found)

    def parse(self, text: str) -> Clue:
        """The one clue ``text`` states; ``ClueParseError`` if none or several."""
        if not isinstance(text, str):
            raise ClueParseError(f"a clue must be text, got {type(text).__name__}: {text!r}")
        self._rejected = []
        found = self.readings(text)
        if len(found) == 1:
            return found[0]
        if not found:
            why = f" (it would state {self._rejected[0]})" if self._rejected else ""
            raise ClueParseError(f"clue {text!r} matches no clue form of the {self.dialect.name} wording{why}")
        listed = "; ".join(repr(c) for c in found[:4])
        raise ClueParseError(f"clue {text!r} can be read {len(found)} ways: {listed}")


def _unique(items: list) -> list:
    out: list = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def _variants(text: str) -> list[str]:
    """The texts to try: stripped, without one final full stop, first letter lower-cased."""
    text = text.strip()
    bases = [text]
    if text.endswith("."):
        bases.append(text[:-1].rstrip())
    out: list[str] = []
    for base in bases:
        out.append(base)
        lowered = base[:1].lower() + base[1:]
        if lowered != base:
            out.append(lowered)
    return [t for t in _unique(out) if t]


@lru_cache(maxsize=256)
def parser_for(case: Case, dialect: Dialect = CLUE_ENV) -> ClueParser:
    return ClueParser(case, dialect)


def _dialect(dialect: Dialect | str) -> Dialect:
    if isinstance(dialect, Dialect):
        return dialect
    try:
        return DIALECTS[dialect]
    except KeyError:
        raise ValueError(f"unknown clue dialect {dialect!r}; known: {', '.join(DIALECTS)}") from None


def parse_clue(text: str, case: Case, dialect: Dialect | str = CLUE_ENV) -> Clue:
    """The clue that ``text`` (one clue sentence, as ``clues.clue_text`` writes it) states."""
    return parser_for(case, _dialect(dialect)).parse(text)


def readings(text: str, case: Case, dialect: Dialect | str = CLUE_ENV) -> list[Clue]:
    """Every clue ``text`` can be read as (empty: none; two or more: ambiguous)."""
    return parser_for(case, _dialect(dialect)).readings(text)
