"""What a game holds between screens: the sheet, the notepad, the answers so far, the view
on screen and its page, and the message for the next screen."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from .notepad import Notepad
from .sheet import Sheet

VIEWS = ("case", "clues", "map", "notes", "help", "text")


@dataclass
class GameState:
    """``view``: one of VIEWS; ``page``: 1-based, within ``pages`` (the count when last shown)."""

    sheet: Sheet
    notepad: Notepad = field(default_factory=Notepad)
    answers: dict[str, str] = field(default_factory=dict)
    view: str = "case"
    page: int = 1
    pages: int = 1
    message: Text | None = None

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r}: the views are {', '.join(VIEWS)}")

    def show(self, view: str, page: int = 1) -> None:
        """Switch to page ``page`` (at least 1) of ``view``."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}: the views are {', '.join(VIEWS)}")
        self.view, self.page = view, max(page, 1)

    def say(self, text: str, style: str) -> None:
        """Show ``text`` on the message line of the next screen."""
        self.message = Text(text, style=style)

    def take_message(self) -> Text | None:
        """The message for the screen being drawn; the one after has none unless told."""
        message, self.message = self.message, None
        return message
