"""Themes: the names a variant's puzzles are told with.

A theme is data only. The built-in classic theme uses the board game's cast; plugin
variants bring their own (see ``examples/``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Room:
    """A place on the map. Outdoor places read "at the Fountain", rooms "in the Library"."""

    name: str
    outdoor: bool = False

    @property
    def preposition(self) -> str:
        return "at" if self.outdoor else "in"


@dataclass(frozen=True)
class Theme:
    """The cast and setting of a variant. Lists are pools: a puzzle draws from them."""

    name: str
    victim: str
    intro: str
    suspects: tuple[str, ...]
    weapons: tuple[str, ...]
    rooms: tuple[Room, ...]
    motives: tuple[str, ...]
    victim_subject: str = ""  # how a clue names the victim; defaults to ``victim``

    def __post_init__(self) -> None:
        pools = {
            "suspects": self.suspects,
            "weapons": self.weapons,
            "rooms": tuple(r.name for r in self.rooms),
            "motives": self.motives,
        }
        seen: dict[str, str] = {}
        for kind, names in pools.items():
            if not names and kind != "motives":
                raise ValueError(f"theme {self.name!r}: no {kind} given")
            for name in names:
                if not isinstance(name, str) or not name.strip() or name != name.strip():
                    raise ValueError(f"theme {self.name!r}: bad {kind} name {name!r}")
                if name.casefold() in seen:
                    raise ValueError(
                        f"theme {self.name!r}: name {name!r} is used twice "
                        f"({seen[name.casefold()]} and {kind}); every name must be unique"
                    )
                seen[name.casefold()] = kind
        if self.victim.casefold() in seen:
            raise ValueError(
                f"theme {self.name!r}: the victim {self.victim!r} is also a {seen[self.victim.casefold()]}"
            )


CLASSIC = Theme(
    name="classic",
    victim="Mr. Boddy",
    intro=(
        "Mr. John Q. Boddy, a wealthy recluse with more secrets than friends, invited a few "
        "close acquaintances to spend a stormy night at Tudor Mansion. By morning he lay dead "
        "in one of its rooms, and everyone who had been in the house that night is a suspect."
    ),
    suspects=(
        "Miss Scarlet",
        "Mr. Green",
        "Mrs. White",
        "Mrs. Peacock",
        "Colonel Mustard",
        "Professor Plum",
        "Miss Peach",
        "Sgt. Gray",
        "Monsieur Brunette",
        "Madame Rose",
    ),
    weapons=(
        "Candlestick",
        "Knife",
        "Lead Pipe",
        "Revolver",
        "Rope",
        "Wrench",
        "Horseshoe",
        "Poison",
    ),
    rooms=(
        Room("Hall"),
        Room("Lounge"),
        Room("Dining Room"),
        Room("Kitchen"),
        Room("Ballroom"),
        Room("Conservatory"),
        Room("Billiard Room"),
        Room("Library"),
        Room("Study"),
        Room("Carriage House"),
        Room("Cloak Room"),
        Room("Trophy Room"),
        Room("Drawing Room"),
        Room("Gazebo", outdoor=True),
        Room("Courtyard", outdoor=True),
        Room("Fountain", outdoor=True),
        Room("Studio"),
    ),
    motives=(
        "Revenge",
        "Jealousy",
        "Greed",
        "Power",
        "Hatred",
        "Anger",
        "Fear",
        "Ambition",
        "Betrayal",
        "Pride",
    ),
)
