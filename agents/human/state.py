"""What a game holds between screens: the sheet, the notepad, the answers so far, the view
on screen and its page, the message for the next screen, and (an investigation) the inquiry."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from .inquiry import Inquiry
from .notepad import Notepad
from .sheet import Sheet

VIEWS = ("case", "clues", "map", "notes", "help", "text", "learned")


@dataclass
class GameState:
    """``view``: one of VIEWS (``learned``: an investigation's questions and answers); ``page``: 1-based, within
    ``pages`` (the count when last shown); ``inquiry``: the investigation (None: a one-shot puzzle)."""

    sheet: Sheet
    notepad: Notepad = field(default_factory=Notepad)
    answers: dict[str, str] = field(default_factory=dict)
    view: str = "case"
    page: int = 1
    pages: int = 1
    message: Text | None = None
    inquiry: Inquiry | None = None

    def __post_init__(self) -> None:
        self._check_view(self.view)

    def _check_view(self, view: str) -> None:
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}: the views are {', '.join(VIEWS)}")

    def show(self, view: str, page: int = 1) -> None:
        """Switch to page ``page`` (at least 1) of ``view``."""
        self._check_view(view)
        self.view, self.page = view, max(page, 1)

    def say(self, text: str, style: str) -> None:
        """Show ``text`` on the message line of the next screen."""
        self.message = Text(text, style=style)

    def take_message(self) -> Text | None:
        """The message for the screen being drawn; the one after has none unless told."""
        message, self.message = self.message, None
        return message
