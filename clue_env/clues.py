"""Clues: what they say (frozen dataclasses), whether they hold in a night, and their text.

Every clue is a small tree. Leaves ("atoms") talk about pieces at times; ``Not``,
``Either`` and ``Iff`` combine them. The meaning of each node is defined once, by
``holds``; the CP-SAT encoding in ``model.py`` and the text parser in ``clue_parse.py``
are tested against it.

Wording of the combinations, and what it means:
- ``Either(a, b, exclusive=False)``: "a, or b, or both" -- at least one holds.
- ``Either(a, b, exclusive=True)``: "either a or b, but not both" -- exactly one holds.
- ``Iff(a, b)``: "a if and only if b" -- both hold or neither does.
- ``Not(a)``: the atom's own negative form ("was not in the ...").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from .case import Case
from .night import Night

RefKind = Literal["suspect", "weapon", "victim", "murderer", "murder_weapon", "motive"]
PERSON_KINDS = ("suspect", "victim", "murderer", "motive")
WEAPON_KINDS = ("weapon", "murder_weapon")


@dataclass(frozen=True)
class Ref:
    """A piece named in a clue: directly (a suspect, a weapon, the victim) or by
    description (the murderer, the murder weapon, the suspect(s) with a motive)."""

    kind: RefKind
    index: int = 0

    @property
    def is_person(self) -> bool:
        return self.kind in PERSON_KINDS

    @property
    def is_suspect(self) -> bool:
        return self.kind in ("suspect", "murderer", "motive")


VICTIM = Ref("victim")
MURDERER = Ref("murderer")
MURDER_WEAPON = Ref("murder_weapon")


@dataclass(frozen=True)
class At:
    who: Ref
    room: int
    time: int


@dataclass(frozen=True)
class SameRoom:
    a: Ref
    b: Ref
    time: int


@dataclass(frozen=True)
class Beside:
    """``a`` was in the room directly ``direction`` of ``b``'s room."""

    a: Ref
    direction: Literal["north", "south", "east", "west"]
    b: Ref
    time: int


@dataclass(frozen=True)
class Moved:
    """``who`` was in ``src`` at ``time - 1`` and in ``dst`` at ``time``."""

    who: Ref
    src: int
    dst: int
    time: int


@dataclass(frozen=True)
class Carried:
    """``who`` and ``weapon`` both moved from ``src`` to ``dst`` at ``time``."""

    who: Ref
    weapon: Ref
    src: int
    dst: int
    time: int


@dataclass(frozen=True)
class Together:
    """At some time ``a`` and ``b`` were both in ``room``."""

    a: Ref
    b: Ref
    room: int


@dataclass(frozen=True)
class HasMotive:
    who: Ref
    motive: int


@dataclass(frozen=True)
class Culprit:
    who: Ref


@dataclass(frozen=True)
class KilledWith:
    weapon: Ref


@dataclass(frozen=True)
class MurderTime:
    time: int


@dataclass(frozen=True)
class MurderRoom:
    room: int


Atom = Union[At, SameRoom, Beside, Moved, Carried, Together, HasMotive, Culprit, KilledWith, MurderTime, MurderRoom]
NEGATABLE = (At, SameRoom, HasMotive, Culprit, KilledWith, MurderTime, MurderRoom)


@dataclass(frozen=True)
class Not:
    atom: Atom


@dataclass(frozen=True)
class Either:
    a: Clause
    b: Clause
    exclusive: bool


@dataclass(frozen=True)
class Iff:
    a: Clause
    b: Clause


Clause = Union[Atom, Not]
Clue = Union[Clause, Either, Iff]


# --------------------------------------------------------------------------- truth


def members(ref: Ref, night: Night) -> list[tuple[str, int]]:
    """The concrete pieces a reference stands for in ``night``: ("s"|"w"|"v", index)."""
    if ref.kind == "suspect":
        return [("s", ref.index)]
    if ref.kind == "weapon":
        return [("w", ref.index)]
    if ref.kind == "victim":
        return [("v", 0)]
    if ref.kind == "murderer":
        return [("s", night.murderer)]
    if ref.kind == "murder_weapon":
        return [("w", night.weapon)]
    if ref.kind == "motive":
        return [("s", s) for s, m in enumerate(night.motives) if m == ref.index]
    raise ValueError(f"unknown reference kind {ref.kind!r}")


def room_of(member: tuple[str, int], night: Night, time: int) -> int:
    kind, index = member
    if kind == "s":
        return night.suspect_rooms[index][time]
    if kind == "w":
        return night.weapon_rooms[index][time]
    return night.victim_rooms[time]


def rooms_at(ref: Ref, night: Night, time: int) -> set[int]:
    return {room_of(m, night, time) for m in members(ref, night)}


def holds(clue: Clue, case: Case, night: Night) -> bool:
    """Whether ``clue`` is true of ``night``. This function is the definition of every clue."""
    if isinstance(clue, At):
        return clue.room in rooms_at(clue.who, night, clue.time)
    if isinstance(clue, SameRoom):
        return bool(rooms_at(clue.a, night, clue.time) & rooms_at(clue.b, night, clue.time))
    if isinstance(clue, Beside):
        below = rooms_at(clue.b, night, clue.time)
        return any(case.layout.toward(r, clue.direction) in rooms_at(clue.a, night, clue.time) for r in below)
    if isinstance(clue, Moved):
        return any(
            room_of(m, night, clue.time - 1) == clue.src and room_of(m, night, clue.time) == clue.dst
            for m in members(clue.who, night)
        )
    if isinstance(clue, Carried):
        return holds(Moved(clue.who, clue.src, clue.dst, clue.time), case, night) and holds(
            Moved(clue.weapon, clue.src, clue.dst, clue.time), case, night
        )
    if isinstance(clue, Together):
        return any(
            clue.room in rooms_at(clue.a, night, t) and clue.room in rooms_at(clue.b, night, t)
            for t in range(len(case.times))
        )
    if isinstance(clue, HasMotive):
        return any(night.motives[i] == clue.motive for _, i in members(clue.who, night))
    if isinstance(clue, Culprit):
        return ("s", night.murderer) in members(clue.who, night)
    if isinstance(clue, KilledWith):
        return ("w", night.weapon) in members(clue.weapon, night)
    if isinstance(clue, MurderTime):
        return night.time == clue.time
    if isinstance(clue, MurderRoom):
        return night.room == clue.room
    if isinstance(clue, Not):
        return not holds(clue.atom, case, night)
    if isinstance(clue, Either):
        a, b = holds(clue.a, case, night), holds(clue.b, case, night)
        return a != b if clue.exclusive else a or b
    if isinstance(clue, Iff):
        return holds(clue.a, case, night) == holds(clue.b, case, night)
    raise TypeError(f"not a clue: {clue!r}")


# --------------------------------------------------------------------------- text


def ref_text(ref: Ref, case: Case) -> str:
    """How a clue names a piece, in lower case where it is a description."""
    if ref.kind == "suspect":
        return case.suspects[ref.index]
    if ref.kind == "weapon":
        return f"the {case.weapons[ref.index]}"
    if ref.kind == "victim":
        return case.victim
    if ref.kind == "murderer":
        return "the murderer"
    if ref.kind == "murder_weapon":
        return "the murder weapon"
    if ref.kind == "motive":
        article = "the" if case.unique_motives else "a"
        return f"{article} suspect motivated by {case.motives[ref.index]}"
    raise ValueError(f"unknown reference kind {ref.kind!r}")


def place_text(case: Case, room: int) -> str:
    r = case.rooms[room]
    return f"{r.preposition} the {r.name}"


def when_text(case: Case, time: int) -> str:
    return f" at {case.times[time]}" if len(case.times) > 1 else ""


def _atom_text(atom: Atom, case: Case, negated: bool) -> str:
    was = "was not" if negated else "was"
    if isinstance(atom, At):
        return f"{ref_text(atom.who, case)} {was} {place_text(case, atom.room)}{when_text(case, atom.time)}"
    if isinstance(atom, SameRoom):
        return (
            f"{ref_text(atom.a, case)} {was} in the same room as {ref_text(atom.b, case)}{when_text(case, atom.time)}"
        )
    if isinstance(atom, HasMotive):
        verb = "is not" if negated else "is"
        return f"{ref_text(atom.who, case)} {verb} motivated by {case.motives[atom.motive]}"
    if isinstance(atom, Culprit):
        return f"{case.victim} {was} murdered by {ref_text(atom.who, case)}"
    if isinstance(atom, KilledWith):
        return f"{case.victim} {was} killed with {ref_text(atom.weapon, case)}"
    if isinstance(atom, MurderTime):
        return f"{case.victim} {was} murdered at {case.times[atom.time]}"
    if isinstance(atom, MurderRoom):
        return f"{case.victim} {was} murdered {place_text(case, atom.room)}"
    if negated:
        raise ValueError(f"{type(atom).__name__} clues have no negative form")
    if isinstance(atom, Beside):
        return (
            f"{ref_text(atom.a, case)} was in the room just {atom.direction} of "
            f"{ref_text(atom.b, case)}{when_text(case, atom.time)}"
        )
    if isinstance(atom, Moved):
        return (
            f"{ref_text(atom.who, case)} moved from the {case.rooms[atom.src].name} "
            f"to the {case.rooms[atom.dst].name} at {case.times[atom.time]}"
        )
    if isinstance(atom, Carried):
        return (
            f"{ref_text(atom.who, case)} moved {ref_text(atom.weapon, case)} from the "
            f"{case.rooms[atom.src].name} to the {case.rooms[atom.dst].name} at {case.times[atom.time]}"
        )
    if isinstance(atom, Together):
        return (
            f"{ref_text(atom.a, case)} and {ref_text(atom.b, case)} were "
            f"{place_text(case, atom.room)} together at least once"
        )
    raise TypeError(f"not an atom: {atom!r}")


def _clause_text(clause: Clause, case: Case) -> str:
    if isinstance(clause, Not):
        return _atom_text(clause.atom, case, negated=True)
    return _atom_text(clause, case, negated=False)


def clue_text(clue: Clue, case: Case) -> str:
    """The sentence the prompt shows for ``clue`` (no bullet, no final full stop)."""
    if isinstance(clue, Either):
        a, b = _clause_text(clue.a, case), _clause_text(clue.b, case)
        text = f"either {a} or {b}, but not both" if clue.exclusive else f"{a}, or {b}, or both"
    elif isinstance(clue, Iff):
        text = f"{_clause_text(clue.a, case)} if and only if {_clause_text(clue.b, case)}"
    else:
        text = _clause_text(clue, case)
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- JSON


_ATOM_TYPES = {
    cls.__name__: cls
    for cls in (At, SameRoom, Beside, Moved, Carried, Together, HasMotive, Culprit, KilledWith, MurderTime, MurderRoom)
}


def clue_to_json(clue: Clue) -> dict:
    if isinstance(clue, Not):
        return {"not": clue_to_json(clue.atom)}
    if isinstance(clue, Either):
        return {"either": [clue_to_json(clue.a), clue_to_json(clue.b)], "exclusive": clue.exclusive}
    if isinstance(clue, Iff):
        return {"iff": [clue_to_json(clue.a), clue_to_json(clue.b)]}
    out: dict = {"type": type(clue).__name__}
    for name, value in vars(clue).items():
        out[name] = [value.kind, value.index] if isinstance(value, Ref) else value
    return out


def clue_from_json(data: dict) -> Clue:
    if "not" in data:
        return Not(clue_from_json(data["not"]))  # type: ignore[arg-type]
    if "either" in data:
        a, b = data["either"]
        return Either(clue_from_json(a), clue_from_json(b), bool(data["exclusive"]))  # type: ignore[arg-type]
    if "iff" in data:
        a, b = data["iff"]
        return Iff(clue_from_json(a), clue_from_json(b))  # type: ignore[arg-type]
    cls = _ATOM_TYPES[data["type"]]
    fields = {k: (Ref(v[0], int(v[1])) if isinstance(v, list) else v) for k, v in data.items() if k != "type"}
    return cls(**fields)
