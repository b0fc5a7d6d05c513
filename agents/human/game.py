"""The game loop: a screen of the current view, a command, again, until the player answers or leaves.

The parts live beside it: ``pager`` (pages that fit the terminal, drawn with footer,
message and prompt), ``views`` (what each view shows), ``commands`` (the command line),
``answering`` (the answer wizard and the score), ``state`` (what a game holds between
screens) and ``result`` (how a game ended).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from rich.console import Console
from rich.text import Text

from clue_env.grading import grade

from . import views
from .answering import Answering
from .commands import HELP_ROWS, execute
from .notepad import Notepad
from .pager import MIN_PAGE_LINES, RESERVED_LINES, InputFn, Pager
from .result import PlayResult
from .sheet import Sheet
from .state import GameState

__all__ = ["HELP_ROWS", "MIN_PAGE_LINES", "RESERVED_LINES", "Game", "InputFn", "PlayResult"]


@contextlib.contextmanager
def ctrl_c_raises() -> Iterator[None]:
    """Make Ctrl-C raise KeyboardInterrupt while the game runs, then put things back.

    Needed because a native library can leave SIGINT at the OS default (kill the process)
    while Python still believes its own handler is installed: OR-Tools' CP-SAT solver,
    which builds the puzzles, does so after each solve. Reinstalling the handler fixes
    the OS side too. Only the main thread may set signal handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError, TypeError):
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


class Game:
    """One game of one sheet. ``run()`` plays it and returns a PlayResult."""

    def __init__(self, sheet: Sheet, console: Console | None = None, input_fn: InputFn = input, reveal: bool = True):
        self.sheet = sheet
        self.console = console or Console()
        self.input_fn = input_fn
        self.reveal = reveal
        # a prompt whose candidates and clues could not be read opens on its text
        self.state = GameState(sheet, view="case" if sheet.categories or sheet.clues else "text")
        self.pager = Pager(self.console, input_fn)

    @property
    def notepad(self) -> Notepad:
        return self.state.notepad

    @property
    def answers(self) -> dict[str, str]:
        return self.state.answers

    def run(self) -> PlayResult:
        with ctrl_c_raises():
            try:
                return self._loop()
            except KeyboardInterrupt:
                return self._abandon("interrupted", "Interrupted (Ctrl-C): the case stays unsolved.")
            except EOFError:
                return self._abandon("eof", "End of input: the case stays unsolved.")

    def _loop(self) -> PlayResult:
        while True:
            step = execute(self.state, self._show())
            if step == "answer":
                result = Answering(self.state, self.pager, self.reveal).run()
                if result is not None:
                    return result
            elif step == "quit":
                return self._abandon("quit", "You closed the case file without answering.")

    def _show(self) -> str:
        """Draw the current view's current page; return the line typed."""
        state, pager = self.state, self.pager
        view = state.view
        gap = view != "clues"
        blocks = views.blocks(state, pager.width)
        pages = pager.paginate(blocks, gap)
        if view == "case" and len(pages) > 1 and self.sheet.intro:  # the story only if all fits
            blocks = views.case_blocks(state, pager.width, intro=False)
            pages = pager.paginate(blocks, gap)
        state.pages = len(pages)
        if state.page > state.pages:
            n = state.pages
            state.say(f"There {'is' if n == 1 else 'are'} only {n} page{'s' if n > 1 else ''} here.", "yellow")
            state.page = n
        page = pages[state.page - 1]
        title = views.TITLES[view]
        if view == "clues" and self.sheet.clues:
            title = f"Clues {page.first + 1}–{page.last + 1} of {len(blocks)}"
        if state.pages > 1:
            title += f" · page {state.page}/{state.pages}"
            if state.page < state.pages:
                title += " · Enter: next"
        return pager.draw(page.lines, self._footer(title), "> ", state.take_message())

    def _footer(self, title: str) -> Text:
        """The footer of a view's page titled ``title``."""
        return self.pager.footer(title)

    def _goodbye(self, text: str) -> None:
        """Say why the game ends (``text``) and goodbye."""
        try:
            self.console.print()
            self.console.print(Text(text, style="yellow"))
            self.console.print("Goodbye, detective.")
        except Exception:  # noqa: BLE001, S110 - a closed terminal must not turn a clean exit into a traceback
            pass

    def _abandon(self, reason: str, text: str) -> PlayResult:
        self._goodbye(text)
        submitted = grade("", self.sheet.solution, self.sheet.options) if self.sheet.solution else None
        return PlayResult(self.sheet.id, dict(self.answers), submitted, True, reason, self.notepad)
