"""Puzzle sizes and named difficulty levels.

``Sizes`` are the explicit knobs of one puzzle. A ``Difficulty`` is a named distribution
over sizes: each seed draws its own sizes from it, so a level can reproduce a whole
benchmark's size profile, not just one size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

MAIN_QUESTIONS = ("who", "what", "where", "when", "why")
"""The main questions in the order they are asked: murderer, weapon, room, time, motive."""

Pin = Literal["night", "answers"]
PIN_MODES: tuple[str, ...] = ("night", "answers")


@dataclass(frozen=True)
class Sizes:
    """The size of one puzzle.

    Attributes:
        suspects: number of suspects (1-10 with the classic theme).
        weapons: number of weapons.
        rooms: number of rooms (at least 2; they are laid out on a grid).
        times: number of time steps in the night; 1 means a single moment (no movement).
        motives: number of distinct motives, 0 for none. Equal to ``suspects`` means every
            suspect has their own; fewer means motives are shared and the prompt says how
            many suspects have each.
        bonus_questions: how many "where was X at T" style questions follow the main ones.
        ask: which main questions are asked, a subset of ``MAIN_QUESTIONS`` ("when" needs
            more than one time, "why" needs motives; "who" is always asked).
        pin: ``"night"`` picks clues until the whole night is determined (as the original
            benchmark does); ``"answers"`` only until every asked question has one answer.
        minutes_per_step: minutes between two consecutive times.
    """

    suspects: int
    weapons: int
    rooms: int
    times: int = 1
    motives: int = 0
    bonus_questions: int = 2
    ask: tuple[str, ...] = MAIN_QUESTIONS
    pin: Pin = "night"
    minutes_per_step: int = 60

    def __post_init__(self) -> None:
        def check(ok: bool, what: str) -> None:
            if not ok:
                raise ValueError(f"bad sizes: {what} (got {self})")

        check(isinstance(self.suspects, int) and self.suspects >= 1, "suspects must be >= 1")
        check(isinstance(self.weapons, int) and self.weapons >= 1, "weapons must be >= 1")
        check(isinstance(self.rooms, int) and self.rooms >= 2, "rooms must be >= 2")
        check(isinstance(self.times, int) and 1 <= self.times <= 24, "times must be 1..24")
        check(
            isinstance(self.motives, int) and 0 <= self.motives <= self.suspects,
            "motives must be 0..suspects",
        )
        check(isinstance(self.bonus_questions, int) and self.bonus_questions >= 0, "bonus_questions must be >= 0")
        check(self.pin in PIN_MODES, f"pin must be one of {PIN_MODES}")
        check(self.minutes_per_step in (5, 10, 15, 20, 30, 60), "minutes_per_step must be 5, 10, 15, 20, 30 or 60")
        unknown = [q for q in self.ask if q not in MAIN_QUESTIONS]
        check(not unknown, f"unknown main questions {unknown}; choose from {MAIN_QUESTIONS}")
        check("who" in self.ask, "'who' must be asked")

    @property
    def shared_motives(self) -> bool:
        return 0 < self.motives < self.suspects

    @property
    def asked(self) -> tuple[str, ...]:
        """The main questions that this puzzle can ask, in canonical order."""
        usable = {
            "who": True,
            "what": True,
            "where": True,
            "when": self.times > 1,
            "why": self.motives > 0,
        }
        return tuple(q for q in MAIN_QUESTIONS if q in self.ask and usable[q])

    def tag(self) -> str:
        """A short stable name for these sizes, e.g. ``s7w5r9t6m3``."""
        text = f"s{self.suspects}w{self.weapons}r{self.rooms}t{self.times}m{self.motives}b{self.bonus_questions}"
        if tuple(self.ask) != MAIN_QUESTIONS:
            text += "-" + "+".join(self.ask)
        if self.pin != "night":
            text += f"-{self.pin}"
        if self.minutes_per_step != 60:
            text += f"-{self.minutes_per_step}min"
        return text

    def to_dict(self) -> dict:
        return {
            "suspects": self.suspects,
            "weapons": self.weapons,
            "rooms": self.rooms,
            "times": self.times,
            "motives": self.motives,
            "bonus_questions": self.bonus_questions,
            "ask": list(self.ask),
            "pin": self.pin,
            "minutes_per_step": self.minutes_per_step,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Sizes:
        return cls(**{**data, "ask": tuple(data.get("ask", MAIN_QUESTIONS))})


Span = tuple[int, int]


@dataclass(frozen=True)
class Difficulty:
    """A named distribution over ``Sizes``.

    Every size is drawn from its inclusive span. ``spread`` couples them: 0 draws one
    common scale for all spans (small puzzles are small in every way, large ones large),
    1 draws each span on its own. A level with ``tiers`` is a mixture: each puzzle first
    picks a tier (by weight) and draws its sizes from that tier; its own spans then only
    state the overall bounds.
    """

    name: str
    description: str
    suspects: Span
    weapons: Span
    rooms: Span
    times: Span = (1, 1)
    motives: Literal["none", "unique", "shared", "any"] = "none"
    shared_motives: Span = (2, 4)
    motive_chance: float = 1.0
    bonus_questions: Span = (2, 2)
    ask_chance: float = 1.0
    ask: tuple[str, ...] = MAIN_QUESTIONS
    pin: Pin = "night"
    minutes_per_step: tuple[int, ...] = (60,)
    spread: float = 1.0
    tiers: tuple[tuple[float, Difficulty], ...] = ()

    def __post_init__(self) -> None:
        for span_name in ("suspects", "weapons", "rooms", "times", "shared_motives", "bonus_questions"):
            lo, hi = getattr(self, span_name)
            if not (isinstance(lo, int) and isinstance(hi, int) and lo <= hi):
                raise ValueError(f"difficulty {self.name!r}: bad {span_name} span {(lo, hi)}")
        # Validate the extremes once, so a bad level fails when it is defined.
        if self.tiers:
            weights = [w for w, _ in self.tiers]
            if any(w <= 0 for w in weights):
                raise ValueError(f"difficulty {self.name!r}: tier weights must be positive, got {weights}")
        self.fixed_or_none()
        Sizes(self.suspects[1], self.weapons[1], self.rooms[1], self.times[1])
        Sizes(self.suspects[0], self.weapons[0], self.rooms[0], self.times[0])

    def fixed_or_none(self) -> Sizes | None:
        """The one ``Sizes`` this level always gives, or None if it varies."""
        spans = (self.suspects, self.weapons, self.rooms, self.times, self.bonus_questions)
        if self.tiers:
            return None
        if any(lo != hi for lo, hi in spans) or self.motives == "any":
            return None
        if self.motive_chance not in (0.0, 1.0) or self.ask_chance != 1.0 or len(self.minutes_per_step) != 1:
            return None
        motives = self.suspects[0] if self.motives != "none" and self.motive_chance == 1.0 else 0
        if self.motives == "shared" and motives >= 2:
            lo, hi = self.shared_motives
            if lo != hi:
                return None
            motives = min(lo, motives - 1)
        return Sizes(
            self.suspects[0],
            self.weapons[0],
            self.rooms[0],
            self.times[0],
            motives,
            self.bonus_questions[0],
            ask=self.ask,
            pin=self.pin,
            minutes_per_step=self.minutes_per_step[0],
        )

    def sample(self, rng: np.random.Generator) -> Sizes:
        """Draw one puzzle's sizes."""
        if self.tiers:
            weights = np.array([w for w, _ in self.tiers], dtype=float)
            tier = self.tiers[int(rng.choice(len(self.tiers), p=weights / weights.sum()))][1]
            return replace(tier, pin=self.pin).sample(rng)
        scale = rng.random()

        def draw(span: Span) -> int:
            lo, hi = span
            if lo == hi:
                return lo
            u = scale + self.spread * (rng.random() - scale)
            return lo + min(hi - lo, int(u * (hi - lo + 1)))

        suspects = draw(self.suspects)
        weapons = draw(self.weapons)
        rooms = draw(self.rooms)
        times = draw(self.times)
        bonus = draw(self.bonus_questions)
        motives = 0
        if self.motives != "none" and rng.random() < self.motive_chance:
            kind = self.motives
            if kind == "any":
                kind = "shared" if rng.random() < 0.3 and suspects >= 3 else "unique"
            if kind == "shared" and suspects >= 2:
                lo, hi = self.shared_motives
                motives = int(rng.integers(min(lo, suspects - 1), min(hi, suspects - 1) + 1))
            else:
                motives = suspects
        ask = tuple(
            q
            for q in MAIN_QUESTIONS
            if q in self.ask and (q in ("who", "where") or self.ask_chance >= 1.0 or rng.random() < self.ask_chance)
        )
        step = int(self.minutes_per_step[int(rng.integers(len(self.minutes_per_step)))])
        return Sizes(suspects, weapons, rooms, times, motives, bonus, ask, self.pin, step)

    def with_pin(self, pin: Pin) -> Difficulty:
        return replace(self, pin=pin)


def fixed(name: str, sizes: Sizes, description: str = "") -> Difficulty:
    """A level that always gives the same sizes."""
    motives = "none" if sizes.motives == 0 else ("unique" if sizes.motives == sizes.suspects else "shared")
    return Difficulty(
        name=name,
        description=description or f"always {sizes.tag()}",
        suspects=(sizes.suspects,) * 2,
        weapons=(sizes.weapons,) * 2,
        rooms=(sizes.rooms,) * 2,
        times=(sizes.times,) * 2,
        motives=motives,
        shared_motives=(sizes.motives,) * 2 if motives == "shared" else (2, 4),
        bonus_questions=(sizes.bonus_questions,) * 2,
        ask=tuple(sizes.ask),
        pin=sizes.pin,
        minutes_per_step=(sizes.minutes_per_step,),
    )


@dataclass(frozen=True)
class Levels:
    """The named levels of a variant, with the one used when none is named."""

    levels: tuple[Difficulty, ...]
    default: str = field(default="")

    def __post_init__(self) -> None:
        names = [lvl.name for lvl in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"difficulty names repeat: {names}")
        if not self.levels:
            raise ValueError("a variant needs at least one difficulty level")
        if self.default and self.default not in names:
            raise ValueError(f"default difficulty {self.default!r} is not one of {names}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(lvl.name for lvl in self.levels)

    def get(self, name: str | None) -> Difficulty:
        name = name or self.default or self.levels[0].name
        for lvl in self.levels:
            if lvl.name == name:
                return lvl
        raise KeyError(f"unknown difficulty {name!r}; choose one of {', '.join(self.names)}")
