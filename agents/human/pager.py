"""Pages that fit the terminal: renderables cut into pages of whole lines, and a page drawn
with its footer, the message line and the prompt below it.

Plain rich printing and line input, no full-screen library: each screen is cleared first
(on a real terminal) and leaves RESERVED_LINES free below the page, so on a 24-line
terminal a page holds 20 lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.segment import Segment, Segments
from rich.text import Text

InputFn = Callable[[str], str]
Line = list[Segment]

# Lines kept free below a page: the footer, the message (up to two lines) and the prompt.
RESERVED_LINES = 4
MIN_PAGE_LINES = 5

# The footer's command hints, and which of them to keep first when not all fit.
COMMAND_HINTS = (
    ("s", "case"),
    ("c", "clues"),
    ("m", "map"),
    ("p", "notes"),
    ("a", "answer"),
    ("h", "help"),
    ("q", "quit"),
)
HINT_PRIORITY = "aqchpms"

# An investigation's hints: asking and the answers learned come first.
ASK_HINTS = (
    ("i", "ask"),
    ("l", "learned"),
    ("s", "case"),
    ("c", "clues"),
    ("m", "map"),
    ("p", "notes"),
    ("a", "accuse"),
    ("h", "help"),
    ("q", "quit"),
)
ASK_PRIORITY = "ialqchpms"


@dataclass(frozen=True)
class Page:
    """One page: its lines, and the first and last of the blocks it shows (block indices)."""

    lines: list[Line]
    first: int
    last: int


def _hint_rank(key: str, priority: str = HINT_PRIORITY) -> int:
    rank = priority.find(key)
    return rank if rank >= 0 else len(priority)


class Pager:
    """Cuts renderables into pages for ``console`` and draws them, reading the reply with ``input_fn``."""

    def __init__(self, console: Console, input_fn: InputFn):
        self.console = console
        self.input_fn = input_fn

    @property
    def width(self) -> int:
        return max(20, self.console.width)

    def budget(self) -> int:
        """How many lines a page may hold."""
        return max(MIN_PAGE_LINES, self.console.height - RESERVED_LINES)

    def lines(self, renderable: RenderableType) -> list[Line]:
        options = self.console.options.update_width(self.width)
        return self.console.render_lines(renderable, options, pad=False)

    def paginate(self, blocks: list[RenderableType], gap: bool = True) -> list[Page]:
        """Pages of whole blocks where they fit (a blank line between blocks with ``gap``);
        a block taller than a page is cut across pages of its own."""
        budget = self.budget()
        pages: list[Page] = []
        cur: list[Line] = []
        first = 0
        for i, block in enumerate(blocks):
            lines = self.lines(block)
            extra = 1 if (gap and cur) else 0
            if cur and len(cur) + extra + len(lines) <= budget:
                if extra:
                    cur.append([])
                cur.extend(lines)
                continue
            if cur:
                pages.append(Page(cur, first, i - 1))
            first = i
            while len(lines) > budget:
                pages.append(Page(lines[:budget], i, i))
                lines = lines[budget:]
            cur = list(lines)
        if cur or not pages:
            pages.append(Page(cur, first, max(first, len(blocks) - 1)))
        return pages

    def footer(
        self, title: str, hints: tuple[tuple[str, str], ...] | None = None, priority: str = HINT_PRIORITY
    ) -> Text:
        """One line: the view's title, then as many command hints (default COMMAND_HINTS) as fit,
        kept in the order of ``priority`` (keys) when not all do."""
        hints = COMMAND_HINTS if hints is None else hints
        room = self.width - len(title) - 6
        chosen: set[str] = set()
        for key in sorted((k for k, _ in hints), key=lambda k: _hint_rank(k, priority)):
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

    def draw(self, lines: list[Line], footer: Text, prompt: str, message: Text | None = None) -> str:
        """Clear the screen, print ``lines``, the footer, ``message`` (two lines at most) and
        ``prompt``; return the line typed."""
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
        for line in self.lines(message or Text(""))[:2] or [[]]:
            console.print(Segments([*line, Segment.line()]), end="")
        console.print(Text(prompt, style="bold"), end="")
        return self.input_fn("")
