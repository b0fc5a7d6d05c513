"""Drawing random clues that are true of a night, aimed at a fact another night gets wrong."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .case import Case
from .clues import (
    MURDER_WEAPON,
    MURDERER,
    NEGATABLE,
    VICTIM,
    At,
    Beside,
    Carried,
    Clause,
    Clue,
    Culprit,
    Either,
    HasMotive,
    Iff,
    KilledWith,
    Moved,
    MurderRoom,
    MurderTime,
    Not,
    Ref,
    SameRoom,
    Together,
    holds,
    room_of,
)
from .layout import DIRECTIONS
from .night import Night

Member = tuple[str, int]  # ("s"|"w"|"v", index)

DEFAULT_KIND_WEIGHTS: Mapping[str, float] = {
    "at": 0.22,
    "same_room": 0.12,
    "beside": 0.13,
    "moved": 0.12,
    "carried": 0.06,
    "together": 0.07,
    "motive": 0.04,
    "murder": 0.03,
    "or": 0.06,
    "xor": 0.06,
    "iff": 0.06,
    "not": 0.03,
}
CLUE_KINDS = tuple(DEFAULT_KIND_WEIGHTS)
CANDIDATES = 6
SHARPNESS = 3.0


@dataclass(frozen=True)
class Focus:
    """A fact to aim a clue at: a piece at a time, a suspect's motive, or a murder fact."""

    what: str  # "position", "motive", "murderer", "weapon", "time", "room"
    member: Member = ("v", 0)
    time: int = 0


def differences(truth: Night, other: Night) -> list[Focus]:
    """Every fact on which ``other`` differs from ``truth``."""
    out = []
    for s, (a, b) in enumerate(zip(truth.suspect_rooms, other.suspect_rooms)):
        out += [Focus("position", ("s", s), t) for t in range(len(a)) if a[t] != b[t]]
    for w, (a, b) in enumerate(zip(truth.weapon_rooms, other.weapon_rooms)):
        out += [Focus("position", ("w", w), t) for t in range(len(a)) if a[t] != b[t]]
    out += [
        Focus("position", ("v", 0), t) for t, (a, b) in enumerate(zip(truth.victim_rooms, other.victim_rooms)) if a != b
    ]
    out += [Focus("motive", ("s", s)) for s, (a, b) in enumerate(zip(truth.motives, other.motives)) if a != b]
    for name in ("murderer", "weapon", "time", "room"):
        if getattr(truth, name) != getattr(other, name):
            out.append(Focus(name))
    return out


class ClueMaker:
    """Draws clues about one night. Every clue it returns holds in that night."""

    def __init__(self, case: Case, night: Night, rng: np.random.Generator, weights: Mapping[str, float] | None = None):
        self.case, self.night, self.rng = case, night, rng
        self.candidates = CANDIDATES
        weights = dict(DEFAULT_KIND_WEIGHTS if weights is None else weights)
        unknown = set(weights) - set(CLUE_KINDS)
        if unknown:
            raise ValueError(f"unknown clue kinds {sorted(unknown)}; known: {', '.join(CLUE_KINDS)}")
        n_t = len(case.times)
        if n_t == 1:
            for kind in ("moved", "carried", "together"):
                weights.pop(kind, None)
        if not case.motives:
            weights.pop("motive", None)
        self.kinds = [k for k, w in weights.items() if w > 0]
        if not self.kinds:
            raise ValueError("no clue kind has a positive weight")
        total = sum(weights[k] for k in self.kinds)
        self.probs = np.array([weights[k] / total for k in self.kinds])
        self.members: list[Member] = (
            [("s", s) for s in range(len(case.suspects))] + [("w", w) for w in range(len(case.weapons))] + [("v", 0)]
        )
        self._atoms: dict[str, Callable[[Focus | None, bool], Clause | None]] = {
            "at": self._at,
            "same_room": self._same_room,
            "beside": self._beside,
            "moved": self._moved,
            "carried": self._carried,
            "together": self._together,
            "motive": self._motive,
            "murder": self._murder,
        }

    # ------------------------------------------------------------------ picking

    def _choice(self, items: list):
        return items[int(self.rng.integers(len(items)))] if items else None

    def _time(self, focus: Focus | None) -> int:
        if focus is not None and focus.what == "position":
            return focus.time
        return int(self.rng.integers(len(self.case.times)))

    def _member(self, focus: Focus | None, kinds: str = "swv") -> Member | None:
        if focus is not None and focus.what in ("position", "motive") and focus.member[0] in kinds:
            return focus.member
        if focus is not None and focus.what == "murderer" and "s" in kinds:
            return ("s", self.night.murderer)
        if focus is not None and focus.what == "weapon" and "w" in kinds:
            return ("w", self.night.weapon)
        return self._choice([m for m in self.members if m[0] in kinds])

    def ref(self, member: Member, plain: float = 0.7, allow_shared: bool = True) -> Ref:
        """A way to name ``member``: by name most of the time, sometimes by description."""
        kind, i = member
        if kind == "v":
            return VICTIM
        if kind == "w":
            if i == self.night.weapon and self.rng.random() > plain:
                return MURDER_WEAPON
            return Ref("weapon", i)
        options = []
        if i == self.night.murderer:
            options.append(MURDERER)
        if self.case.motives and (self.case.unique_motives or allow_shared):
            options.append(Ref("motive", self.night.motives[i]))
        if options and self.rng.random() > plain:
            return self._choice(options)
        return Ref("suspect", i)

    def _room(self, member: Member, t: int) -> int:
        return room_of(member, self.night, t)

    def _other_room(self, room: int) -> int:
        n = len(self.case.rooms)
        return (room + 1 + int(self.rng.integers(n - 1))) % n

    # ------------------------------------------------------------------ atoms

    def _at(self, focus: Focus | None, want: bool) -> Clause | None:
        member = self._member(focus)
        if member is None:
            return None
        t = self._time(focus)
        room = self._room(member, t)
        ref = self.ref(member, allow_shared=want)
        return At(ref, room if want else self._other_room(room), t)

    def _same_room(self, focus: Focus | None, want: bool) -> Clause | None:
        a = self._member(focus)
        t = self._time(focus)
        if a is None:
            return None
        ra = self._room(a, t)
        others = [m for m in self.members if m != a and (self._room(m, t) == ra) == want]
        b = self._choice(others)
        if b is None:
            return None
        return SameRoom(self.ref(a, allow_shared=want), self.ref(b, allow_shared=want), t)

    def _beside(self, focus: Focus | None, want: bool) -> Clause | None:
        a = self._member(focus)
        t = self._time(focus)
        if a is None:
            return None
        ra = self._room(a, t)
        layout = self.case.layout
        options = []
        for b in self.members:
            if b == a:
                continue
            rb = self._room(b, t)
            for d in DIRECTIONS:
                if (layout.toward(rb, d) == ra) == want and layout.toward(rb, d) is not None:
                    options.append((b, d))
        pick = self._choice(options)
        if pick is None:
            return None
        b, d = pick
        if self.rng.random() < 0.5:
            return Beside(self.ref(a, allow_shared=want), d, self.ref(b, allow_shared=want), t)
        opposite = {"north": "south", "south": "north", "east": "west", "west": "east"}[d]
        return Beside(self.ref(b, allow_shared=want), opposite, self.ref(a, allow_shared=want), t) if want else None

    def _moves(self, member: Member) -> list[tuple[int, int, int]]:
        """(time, src, dst) of every move ``member`` made."""
        n_t = len(self.case.times)
        out = []
        for t in range(1, n_t):
            a, b = self._room(member, t - 1), self._room(member, t)
            if a != b:
                out.append((t, a, b))
        return out

    def _moved(self, focus: Focus | None, want: bool) -> Clause | None:
        member = self._member(focus, "sv")
        if member is None:
            return None
        moves = self._moves(member)
        if focus is not None and focus.what == "position":
            moves = [mv for mv in moves if mv[0] in (focus.time, focus.time + 1)] or moves
        if want:
            pick = self._choice(moves)
            if pick is None:
                return None
            t, a, b = pick
        else:
            t = max(1, self._time(focus))
            a = int(self.rng.integers(len(self.case.rooms)))
            b = self._choice(list(self.case.layout.neighbours[a]))
            if b is None or (self._room(member, t - 1), self._room(member, t)) == (a, b):
                return None
        return Moved(self.ref(member, allow_shared=want), a, b, t)

    def _carried(self, focus: Focus | None, want: bool) -> Clause | None:
        if not want:
            return None
        member = self._member(focus, "sw")
        if member is None:
            return None
        weapons = [("w", w) for w in range(len(self.case.weapons))]
        suspects = [("s", s) for s in range(len(self.case.suspects))]
        trips = []
        for w in [member] if member[0] == "w" else weapons:
            for t, a, b in self._moves(w):
                for s in [member] if member[0] == "s" else suspects:
                    if (self._room(s, t - 1), self._room(s, t)) == (a, b):
                        trips.append((s, w, t, a, b))
        pick = self._choice(trips)
        if pick is None:
            return None
        s, w, t, a, b = pick
        return Carried(self.ref(s), self.ref(w), a, b, t)

    def _together(self, focus: Focus | None, want: bool) -> Clause | None:
        a = self._member(focus)
        if a is None:
            return None
        b = self._choice([m for m in self.members if m != a])
        n_t = len(self.case.times)
        shared = {self._room(a, t) for t in range(n_t) if self._room(a, t) == self._room(b, t)}
        rooms = sorted(shared) if want else [r for r in range(len(self.case.rooms)) if r not in shared]
        room = self._choice(rooms)
        if room is None:
            return None
        return Together(self.ref(a, allow_shared=want), self.ref(b, allow_shared=want), room)

    def _motive(self, focus: Focus | None, want: bool) -> Clause | None:
        if not self.case.motives:
            return None
        member = self._member(focus, "s")
        if member is None:
            return None
        s = member[1]
        true_motive = self.night.motives[s]
        who = MURDERER if s == self.night.murderer and self.rng.random() < 0.3 else Ref("suspect", s)
        if want:
            return HasMotive(who, true_motive)
        others = [m for m in range(len(self.case.motives)) if m != true_motive]
        m = self._choice(others)
        return None if m is None else HasMotive(who, m)

    def _murder(self, focus: Focus | None, want: bool) -> Clause | None:
        night = self.night
        what = focus.what if focus is not None and focus.what in ("murderer", "weapon", "time", "room") else None
        what = what or self._choice(
            ["murderer", "weapon", "time", "room"] if len(self.case.times) > 1 else ["murderer", "weapon", "room"]
        )
        if what == "murderer":
            s = (
                night.murderer
                if want
                else self._choice([i for i in range(len(self.case.suspects)) if i != night.murderer])
            )
            if s is None:
                return None
            who = Ref("suspect", s)
            if self.case.motives and self.rng.random() < 0.3:
                who = Ref("motive", night.motives[s])
                if not want and night.motives[s] == night.motives[night.murderer]:
                    return None
            return Culprit(who)
        if what == "weapon":
            w = night.weapon if want else self._choice([i for i in range(len(self.case.weapons)) if i != night.weapon])
            return None if w is None else KilledWith(Ref("weapon", w))
        if what == "time":
            t = night.time if want else self._choice([i for i in range(len(self.case.times)) if i != night.time])
            return None if t is None else MurderTime(t)
        r = night.room if want else self._other_room(night.room)
        return MurderRoom(r)

    def atom(self, kind: str, focus: Focus | None, want: bool) -> Clause | None:
        return self._atoms[kind](focus, want)

    # ------------------------------------------------------------------ clues

    def _random_atom(self, focus: Focus | None, want: bool, negatable: bool = False) -> Clause | None:
        kinds = [k for k in self.kinds if k in self._atoms]
        for _ in range(8):
            kind = self._choice(kinds)
            atom = self.atom(kind, focus, want)
            if atom is not None and (not negatable or isinstance(atom, NEGATABLE)):
                if negatable and _shared_ref(atom, self.case):
                    continue
                return atom
        return None

    def draw(self, focus: Focus | None = None) -> Clue | None:
        """One random clue true of the night (None when this draw found nothing)."""
        kind = self.kinds[int(self.rng.choice(len(self.kinds), p=self.probs))]
        if kind in self._atoms:
            return self.atom(kind, focus, True)
        if kind == "not":
            atom = self._random_atom(focus, False, negatable=True)
            return None if atom is None else Not(atom)  # type: ignore[arg-type]
        first = self._random_atom(focus, True)
        if first is None:
            return None
        if kind == "iff":
            want = bool(self.rng.random() < 0.5)
            if not want:
                first = self._random_atom(focus, False)
            second = self._random_atom(None, want)
            pair = (first, second)
            make: Callable[[Clause, Clause], Clue] = Iff
        elif kind == "xor":
            second = self._random_atom(None, False)
            pair = (first, second)
            make = lambda a, b: Either(a, b, exclusive=True)  # noqa: E731
        else:
            second = self._random_atom(None, bool(self.rng.random() < 0.5))
            pair = (first, second)
            make = lambda a, b: Either(a, b, exclusive=False)  # noqa: E731
        a, b = pair
        if a is None or b is None or a == b:
            return None
        if self.rng.random() < 0.5:
            a, b = b, a
        return make(a, b)

    def refuting(self, other: Night, diffs: list[Focus], attempts: int = 40) -> Clue:
        """A clue true of the night and false of ``other`` (which must differ somewhere)."""
        found: list[Clue] = []
        for _ in range(attempts):
            focus = diffs[int(self.rng.integers(len(diffs)))] if diffs else None
            clue = self.draw(focus)
            if clue is not None and holds(clue, self.case, self.night) and not holds(clue, self.case, other):
                found.append(clue)
                if len(found) == self.candidates:
                    break
        if not found:
            return self.fallback(diffs[int(self.rng.integers(len(diffs)))])
        # Favour the clues that tell the most, without shutting out the weaker kinds.
        # Compound clues are weak by nature but make the puzzle a puzzle: they compete
        # at the average weight of what was found.
        bits = np.array([-np.log2(max(chance(c, self.case), 1e-12)) for c in found]) ** SHARPNESS
        compound = np.array([isinstance(c, (Either, Iff, Not)) for c in found])
        bits[compound] = bits.mean()
        return found[int(self.rng.choice(len(found), p=bits / bits.sum()))]

    def fallback(self, focus: Focus) -> Clue:
        """The plainest clue that settles ``focus``."""
        night = self.night
        if focus.what == "position":
            return At(self.ref(focus.member, plain=1.0), room_of(focus.member, night, focus.time), focus.time)
        if focus.what == "motive":
            return HasMotive(Ref("suspect", focus.member[1]), night.motives[focus.member[1]])
        if focus.what == "murderer":
            return Culprit(Ref("suspect", night.murderer))
        if focus.what == "weapon":
            return KilledWith(Ref("weapon", night.weapon))
        if focus.what == "time":
            return MurderTime(night.time)
        return MurderRoom(night.room)


def _shared_ref(atom: Clause, case: Case) -> bool:
    """Whether the atom names "a suspect motivated by ..." (shared motives): no negative form then."""
    if case.unique_motives:
        return False
    return any(isinstance(v, Ref) and v.kind == "motive" for v in vars(atom).values())


def chance(clue: Clue, case: Case) -> float:
    """How likely ``clue`` would be true if every piece sat in a random room at every time.

    A rough prior, used only to rank clues: the less likely a true clue is by chance, the
    more it tells a player (``-log2`` of it is its information in bits).
    """
    n_r, n_t, n_s = len(case.rooms), len(case.times), len(case.suspects)
    n_m = max(1, len(case.motives))
    if isinstance(clue, (At, SameRoom, Beside)):
        return 1 / n_r
    if isinstance(clue, Moved):
        return 1 / n_r**2
    if isinstance(clue, Carried):
        return 1 / n_r**4
    if isinstance(clue, Together):
        return 1 - (1 - 1 / n_r**2) ** n_t
    if isinstance(clue, HasMotive):
        return 1 / n_m
    if isinstance(clue, Culprit):
        return 1 / n_s
    if isinstance(clue, KilledWith):
        return 1 / len(case.weapons)
    if isinstance(clue, MurderTime):
        return 1 / n_t
    if isinstance(clue, MurderRoom):
        return 1 / n_r
    if isinstance(clue, Not):
        return 1 - chance(clue.atom, case)
    if isinstance(clue, Either):
        a, b = chance(clue.a, case), chance(clue.b, case)
        return a * (1 - b) + b * (1 - a) if clue.exclusive else 1 - (1 - a) * (1 - b)
    if isinstance(clue, Iff):
        a, b = chance(clue.a, case), chance(clue.b, case)
        return a * b + (1 - a) * (1 - b)
    raise TypeError(f"not a clue: {clue!r}")
