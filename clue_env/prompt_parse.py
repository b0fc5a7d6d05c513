"""Reading a whole puzzle back from its prompt text alone: cast, map, times, motives, clues, questions.

``parse_prompt(prompt)`` reads both wordings:

- this project's (``puzzle.render_prompt``): "Suspects:", "Rooms:", a map drawn with
  "north"/"west"/"east"/"south" and "·" for empty cells, "Clues:", "Questions:", ...;
- the original Temporal Clue benchmark's (bradhilton/temporal-clue, ``val.json``): "...
  identified as suspects:", "The rooms are laid out as follows:" with rows like
  ``W 01|02|03|04 E`` ("-" for an empty cell) between ``NN NN`` / ``SS SS`` rows, "The
  available clues are as follows:", "Please answer the following question(s):", ...

What is read:

- the ``Case``: victim (the name in "Who murdered X?", else "Mr. Boddy"), suspects,
  weapons, rooms (a room is outdoor when some clue says "at the <room>"), the layout
  (from the drawn map; rooms are re-ordered to the map's cells, row by row), times (a
  single unnamed time "12:00 AM" when none are listed, as the original drops it), motives
  with how many suspects have each ("(2 suspects)"; none given: one each);
- the clues, through ``clue_parse`` in the prompt's dialect (``clue_env`` or ``original``,
  whose bare "or" is exclusive, as its generator meant it);
- the questions, as ``questions.Question`` objects, with their labels and answer types.

Whatever cannot be read raises ``PromptParseError`` (a ``ValueError``) saying what.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from .case import Case
from .clue_parse import CLUE_ENV, ORIGINAL, ClueParseError, Dialect, parser_for
from .clues import Clue, Ref
from .layout import Layout
from .questions import Question
from .theme import Room

__all__ = ["FORMATS", "SINGLE_TIME", "ParsedPuzzle", "PromptParseError", "parse_prompt"]

FORMATS = ("clue_env", "original")
SINGLE_TIME = "12:00 AM"
"""The label of the one time of a puzzle that lists none (the original's prompts drop it)."""

DEFAULT_VICTIM = "Mr. Boddy"


class PromptParseError(ValueError):
    """A prompt that cannot be read as a puzzle; the message says which part and why."""


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
    """

    format: str
    dialect: str
    case: Case
    clues: tuple[Clue, ...]
    clue_texts: tuple[str, ...]
    labels: tuple[str, ...]
    questions: tuple[Question, ...]
    answer_types: dict[str, str]

    @property
    def options(self) -> dict[str, list[str]]:
        """Every answer a player may give, per label."""
        return {lab: list(q.options(self.case)) for lab, q in zip(self.labels, self.questions)}

    def question(self, label: str) -> Question:
        return self.questions[self.labels.index(label)]


# --------------------------------------------------------------------------- sections


@dataclass
class _Sections:
    heads: dict[str, str]  # kind -> heading line
    bodies: dict[str, list[str]]  # kind -> the lines of the block after the heading


# A sentence ends at ". " before a capital, unless the dot ends a title ("Mr. Boddy").
_SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSgt)(?<!\bSt)(?<!\b[A-Z])[.!?]\s+(?=[A-Z])")


def _kind(heading: str) -> str | None:
    """Which section a heading line opens (None: not one we read), from its last sentence."""
    h = _SENTENCE_END.split(heading)[-1].lower()
    if "laid out" in h:
        return "map"
    if "clue" in h:
        return "clues"
    if "bonus question" in h:
        return "bonus"
    if "format" in h:
        return "format"
    if "question" in h:
        return "questions"
    if "motive" in h:
        return "motives"
    if "suspect" in h:
        return "suspects"
    if "weapon" in h:
        return "weapons"
    if "room" in h:
        return "rooms"
    if "time" in h:
        return "times"
    return None


def _sections(prompt: str) -> _Sections:
    blocks = [b for b in re.split(r"\n[^\S\n]*\n", prompt.replace("\r\n", "\n")) if b.strip()]
    heads: dict[str, str] = {}
    bodies: dict[str, list[str]] = {}
    for block, body in itertools.pairwise(blocks):
        last = block.rstrip().splitlines()[-1].strip()
        if not last.endswith(":"):
            continue
        kind = _kind(last)
        if kind is None or kind in bodies:
            continue
        heads[kind] = last
        bodies[kind] = [line for line in body.splitlines() if line.strip()]
    return _Sections(heads, bodies)


_ITEM = re.compile(r"^\s*(?:•|-|\*)\s+(?P<text>.*?)\s*$")
_NUMBERED = re.compile(r"^\s*(?P<num>\d+)\.\s+(?P<text>.*?)\s*$")


def _items(sec: _Sections, kind: str, what: str, required: bool = True) -> list[str]:
    if kind not in sec.bodies:
        if required:
            raise PromptParseError(f"the prompt lists no {what} (no '{what}' section was found)")
        return []
    out = []
    for line in sec.bodies[kind]:
        m = _ITEM.match(line)
        if not m or not m.group("text"):
            raise PromptParseError(f"cannot read the {what} list: {line.strip()!r} is not a '• name' line")
        out.append(m.group("text"))
    if not out:
        raise PromptParseError(f"the {what} list is empty")
    if len(set(out)) != len(out):
        raise PromptParseError(f"the {what} list names {next(x for x in out if out.count(x) > 1)!r} twice")
    return out


def _rooms(sec: _Sections) -> list[str]:
    if "rooms" not in sec.bodies:
        raise PromptParseError("the prompt lists no rooms (no 'rooms' section was found)")
    names: list[str] = []
    for line in sec.bodies["rooms"]:
        m = _NUMBERED.match(line)
        if not m:
            raise PromptParseError(f"cannot read the room list: {line.strip()!r} is not a 'NN. Room' line")
        if int(m.group("num")) != len(names) + 1:
            raise PromptParseError(f"the room list is not numbered 1, 2, 3, ...: {line.strip()!r}")
        names.append(m.group("text"))
    if len(set(names)) != len(names):
        raise PromptParseError(f"the room list names {next(x for x in names if names.count(x) > 1)!r} twice")
    return names


_COMPASS_LINE = re.compile(r"^(?:(?:north|south|N+|S+)\s*)+$", re.IGNORECASE)
_ROW_EDGES = re.compile(r"^(?:west|W)(?=\s)|(?<=\s)(?:east|E)$")
_EMPTY_CELL = re.compile(r"^(?:-+|·+|\.+|_+|)$")


def _layout(sec: _Sections, count: int) -> tuple[Layout, list[int]]:
    """The layout drawn in the prompt, and for each layout position the listed room's index."""
    if "map" not in sec.bodies:
        raise PromptParseError("the prompt draws no map of the rooms (no 'laid out' section was found)")
    grid: list[list[int | None]] = []
    for line in sec.bodies["map"]:
        text = line.strip()
        if _COMPASS_LINE.match(text):
            continue
        text = _ROW_EDGES.sub("", text).strip()
        cells: list[int | None] = []
        for cell in text.split("|"):
            cell = cell.strip()
            if cell.isdigit():
                cells.append(int(cell))
            elif _EMPTY_CELL.match(cell):
                cells.append(None)
            else:
                raise PromptParseError(f"cannot read the map row {line.strip()!r}: cell {cell!r} is no room number")
        grid.append(cells)
    if not grid:
        raise PromptParseError("the map has no rows")
    width = len(grid[0])
    if any(len(row) != width for row in grid):
        raise PromptParseError(f"the map's rows have different numbers of cells: {[len(r) for r in grid]}")
    flat = [c for row in grid for c in row]
    numbers = [c for c in flat if c is not None]
    if sorted(numbers) != list(range(1, count + 1)):
        raise PromptParseError(f"the map shows rooms {sorted(numbers)}, the room list has 1..{count}")
    if any(c is None for c in flat[:count]):
        raise PromptParseError("the map has an empty cell before its last room; only the last row may be partly empty")
    try:
        layout = Layout(width, count)
    except ValueError as err:
        raise PromptParseError(f"the map cannot be laid out: {err}") from None
    return layout, [c - 1 for c in flat[:count]]  # type: ignore[operator]


_COUNTED = re.compile(r"^(?P<name>.*?)\s*\((?P<n>\d+) suspects?\)$")


def _motives(sec: _Sections, n_suspects: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    items = _items(sec, "motives", "motives", required=False)
    if not items:
        return (), ()
    names, counts = [], []
    for item in items:
        m = _COUNTED.match(item)
        names.append(m.group("name") if m else item)
        counts.append(int(m.group("n")) if m else None)
    if all(c is None for c in counts):
        if len(names) != n_suspects:
            raise PromptParseError(
                f"the prompt lists {len(names)} motives for {n_suspects} suspects "
                "without saying how many suspects have each"
            )
        counts = [1] * len(names)
    elif any(c is None for c in counts):
        raise PromptParseError("some motives say how many suspects have them and some do not")
    total = sum(c or 0 for c in counts)
    if total != n_suspects:
        raise PromptParseError(f"the motive counts add up to {total}, not to the {n_suspects} suspects")
    return tuple(names), tuple(c or 0 for c in counts)


# --------------------------------------------------------------------------- questions


_QUESTION = re.compile(r"^\s*(?P<label>[A-Z]{1,2})\.\s+(?P<text>.*?)\s*$")
_FORMAT = re.compile(r"^\s*(?P<label>[A-Z]{1,2})\.\s+(?P<type>[A-Z]+)\s*$")


def _question_lines(sec: _Sections) -> list[tuple[str, str, bool]]:
    out = []
    for kind, bonus in (("questions", False), ("bonus", True)):
        for line in sec.bodies.get(kind, []):
            m = _QUESTION.match(line)
            if not m:
                raise PromptParseError(f"cannot read the question line {line.strip()!r}")
            out.append((m.group("label"), m.group("text"), bonus))
    if not out:
        raise PromptParseError("the prompt asks no questions (no 'questions' section was found)")
    labels = [lab for lab, _, _ in out]
    if len(set(labels)) != len(labels):
        raise PromptParseError(f"question label {next(x for x in labels if labels.count(x) > 1)!r} is used twice")
    return out


def _victim(lines: list[tuple[str, str, bool]], prompt: str) -> str:
    for _, text, _ in lines:
        m = re.match(r"^Who murdered (.+)\?$", text)
        if m:
            return m.group(1)
    m = re.search(r"the murderer and (.+?) must have been alone", prompt) or re.search(
        r"the only suspect in a room with (.+?) and at least one weapon", prompt
    )
    return m.group(1) if m else DEFAULT_VICTIM


class _QuestionReader:
    def __init__(self, case: Case, dialect: Dialect):
        self.case = case
        vocabulary = dialect.vocabulary(case)
        self.refs = sorted(vocabulary["ref"], key=lambda pv: -len(pv[0]))
        self.whens = list(vocabulary["when"])

    def read(self, text: str, bonus: bool) -> Question:
        case = self.case
        main = {
            f"Who murdered {case.victim}?": "who",
            "What weapon did the murderer use?": "what",
            "Where was the murder committed?": "where",
            "When did the murder occur?": "when",
            "Why did the murderer do it?": "why",
        }
        if text in main:
            kind = main[text]
            if kind == "when" and len(case.times) < 2:
                raise PromptParseError(f"question {text!r} asks for a time, but the prompt lists no times")
            if kind == "why" and not case.motives:
                raise PromptParseError(f"question {text!r} asks for a motive, but the prompt lists no motives")
            return Question(kind)
        m = re.match(r"^What motivates (.+)\?$", text)
        if m:
            if m.group(1) not in case.suspects:
                raise PromptParseError(f"question {text!r}: {m.group(1)!r} is not a listed suspect")
            if not case.motives:
                raise PromptParseError(f"question {text!r} asks for a motive, but the prompt lists no motives")
            return Question("motive_of", True, Ref("suspect", case.suspects.index(m.group(1))))
        m = re.match(r"^Who is motivated by (.+)\?$", text)
        if m:
            if m.group(1) not in case.motives:
                raise PromptParseError(f"question {text!r}: {m.group(1)!r} is not a listed motive")
            motive = case.motives.index(m.group(1))
            if case.motive_counts[motive] != 1:
                raise PromptParseError(f"question {text!r} has {case.motive_counts[motive]} right answers")
            return Question("motive_holder", True, motive=motive)
        m = re.match(r"^Where was (.+)\?$", text)
        if m:
            return self._where(text, m.group(1))
        raise PromptParseError(f"cannot read the question {text!r}")

    def _where(self, text: str, rest: str) -> Question:
        found = set()
        for phrase, ref in self.refs:
            for start in {phrase, phrase[:1].upper() + phrase[1:]}:
                if rest.startswith(start):
                    tail = rest[len(start) :]
                    found |= {(ref, t) for when, t in self.whens if tail == when}
        if not found:
            raise PromptParseError(f"cannot read the question {text!r}: no piece and time of the puzzle fit")
        if len(found) > 1:
            raise PromptParseError(f"the question {text!r} can be read {len(found)} ways")
        ((ref, t),) = found
        if ref.kind == "motive" and self.case.motive_counts[ref.index] != 1:
            raise PromptParseError(
                f"question {text!r} asks about {self.case.motive_counts[ref.index]} suspects at once (a shared motive)"
            )
        return Question("where", True, ref, t)


# --------------------------------------------------------------------------- the prompt


def _is_original(sec: _Sections, prompt: str) -> bool:
    head = sec.heads.get("clues", "")
    return head.lower().startswith("the available clues") or "Fill out your final answers" in prompt


def _outdoor(names: list[str], clue_texts: list[str]) -> set[str]:
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
    if not isinstance(prompt, str):
        raise PromptParseError(f"a prompt must be text, got {type(prompt).__name__}")
    sec = _sections(prompt)
    original = _is_original(sec, prompt)
    dialect = ORIGINAL if original else CLUE_ENV

    suspects = _items(sec, "suspects", "suspects")
    weapons = _items(sec, "weapons", "weapons")
    room_names = _rooms(sec)
    layout, order = _layout(sec, len(room_names))
    times = _items(sec, "times", "times", required=False) or [SINGLE_TIME]
    motives, counts = _motives(sec, len(suspects))

    if "clues" not in sec.bodies:
        raise PromptParseError("the prompt has no clues (no 'clues' section was found)")
    clue_texts = []
    for line in sec.bodies["clues"]:
        m = _ITEM.match(line)
        if not m or not m.group("text"):
            raise PromptParseError(f"cannot read the clue line {line.strip()!r}: not a '- clue' line")
        clue_texts.append(m.group("text"))

    lines = _question_lines(sec)
    victim = _victim(lines, prompt)
    outdoor = _outdoor(room_names, clue_texts)
    rooms = tuple(Room(room_names[i], room_names[i] in outdoor) for i in order)
    names = [*suspects, *weapons, *room_names, *motives, victim]
    if len({n.casefold() for n in names}) != len(names):
        dup = next(n for n in names if [x.casefold() for x in names].count(n.casefold()) > 1)
        raise PromptParseError(f"the name {dup!r} is used for two things")
    case = Case(victim, tuple(suspects), tuple(weapons), rooms, layout, tuple(times), motives, counts)

    parser = parser_for(case, dialect)
    clues = []
    for number, text in enumerate(clue_texts, 1):
        try:
            clues.append(parser.parse(text))
        except ClueParseError as err:
            raise PromptParseError(f"clue {number}: {err}") from None

    reader = _QuestionReader(case, dialect)
    questions = tuple(reader.read(text, bonus) for _, text, bonus in lines)
    labels = tuple(lab for lab, _, _ in lines)

    answer_types: dict[str, str] = {}
    for line in sec.bodies.get("format", []):
        m = _FORMAT.match(line)
        if m:
            answer_types[m.group("label")] = m.group("type")
    for lab, q in zip(labels, questions):
        want = answer_types.get(lab)
        if want is not None and want != q.answer_type():
            raise PromptParseError(f"question {lab} asks for a {q.answer_type()}, the answer format says {want}")
    return ParsedPuzzle(
        format="original" if original else "clue_env",
        dialect=dialect.name,
        case=case,
        clues=tuple(clues),
        clue_texts=tuple(clue_texts),
        labels=labels,
        questions=questions,
        answer_types=answer_types,
    )
