"""What the terminal game needs of a puzzle, whether it has the Puzzle or only a prompt."""

from __future__ import annotations

from dataclasses import dataclass, replace

from clue_env.investigation import InvestigationCase
from clue_env.prompt_parse import read_prompt
from clue_env.puzzle import Puzzle

KINDS = ("SUSPECT", "WEAPON", "ROOM", "TIME", "MOTIVE")
TITLES = {"SUSPECT": "Suspects", "WEAPON": "Weapons", "ROOM": "Rooms", "TIME": "Times", "MOTIVE": "Motives"}


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
        main = not q.bonus and q.form.main
        asks.append(
            Ask(label, q.text(case), kind, tuple(q.options(case)), q.bonus, kind if main and kind in present else None)
        )
    prompt = puzzle.render()
    prose = read_prompt(prompt).prose  # the movement rule (with several times), then the murder rule
    rules = [p for p in prose if p.startswith("At each time,")]
    if case.motives:
        rules.append(
            "Each suspect had exactly one motive, no two the same."
            if case.unique_motives
            else "Each suspect had exactly one motive; the number after a motive says how many suspects had it."
        )
    rules += [p for p in prose if p.startswith("The murder took place")]
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


def sheet_from_case(inv: InvestigationCase) -> Sheet:
    """The sheet of an investigation: its puzzle's world with the starting clues only, and the
    case's prompt (what a model reads: the grammar, the budget and the cost included) as its text."""
    sheet = sheet_from_puzzle(replace(inv.puzzle, clues=inv.clues))
    title = f"{inv.id} · {len(inv.start)} clues · {len(sheet.questions)} questions"
    return replace(sheet, id=inv.id, title=title, prompt=inv.prompt)


def sheet_from_prompt(
    prompt: str,
    options: dict[str, list[str]] | None = None,
    solution: dict[str, str] | None = None,
    puzzle_id: str = "puzzle",
) -> Sheet:
    """A sheet read from a prompt's text by the one prompt reader (``read_prompt`` in its
    lenient mode, so any text gives a sheet): its answer-format lines give the labels and
    kinds, its lists the options, its question lines the texts, and its intro, clues,
    rules and map what the screens show (parts not found are empty)."""
    outline = read_prompt(prompt, strict=False)
    if options is None:
        options = outline.options
    kinds = dict(outline.answer_types)
    lines = {q.label: q for q in outline.questions}
    labels = list(kinds) or list(solution or ()) or list(options or ()) or list(lines)
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
        line = lines.get(label)
        text = line.text if line else (f"Your answer ({kind.lower()})" if kind else "Your answer")
        opts = tuple(options[label]) if options and options.get(label) else None
        main = line is not None and not line.bonus and kind in present
        asks.append(Ask(label, text, kind, opts, not main, kind if main else None))
    if not asks:
        asks.append(Ask("", "Your answer", None, None))
    clues = outline.clue_texts
    counted = f"{len(clues)} clues · " if clues else ""
    return Sheet(
        id=puzzle_id,
        title=f"{puzzle_id} · {counted}{len(asks)} questions",
        categories=tuple(cats),
        questions=tuple(asks),
        solution=solution,
        options=options,
        prompt=prompt,
        intro=outline.intro,
        clues=clues,
        rules=outline.rules,
        map_text=outline.map_text,
    )
