"""How a game ended: the answers entered, their grade, and why the game stopped."""

from __future__ import annotations

from dataclasses import dataclass, field

from clue_env.grading import Grade

from .notepad import Notepad


@dataclass(frozen=True)
class PlayResult:
    """How a game ended.

    ``answers``: what the player entered, by question label (possibly partial).
    ``grade``: the grade of the submitted answers; when the game was abandoned nothing
    was submitted and it is the grade of an empty reply (reward 0). None when the
    puzzle's solution is unknown (a bare prompt).
    ``reason``: "answered", "quit" (``q``), "interrupted" (Ctrl-C) or "eof" (end of input).
    """

    puzzle_id: str
    answers: dict[str, str]
    grade: Grade | None
    abandoned: bool = False
    reason: str = "answered"
    notepad: Notepad = field(default_factory=Notepad, compare=False)

    @property
    def score(self) -> float:
        return self.grade.reward if self.grade is not None else 0.0

    @property
    def reply(self) -> str:
        """The answers in the prompt's format, one "A. answer" line per question."""
        return "\n".join(f"{label}. {answer}" if label else answer for label, answer in self.answers.items())
