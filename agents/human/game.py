"""The game loop: screens that fit the terminal, a command line, the notepad, answering.

Plain rich printing and line input, no full-screen library: every command redraws one
screen (cleared first on a real terminal) whose content is cut into pages that leave the
footer, a message line and the prompt visible. On a 24-line terminal a page holds 20 lines.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rich import box
from rich.console import Console, RenderableType
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from clue_env.grading import Grade, grade

from .matching import describe_choices, match_choice
from .notepad import CIRCLED, CROSSED, Notepad
from .sheet import Ask, Category, Sheet

InputFn = Callable[[str], str]

# Lines kept free below a page: the footer, the message (up to two lines) and the prompt.
RESERVED_LINES = 4
MIN_PAGE_LINES = 5

_COMMAND = re.compile(r"^\s*([a-zA-Z?])(?:\s*(\d+)\s*$|\s+(.*?)\s*$|\s*$)")

HELP_ROWS = (
    ("s [N]", "the case: cast, map and questions (page N)"),
    ("c [N]", "the clues, page N (Enter shows the next page)"),
    ("m", "the map and the rules"),
    ("t [N]", "the puzzle's whole text, as a model reads it"),
    ("p", "the detective's notepad"),
    ("x NAME", "cross out a suspect, weapon, room, time or motive"),
    ("o NAME", "circle a candidate you believe in"),
    ("u NAME", "clear the mark on a candidate"),
    ("n TEXT", "write a note on the notepad;  d N  deletes note N"),
    ("a", "answer the questions (then y to submit)"),
    ("h", "this help"),
    ("q", "quit without answering"),
)


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


def _styled_item(shown: str, mark: str | None) -> Text:
    if mark == CROSSED:
        return Text("✗ " + shown, style="dim strike")
    if mark == CIRCLED:
        return Text("● " + shown, style="bold green")
    return Text(shown)


def _wrap_items(items: list[Text], width: int, sep: str = " · ") -> Text:
    """Items joined with ``sep``, broken into lines between items, never inside one."""
    lines: list[Text] = []
    line = Text()
    for item in items:
        if line.cell_len and line.cell_len + len(sep) + item.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append(sep, style="dim")
        line.append_text(item)
    lines.append(line)
    return Text("\n").join(lines)


@contextlib.contextmanager
def _ctrl_c_raises() -> Iterator[None]:
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
        self.notepad = Notepad()
        self.answers: dict[str, str] = {}
        self.view = "case"
        self.page = 1
        self.pages = 1
        self.message: Text | None = None
        self._map_cut = False
        if not sheet.categories and not sheet.clues:
            self.view = "text"

    # ------------------------------------------------------------------ entry

    def run(self) -> PlayResult:
        with _ctrl_c_raises():
            try:
                return self._loop()
            except KeyboardInterrupt:
                return self._abandon("interrupted", "Interrupted (Ctrl-C): the case stays unsolved.")
            except EOFError:
                return self._abandon("eof", "End of input: the case stays unsolved.")

    def _abandon(self, reason: str, text: str) -> PlayResult:
        try:
            self.console.print()
            self.console.print(Text(text, style="yellow"))
            self.console.print("Goodbye, detective.")
        except Exception:  # noqa: BLE001, S110 - a closed terminal must not turn a clean exit into a traceback
            pass
        submitted = grade("", self.sheet.solution, self.sheet.options) if self.sheet.solution else None
        return PlayResult(self.sheet.id, dict(self.answers), submitted, True, reason, self.notepad)

    # ------------------------------------------------------------------ screens

    @property
    def width(self) -> int:
        return max(20, self.console.width)

    def _budget(self) -> int:
        return max(MIN_PAGE_LINES, self.console.height - RESERVED_LINES)

    def _lines(self, renderable: RenderableType) -> list[list[Segment]]:
        options = self.console.options.update_width(self.width)
        return self.console.render_lines(renderable, options, pad=False)

    def _paginate(self, blocks: list[RenderableType], gap: bool = True) -> list[tuple[list[list[Segment]], int, int]]:
        """Pages of whole blocks where they fit, as (lines, first block, last block)."""
        budget = self._budget()
        pages: list[tuple[list[list[Segment]], int, int]] = []
        cur: list[list[Segment]] = []
        first = 0
        for i, block in enumerate(blocks):
            lines = self._lines(block)
            extra = 1 if (gap and cur) else 0
            if cur and len(cur) + extra + len(lines) <= budget:
                if extra:
                    cur.append([])
                cur.extend(lines)
                continue
            if cur:
                pages.append((cur, first, i - 1))
            first = i
            while len(lines) > budget:
                pages.append((lines[:budget], i, i))
                lines = lines[budget:]
            cur = list(lines)
        if cur or not pages:
            pages.append((cur, first, max(first, len(blocks) - 1)))
        return pages

    def _draw(self, lines: list[list[Segment]], footer: Text, prompt: str) -> str:
        console = self.console
        console.clear()
        flat: list[Segment] = []
        for line in lines:
            flat.extend(line)
            flat.append(Segment.line())
        console.print(Segments(flat), end="")
        footer.no_wrap = True
        footer.overflow = "ellipsis"
        console.print(footer, no_wrap=True, overflow="ellipsis", crop=True)
        message = self.message or Text("")
        self.message = None
        for line in self._lines(message)[:2] or [[]]:
            console.print(Segments([*line, Segment.line()]), end="")
        console.print(Text(prompt, style="bold"), end="")
        return self.input_fn("")

    _COMMAND_HINTS = (
        ("s", "case"),
        ("c", "clues"),
        ("m", "map"),
        ("p", "notes"),
        ("a", "answer"),
        ("h", "help"),
        ("q", "quit"),
    )
    _HINT_PRIORITY = "aqchpms"

    def _hint_rank(self, key: str) -> int:
        rank = self._HINT_PRIORITY.find(key)
        return rank if rank >= 0 else len(self._HINT_PRIORITY)

    def _footer(self, title: str, hints: tuple[tuple[str, str], ...] | None = None) -> Text:
        """One line: the view's title, then as many command hints as fit."""
        hints = self._COMMAND_HINTS if hints is None else hints
        room = self.width - len(title) - 6
        chosen: set[str] = set()
        for key in sorted((k for k, _ in hints), key=self._hint_rank):
            trial = [h for h in hints if h[0] in chosen | {key}]
            if len(" · ".join(f"{k} {w}" for k, w in trial)) <= room:
                chosen.add(key)
        text = Text("── ", style="dim")
        text.append(title, style="bold cyan")
        shown = [h for h in hints if h[0] in chosen]
        if shown:
            text.append(" │ ", style="dim")
            for i, (key, what) in enumerate(shown):
                if i:
                    text.append(" · ", style="dim")
                text.append(key, style="bold")
                text.append(f" {what}", style="dim")
        return text

    def _show(self) -> str:
        """Draw the current view's current page; return the line typed."""
        view = self.view
        gap = view != "clues"
        blocks = getattr(self, f"_{view}_blocks")()
        pages = self._paginate(blocks, gap)
        if view == "case" and len(pages) > 1 and self.sheet.intro:  # the story only if all fits
            blocks = self._case_blocks(intro=False)
            pages = self._paginate(blocks, gap)
        self.pages = len(pages)
        if self.page > self.pages:
            self.message = Text(
                f"There {'is' if self.pages == 1 else 'are'} only {self.pages} page{'s' if self.pages > 1 else ''} here.",
                style="yellow",
            )
            self.page = self.pages
        lines, first, last = pages[self.page - 1]
        title = {
            "case": "Case",
            "clues": "Clues",
            "map": "Map",
            "notes": "Notepad",
            "help": "Help",
            "text": "Puzzle text",
        }[view]
        if view == "clues" and self.sheet.clues:
            title = f"Clues {first + 1}–{last + 1} of {len(blocks)}"
        if self.pages > 1:
            title += f" · page {self.page}/{self.pages}"
            if self.page < self.pages:
                title += " · Enter: next"
        return self._draw(lines, self._footer(title), "> ")

    # ------------------------------------------------------------------ views

    def _cast_table(self) -> Table:
        cats = self.sheet.categories
        label_width = max(len(f"{c.title} {len(c.names)}/{len(c.names)}") for c in cats)
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, width=label_width)
        table.add_column(no_wrap=True, overflow="ellipsis")
        items_width = max(10, self.width - label_width - 1)
        for cat in cats:
            left = len(self.notepad.left(cat.kind, list(cat.names)))
            label = Text(cat.title, style="bold")
            label.append(f" {left}/{len(cat.names)}", style="dim")
            items = [
                _styled_item(shown, self.notepad.mark(cat.kind, name)) for name, shown in zip(cat.names, cat.shown)
            ]
            table.add_row(label, _wrap_items(items, items_width))
        return table

    def _questions_table(self) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for ask in self.sheet.questions:
            text = Text(ask.text)
            if ask.bonus:
                text.append(" (bonus)", style="dim")
            if ask.label in self.answers:
                text.append(f"  → {self.answers[ask.label]}", style="green")
            table.add_row(f"{ask.label}." if ask.label else "", text)
        return table

    def _case_blocks(self, intro: bool = True) -> list[RenderableType]:
        sheet = self.sheet
        head = Text(f"Temporal Clue · {sheet.title}", style="bold", overflow="ellipsis")
        if sheet.intro and intro:
            head.append("\n")
            head.append(sheet.intro, style="italic")
        blocks: list[RenderableType] = [head]
        if sheet.categories:
            blocks.append(self._cast_table())
        hint = Text.assemble(
            ("m", "bold cyan"),
            " shows the map with names, and the rules; ",
            ("c", "bold cyan"),
            f" shows the {len(sheet.clues)} clues; " if sheet.clues else " shows the clues; ",
            ("h", "bold cyan"),
            " lists every command.",
        )
        if sheet.map_text:
            grid = Table.grid(padding=(0, 3))
            grid.add_column(no_wrap=True)
            grid.add_column()
            grid.add_row(Text(sheet.map_text), Text.assemble(("Map: rooms by number, north is up.\n", "bold"), hint))
            blocks.append(grid)
        else:
            blocks.append(hint)
        questions = Table.grid()
        questions.add_row(Text("Questions", style="bold"))
        questions.add_row(self._questions_table())
        blocks.append(questions)
        return blocks

    def _paragraphs(self) -> list[RenderableType]:
        return [Text(p.strip("\n")) for p in re.split(r"\n[^\S\n]*\n", self.sheet.prompt) if p.strip()]

    def _text_blocks(self) -> list[RenderableType]:
        return [Text(self.sheet.prompt.strip("\n"))]  # one block: pages cut at any line

    def _clues_blocks(self) -> list[RenderableType]:
        texts = self.sheet.clues
        if not texts:  # clues not found in a prompt: its whole text
            return self._paragraphs()
        digits = len(str(len(texts)))
        blocks: list[RenderableType] = []
        for i, text in enumerate(texts, 1):
            row = Table.grid(padding=(0, 1))
            row.add_column(width=digits + 1, justify="right", style="dim")
            row.add_column()
            row.add_row(f"{i}.", text)
            blocks.append(row)
        return blocks

    def _map_drawing(self) -> Text:
        puzzle = self.sheet.puzzle
        assert puzzle is not None
        layout = puzzle.case.layout
        cat = self.sheet.category("ROOM")
        assert cat is not None
        cols = layout.width
        cell = max(4, min(max(len(s) for s in cat.shown), (self.width - 11) // cols - 3))
        pad = " " * 5

        def border(left: str, mid: str, right: str) -> Text:
            return Text(pad + left + mid.join("─" * (cell + 2) for _ in range(cols)) + right, style="dim")

        out = [Text(pad + "north".center(cols * (cell + 3) + 1).rstrip())]
        out.append(border("┌", "┬", "┐"))
        for y in range(layout.height):
            line = Text("west " if y == layout.height // 2 else pad)
            for x in range(cols):
                line.append("│ ", style="dim")
                room = layout.room_at(x, y)
                if room is None:
                    line.append("·" * cell, style="dim")
                else:
                    label = cat.shown[room].strip()
                    if len(label) > cell:
                        label = label[: cell - 1] + "…"
                        self._map_cut = True
                    mark = self.notepad.mark("ROOM", cat.names[room])
                    style = "dim strike" if mark == CROSSED else "bold green" if mark == CIRCLED else ""
                    line.append(label.ljust(cell), style=style)
                line.append(" ")
            line.append("│", style="dim")
            if y == layout.height // 2:
                line.append(" east")
            out.append(line)
            out.append(border("├", "┼", "┤") if y < layout.height - 1 else border("└", "┴", "┘"))
        out.append(Text(pad + "south".center(cols * (cell + 3) + 1).rstrip()))
        return Text("\n").join(out)

    def _map_blocks(self) -> list[RenderableType]:
        sheet = self.sheet
        blocks: list[RenderableType] = []
        self._map_cut = False
        if sheet.puzzle is not None:
            blocks.append(self._map_drawing())
        elif sheet.map_text:
            blocks.append(Text(sheet.map_text))
        else:
            blocks.append(Text("No map found in this puzzle's text: t shows the whole text."))
        cat = sheet.category("ROOM")
        if cat is not None and (self._map_cut or sheet.puzzle is None):  # names not all in the cells
            items = [_styled_item(s, self.notepad.mark("ROOM", n)) for n, s in zip(cat.names, cat.shown)]
            blocks.append(_wrap_items(items, self.width))
        if sheet.rules:
            rules = Table.grid(padding=(0, 1))
            rules.add_column(no_wrap=True)
            rules.add_column()
            for rule in sheet.rules:
                rules.add_row("•", rule)
            blocks.append(rules)
        return blocks

    def _notes_blocks(self) -> list[RenderableType]:
        blocks: list[RenderableType] = [
            Text.assemble(
                ("Detective's notepad", "bold"),
                ("   x NAME crosses out ✗ · o NAME circles ● · u NAME clears", "dim"),
            )
        ]
        if self.sheet.categories:
            blocks.append(self._cast_table())
        notes = Table.grid(padding=(0, 1))
        notes.add_column(justify="right", style="dim", no_wrap=True)
        notes.add_column()
        notes.add_row("", Text("Notes", style="bold"))
        for i, note in enumerate(self.notepad.notes, 1):
            notes.add_row(f"{i}.", note)
        if not self.notepad.notes:
            notes.add_row("", Text("none yet: n TEXT writes one, d N deletes note N", style="dim"))
        blocks.append(notes)
        return blocks

    def _help_blocks(self) -> list[RenderableType]:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for cmd, what in HELP_ROWS:
            table.add_row(cmd, what)
        tips = Text.assemble(
            ("Names: ", "bold"),
            'a few letters do ("scar" is Miss Scarlet, "8 pm" is 08:00 PM), rooms also by number; '
            "several at once with commas: x green, rope, 3.\n",
            ("Answering: ", "bold"),
            "Enter takes the answer offered in [brackets], < goes back a question, ! leaves to "
            "look at the clues again. Ctrl-C or Ctrl-D leaves the game at any time.",
        )
        return [table, tips]

    # ------------------------------------------------------------------ commands

    def _loop(self) -> PlayResult:
        while True:
            line = self._show()
            text = line.strip()
            if not text:
                if self.page < self.pages:
                    self.page += 1
                continue
            m = _COMMAND.match(text)
            if not m:
                self._unknown(text)
                continue
            cmd, number, rest = m.group(1).lower(), m.group(2), m.group(3)
            views = {"s": "case", "c": "clues", "m": "map", "p": "notes", "t": "text", "h": "help", "?": "help"}
            if cmd in views and not rest:
                self.view = views[cmd]
                self.page = int(number) if number else 1
                self.page = max(self.page, 1)
            elif cmd in "xou" and (rest or number):
                self._mark(cmd, rest or number or "")
            elif cmd in "xou":
                self.message = Text(f"{cmd} what? For example: {cmd} {self._example()}", style="yellow")
            elif cmd == "n" and (rest or number):
                self.notepad.notes.append(rest or number or "")
                self.view, self.page = "notes", 1
                self.message = Text(f"Note {len(self.notepad.notes)} written.", style="green")
            elif cmd == "d" and number:
                k = int(number)
                if 1 <= k <= len(self.notepad.notes):
                    del self.notepad.notes[k - 1]
                    self.message = Text(f"Note {k} deleted.", style="green")
                else:
                    self.message = Text(f"There is no note {k}.", style="yellow")
                self.view, self.page = "notes", 1
            elif cmd == "d":
                self.message = Text("d N deletes note N (p shows the notes).", style="yellow")
            elif cmd == "a" and not rest and not number:
                result = self._answer()
                if result is not None:
                    return result
            elif cmd == "q" and not rest and not number:
                return self._abandon("quit", "You closed the case file without answering.")
            else:
                self._unknown(text)

    def _example(self) -> str:
        cat = self.sheet.category("SUSPECT") or (self.sheet.categories[0] if self.sheet.categories else None)
        return cat.names[0] if cat else "NAME"

    def _unknown(self, text: str) -> None:
        self.message = Text(f"Unknown command {text[:30]!r}: h lists the commands.", style="yellow")

    def _mark(self, cmd: str, arg: str) -> None:
        cats = self.sheet.categories
        if not cats:
            self.message = Text(
                "This puzzle's candidates could not be read from its text: use notes (n TEXT).", style="yellow"
            )
            return
        done, problems = [], []
        for part in (p.strip() for p in arg.split(",")):
            if not part:
                continue
            found: list[tuple[Category, str]] = []
            for cat in cats:
                found += [(cat, name) for name in match_choice(part, cat.names, numbered=cat.numbered)]
            if len(found) > 1:  # a whole name beats prefixes elsewhere; a bare number is a room
                exact = [(c, n) for c, n in found if n.casefold() == part.casefold()]
                if not exact and part.isdigit():
                    exact = [(c, n) for c, n in found if c.numbered]
                found = exact or found
            if len(found) == 1:
                cat, name = found[0]
                mark = {"x": CROSSED, "o": CIRCLED, "u": None}[cmd]
                self.notepad.set(cat.kind, name, mark)
                done.append(name)
            elif not found:
                problems.append(f"{part!r} names no suspect, weapon, room, time or motive")
            else:
                problems.append(f"{part!r} could be {describe_choices([n for _, n in found])}: type more letters")
        self.view, self.page = "notes", 1
        verb = {"x": "Crossed out", "o": "Circled", "u": "Cleared"}[cmd]
        message = Text()
        if done:
            message.append(f"{verb} {', '.join(done)}.", style="green")
        if problems:
            if done:
                message.append(" ")
            message.append("; ".join(problems) + ".", style="yellow")
        self.message = message

    # ------------------------------------------------------------------ answering

    def _default(self, ask: Ask) -> str | None:
        if ask.label in self.answers:
            return self.answers[ask.label]
        cat = self.sheet.category(ask.category)
        return self.notepad.pick(cat.kind, list(cat.names)) if cat else None

    def _next_open(self, after: int) -> int | None:
        asks = self.sheet.questions
        order = list(range(after + 1, len(asks))) + list(range(after + 1))
        return next((i for i in order if asks[i].label not in self.answers), None)

    def _answer(self) -> PlayResult | None:
        """Ask each question, then the review; a PlayResult once submitted, None to go back."""
        asks = self.sheet.questions
        current = self._next_open(-1)
        while True:
            if current is None:
                line = self._review_screen().strip().lower()
                if line in ("y", "yes"):
                    return self._finish()
                if line in ("n", "no", "!", "<"):
                    self.message = Text("Answers kept: a comes back to them.", style="green")
                    return None
                pick = next((i for i, ask in enumerate(asks) if ask.label.lower() == line and line), None)
                if pick is None:
                    labels = [a.label for a in asks]
                    span = f"{labels[0]}–{labels[-1]}" if len(labels) > 1 else labels[0]
                    self.message = Text(
                        f"Type y to submit, n to go back, or a label ({span}) to change that answer.", style="yellow"
                    )
                current = pick
                continue
            ask = asks[current]
            default = self._default(ask)
            typed = self._ask_screen(current, default).strip()
            if typed == "!":
                self.message = Text("Answers kept: a comes back to them.", style="green")
                return None
            if typed == "<":
                if current == 0:
                    self.message = Text("Answers kept: a comes back to them.", style="green")
                    return None
                current -= 1
                continue
            if not typed:
                if default is None:
                    self.message = Text("Type an answer (or < to go back, ! to leave).", style="yellow")
                    continue
                choice = default
            elif ask.options is None:
                choice = typed
            else:
                found = match_choice(typed, ask.options, numbered=ask.kind == "ROOM")
                if len(found) != 1:
                    if found:
                        why = f"{typed!r} could be {describe_choices(found)}: type more letters."
                    else:
                        why = f"{typed!r} is not one of the choices: {describe_choices(ask.options)}."
                    self.message = Text(why, style="bold red")
                    continue
                choice = found[0]
            self.answers[ask.label] = choice
            current = self._next_open(current)

    def _ask_screen(self, index: int, default: str | None) -> str:
        asks = self.sheet.questions
        ask = asks[index]
        lines: list[list[Segment]] = []
        header = Text(f"Answering question {index + 1} of {len(asks)}", style="bold")
        listing = Table.grid(padding=(0, 1))
        listing.add_column(no_wrap=True)
        listing.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        listing.add_column(no_wrap=True, style="green")
        for i, other in enumerate(asks):
            here = i == index
            listing.add_row(
                Text(
                    ("▸ " if here else "  ") + (f"{other.label}." if other.label else ""), style="bold" if here else ""
                ),
                Text(other.text, style="bold" if here else "dim"),
                self.answers.get(other.label, ""),
            )
        current = Text(f"{ask.label}. " if ask.label else "", style="bold")
        current.append(ask.text, style="bold")
        if ask.bonus:
            current.append(" (bonus)", style="dim")
        tail: list[RenderableType] = [current]
        if ask.options is not None:
            cat = self.sheet.category(ask.kind)
            shown = dict(zip(cat.names, cat.shown)) if cat and cat.names == ask.options else {}
            items = [
                _styled_item(shown.get(o, o).strip(), self.notepad.mark(ask.kind or "", o) if ask.category else None)
                for o in ask.options
            ]
            choices = Table.grid(padding=(0, 1))
            choices.add_column(no_wrap=True)
            choices.add_column(no_wrap=True, overflow="ellipsis")
            choices.add_row(Text("Choices:", style="bold"), _wrap_items(items, self.width - 10))
            tail.append(choices)
        hint = Text(
            "Type " + ("a choice: a few letters will do" if ask.options is not None else "your answer"), style="dim"
        )
        if default is not None:
            hint.append(" · Enter = ", style="dim")
            hint.append(default, style="bold green")
        tail.append(hint)
        budget = self._budget()
        head = self._lines(header) + [[]]
        body = self._lines(listing) + [[]]
        rest: list[list[Segment]] = []
        for block in tail:
            rest += self._lines(block)
        if len(head) + len(body) + len(rest) > budget:
            body = []  # many questions on a small screen: keep the one being asked
        lines = (head + body + rest)[:budget]
        footer = self._footer(
            f"Answers {len(self.answers)}/{len(asks)}", (("<", "back"), ("!", "leave"), ("Ctrl-C", "quit"))
        )
        return self._draw(lines, footer, f"{ask.label}> " if ask.label else "answer> ")

    def _review_screen(self) -> str:
        asks = self.sheet.questions
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(style="green", no_wrap=True)
        for ask in asks:
            table.add_row(f"{ask.label}." if ask.label else "", Text(ask.text), self.answers.get(ask.label, ""))
        blocks = [
            Text("Your answers", style="bold"),
            table,
            Text.assemble(
                ("y", "bold cyan"),
                " submits them · ",
                ("n", "bold cyan"),
                " goes back to the case · ",
                ("a label", "bold cyan"),
                " changes that answer",
            ),
        ]
        lines: list[list[Segment]] = []
        for i, block in enumerate(blocks):
            if i:
                lines.append([])
            lines += self._lines(block)
        lines = lines[: self._budget()]
        return self._draw(lines, self._footer(f"Answers {len(self.answers)}/{len(asks)}", ()), "Submit? (y/n/label) > ")

    # ------------------------------------------------------------------ the end

    def _finish(self) -> PlayResult:
        answers = {a.label: self.answers[a.label] for a in self.sheet.questions if a.label in self.answers}
        result = PlayResult(self.sheet.id, answers, None, False, "answered", self.notepad)
        if self.sheet.solution:
            submitted = grade(result.reply, self.sheet.solution, self.sheet.options)
            result = PlayResult(self.sheet.id, answers, submitted, False, "answered", self.notepad)
        self.console.clear()
        if result.grade is None or not self.reveal:
            self.console.print(Text("Your answers are recorded.", style="bold green"))
            return result
        self._print_score(result.grade)
        return result

    def _print_score(self, g: Grade) -> None:
        asks = self.sheet.questions
        solution = self.sheet.solution or {}
        right = sum(g.correct.values())
        total = len(g.correct)
        self.console.print(Text(f"Case closed · {self.sheet.id}", style="bold"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=True, collapse_padding=True)
        table.add_column("", no_wrap=True)
        table.add_column("Question", ratio=1)
        table.add_column("Your answer", no_wrap=True)
        table.add_column("Solution", no_wrap=True)
        table.add_column("", no_wrap=True)
        for ask in asks:
            ok = g.correct.get(ask.label, False)
            table.add_row(
                ask.label,
                ask.text,
                Text(self.answers.get(ask.label, "—"), style="green" if ok else "red"),
                solution.get(ask.label, ""),
                Text("✓" if ok else "✗", style="green" if ok else "bold red"),
            )
        self.console.print(table)
        score = Text(f"Score: {right}/{total} ({g.reward:.0%})", style="bold")
        if right == total:
            score.append(" · Full marks! Case solved.", style="bold green")
        elif right == 0:
            score.append(" · The murderer walks free.", style="bold red")
        else:
            score.append(f" · {total - right} wrong: the ✗ rows show the solution.", style="yellow")
        self.console.print(score)
