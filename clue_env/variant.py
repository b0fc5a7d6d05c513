"""Variants: a theme, its difficulty levels and its clue mix, under one name; the table of them all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from plugins import Entry, Registry

from .clue_maker import CLUE_KINDS
from .sizes import Difficulty, Levels, Sizes, fixed
from .theme import Theme

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Variant:
    """A kind of puzzle that plugins offer through the ``clue_variants`` hook.

    Attributes:
        name: lower-case id used on the command line and in ``gym.make(..., variant=name)``.
        description: one line for ``clue list``.
        theme: the names puzzles are told with.
        levels: named difficulty levels and the default one.
        clue_weights: relative frequency of each clue kind (see ``clue_maker.CLUE_KINDS``);
            None for the default mix.
    """

    name: str
    description: str
    theme: Theme
    levels: Levels
    clue_weights: Mapping[str, float] | None = field(default=None, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(
                f"bad variant name {self.name!r}: use 1-40 lower-case letters, digits, '-' or '_', starting with a letter"
            )
        if not isinstance(self.theme, Theme):
            raise TypeError(f"variant {self.name!r}: theme must be a clue_env.Theme, got {type(self.theme).__name__}")
        if not isinstance(self.levels, Levels):
            raise TypeError(
                f"variant {self.name!r}: levels must be a clue_env.Levels, got {type(self.levels).__name__}"
            )
        if self.clue_weights is not None:
            unknown = set(self.clue_weights) - set(CLUE_KINDS)
            if unknown:
                raise ValueError(
                    f"variant {self.name!r}: unknown clue kinds {sorted(unknown)}; known: {', '.join(CLUE_KINDS)}"
                )
        for level in self.levels.levels:
            self._check_fits(level.name, Sizes(level.suspects[1], level.weapons[1], level.rooms[1], level.times[1]))

    def _check_fits(self, where: str, sizes: Sizes) -> None:
        t = self.theme
        for what, need, have in (
            ("suspects", sizes.suspects, len(t.suspects)),
            ("weapons", sizes.weapons, len(t.weapons)),
            ("rooms", sizes.rooms, len(t.rooms)),
            ("motives", sizes.motives, len(t.motives)),
        ):
            if need > have:
                raise ValueError(f"variant {self.name!r}, {where}: needs {need} {what}, its theme has {have}")

    def difficulty(self, difficulty: str | Sizes | Difficulty | None) -> Difficulty:
        """The level named ``difficulty`` (None: the default), or a fixed level for explicit sizes."""
        if isinstance(difficulty, Difficulty):
            return difficulty
        if isinstance(difficulty, Sizes):
            self._check_fits("explicit sizes", difficulty)
            return fixed(difficulty.tag(), difficulty)
        try:
            return self.levels.get(difficulty)
        except KeyError as err:
            raise ValueError(f"variant {self.name!r}: {err.args[0]}") from None


VARIANTS: Registry[Variant] = Registry(
    "clue_variants", "variant", Variant, builtin=("builtin", "clue_env.builtin_variants")
)
"""Every variant on offer: the built-ins (``clue_env.builtin_variants``) and the plugins'."""


def variants() -> dict[str, Entry[Variant]]:
    """Every variant on offer, by name, with the plugin that offers it."""
    return VARIANTS.table()


def get_variant(name: str) -> Variant:
    """The variant called ``name``; a clear error (a ``ValueError``) listing the known ones otherwise."""
    return VARIANTS.get(name)
