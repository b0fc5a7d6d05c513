"""Rooms on a grid: coordinates, compass neighbours and the map drawn in the prompt."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

DIRECTIONS = ("north", "south", "east", "west")
_STEP = {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0)}


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

    def draw(self, labels: list[str] | None = None) -> str:
        """The map as text: room numbers in their cells, compass points around it."""
        digits = len(str(self.count))
        labels = labels or [str(i + 1).zfill(digits) for i in range(self.count)]
        cell = max(len(s) for s in labels)
        blank = "·" * cell
        rows = []
        for y in range(self.height):
            cells = [labels[r] if (r := self.room_at(x, y)) is not None else blank for x in range(self.width)]
            rows.append(" | ".join(c.rjust(cell) for c in cells))
        inner = len(rows[0])
        pad = " " * 5
        north = pad + "north".center(inner).rstrip()
        south = pad + "south".center(inner).rstrip()
        body = []
        middle = len(rows) // 2
        for i, row in enumerate(rows):
            left = "west" if i == middle else ""
            right = "east" if i == middle else ""
            body.append((left.ljust(5) + row + (" " + right if right else "")).rstrip())
        return "\n".join([north, *body, south])


def choose_width(count: int, pick: float) -> int:
    """A width for ``count`` rooms: near square, ``pick`` in [0, 1) chooses among the options."""
    import math

    side = max(1, math.isqrt(count - 1) + 1) if count > 1 else 1
    options = sorted({w for w in (side - 1, side, side + 1) if 1 <= w <= count and (count <= 3 or w >= 2)})
    return options[min(len(options) - 1, int(pick * len(options)))]
