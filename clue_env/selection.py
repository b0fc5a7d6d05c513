"""Choosing clues with CP-SAT until exactly one answer remains, then dropping the redundant ones.

The loop is counterexample-guided: ask the solver for a night that satisfies the clues so
far but differs from the true night where it matters; if there is one, add a clue that
is true of the real night and false of that one; repeat until there is none. Then the clues
outside the solver's unsatisfiable core are dropped (once that core is confirmed by a
solve of its own) and every remaining clue is tested for removal, weakest first, so the
final set is minimal: removing any one clue lets a second answer in.

Clues are switched on and off with solver assumptions on one model built once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .case import Case
from .clue_maker import ClueMaker, Focus, chance, differences
from .clues import Clue, holds
from .model import Lit, NightModel, new_solver
from .night import Night
from .questions import Question


@dataclass
class SelectionStats:
    solves: int = 0
    drawn: int = 0
    dropped: int = 0


def pinned_literals(model: NightModel, night: Night, questions: Sequence[Question], pin: str) -> list[Lit]:
    """What must be forced: the whole night (``pin="night"``) or just the answers."""
    if pin == "night":
        return model.truth_literals(night)
    return [model.answer_literal(q, q.answer_index(night)) for q in questions]


class _Checker:
    """Answers "is there another night?" under a set of active clues."""

    def __init__(self, model: NightModel, pinned: list[Lit], seed: int, stats: SelectionStats):
        self.model = model
        self.differs = model.model.new_bool_var("differs")
        model.model.add_bool_or([lit.Not() for lit in pinned]).only_enforce_if(self.differs)
        self.solver = new_solver(seed)
        self.stats = stats

    def other_night(self, lits: Sequence[Lit]) -> bool:
        """True (and the solver holds that night) if another night fits the clues."""
        m = self.model.model
        m.clear_assumptions()
        m.add_assumptions([*lits, self.differs])
        status = self.solver.solve(m)
        self.stats.solves += 1
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return True
        if status == cp_model.INFEASIBLE:
            return False
        raise RuntimeError(f"CP-SAT returned {self.solver.status_name(status)} while checking clues")

    def core(self) -> set[int]:
        """Indices of the assumption literals in the last infeasibility proof."""
        return set(self.solver.sufficient_assumptions_for_infeasibility())


def select_clues(
    case: Case,
    night: Night,
    questions: Sequence[Question],
    pin: str,
    rng: np.random.Generator,
    kind_weights: Mapping[str, float] | None = None,
    stats: SelectionStats | None = None,
) -> tuple[Clue, ...]:
    """A minimal set of true clues that leaves exactly one night (or one answer per question)."""
    stats = stats if stats is not None else SelectionStats()
    model = NightModel(case)
    maker = ClueMaker(case, night, rng, kind_weights)
    checker = _Checker(model, pinned_literals(model, night, questions, pin), int(rng.integers(2**31)), stats)

    clues: list[Clue] = []
    lits: list[Lit] = []
    seen: set[int] = set()
    while checker.other_night(lits):
        other = model.read_night(checker.solver)
        diffs = differences(night, other)
        if pin != "night":
            diffs = _answer_diffs(diffs, questions) or diffs
        clue = maker.refuting(other, diffs)
        lit = model.literal(clue)
        stats.drawn += 1
        if lit.index in seen:  # the same fact in other words: cannot refute anything new
            raise RuntimeError(f"clue {clue!r} repeats a chosen one yet refutes a new night")
        seen.add(lit.index)
        clues.append(clue)
        lits.append(lit)

    keep = _reduce(checker, lits)
    # Try the least telling clues first, so the ones that remain say the most.
    jitter = rng.random(len(clues))
    order = sorted(keep, key=lambda i: chance(clues[i], case) * (0.75 + 0.5 * jitter[i]), reverse=True)
    for i in order:
        if i not in keep:
            continue
        trial = [k for k in keep if k != i]
        if not checker.other_night([lits[k] for k in trial]):
            keep = trial
    stats.dropped = len(clues) - len(keep)
    chosen = [clues[i] for i in keep]
    for clue in chosen:
        if not holds(clue, case, night):
            raise AssertionError(f"selected clue is false of the night: {clue!r}")
    return tuple(chosen[int(i)] for i in rng.permutation(len(chosen)))


def _reduce(checker: _Checker, lits: list[Lit]) -> list[int]:
    """The clue positions that the last infeasibility proof used, checked.

    The solver's core is a shortcut, not a proof: with probing off, CP-SAT can return a set
    of assumptions that is not infeasible on its own (seen on about 1% of puzzles). So the
    core is solved again and only trusted when that confirms it; otherwise all clues stay.
    """
    everything = list(range(len(lits)))
    core = checker.core()
    reduced = [i for i in everything if lits[i].index in core]
    if len(reduced) < len(everything) and not checker.other_night([lits[i] for i in reduced]):
        return reduced
    return everything


def _answer_diffs(diffs: list[Focus], questions: Sequence[Question]) -> list[Focus]:
    """Differences on facts that some question asks about."""
    wanted = []
    for f in diffs:
        for q in questions:
            if f.what in ("murderer", "weapon", "time", "room") and q.form.main:
                wanted.append(f)
                break
            if f.what == "position" and q.kind == "room_of" and q.time == f.time:
                wanted.append(f)
                break
    return wanted
