"""The simulated night: where everyone and everything was at every time, and the murder.

Rules (the same ones the prompt states and the CP-SAT model encodes):
- at each time every suspect, and the victim while alive, stays or moves one room
  north, south, east or west;
- a weapon only moves when a suspect makes the same move at the same time (carries it);
- the murder happens at one time in one room where the murderer is the only suspect
  with the victim and the murder weapon; from then on the victim stays in that room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .case import Case

STAY_CHANCE = 0.45
CARRY_CHANCE = 0.35


@dataclass(frozen=True)
class Night:
    """One complete night. Rooms, times, suspects, weapons and motives are indices into a ``Case``.

    ``suspect_rooms[s][t]`` is the room of suspect ``s`` at time ``t``; likewise
    ``weapon_rooms`` and ``victim_rooms``. ``motives[s]`` is suspect ``s``'s motive
    (empty tuple when the puzzle has no motives).
    """

    suspect_rooms: tuple[tuple[int, ...], ...]
    weapon_rooms: tuple[tuple[int, ...], ...]
    victim_rooms: tuple[int, ...]
    motives: tuple[int, ...]
    murderer: int
    weapon: int
    room: int
    time: int

    def to_dict(self) -> dict:
        return {
            "suspect_rooms": [list(r) for r in self.suspect_rooms],
            "weapon_rooms": [list(r) for r in self.weapon_rooms],
            "victim_rooms": list(self.victim_rooms),
            "motives": list(self.motives),
            "murderer": self.murderer,
            "weapon": self.weapon,
            "room": self.room,
            "time": self.time,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Night:
        return cls(
            suspect_rooms=tuple(tuple(int(x) for x in r) for r in data["suspect_rooms"]),
            weapon_rooms=tuple(tuple(int(x) for x in r) for r in data["weapon_rooms"]),
            victim_rooms=tuple(int(x) for x in data["victim_rooms"]),
            motives=tuple(int(x) for x in data["motives"]),
            murderer=int(data["murderer"]),
            weapon=int(data["weapon"]),
            room=int(data["room"]),
            time=int(data["time"]),
        )


def _step(rng: np.random.Generator, room: int, neighbours: tuple[tuple[int, ...], ...]) -> int:
    options = neighbours[room]
    if not options or rng.random() < STAY_CHANCE:
        return room
    return int(options[int(rng.integers(len(options)))])


def simulate_night(rng: np.random.Generator, case: Case) -> Night:
    """Draw a night that obeys the rules, built outward from the murder scene.

    The scene (time, room, murderer, weapon) is drawn first; everyone else is placed
    elsewhere at that time; then the night is walked forward and backward from it. The
    moves are symmetric, so walking backward is as valid as walking forward.
    """
    n_s, n_w, n_r, n_t = len(case.suspects), len(case.weapons), len(case.rooms), len(case.times)
    nb = case.layout.neighbours
    t0 = int(rng.integers(n_t))
    room = int(rng.integers(n_r))
    murderer = int(rng.integers(n_s))
    weapon = int(rng.integers(n_w))

    sus = np.zeros((n_s, n_t), dtype=np.int64)
    wpn = np.zeros((n_w, n_t), dtype=np.int64)
    vic = np.zeros(n_t, dtype=np.int64)
    others = [r for r in range(n_r) if r != room]
    for s in range(n_s):
        sus[s, t0] = room if s == murderer else others[int(rng.integers(len(others)))]
    for w in range(n_w):
        wpn[w, t0] = room if w == weapon else int(rng.integers(n_r))
    vic[t0] = room

    def walk(t_from: int, t_to: int, victim_moves: bool) -> None:
        for s in range(n_s):
            sus[s, t_to] = _step(rng, int(sus[s, t_from]), nb)
        movers: dict[tuple[int, int], list[int]] = {}
        for s in range(n_s):
            a, b = int(sus[s, t_from]), int(sus[s, t_to])
            if a != b:
                movers.setdefault((a, b), []).append(s)
        for w in range(n_w):
            here = int(wpn[w, t_from])
            routes = sorted(k for k in movers if k[0] == here)
            if routes and rng.random() < CARRY_CHANCE:
                wpn[w, t_to] = routes[int(rng.integers(len(routes)))][1]
            else:
                wpn[w, t_to] = here
        vic[t_to] = _step(rng, int(vic[t_from]), nb) if victim_moves else vic[t_from]

    for t in range(t0 + 1, n_t):
        walk(t - 1, t, victim_moves=False)
    for t in range(t0 - 1, -1, -1):
        walk(t + 1, t, victim_moves=True)

    motives: tuple[int, ...] = ()
    if case.motives:
        pool = [m for m, count in enumerate(case.motive_counts) for _ in range(count)]
        motives = tuple(int(pool[int(i)]) for i in rng.permutation(len(pool)))
    return Night(
        suspect_rooms=tuple(tuple(int(x) for x in row) for row in sus),
        weapon_rooms=tuple(tuple(int(x) for x in row) for row in wpn),
        victim_rooms=tuple(int(x) for x in vic),
        motives=motives,
        murderer=murderer,
        weapon=weapon,
        room=room,
        time=t0,
    )


def check_night(case: Case, night: Night) -> list[str]:
    """Every rule the night breaks, in words (empty when it is a valid night)."""
    problems = []
    nb = case.layout.neighbours
    n_t = len(case.times)

    def path_ok(rooms: tuple[int, ...]) -> bool:
        return all(b == a or b in nb[a] for a, b in zip(rooms, rooms[1:]))

    for s, rooms in enumerate(night.suspect_rooms):
        if not path_ok(rooms):
            problems.append(f"suspect {s} jumps between rooms that are not adjacent")
    if not path_ok(night.victim_rooms):
        problems.append("the victim jumps between rooms that are not adjacent")
    for w, rooms in enumerate(night.weapon_rooms):
        for t in range(1, n_t):
            a, b = rooms[t - 1], rooms[t]
            if a != b and not any(r[t - 1] == a and r[t] == b for r in night.suspect_rooms):
                problems.append(f"weapon {w} moves at time {t} without a suspect carrying it")
    t0, room = night.time, night.room
    present = [s for s, r in enumerate(night.suspect_rooms) if r[t0] == room]
    if present != [night.murderer]:
        problems.append(f"at the murder the suspects in the room are {present}, not the murderer alone")
    if night.weapon_rooms[night.weapon][t0] != room:
        problems.append("the murder weapon is not in the murder room at the murder time")
    if any(night.victim_rooms[t] != room for t in range(t0, n_t)):
        problems.append("the victim is not in the murder room from the murder on")
    if case.motives:
        counts = [night.motives.count(m) for m in range(len(case.motives))]
        if tuple(counts) != case.motive_counts:
            problems.append(f"motive counts {counts} differ from the case's {case.motive_counts}")
    return problems
