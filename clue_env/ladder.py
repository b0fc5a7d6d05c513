"""Difficulty as a dial: each variant's ladder of puzzle sizes, easiest first, and where any level sits on it.

A variant's *ladder* is a tuple of fixed-size levels (``sizes.fixed``), its *rungs*, numbered
``0 .. len - 1``. ``Variant.difficulty(k)`` is rung ``k``; a named level whose sizes are fixed
and equal a rung's *is* that rung (the same ``Difficulty``, so ``difficulty=k`` and the name
give the same puzzles byte for byte); the other rungs are named by their ``Sizes.tag()``, so
a rung also gives the same puzzles as its explicit sizes.

Rungs are ordered by one size measure, :func:`size_score`: the base-2 logarithm of the number
of ways to answer every question of the puzzle (who: suspects, what: weapons, where: rooms,
when: times, why: distinct motives, each bonus question counted as a room question). Every
step up a ladder raises it; the pin mode and the clue mix are not counted, so a ladder keeps
one pin throughout. A level that is no rung (a distribution like ``temporal/medium``, or
explicit sizes) sits at a fractional position: its expected score (:func:`level_score`)
interpolated linearly between the scores of the rungs around it.

A variant lists its ladder (``Variant.ladder_sizes``) or gets one derived from its theme and
levels (:func:`derive_ladder_sizes`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .sizes import Difficulty, Levels, Sizes, fixed
from .theme import Theme

SCORE_DRAWS = 512
"""How many sizes :func:`level_score` draws from a level that varies (from a fixed seed)."""

DERIVED_STEP_BITS = 1.0
"""A derived ladder's rungs are at least this much apart in :func:`size_score` (the top excepted)."""

_INT = re.compile(r"^-?\d+$")
_RANGE = re.compile(r"^(\d+)-(\d+)$")


def size_score(sizes: Sizes) -> float:
    """log2 of the number of ways to answer every question of a puzzle of ``sizes``: the
    ladder's measure (see the module docstring)."""
    options = {
        "who": sizes.suspects,
        "what": sizes.weapons,
        "where": sizes.rooms,
        "when": sizes.times,
        "why": sizes.motives,
    }
    return sum(math.log2(options[q]) for q in sizes.asked) + sizes.bonus_questions * math.log2(sizes.rooms)


def level_score(level: Difficulty) -> float:
    """The :func:`size_score` of a level: its sizes' score when fixed, else the mean score of
    :data:`SCORE_DRAWS` draws from it (from a fixed seed, so always the same number)."""
    sizes = level.fixed_or_none()
    if sizes is not None:
        return size_score(sizes)
    rng = np.random.default_rng(0)
    return float(np.mean([size_score(level.sample(rng)) for _ in range(SCORE_DRAWS)]))


@dataclass(frozen=True)
class Ladder:
    """A variant's rungs, easiest first, with their scores (strictly increasing)."""

    rungs: tuple[Difficulty, ...]
    scores: tuple[float, ...]

    def index(self, level: Difficulty) -> int | None:
        """The rung that ``level`` is (the same name and sizes), or None."""
        sizes = level.fixed_or_none()
        if sizes is None:
            return None
        for i, rung in enumerate(self.rungs):
            if rung.name == level.name and rung.fixed_or_none() == sizes:
                return i
        return None

    def by_name(self, name: str) -> Difficulty | None:
        return next((r for r in self.rungs if r.name == name), None)

    def position(self, score: float) -> float:
        """Where a level of this score sits: linear between the rungs around it, clamped to 0..top."""
        scores = self.scores
        if score <= scores[0]:
            return 0.0
        if score >= scores[-1]:
            return float(len(scores) - 1)
        k = int(np.searchsorted(scores, score, side="right")) - 1
        return k + (score - scores[k]) / (scores[k + 1] - scores[k])


def build_ladder(variant: str, levels: Levels, sizes: tuple[Sizes, ...]) -> Ladder:
    """The rungs of ``sizes``: a named level with the same fixed sizes where there is one, else a
    fixed level named by the sizes' tag. ``ValueError`` naming the variant when the scores do not
    strictly increase or a rung repeats."""
    if not sizes:
        raise ValueError(f"variant {variant!r}: its ladder has no rungs")
    named = {}
    for level in levels.levels:
        fixed_sizes = level.fixed_or_none()
        if fixed_sizes is not None:
            named.setdefault(fixed_sizes, level)
    rungs, scores = [], []
    for i, s in enumerate(sizes):
        if not isinstance(s, Sizes):
            raise TypeError(f"variant {variant!r}: ladder rung {i} must be a clue_env.Sizes, got {type(s).__name__}")
        score = size_score(s)
        if scores and score <= scores[-1]:
            raise ValueError(
                f"variant {variant!r}: ladder rung {i} ({s.tag()}, score {score:.2f}) is not larger than "
                f"rung {i - 1} ({sizes[i - 1].tag()}, score {scores[-1]:.2f}); order the rungs easiest first"
            )
        rungs.append(named.get(s) or fixed(s.tag(), s))
        scores.append(score)
    names = [r.name for r in rungs]
    clash = [n for n in names if n in levels.names and levels.get(n) not in rungs]
    if clash:
        raise ValueError(f"variant {variant!r}: ladder rung {clash[0]!r} has the name of another level")
    return Ladder(tuple(rungs), tuple(scores))


def derive_ladder_sizes(theme: Theme, levels: Levels) -> tuple[Sizes, ...]:
    """A ladder for a variant that lists none: from 2 suspects, 2 weapons and 2 rooms (the levels'
    fewest times and bonus questions) up to every suspect, weapon and room of ``theme`` (the
    levels' most times and bonus questions; motives, one per suspect as far as the theme has them,
    when any level has motives), growing the size furthest behind first, a rung whenever the score
    has risen by :data:`DERIVED_STEP_BITS`; the named levels of fixed sizes are rungs too. Questions
    asked and pin mode are the default level's."""
    base = levels.get(None)
    every = levels.levels
    lows = {"suspects": 2, "weapons": 2, "rooms": 2}
    lows["times"] = min(lvl.times[0] for lvl in every)
    lows["bonus_questions"] = min(lvl.bonus_questions[0] for lvl in every)
    highs = {"suspects": len(theme.suspects), "weapons": len(theme.weapons), "rooms": len(theme.rooms)}
    highs["times"] = max(lvl.times[1] for lvl in every)
    highs["bonus_questions"] = max(lvl.bonus_questions[1] for lvl in every)
    highs = {k: max(v, lows[k]) for k, v in highs.items()}
    with_motives = bool(theme.motives) and any(lvl.motives != "none" for lvl in every)

    def make(v: dict[str, int]) -> Sizes:
        motives = min(v["suspects"], len(theme.motives)) if with_motives else 0
        return Sizes(
            v["suspects"],
            v["weapons"],
            v["rooms"],
            v["times"],
            motives,
            v["bonus_questions"],
            ask=base.ask,
            pin=base.pin,
        )

    order = ("bonus_questions", "suspects", "weapons", "rooms", "times")
    now = dict(lows)
    climb = [make(now)]
    while any(now[k] < highs[k] for k in order):

        def behind(k: str) -> float:
            return (now[k] - lows[k]) / (highs[k] - lows[k])

        grow = min((k for k in order if now[k] < highs[k]), key=behind)
        now[grow] += 1
        sizes = make(now)
        if size_score(sizes) - size_score(climb[-1]) >= DERIVED_STEP_BITS:
            climb.append(sizes)
    top = make(highs)
    if climb[-1] != top:
        if len(climb) > 1 and size_score(top) - size_score(climb[-1]) < DERIVED_STEP_BITS / 2:
            climb.pop()
        climb.append(top)
    fits = (len(theme.suspects), len(theme.weapons), len(theme.rooms), len(theme.motives))
    named = [
        s
        for s in (lvl.fixed_or_none() for lvl in every)
        if s is not None and all(a <= b for a, b in zip((s.suspects, s.weapons, s.rooms, s.motives), fits))
    ]
    gap = DERIVED_STEP_BITS / 2
    kept = [s for s in climb if all(abs(size_score(s) - size_score(n)) >= gap for n in named)]
    out: list[Sizes] = []
    for s in sorted(set(kept) | set(named), key=lambda s: (size_score(s), s not in named)):
        if not out or size_score(s) > size_score(out[-1]):
            out.append(s)
    return tuple(out)


def as_rung_number(value: object) -> int | None:
    """``value`` as a rung number when it is one (an int that is no bool, or a string of digits,
    a leading minus allowed so that -1 is reported off the scale), else None."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    return None


def parse_difficulties(text: str) -> tuple[str, ...]:
    """A ``--difficulty`` list: comma-separated level names, rung numbers and ranges of rungs
    (``"0-4"``: 0, 1, 2, 3, 4), in the order given; e.g. ``"1,3"``, ``"0-4"``, ``"cpu,5-6"``.
    ``ValueError`` for an empty item or a backward range."""
    out: list[str] = []
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            raise ValueError(f"difficulty list {text!r} has an empty item")
        span = _RANGE.match(item)
        if span:
            lo, hi = int(span.group(1)), int(span.group(2))
            if lo > hi:
                raise ValueError(f"difficulty range {item!r} runs backwards; write {hi}-{lo}")
            out += [str(k) for k in range(lo, hi + 1)]
        else:
            out.append(item)
    return tuple(out)


def is_difficulty_list(text: str) -> bool:
    """Whether a ``--difficulty`` text names several levels (a comma or a range of rungs)."""
    return "," in text or bool(_RANGE.match(text.strip()))
