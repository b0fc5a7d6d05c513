"""A finished puzzle: cast, map, clues, questions and solution; its prompt and its JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .case import Case
from .clues import Clue, clue_from_json, clue_text, clue_to_json
from .night import Night
from .questions import Question
from .sizes import Sizes

FORMAT_VERSION = 2
"""The record format ``to_record`` writes. 2: a question of where a piece was is kind
"room_of" (format 1 wrote it as kind "where" with a subject, which ``from_record`` still reads)."""
READABLE_FORMATS = (1, 2)


def labels(count: int) -> list[str]:
    """Question labels: A..Z, then AA, AB, ... (puzzles rarely need more than 26)."""
    out = []
    for i in range(count):
        text = ""
        i += 1
        while i:
            i, rem = divmod(i - 1, 26)
            text = chr(65 + rem) + text
        out.append(text)
    return out


@dataclass(frozen=True)
class Task:
    """What an environment or an agent needs of a puzzle, whatever file it came from.

    ``options[label]`` lists the valid answers to each question when known (puzzles from
    the original benchmark's file carry none: they are recovered from the prompt).
    """

    id: str
    prompt: str
    solution: dict[str, str]
    options: dict[str, list[str]] | None = None
    num_clues: int = 0
    record: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Puzzle:
    """One generated puzzle. ``difficulty`` is its level's name; ``rung`` the number of that level
    on the variant's ladder when the level is a rung (``Variant.ladder``), else None."""

    variant: str
    difficulty: str
    seed: int
    sizes: Sizes
    intro: str
    case: Case
    night: Night
    clues: tuple[Clue, ...]
    questions: tuple[Question, ...]
    rung: int | None = None

    @property
    def id(self) -> str:
        return f"{self.variant}/{self.difficulty}/{self.seed}"

    @property
    def labels(self) -> list[str]:
        return labels(len(self.questions))

    @property
    def solution(self) -> dict[str, str]:
        return {lab: q.answer(self.case, self.night) for lab, q in zip(self.labels, self.questions)}

    @property
    def options(self) -> dict[str, list[str]]:
        return {lab: list(q.options(self.case)) for lab, q in zip(self.labels, self.questions)}

    def clue_texts(self) -> list[str]:
        return [clue_text(c, self.case) for c in self.clues]

    def render(self) -> str:
        """The prompt text."""
        return render_prompt(self)

    def task(self) -> Task:
        record = self.to_record()
        return Task(self.id, record["prompt"], record["solution"], record["options"], len(self.clues), record)

    def to_record(self) -> dict[str, Any]:
        """The JSON record written by ``clue generate``: the original benchmark's three
        fields (prompt, solution, num_clues) first, then everything needed to rebuild it
        (``rung`` only when the level is a rung of the variant's ladder)."""
        rung = {} if self.rung is None else {"rung": self.rung}
        return {
            "prompt": self.render(),
            "solution": self.solution,
            "num_clues": len(self.clues),
            "id": self.id,
            "variant": self.variant,
            "difficulty": self.difficulty,
            **rung,
            "seed": self.seed,
            "sizes": self.sizes.to_dict(),
            "options": self.options,
            "questions": [q.to_json() for q in self.questions],
            "clues": [clue_to_json(c) for c in self.clues],
            "case": self.case.to_dict(),
            "night": self.night.to_dict(),
            "intro": self.intro,
            "format": FORMAT_VERSION,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Puzzle:
        if record.get("format") not in READABLE_FORMATS:
            raise ValueError(
                f"puzzle record format {record.get('format')!r} is not one this version reads "
                f"({', '.join(map(str, READABLE_FORMATS))}); regenerate the file with `clue generate`"
            )
        return cls(
            variant=record["variant"],
            difficulty=record["difficulty"],
            seed=int(record["seed"]),
            sizes=Sizes.from_dict(record["sizes"]),
            intro=record["intro"],
            case=Case.from_dict(record["case"]),
            night=Night.from_dict(record["night"]),
            clues=tuple(clue_from_json(c) for c in record["clues"]),
            questions=tuple(Question.from_json(q) for q in record["questions"]),
            rung=_rung(record.get("rung")),
        )


def _rung(value: object) -> int | None:
    """A record's ``rung`` (absent from records of levels that are no rung, and of older files)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"a puzzle record's 'rung' must be an integer >= 0, got {value!r}")
    return value


def _bullets(items: list[str]) -> str:
    return "\n".join(f"• {x}" for x in items)


def render_prompt(p: Puzzle) -> str:
    case = p.case
    victim = case.victim
    digits = len(str(len(case.rooms)))
    parts = [
        p.intro,
        f"Suspects:\n\n{_bullets(list(case.suspects))}",
        f"Weapons:\n\n{_bullets(list(case.weapons))}",
        "Rooms:\n\n" + "\n".join(f"{str(i + 1).zfill(digits)}. {r.name}" for i, r in enumerate(case.rooms)),
        f"The rooms are laid out like this (north is up):\n\n{case.layout.draw()}",
    ]
    if len(case.times) > 1:
        parts.append(f"The murder happened at one of these times:\n\n{_bullets(list(case.times))}")
        parts.append(
            f"At each time, every suspect, and {victim} while alive, either stayed where they were "
            "or moved to the room directly north, south, east or west. A weapon only moved when a "
            "suspect carried it, making the same move at the same time."
        )
    if case.motives:
        if case.unique_motives:
            head = "Each suspect had exactly one of these motives, and no two suspects had the same one:"
            items = list(case.motives)
        else:
            head = "Each suspect had exactly one of these motives; the number says how many suspects had it:"
            items = [f"{m} ({n} suspect{'' if n == 1 else 's'})" for m, n in zip(case.motives, case.motive_counts)]
        parts.append(f"{head}\n\n{_bullets(items)}")
    rule = (
        f"The murder took place at a moment when the murderer was the only suspect in a room with "
        f"{victim} and at least one weapon, the murder weapon."
    )
    if len(case.times) > 1:
        rule += (
            f" From then on {victim}'s body stayed in that room: read every clue about "
            f"{victim}'s whereabouts as being about {victim}, dead or alive."
        )
    parts.append(rule)
    parts.append("Clues:\n\n" + "\n".join(f"- {t}" for t in p.clue_texts()))
    labs = p.labels
    main = [f"{lab}. {q.text(case)}" for lab, q in zip(labs, p.questions) if not q.bonus]
    bonus = [f"{lab}. {q.text(case)}" for lab, q in zip(labs, p.questions) if q.bonus]
    parts.append("Questions:\n\n" + "\n".join(main))
    if bonus:
        parts.append("Bonus questions:\n\n" + "\n".join(bonus))
    parts.append(
        "Give your final answers in exactly this format, one line per question:\n\n"
        + "\n".join(f"{lab}. {q.answer_type()}" for lab, q in zip(labs, p.questions))
    )
    parts.append("Good luck, detective.")
    return "\n\n".join(parts)
