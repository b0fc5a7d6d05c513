"""The CP-SAT model of every night the rules allow, and clues as literals in it.

Built once per puzzle. A clue becomes one Boolean literal that is true exactly when the
clue holds (``literal``); the clue selector switches clues on and off with solver
assumptions instead of rebuilding the model, which is where most of the original
generator's time went. ``answer_literal`` is the one mapping from "question q has answer
k" to a literal, used by clue selection, the solver and the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from .case import Case
from .clues import (
    At,
    Beside,
    Carried,
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
)
from .night import Night
from .questions import Question

Lit = cp_model.IntVar  # a Boolean variable or its negation


class NightModel:
    """Variables (one-hot Booleans):

    - ``sus[s][t][r]``, ``wpn[w][t][r]``, ``vic[t][r]``: where each piece is;
    - ``motive[s][m]``: suspect ``s`` has motive ``m``;
    - ``murderer[s]``, ``weapon[w]``, ``room[r]``, ``time[t]`` and ``scene[t][r]``: the murder.
    """

    def __init__(self, case: Case):
        self.case = case
        m = self.model = cp_model.CpModel()
        n_s, n_w, n_r, n_t = len(case.suspects), len(case.weapons), len(case.rooms), len(case.times)
        self.n_s, self.n_w, self.n_r, self.n_t = n_s, n_w, n_r, n_t
        self._cache: dict[tuple, Lit] = {}
        self.true = m.new_bool_var("true")
        m.add(self.true == 1)

        def one_hot(count: int, name: str) -> list[Lit]:
            row = [m.new_bool_var(f"{name}={i}") for i in range(count)]
            m.add_exactly_one(row)
            return row

        self.sus = [[one_hot(n_r, f"s{s}@t{t}") for t in range(n_t)] for s in range(n_s)]
        self.wpn = [[one_hot(n_r, f"w{w}@t{t}") for t in range(n_t)] for w in range(n_w)]
        self.vic = [one_hot(n_r, f"v@t{t}") for t in range(n_t)]
        self.motive: list[list[Lit]] = []
        if case.motives:
            self.motive = [one_hot(len(case.motives), f"s{s}.motive") for s in range(n_s)]
            for mi, count in enumerate(case.motive_counts):
                m.add(sum(self.motive[s][mi] for s in range(n_s)) == count)
        self.murderer = one_hot(n_s, "murderer")
        self.weapon = one_hot(n_w, "weapon")
        self.scene = [[m.new_bool_var(f"scene t{t} r{r}") for r in range(n_r)] for t in range(n_t)]
        m.add_exactly_one([z for row in self.scene for z in row])
        self.time = [m.new_bool_var(f"time={t}") for t in range(n_t)]
        self.room = [m.new_bool_var(f"room={r}") for r in range(n_r)]
        for t in range(n_t):
            m.add(self.time[t] == sum(self.scene[t]))
        for r in range(n_r):
            m.add(self.room[r] == sum(self.scene[t][r] for t in range(n_t)))
        self._movement_rules()
        self._murder_rules()

    # ------------------------------------------------------------------ rules

    def _movement_rules(self) -> None:
        m, nb = self.model, self.case.layout.neighbours
        for path in [*self.sus, self.vic, *self.wpn]:
            for t in range(1, self.n_t):
                for r in range(self.n_r):
                    # To be in r now, one must have been in r or next to it just before.
                    m.add_bool_or([path[t - 1][r], *(path[t - 1][q] for q in nb[r])]).only_enforce_if(path[t][r])
        # A weapon moves only along a move some suspect makes at the same time.
        for t in range(1, self.n_t):
            for a in range(self.n_r):
                for b in nb[a]:
                    carriers = []
                    for s in range(self.n_s):
                        move = m.new_bool_var(f"s{s} {a}->{b} t{t}")
                        m.add_implication(move, self.sus[s][t - 1][a])
                        m.add_implication(move, self.sus[s][t][b])
                        carriers.append(move)
                    for w in range(self.n_w):
                        m.add_bool_or([self.wpn[w][t - 1][a].Not(), self.wpn[w][t][b].Not(), *carriers])

    def _murder_rules(self) -> None:
        m = self.model
        for t in range(self.n_t):
            for r in range(self.n_r):
                z = self.scene[t][r]
                m.add(sum(self.sus[s][t][r] for s in range(self.n_s)) == 1).only_enforce_if(z)
                for s in range(self.n_s):
                    m.add_bool_or([z.Not(), self.murderer[s].Not(), self.sus[s][t][r]])
                for w in range(self.n_w):
                    m.add_bool_or([z.Not(), self.weapon[w].Not(), self.wpn[w][t][r]])
                for later in range(t, self.n_t):
                    m.add_implication(z, self.vic[later][r])

    # ------------------------------------------------------------------ helpers

    def _key(self, lits: Sequence[Lit]) -> tuple[int, ...]:
        return tuple(sorted(lit.index for lit in lits))

    def all_of(self, lits: Sequence[Lit]) -> Lit:
        """A literal equivalent to the conjunction of ``lits``."""
        lits = [x for x in lits if x is not self.true]
        if not lits:
            return self.true
        if len(lits) == 1:
            return lits[0]
        key = ("and", *self._key(lits))
        if key not in self._cache:
            v = self.model.new_bool_var("and")
            self.model.add_bool_and(lits).only_enforce_if(v)
            self.model.add_bool_or([x.Not() for x in lits]).only_enforce_if(v.Not())
            self._cache[key] = v
        return self._cache[key]

    def any_of(self, lits: Sequence[Lit]) -> Lit:
        """A literal equivalent to the disjunction of ``lits``."""
        if any(x is self.true for x in lits):
            return self.true
        if len(lits) == 1:
            return lits[0]
        if not lits:
            return self.true.Not()
        key = ("or", *self._key(lits))
        if key not in self._cache:
            v = self.model.new_bool_var("or")
            self.model.add_bool_or(lits).only_enforce_if(v)
            self.model.add_bool_and([x.Not() for x in lits]).only_enforce_if(v.Not())
            self._cache[key] = v
        return self._cache[key]

    def _members(self, ref: Ref) -> list[tuple[Lit, list[list[Lit]]]]:
        """(selector, position table) for every piece ``ref`` may stand for."""
        if ref.kind == "suspect":
            return [(self.true, self.sus[ref.index])]
        if ref.kind == "weapon":
            return [(self.true, self.wpn[ref.index])]
        if ref.kind == "victim":
            return [(self.true, self.vic)]
        if ref.kind == "murderer":
            return [(self.murderer[s], self.sus[s]) for s in range(self.n_s)]
        if ref.kind == "murder_weapon":
            return [(self.weapon[w], self.wpn[w]) for w in range(self.n_w)]
        if ref.kind == "motive":
            if not self.motive:
                raise ValueError("this puzzle has no motives")
            return [(self.motive[s][ref.index], self.sus[s]) for s in range(self.n_s)]
        raise ValueError(f"unknown reference kind {ref.kind!r}")

    def at(self, ref: Ref, time: int, room: int) -> Lit:
        """Literal: some piece ``ref`` stands for was in ``room`` at ``time``."""
        return self.any_of([self.all_of([sel, pos[time][room]]) for sel, pos in self._members(ref)])

    def _moved(self, ref: Ref, src: int, dst: int, time: int) -> Lit:
        return self.any_of([self.all_of([sel, pos[time - 1][src], pos[time][dst]]) for sel, pos in self._members(ref)])

    def _suspect_selectors(self, ref: Ref) -> list[Lit]:
        """For a reference to suspects, ``sel[s]``: it stands for suspect ``s``."""
        if ref.kind == "suspect":
            return [self.true if s == ref.index else self.true.Not() for s in range(self.n_s)]
        if ref.kind == "murderer":
            return list(self.murderer)
        if ref.kind == "motive":
            return [self.motive[s][ref.index] for s in range(self.n_s)]
        raise ValueError(f"{ref.kind} does not name a suspect")

    # ------------------------------------------------------------------ clues

    def literal(self, clue: Clue) -> Lit:
        """A literal that is true exactly when ``clue`` holds."""
        key = ("clue", clue)
        if key in self._cache:
            return self._cache[key]
        lit = self._encode(clue)
        self._cache[key] = lit
        return lit

    def _encode(self, clue: Clue) -> Lit:
        c, rooms = self.case, range(self.n_r)
        if isinstance(clue, At):
            return self.at(clue.who, clue.time, clue.room)
        if isinstance(clue, SameRoom):
            return self.any_of(
                [self.all_of([self.at(clue.a, clue.time, r), self.at(clue.b, clue.time, r)]) for r in rooms]
            )
        if isinstance(clue, Beside):
            pairs = [(q, r) for r in rooms if (q := c.layout.toward(r, clue.direction)) is not None]
            return self.any_of(
                [self.all_of([self.at(clue.a, clue.time, q), self.at(clue.b, clue.time, r)]) for q, r in pairs]
            )
        if isinstance(clue, Moved):
            return self._moved(clue.who, clue.src, clue.dst, clue.time)
        if isinstance(clue, Carried):
            return self.all_of(
                [
                    self._moved(clue.who, clue.src, clue.dst, clue.time),
                    self._moved(clue.weapon, clue.src, clue.dst, clue.time),
                ]
            )
        if isinstance(clue, Together):
            return self.any_of(
                [self.all_of([self.at(clue.a, t, clue.room), self.at(clue.b, t, clue.room)]) for t in range(self.n_t)]
            )
        if isinstance(clue, HasMotive):
            sel = self._suspect_selectors(clue.who)
            return self.any_of([self.all_of([sel[s], self.motive[s][clue.motive]]) for s in range(self.n_s)])
        if isinstance(clue, Culprit):
            sel = self._suspect_selectors(clue.who)
            return self.any_of([self.all_of([sel[s], self.murderer[s]]) for s in range(self.n_s)])
        if isinstance(clue, KilledWith):
            if clue.weapon.kind == "weapon":
                return self.weapon[clue.weapon.index]
            return self.true
        if isinstance(clue, MurderTime):
            return self.time[clue.time]
        if isinstance(clue, MurderRoom):
            return self.room[clue.room]
        if isinstance(clue, Not):
            return self.literal(clue.atom).Not()
        if isinstance(clue, Either):
            a, b = self.literal(clue.a), self.literal(clue.b)
            if not clue.exclusive:
                return self.any_of([a, b])
            return self.any_of([self.all_of([a, b.Not()]), self.all_of([a.Not(), b])])
        if isinstance(clue, Iff):
            a, b = self.literal(clue.a), self.literal(clue.b)
            return self.any_of([self.all_of([a, b]), self.all_of([a.Not(), b.Not()])])
        raise TypeError(f"not a clue: {clue!r}")

    # ------------------------------------------------------------------ questions

    def answer_literal(self, question: Question, option: int) -> Lit:
        """A literal that is true exactly when option number ``option`` (of
        ``question.options``) is the answer to ``question``.

        The murderer is the model's own one-hot variable; every other answer is the literal
        of the question's fact (``Question.fact``), which for the weapon, room and time is
        again the model's own variable. Clue selection pins answers and the solver and the
        tests rule answers out through this one function.
        """
        if question.kind == "who":
            # A ``Culprit`` clue's literal is built from suspect selectors: the same truth, more variables.
            return self.murderer[option]
        return self.literal(question.fact(option))

    # ------------------------------------------------------------------ nights

    def truth_literals(self, night: Night) -> list[Lit]:
        """Literals that are all true exactly in ``night`` (every position, motive and murder fact)."""
        lits = [self.sus[s][t][r] for s, rooms in enumerate(night.suspect_rooms) for t, r in enumerate(rooms)]
        lits += [self.wpn[w][t][r] for w, rooms in enumerate(night.weapon_rooms) for t, r in enumerate(rooms)]
        lits += [self.vic[t][r] for t, r in enumerate(night.victim_rooms)]
        lits += [self.motive[s][mi] for s, mi in enumerate(night.motives)]
        lits += [self.murderer[night.murderer], self.weapon[night.weapon], self.scene[night.time][night.room]]
        return lits

    def read_night(self, solver: cp_model.CpSolver) -> Night:
        """The night of the solver's current solution."""

        def room(row: list[Lit]) -> int:
            return next(r for r, v in enumerate(row) if solver.boolean_value(v))

        def pick(row: list[Lit]) -> int:
            return next(i for i, v in enumerate(row) if solver.boolean_value(v))

        scene = next((t, r) for t in range(self.n_t) for r in range(self.n_r) if solver.boolean_value(self.scene[t][r]))
        return Night(
            suspect_rooms=tuple(tuple(room(self.sus[s][t]) for t in range(self.n_t)) for s in range(self.n_s)),
            weapon_rooms=tuple(tuple(room(self.wpn[w][t]) for t in range(self.n_t)) for w in range(self.n_w)),
            victim_rooms=tuple(room(self.vic[t]) for t in range(self.n_t)),
            motives=tuple(pick(self.motive[s]) for s in range(self.n_s)) if self.motive else (),
            murderer=pick(self.murderer),
            weapon=pick(self.weapon),
            room=scene[1],
            time=scene[0],
        )


def new_solver(seed: int = 0) -> cp_model.CpSolver:
    """A single-threaded, deterministic solver tuned for many small feasibility checks.

    The model is plain clauses over one-hot Booleans: presolve, probing, symmetry
    detection, LP relaxation and in-search clause vivification cost far more than they
    save on it (together about 20x the search itself, measured on benchmark sizes).
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.random_seed = seed % (2**31)
    p.cp_model_presolve = False
    p.cp_model_probing_level = 0
    p.symmetry_level = 0
    p.linearization_level = 0
    p.use_sat_inprocessing = False
    # Leave Ctrl-C to Python: otherwise CP-SAT resets SIGINT to the default action after a
    # solve, and a later Ctrl-C kills the process without KeyboardInterrupt or clean-up.
    p.catch_sigint_signal = False
    return solver
