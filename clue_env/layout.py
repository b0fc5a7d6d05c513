"""Rooms on a grid: coordinates, compass neighbours and the map drawn in the prompt.

The one map drawing (``Layout.drawing``) serves both the prompt (``Layout.draw``: plain text,
`` | `` between cells) and the terminal game (boxed cells holding room names): it returns the
lines with where each room's cell and each piece of frame sits, so a UI only styles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

DIRECTIONS = ("north", "south", "east", "west")
_STEP = {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0)}
_MARGIN = 5  # columns left of the grid: room for "west " beside the middle row


@dataclass(frozen=True)
class Spot:
    """Where a piece of a drawing sits: on line ``line``, columns ``start`` to ``end`` (exclusive)."""

    line: int
    start: int
    end: int


@dataclass(frozen=True)
class Drawing:
    """A map drawn as lines of text.

    ``cells[room]``: where that room's cell sits (its label padded to the cell width).
    ``frame``: the pieces of frame: each wall with the blank after it, each border line
    (whole), each empty cell's dots. The rest is blank or a compass point.
    """

    lines: tuple[str, ...]
    cells: tuple[Spot, ...]
    frame: tuple[Spot, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Layout:
    """``count`` rooms filled row by row into a grid ``width`` cells wide.

    Room ``i`` sits at column ``i % width``, row ``i // width``; north is up (row 0). Only
    the last row can be partly empty, so the rooms are always connected.
    """

    width: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.width <= self.count:
            raise ValueError(f"bad layout: {self.count} rooms, width {self.width}")

    @property
    def height(self) -> int:
        return -(-self.count // self.width)

    def coords(self, room: int) -> tuple[int, int]:
        return room % self.width, room // self.width

    def room_at(self, x: int, y: int) -> int | None:
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        room = y * self.width + x
        return room if room < self.count else None

    def toward(self, room: int, direction: str) -> int | None:
        """The room directly ``direction`` of ``room``, or None at the edge."""
        dx, dy = _STEP[direction]
        x, y = self.coords(room)
        return self.room_at(x + dx, y + dy)

    @cached_property
    def neighbours(self) -> tuple[tuple[int, ...], ...]:
        """For each room, the rooms one step away (sorted)."""
        return tuple(
            tuple(sorted(r for d in DIRECTIONS if (r := self.toward(room, d)) is not None))
            for room in range(self.count)
        )

    def draw(self, labels: Sequence[str] | None = None) -> str:
        """The map as text, as the prompt shows it: room numbers (or ``labels``) right-aligned
        in their cells, `` | `` between cells, compass points around it."""
        return self.drawing(labels).text

    def drawing(self, labels: Sequence[str] | None = None, cell: int | None = None, boxed: bool = False) -> Drawing:
        """The map laid out as lines of text, with where each room's cell and each piece of frame sits.

        ``labels``: one per room, in room order (default: the room numbers, zero-padded to one
        width). ``cell``: the width of every cell (default: the longest label's); no label may
        be longer. ``boxed``: box-drawing walls and borders around every cell, labels aligned
        left (the terminal game's map); otherwise labels aligned right with `` | `` between
        cells (the prompt's map). Empty cells of the last row are dots. "north" and "south"
        are centred above and below the grid, "west" and "east" beside its middle row.
        """
        if labels is None or not len(labels):
            digits = len(str(self.count))
            labels = [str(i + 1).zfill(digits) for i in range(self.count)]
        if len(labels) != self.count:
            raise ValueError(f"the map has {self.count} rooms but {len(labels)} labels were given: give one per room")
        if bad := next((s for s in labels if s != s.strip() or "\n" in s), None):
            raise ValueError(f"map label {bad!r} has blanks at its ends or spans lines: give one-line, stripped labels")
        longest = max(len(s) for s in labels)
        cell = longest if cell is None else cell
        if cell < longest:
            raise ValueError(
                f"map cell width {cell} is too narrow for the label {max(labels, key=len)!r}: "
                f"give a width of at least {longest} or shorter labels"
            )
        if cell < 1:
            raise ValueError(f"map cell width {cell} leaves no room for a label: give 1 or more (or non-empty labels)")
        return _draw(self, [s.ljust(cell) if boxed else s.rjust(cell) for s in labels], cell, boxed)


def _draw(layout: Layout, labels: list[str], cell: int, boxed: bool) -> Drawing:
    """The lines of ``layout`` with ``labels`` (each already padded to ``cell``), and every spot.

    No line ends in blanks: north and south are stripped, and a row ends in a wall, a
    right-aligned label, dots or "east".
    """
    cols = layout.width
    inner = cols * (cell + 3) + 1 if boxed else cols * cell + 3 * (cols - 1)  # a row's width, walls included
    pad = " " * _MARGIN
    wall = "│ " if boxed else "| "
    lines: list[str] = []
    cells: dict[int, Spot] = {}
    frame: list[Spot] = []

    def border(left: str, mid: str, right: str) -> None:
        if boxed:
            line = pad + left + mid.join("─" * (cell + 2) for _ in range(cols)) + right
            frame.append(Spot(len(lines), 0, len(line)))
            lines.append(line)

    lines.append((pad + "north".center(inner)).rstrip())
    border("┌", "┬", "┐")
    middle = layout.height // 2
    for y in range(layout.height):
        n = len(lines)
        line = "west".ljust(_MARGIN) if y == middle else pad
        for x in range(cols):
            if x:
                line += " "
            if x or boxed:
                frame.append(Spot(n, len(line), len(line) + len(wall)))
                line += wall
            room = layout.room_at(x, y)
            spot = Spot(n, len(line), len(line) + cell)
            if room is None:
                frame.append(spot)
                line += "·" * cell
            else:
                cells[room] = spot
                line += labels[room]
        if boxed:
            frame.append(Spot(n, len(line) + 1, len(line) + 2))
            line += " │"
        lines.append(line + (" east" if y == middle else ""))
        if y < layout.height - 1:
            border("├", "┼", "┤")
        else:
            border("└", "┴", "┘")
    lines.append((pad + "south".center(inner)).rstrip())
    return Drawing(tuple(lines), tuple(cells[room] for room in range(layout.count)), tuple(frame))


def choose_width(count: int, pick: float) -> int:
    """A width for ``count`` rooms: near square, ``pick`` in [0, 1) chooses among the options."""
    import math

    side = max(1, math.isqrt(count - 1) + 1) if count > 1 else 1
    options = sorted({w for w in (side - 1, side, side + 1) if 1 <= w <= count and (count <= 3 or w >= 2)})
    return options[min(len(options) - 1, int(pick * len(options)))]
