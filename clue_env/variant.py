"""Variants: a theme, its difficulty levels, its ladder and its clue mix, under one name; the table of them all."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from plugins import Entry, Registry

from .clue_maker import CLUE_KINDS
from .ladder import Ladder, as_rung_number, build_ladder, derive_ladder_sizes, level_score
from .sizes import Difficulty, Levels, Sizes, fixed
from .theme import Theme

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

Level = str | int | Sizes | Difficulty | None
"""What names a level of a variant: a level name, a rung number of its ladder (an int or a string
of digits), explicit sizes, a ``Difficulty``, or None for its default level (``Variant.difficulty``)."""


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
        ladder_sizes: the sizes of the rungs of its difficulty scale, easiest first (strictly
            increasing in ``ladder.size_score``); empty: derived from the theme and the levels
            (``ladder.derive_ladder_sizes``). See :attr:`ladder`.
    """

    name: str
    description: str
    theme: Theme
    levels: Levels
    clue_weights: Mapping[str, float] | None = field(default=None, hash=False, compare=False)
    ladder_sizes: tuple[Sizes, ...] = ()
    _ladder: Ladder = field(init=False, repr=False, compare=False, hash=False)

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
        sizes = tuple(self.ladder_sizes) or derive_ladder_sizes(self.theme, self.levels)
        for i, rung in enumerate(sizes):
            if isinstance(rung, Sizes):
                self._check_fits(f"ladder rung {i}", rung)
        object.__setattr__(self, "ladder_sizes", tuple(self.ladder_sizes))
        object.__setattr__(self, "_ladder", build_ladder(self.name, self.levels, sizes))

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

    @property
    def ladder(self) -> tuple[Difficulty, ...]:
        """The rungs of its difficulty scale, easiest first, each a fixed-size level: a named level
        where one has the rung's sizes (so ``difficulty(k)`` and that name give the same puzzles),
        else a level named by the sizes' tag. Ordered by ``ladder.size_score``, strictly increasing."""
        return self._ladder.rungs

    @property
    def max_difficulty(self) -> int:
        """The top rung's number: the scale runs ``0 .. max_difficulty``."""
        return len(self._ladder.rungs) - 1

    def difficulty(self, difficulty: Level) -> Difficulty:
        """The level ``difficulty`` names: a level name (None: the default), a rung number ``k`` (an
        int, or a string of digits) or a rung's name (``ladder[k]``), or explicit ``Sizes`` (a fixed
        level named by their tag); a ``Difficulty`` is returned as it is."""
        if isinstance(difficulty, Difficulty):
            return difficulty
        if isinstance(difficulty, Sizes):
            self._check_fits("explicit sizes", difficulty)
            return fixed(difficulty.tag(), difficulty)
        if difficulty is not None and not isinstance(difficulty, str):
            number = as_rung_number(difficulty)
            if number is None:
                raise ValueError(
                    f"variant {self.name!r}: difficulty must be a level name, a rung number 0..{self.max_difficulty}, "
                    f"clue_env.Sizes or a clue_env.Difficulty, got {difficulty!r}"
                )
            return self._rung_at(number)
        if difficulty is None or difficulty in self.levels.names:
            return self.levels.get(difficulty)
        number = as_rung_number(difficulty)
        if number is not None:
            return self._rung_at(number)
        rung = self._ladder.by_name(difficulty)
        if rung is not None:
            return rung
        try:
            return self.levels.get(difficulty)
        except KeyError as err:
            raise ValueError(f"variant {self.name!r}: {err.args[0]}, or a rung 0..{self.max_difficulty}") from None

    def difficulties(self, levels: Sequence[Level]) -> tuple[Difficulty, ...]:
        """Each of ``levels`` (see :meth:`difficulty`); ``ValueError`` for a level given twice
        (``"cpu"`` and ``2`` are the same rung of ``tiny``) or none at all."""
        if isinstance(levels, (str, bytes)) or not levels:
            raise ValueError(f"variant {self.name!r}: give a sequence of one or more levels, got {levels!r}")
        out = tuple(self.difficulty(level) for level in levels)
        names = [level.name for level in out]
        for i, name in enumerate(names):
            if name in names[:i]:
                first = levels[names.index(name)]
                raise ValueError(f"variant {self.name!r}: level {name!r} is asked twice ({first!r} and {levels[i]!r})")
        return out

    def _rung_at(self, k: int) -> Difficulty:
        if not 0 <= k <= self.max_difficulty:
            raise ValueError(f"variant {self.name!r}: difficulty {k} is off its scale 0..{self.max_difficulty}")
        return self._ladder.rungs[k]

    def rung_index(self, level: Level) -> int | None:
        """The rung that ``level`` is (the same name and sizes: it gives rung ``k``'s puzzles), or None."""
        return self._ladder.index(self.difficulty(level))

    def rung(self, level: Level = None) -> float:
        """Where ``level`` sits on the scale ``0 .. max_difficulty``: its number for a rung (a named
        level that is a rung included); for any other level (a named distribution such as
        ``temporal/medium``, explicit sizes) its expected ``ladder.size_score`` -- log2 of the number
        of ways to answer every question, averaged over the level's size draws -- interpolated
        linearly between the scores of the rungs below and above it, clamped to the scale's ends."""
        resolved = self.difficulty(level)
        index = self._ladder.index(resolved)
        if index is not None:
            return float(index)
        return self._ladder.position(level_score(resolved))


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
