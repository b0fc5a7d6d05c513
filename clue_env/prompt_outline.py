"""The outline of a puzzle prompt: what it lists, section by section, before any clue is read.

``read_prompt(prompt, strict=True)`` -> ``PromptOutline``: the suspects, weapons, rooms, the map,
times, motives, the clue sentences, the question lines, the answer-format block, the intro and
the rules in prose, without reading what the clues mean. ``strict=False`` never raises on text:
it returns what could be read and lists the rest in ``problems`` (the random agent, the human
sheet and dataset loading need only the options of a prompt whose clues may be unreadable).
``options_from_prompt`` is its answer options (None when they cannot be read). ``prompt_parse``
turns a strict outline into the puzzle.

Both wordings are read:

- this project's (``puzzle.render_prompt``): "Suspects:", "Rooms:", a map drawn with
  "north"/"west"/"east"/"south" and "·" for empty cells, "Clues:", "Questions:", ...;
- the original Temporal Clue benchmark's, every shape its prompt template can produce
  (bradhilton/temporal-clue, ``temporal_clue/puzzle.py``: ``prompt_template`` and
  ``TemporalCluePuzzle.prompt``): "... identified as suspects:", rooms numbered "1." or
  "01." (10 rooms or more), "The rooms are laid out as follows:" with rows like
  ``W 01|02|03|04 E`` ("-" for an empty cell; one column: ``W 1 E``) between ``N N`` /
  ``NN NN`` and ``S S`` rows; the times block and its movement rule only with two times or
  more (a single time is then dropped from every sentence, as is " at least once"); the
  motives block only with two motives or more, "Each suspect uniquely had ..." without
  counts or "Each suspect had ..." with "(1 suspect)"/"(2 suspects)"; "Please answer the
  following question(s):" and "And the following bonus question(s):" each followed by
  their questions *or by nothing* (a puzzle whose direct clues were all needed asks no
  main question; one whose bonus picks were all needed asks no bonus question), then the
  answer-format block (empty when nothing is asked).

Sections: the prompt is cut into paragraphs at blank lines (lines of spaces count as
blank). A paragraph whose last line ends with ":" and names a section ("suspects",
"laid out", "bonus question", "format", ...) is a heading; the paragraph after it is its
body, unless that is itself a heading or (for the question and answer-format sections,
which may be empty) its first line is not a "A. ..." line. The first heading of each kind
counts.

Whatever cannot be read raises ``PromptParseError`` (a ``ValueError``) saying what.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .layout import Layout

__all__ = [
    "ANSWER_TYPES",
    "FORMATS",
    "PromptOutline",
    "PromptParseError",
    "QuestionLine",
    "options_from_prompt",
    "read_prompt",
]

FORMATS = ("clue_env", "original")
ANSWER_TYPES = ("SUSPECT", "WEAPON", "ROOM", "TIME", "MOTIVE")


class PromptParseError(ValueError):
    """A prompt that cannot be read as a puzzle; the message says which part and why."""


# --------------------------------------------------------------------------- the outline


@dataclass(frozen=True)
class QuestionLine:
    """One "A. question" line: its label, its sentence, and whether it is a bonus question."""

    label: str
    text: str
    bonus: bool


@dataclass(frozen=True)
class PromptOutline:
    """What a prompt lists, section by section (see the module docstring).

    Attributes:
        format: "clue_env" (this project's wording) or "original" (the original benchmark's).
        intro: the first paragraph (unless it is the body of a section).
        suspects, weapons, rooms, times, motives: the lists, in prompt order (rooms as
            numbered; ``times`` empty when none are listed).
        motive_counts: how many suspects have each motive (one each when not said).
        map_text: the map as drawn; ``layout`` and ``room_order`` the map read (for each
            layout position, the index of the listed room drawn there).
        clue_texts: the clue sentences.
        questions: the question lines, main then bonus.
        answer_types: label -> the answer type the answer-format block asks for.
        rules: the paragraphs between the map and the clues other than lists, one line
            each (section headings end with "." instead of ":"); ``prose`` those that
            are not section headings.
        problems: what could not be read (only with ``strict=False``; empty otherwise).
    """

    format: str
    intro: str = ""
    suspects: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()
    map_text: str | None = None
    layout: Layout | None = None
    room_order: tuple[int, ...] = ()
    times: tuple[str, ...] = ()
    motives: tuple[str, ...] = ()
    motive_counts: tuple[int, ...] = ()
    clue_texts: tuple[str, ...] = ()
    questions: tuple[QuestionLine, ...] = ()
    answer_types: dict[str, str] = field(default_factory=dict)
    rules: tuple[str, ...] = ()
    prose: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(q.label for q in self.questions)

    @property
    def options(self) -> dict[str, list[str]] | None:
        """label -> every answer a player may give, from the answer-format block and the
        lists; None when there is no answer-format block or a list it needs is missing."""
        if not self.answer_types:
            return None
        lists = {
            "SUSPECT": self.suspects,
            "WEAPON": self.weapons,
            "ROOM": self.rooms,
            "TIME": self.times,
            "MOTIVE": self.motives,
        }
        out = {}
        for label, kind in self.answer_types.items():
            names = lists.get(kind)
            if not names:
                return None
            out[label] = list(names)
        return out


# A sentence ends at ". " before a capital, unless the dot ends a title ("Mr. Boddy").
_SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSgt)(?<!\bSt)(?<!\b[A-Z])[.!?]\s+(?=[A-Z])")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")

_ITEM = re.compile(r"^\s*(?:•|-|\*)\s+(?P<text>.*?)\s*$")
_NUMBERED = re.compile(r"^\s*(?P<num>\d+)\.\s+(?P<text>.*?)\s*$")
_QUESTION = re.compile(r"^\s*(?P<label>[A-Z]{1,2})\.\s+(?P<text>.*?)\s*$")
_FORMAT = re.compile(r"^\s*(?P<label>[A-Z]{1,2})\.\s+(?P<type>[A-Z]+)\s*$")

_MAY_BE_EMPTY = {"questions": _QUESTION, "bonus": _QUESTION, "format": _FORMAT}
"""Sections the original's template can leave empty, and the shape of their first line."""


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


def _heading_kind(block: str) -> str | None:
    last = block.rstrip().splitlines()[-1].strip()
    return _kind(last) if last.endswith(":") else None


@dataclass
class _Sections:
    blocks: list[str]
    heads: dict[str, int]  # kind -> index of its heading paragraph
    bodies: dict[str, int | None]  # kind -> index of its body paragraph (None: empty)

    def lines(self, kind: str) -> list[str] | None:
        """The non-blank lines of a section's body ([] when empty, None when absent)."""
        if kind not in self.heads:
            return None
        at = self.bodies[kind]
        return [] if at is None else [line for line in self.blocks[at].splitlines() if line.strip()]

    def heading(self, kind: str) -> str:
        return self.blocks[self.heads[kind]].rstrip().splitlines()[-1].strip()


def _sections(prompt: str) -> _Sections:
    text = prompt.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b.strip("\n") for b in _BLANK_LINE.split(text) if b.strip()]
    heads: dict[str, int] = {}
    bodies: dict[str, int | None] = {}
    kinds = [_heading_kind(b) for b in blocks]
    for i, kind in enumerate(kinds):
        if kind is None or kind in heads:
            continue
        heads[kind] = i
        body: int | None = i + 1
        if i + 1 >= len(blocks) or kinds[i + 1] is not None:
            body = None
        elif kind in _MAY_BE_EMPTY:
            first = next(line for line in blocks[i + 1].splitlines() if line.strip())
            if not _MAY_BE_EMPTY[kind].match(first):
                body = None
        bodies[kind] = body
    return _Sections(blocks, heads, bodies)


def _items(sec: _Sections, kind: str, what: str) -> list[str]:
    lines = sec.lines(kind)
    if lines is None:
        raise PromptParseError(f"the prompt lists no {what} (no '{what}' section was found)")
    out = []
    for line in lines:
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
    lines = sec.lines("rooms")
    if lines is None:
        raise PromptParseError("the prompt lists no rooms (no 'rooms' section was found)")
    names: list[str] = []
    for line in lines:
        m = _NUMBERED.match(line)
        if not m:
            raise PromptParseError(f"cannot read the room list: {line.strip()!r} is not a 'NN. Room' line")
        if int(m.group("num")) != len(names) + 1:
            raise PromptParseError(f"the room list is not numbered 1, 2, 3, ...: {line.strip()!r}")
        names.append(m.group("text"))
    if not names:
        raise PromptParseError("the room list is empty")
    if len(set(names)) != len(names):
        raise PromptParseError(f"the room list names {next(x for x in names if names.count(x) > 1)!r} twice")
    return names


_COMPASS_LINE = re.compile(r"^(?:(?:north|south|N+|S+)\s*)+$", re.IGNORECASE)
_ROW_EDGES = re.compile(r"^(?:west|W)(?=\s)|(?<=\s)(?:east|E)$")
_EMPTY_CELL = re.compile(r"^(?:-+|·+|\.+|_+|)$")


def _layout(sec: _Sections, count: int) -> tuple[Layout, tuple[int, ...]]:
    """The layout drawn in the prompt, and for each layout position the listed room's index."""
    lines = sec.lines("map")
    if lines is None:
        raise PromptParseError("the prompt draws no map of the rooms (no 'laid out' section was found)")
    grid: list[list[int | None]] = []
    for line in lines:
        text = line.strip()
        if _COMPASS_LINE.match(text):
            continue
        text = _ROW_EDGES.sub("", text).strip()
        cells: list[int | None] = []
        for cell in text.split("|"):
            cell = cell.strip()
            if cell.isdecimal():
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
    return layout, tuple(c - 1 for c in flat[:count])  # type: ignore[operator]


_COUNTED = re.compile(r"^(?P<name>.*?)\s*\((?P<n>\d+) suspects?\)$")


def _motives(sec: _Sections, n_suspects: int | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if "motives" not in sec.heads:
        return (), ()
    items = _items(sec, "motives", "motives")
    names, counts = [], []
    for item in items:
        m = _COUNTED.match(item)
        names.append(m.group("name") if m else item)
        counts.append(int(m.group("n")) if m else None)
    if len(set(names)) != len(names):
        raise PromptParseError(f"the motives list names {next(x for x in names if names.count(x) > 1)!r} twice")
    if all(c is None for c in counts):
        if n_suspects is not None and len(names) != n_suspects:
            raise PromptParseError(
                f"the prompt lists {len(names)} motives for {n_suspects} suspects "
                "without saying how many suspects have each"
            )
        return tuple(names), (1,) * len(names)
    if any(c is None for c in counts):
        raise PromptParseError("some motives say how many suspects have them and some do not")
    total = sum(c or 0 for c in counts)
    if n_suspects is not None and total != n_suspects:
        raise PromptParseError(f"the motive counts add up to {total}, not to the {n_suspects} suspects")
    return tuple(names), tuple(c or 0 for c in counts)


def _clue_texts(sec: _Sections) -> list[str]:
    lines = sec.lines("clues")
    if lines is None:
        raise PromptParseError("the prompt has no clues (no 'clues' section was found)")
    out = []
    for line in lines:
        m = _ITEM.match(line)
        if not m or not m.group("text"):
            raise PromptParseError(f"cannot read the clue line {line.strip()!r}: not a '- clue' line")
        out.append(m.group("text"))
    return out


def _question_lines(sec: _Sections) -> list[QuestionLine]:
    if "questions" not in sec.heads and "bonus" not in sec.heads:
        raise PromptParseError("the prompt asks no questions (no 'questions' section was found)")
    out = []
    for kind, bonus in (("questions", False), ("bonus", True)):
        for line in sec.lines(kind) or []:
            m = _QUESTION.match(line)
            if not m:
                raise PromptParseError(f"cannot read the question line {line.strip()!r}: not an 'A. question' line")
            out.append(QuestionLine(m.group("label"), m.group("text"), bonus))
    labels = [q.label for q in out]
    if len(set(labels)) != len(labels):
        raise PromptParseError(f"question label {next(x for x in labels if labels.count(x) > 1)!r} is used twice")
    return out


def _answer_types(sec: _Sections) -> dict[str, str]:
    lines = sec.lines("format")
    if lines is None:
        return {}
    types: dict[str, str] = {}
    for line in lines:
        m = _FORMAT.match(line)
        if not m:
            raise PromptParseError(f"cannot read the answer format line {line.strip()!r}: not an 'A. TYPE' line")
        if m.group("type") not in ANSWER_TYPES:
            raise PromptParseError(
                f"the answer format asks for a {m.group('type')!r} in {line.strip()!r}; known: {', '.join(ANSWER_TYPES)}"
            )
        if m.group("label") in types:
            raise PromptParseError(f"the answer format lists label {m.group('label')!r} twice")
        types[m.group("label")] = m.group("type")
    return types


def _same_labels(types: dict[str, str], questions: list[QuestionLine]) -> None:
    labels = [q.label for q in questions]
    if list(types) != labels:
        raise PromptParseError(f"the answer format lists labels {list(types)}, the questions are labelled {labels}")


def _rules(sec: _Sections) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The paragraphs between the map and the clues that are no section's body, each on
    one line: all of them (a heading's closing ":" becomes ".") and the prose alone."""
    start, end = sec.bodies.get("map"), sec.heads.get("clues")
    if start is None or end is None:
        return (), ()
    bodies = {i for i in sec.bodies.values() if i is not None}
    heads = set(sec.heads.values())
    rules, prose = [], []
    for i in range(start + 1, end):
        if i in bodies:
            continue
        p = " ".join(sec.blocks[i].split())
        rules.append(p[:-1] + "." if p.endswith(":") else p)
        if i not in heads:
            prose.append(p)
    return tuple(rules), tuple(prose)


def _is_original(sec: _Sections, prompt: str) -> bool:
    head = sec.heading("clues") if "clues" in sec.heads else ""
    return head.lower().startswith("the available clues") or "Fill out your final answers" in prompt


_T = TypeVar("_T")


def read_prompt(prompt: str, strict: bool = True) -> PromptOutline:
    """The outline of ``prompt``: its lists, map, clue sentences, questions and answer format.

    ``strict=True`` raises ``PromptParseError`` at the first part that cannot be read;
    ``strict=False`` reads every part it can, leaves the others empty and says why in
    ``problems`` (it raises only for a prompt that is not text).
    """
    if not isinstance(prompt, str):
        raise PromptParseError(f"a prompt must be text, got {type(prompt).__name__}")
    sec = _sections(prompt)
    problems: list[str] = []

    def part(read: Callable[[], _T], empty: _T) -> _T:
        try:
            return read()
        except PromptParseError as err:
            if strict:
                raise
            problems.append(str(err))
            return empty

    suspects = part(lambda: _items(sec, "suspects", "suspects"), [])
    weapons = part(lambda: _items(sec, "weapons", "weapons"), [])
    rooms = part(lambda: _rooms(sec), [])
    layout, order = None, ()
    if rooms:
        layout, order = part(lambda: _layout(sec, len(rooms)), (None, ()))
    times = part(lambda: _items(sec, "times", "times") if "times" in sec.heads else [], [])
    motives, counts = part(lambda: _motives(sec, len(suspects) if suspects else None), ((), ()))
    clue_texts = part(lambda: _clue_texts(sec), [])
    questions = part(lambda: _question_lines(sec), None)
    answer_types = part(lambda: _answer_types(sec), None)
    if answer_types is not None and questions is not None and "format" in sec.heads:
        part(lambda: _same_labels(answer_types, questions), None)
    map_at = sec.bodies.get("map")
    rules, prose = _rules(sec)
    intro = sec.blocks[0] if sec.blocks and 0 not in sec.bodies.values() else ""
    return PromptOutline(
        format="original" if _is_original(sec, prompt) else "clue_env",
        intro=intro,
        suspects=tuple(suspects),
        weapons=tuple(weapons),
        rooms=tuple(rooms),
        map_text=sec.blocks[map_at] if map_at is not None else None,
        layout=layout,
        room_order=tuple(order),
        times=tuple(times),
        motives=tuple(motives),
        motive_counts=tuple(counts),
        clue_texts=tuple(clue_texts),
        questions=tuple(questions or ()),
        answer_types=answer_types or {},
        rules=rules,
        prose=prose,
        problems=tuple(problems),
    )


def options_from_prompt(prompt: str) -> dict[str, list[str]] | None:
    """Answer options per label, read from the prompt's lists and its answer-format block
    (``read_prompt(prompt, strict=False).options``); None when they cannot be read."""
    return read_prompt(prompt, strict=False).options
