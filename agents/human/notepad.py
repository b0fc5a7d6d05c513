"""The detective's notepad: candidates crossed out or circled, free notes, and (in an
investigation) the facts learned, one per answered question, written in by the game."""

from __future__ import annotations

from dataclasses import dataclass, field

CROSSED = "x"
CIRCLED = "o"


@dataclass
class Notepad:
    """``marks[category][name]`` is CROSSED or CIRCLED; unmarked names are absent.
    ``facts``: the answers of an investigation's witness, in the order they were given."""

    marks: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def mark(self, category: str, name: str) -> str | None:
        return self.marks.get(category, {}).get(name)

    def set(self, category: str, name: str, mark: str | None) -> None:
        row = self.marks.setdefault(category, {})
        if mark is None:
            row.pop(name, None)
        else:
            row[name] = mark

    def left(self, category: str, names: list[str]) -> list[str]:
        """The names of ``category`` not crossed out."""
        return [n for n in names if self.mark(category, n) != CROSSED]

    def circled(self, category: str, names: list[str]) -> list[str]:
        return [n for n in names if self.mark(category, n) == CIRCLED]

    def pick(self, category: str, names: list[str]) -> str | None:
        """The one name the notepad points at: the only circled one, else the only one left."""
        circled = self.circled(category, names)
        if len(circled) == 1:
            return circled[0]
        left = self.left(category, names)
        if not circled and len(left) == 1:
            return left[0]
        return None

    def to_dict(self) -> dict:
        out: dict = {"marks": {c: dict(m) for c, m in self.marks.items() if m}, "notes": list(self.notes)}
        if self.facts:
            out["facts"] = list(self.facts)
        return out
