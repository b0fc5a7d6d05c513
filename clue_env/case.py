"""The cast of one puzzle: which suspects, weapons, rooms, times and motives it uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import night_times
from .layout import Layout, choose_width
from .sizes import Sizes
from .theme import Room, Theme


@dataclass(frozen=True)
class Case:
    """Everything named in a puzzle, in the order the prompt lists it.

    ``motive_counts[m]`` is how many suspects have motive ``m``; all ones when motives are
    unique, empty when the puzzle has none.
    """

    victim: str
    suspects: tuple[str, ...]
    weapons: tuple[str, ...]
    rooms: tuple[Room, ...]
    layout: Layout
    times: tuple[str, ...]
    motives: tuple[str, ...]
    motive_counts: tuple[int, ...]

    @property
    def unique_motives(self) -> bool:
        return (
            bool(self.motives) and all(c == 1 for c in self.motive_counts) and len(self.motives) == len(self.suspects)
        )

    @property
    def room_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rooms)

    def to_dict(self) -> dict:
        return {
            "victim": self.victim,
            "suspects": list(self.suspects),
            "weapons": list(self.weapons),
            "rooms": [{"name": r.name, "outdoor": r.outdoor} for r in self.rooms],
            "layout_width": self.layout.width,
            "times": list(self.times),
            "motives": list(self.motives),
            "motive_counts": list(self.motive_counts),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Case:
        rooms = tuple(Room(r["name"], bool(r.get("outdoor", False))) for r in data["rooms"])
        return cls(
            victim=data["victim"],
            suspects=tuple(data["suspects"]),
            weapons=tuple(data["weapons"]),
            rooms=rooms,
            layout=Layout(int(data["layout_width"]), len(rooms)),
            times=tuple(data["times"]),
            motives=tuple(data["motives"]),
            motive_counts=tuple(int(c) for c in data["motive_counts"]),
        )


def _pick(rng: np.random.Generator, pool: tuple, count: int, what: str, theme: Theme) -> tuple:
    if count > len(pool):
        raise ValueError(f"theme {theme.name!r} has {len(pool)} {what}, the puzzle asks for {count}")
    order = rng.permutation(len(pool))[:count]
    return tuple(pool[int(i)] for i in order)


def draw_case(rng: np.random.Generator, theme: Theme, sizes: Sizes) -> Case:
    """Choose names, a map, the clock and motive counts for a puzzle of ``sizes``."""
    suspects = _pick(rng, theme.suspects, sizes.suspects, "suspects", theme)
    weapons = _pick(rng, theme.weapons, sizes.weapons, "weapons", theme)
    rooms = _pick(rng, theme.rooms, sizes.rooms, "rooms", theme)
    layout = Layout(choose_width(sizes.rooms, rng.random()), sizes.rooms)
    step = sizes.minutes_per_step
    # Start between 8 PM and 10 PM on the step grid, so the night stays late.
    start = 20 * 60 + step * int(rng.integers(0, max(1, 120 // step) + 1))
    times = night_times(sizes.times, step, start)
    motives: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    if sizes.motives:
        motives = _pick(rng, theme.motives, sizes.motives, "motives", theme)
        if sizes.shared_motives:
            # Every motive is held by at least one suspect; the rest are spread at random.
            extra = rng.multinomial(sizes.suspects - sizes.motives, [1 / sizes.motives] * sizes.motives)
            counts = tuple(int(1 + e) for e in extra)
        else:
            counts = (1,) * sizes.motives
    return Case(theme.victim, suspects, weapons, rooms, layout, times, motives, counts)
