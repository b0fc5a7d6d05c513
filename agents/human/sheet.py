"""What the terminal game needs of a puzzle, whether it has the Puzzle or only a prompt."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from clue_env.dataset import options_from_prompt
from clue_env.puzzle import Puzzle

KINDS = ("SUSPECT", "WEAPON", "ROOM", "TIME", "MOTIVE")
TITLES = {"SUSPECT": "Suspects", "WEAPON": "Weapons", "ROOM": "Rooms", "TIME": "Times", "MOTIVE": "Motives"}
MAIN_KINDS = ("who", "what", "where", "when", "why")

_FORMAT_LINE = re.compile(r"^([A-Z]{1,2})\.\s+(SUSPECT|WEAPON|ROOM|TIME|MOTIVE)\s*$")
_QUESTION_LINE = re.compile(r"^([A-Z]{1,2})\.\s+(.*\S)\s*$")


@dataclass(frozen=True)
class Category:
    """One kind of candidate on the notepad: ``names`` as answers use them, ``shown`` as
    the screen lists them ("1 Hall", "Greed (3)")."""

    kind: str
    title: str
    names: tuple[str, ...]
    shown: tuple[str, ...]

    @property
    def numbered(self) -> bool:
        return self.kind == "ROOM"


@dataclass(frozen=True)
class Ask:
    """One question. ``options`` None: any text is accepted. ``category``: the notepad
    category whose circled (or only remaining) candidate is offered as the answer."""

    label: str
    text: str
    kind: str | None
    options: tuple[str, ...] | None
    bonus: bool = False
    category: str | None = None


@dataclass(frozen=True)
class Sheet:
    id: str
    title: str
    categories: tuple[Category, ...]
    questions: tuple[Ask, ...]
    solution: dict[str, str] | None
    options: dict[str, list[str]] | None
    prompt: str
    intro: str = ""
    clues: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    map_text: str | None = None
    puzzle: Puzzle | None = None

    def category(self, kind: str | None) -> Category | None:
        return next((c for c in self.categories if c.kind == kind), None)


def sheet_from_puzzle(puzzle: Puzzle) -> Sheet:
    case = puzzle.case
    rooms = case.room_names
    cats = [
        Category("SUSPECT", "Suspects", case.suspects, case.suspects),
        Category("WEAPON", "Weapons", case.weapons, case.weapons),
        Category("ROOM", "Rooms", rooms, tuple(f"{i + 1} {r}" for i, r in enumerate(rooms))),
    ]
    if len(case.times) > 1:
        cats.append(Category("TIME", "Times", case.times, case.times))
    if case.motives:
        shown = (
            case.motives
            if case.unique_motives
            else tuple(f"{m} ({n})" for m, n in zip(case.motives, case.motive_counts))
        )
        cats.append(Category("MOTIVE", "Motives", case.motives, shown))
    present = {c.kind for c in cats}
    asks = []
    for label, q in zip(puzzle.labels, puzzle.questions):
        kind = q.answer_type()
        main = not q.bonus and q.kind in MAIN_KINDS
        asks.append(
            Ask(label, q.text(case), kind, tuple(q.options(case)), q.bonus, kind if main and kind in present else None)
        )
    prompt = puzzle.render()
    paragraphs = prompt.split("\n\n")
    rules = [p for p in paragraphs if p.startswith("At each time,")]
    if case.motives:
        rules.append(
            "Each suspect had exactly one motive, no two the same."
            if case.unique_motives
            else "Each suspect had exactly one motive; the number after a motive says how many suspects had it."
        )
    rules += [p for p in paragraphs if p.startswith("The murder took place")]
    return Sheet(
        id=puzzle.id,
        title=f"{puzzle.id} · {len(puzzle.clues)} clues · {len(asks)} questions",
        categories=tuple(cats),
        questions=tuple(asks),
        solution=puzzle.solution,
        options=puzzle.options,
        prompt=prompt,
        intro=puzzle.intro,
        clues=tuple(puzzle.clue_texts()),
        rules=tuple(rules),
        map_text=case.layout.draw(),
        puzzle=puzzle,
    )


def _is_list(paragraph: str) -> bool:
    lines = [line.strip() for line in paragraph.strip().splitlines()]
    return bool(lines) and all(re.match(r"^(?:•|-|\*|\d+\.)\s+\S", line) for line in lines)


def read_prompt(prompt: str) -> tuple[str, tuple[str, ...], tuple[str, ...], str | None]:
    """The intro, clues, rules and map of a prompt in the usual layout (parts not found
    are empty): the clues are the list after a heading that mentions clues, the map the
    paragraph after one that says how the rooms are laid out, the rules the prose between
    the map and the clues."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[^\S\n]*\n", prompt) if p.strip()]
    intro = paragraphs[0] if paragraphs and not _is_list(paragraphs[0]) else ""
    clues: tuple[str, ...] = ()
    map_text = None
    map_at = clue_at = None
    for i, (head, body) in enumerate(itertools.pairwise(paragraphs)):
        last = head.strip().splitlines()[-1].lower()
        if map_at is None and "laid out" in last:
            map_at, map_text = i + 1, body
        elif not clues and "clue" in last and head.rstrip().endswith(":") and _is_list(body):
            clue_at = i
            clues = tuple(re.sub(r"^(?:•|-|\*|\d+\.)\s+", "", line.strip()) for line in body.strip().splitlines())
    rules: list[str] = []
    if map_at is not None and clue_at is not None:
        for p in paragraphs[map_at + 1 : clue_at]:
            if not _is_list(p):
                p = " ".join(p.split())
                rules.append(p[:-1] + "." if p.endswith(":") else p)
    return intro, clues, tuple(rules), map_text


def sheet_from_prompt(
    prompt: str,
    options: dict[str, list[str]] | None = None,
    solution: dict[str, str] | None = None,
    puzzle_id: str = "puzzle",
) -> Sheet:
    """A sheet read from a prompt's text: its answer-format lines give the labels and
    kinds, its lists the options (``options_from_prompt``), its question lines the texts."""
    if options is None:
        options = options_from_prompt(prompt)
    kinds: dict[str, str] = {}
    texts: dict[str, str] = {}
    for line in prompt.splitlines():
        line = line.strip()
        if m := _FORMAT_LINE.match(line):
            kinds.setdefault(m.group(1), m.group(2))
        elif (m := _QUESTION_LINE.match(line)) and m.group(1) not in texts:
            texts[m.group(1)] = m.group(2)
    labels = list(kinds) or list(solution or ()) or list(options or ()) or list(texts)
    cats: list[Category] = []
    for kind in KINDS:
        first = next((lab for lab in labels if kinds.get(lab) == kind and options and options.get(lab)), None)
        if first is not None:
            names = tuple(options[first])  # type: ignore[index]
            shown = names
            if kind == "ROOM":
                shown = tuple(f"{i + 1} {r}" for i, r in enumerate(names))
            cats.append(Category(kind, TITLES[kind], names, shown))
    present = {c.kind for c in cats}
    asks = []
    for label in labels:
        kind = kinds.get(label)
        text = texts.get(label) or (f"Your answer ({kind.lower()})" if kind else "Your answer")
        opts = tuple(options[label]) if options and options.get(label) else None
        main = "murder" in text.lower() and kind in present
        asks.append(Ask(label, text, kind, opts, not main, kind if main else None))
    if not asks:
        asks.append(Ask("", "Your answer", None, None))
    intro, clues, rules, map_text = read_prompt(prompt)
    counted = f"{len(clues)} clues · " if clues else ""
    return Sheet(
        id=puzzle_id,
        title=f"{puzzle_id} · {counted}{len(asks)} questions",
        categories=tuple(cats),
        questions=tuple(asks),
        solution=solution,
        options=options,
        prompt=prompt,
        intro=intro,
        clues=clues,
        rules=rules,
        map_text=map_text,
    )
