"""How a case is made from a puzzle, and proved: the clues a detective starts with and a proven question budget.

``case_from_puzzle`` keeps the puzzle's world (cast, map, night, questions and clues) and withholds
part of its clues:

1. **Clues needed whatever is asked.** The questions of the grammar (``grammar.all_queries``)
   can reveal every position and motive, but not the murder itself: where two suspects could
   each have been alone with the victim and a weapon, only a clue tells them apart. Counter-
   example-guided, as in clue selection: while some night agrees with the true one on every
   question and still gives another answer, keep a puzzle clue that is false of it; then
   drop those not needed. These clues are always given.
2. **Withholding.** The other clues are withheld in a seeded random order: at least
   ``withhold`` of them, and more (the fewest more, by bisection) until the starting clues
   leave the murderer open (some night fits them with another murderer). Where no amount of
   withholding opens the murderer, the same is done for any main question, then any question.
3. **The proof.** A set of questions whose true answers, with the starting clues, leave one
   answer to every question, found by CP-SAT on the one model of every night (``NightModel``).
   Every night that fits the starting clues with other answers must be ruled out by an asked
   question whose answer differs in it. A greedy pass first (counterexample by counterexample,
   the question ruling out most of the nights met so far; then cores and removal make it
   minimal, as clue selection does), then an implicit hitting-set search: the smallest set of
   questions ruling out every night met so far (a CP-SAT minimisation) is a lower bound; it is
   checked, a night it does not rule out is added, and so on until the smallest set rules out
   every night -- then it is a **proven minimum** (``optimal_kind = "minimum"``). Each night is
   first moved as close to the true one as it goes (while another night is ruled out by only
   some of the same questions, take that one), and the search starts from the true night (a
   solver hint), which keeps the sets of questions per night small and the search short. Past
   ``MAX_HITTING_ROUNDS`` rounds it stops with the greedy set as an **upper bound**
   (``optimal_kind = "upper_bound"``, the proven ``lower_bound`` recorded beside it). The
   witness set itself is recorded, so a test re-checks that it determines the answers.
4. **Budget** = ``budget_for(optimal_questions)`` = three times the witness plus two: a
   detective does not know the night, so needs more than the minimum (the solver agent asks
   1.25-1.54x as many on average per level, at most 3x on one case and never more than the
   budget less 2, in the README's measurements: ``benchmarks/bench_investigation.py``).

Everything is seeded from ``(variant, level, seed)`` and CP-SAT runs single-threaded with a
fixed seed and no time limit, so the same seed gives the same case byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model

from ..clues import holds
from ..generate import seeded_rng
from ..model import Lit, NightModel, new_solver
from ..night import Night, check_night
from ..puzzle import Puzzle
from .case import (
    DEFAULT_COST_PER_QUESTION,
    DEFAULT_WITHHOLD,
    InvestigationCase,
    InvestigationError,
    OptimalKind,
)
from .grammar import Query, all_queries, answer_codes

__all__ = ["MAX_HITTING_ROUNDS", "budget_for", "case_from_puzzle", "determines"]

MAX_HITTING_ROUNDS = 60
"""Rounds of the hitting-set search before it settles for the greedy upper bound."""


def budget_for(optimal: int) -> int:
    """The question budget of a case whose witness set has ``optimal`` questions."""
    return 3 * optimal + 2


class _Prover:
    """One model of every night, with literals for every clue, every question's true answer,
    and "some asked question has another answer"."""

    def __init__(self, puzzle: Puzzle, seed: int):
        self.puzzle, self.case, self.night = puzzle, puzzle.case, puzzle.night
        self.model = NightModel(self.case)
        self.clue_lits = [self.model.literal(c) for c in puzzle.clues]
        self.queries = all_queries(self.case)
        self.codes = answer_codes(self.case, self.night)
        self.truth = [q.facts(self.case, self.night) for q in self.queries]
        self.query_lits = [self.model.all_of([self.model.literal(f) for f in facts]) for facts in self.truth]
        self.answer_lits = {
            q.kind: self.model.answer_literal(q, q.answer_index(self.night)) for q in puzzle.questions if q.form.main
        }
        all_answers = [self.model.answer_literal(q, q.answer_index(self.night)) for q in puzzle.questions]
        self.differs = self.model.model.new_bool_var("answers differ")
        self.model.model.add_bool_or([lit.Not() for lit in all_answers]).only_enforce_if(self.differs)
        # Searching from the true night finds other nights close to it: those differ on few
        # questions, which makes strong rows for the hitting set (and a case ~5x faster to prove).
        for lit in self.model.truth_literals(self.night):
            self.model.model.add_hint(lit, 1)
        self.solver = new_solver(seed)
        self.solves = 0

    def other(self, lits: Sequence[Lit], differ: Lit | None = None) -> Night | None:
        """A night that satisfies ``lits`` and ``differ`` (default: some answer differs), or None."""
        m = self.model.model
        m.clear_assumptions()
        m.add_assumptions([*lits, self.differs if differ is None else differ])
        status = self.solver.solve(m)
        self.solves += 1
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"CP-SAT returned {self.solver.status_name(status)} while proving a case")
        night = self.model.read_night(self.solver)
        if check_night(self.case, night):  # a bug in the model, never a property of the case
            raise AssertionError(f"the model's night breaks the rules: {check_night(self.case, night)}")
        return night

    def core(self) -> set[int]:
        return set(self.solver.sufficient_assumptions_for_infeasibility())

    def refuters(self, night: Night) -> list[int]:
        """The questions whose answer in ``night`` differs from the true one."""
        return [i for i, (a, b) in enumerate(zip(answer_codes(self.case, night), self.codes)) if a != b]

    def smallest_refuters(self, night: Night, base: Sequence[Lit]) -> list[int]:
        """The refuters of a night fitting ``base`` with other answers, shrunk: while another such
        night is ruled out by only some of them, take that one. The result is subset-minimal:
        no night fitting ``base`` with other answers is ruled out by fewer of these questions."""
        row = self.refuters(night)
        while len(row) > 1:
            inside = set(row)
            agree = [self.query_lits[i] for i in range(len(self.queries)) if i not in inside]
            some = self.model.any_of([self.query_lits[i] for i in row])
            better = self.other([*base, *agree, some])
            if better is None:
                break
            row = self.refuters(better)
        return row

    def start_lits(self, start: Sequence[int]) -> list[Lit]:
        return [self.clue_lits[i] for i in start]


def _minimal(prover: _Prover, lits: list[Lit], fixed: list[Lit]) -> list[int]:
    """Positions of ``lits`` that, with ``fixed``, still leave no other answer: the last proof's
    core (checked), then each tested for removal, last first."""
    keep = list(range(len(lits)))
    core = prover.core()
    reduced = [i for i in keep if lits[i].index in core]
    if len(reduced) < len(keep) and prover.other([*fixed, *(lits[i] for i in reduced)]) is None:
        keep = reduced
    for i in reversed(list(keep)):
        trial = [k for k in keep if k != i]
        if prover.other([*fixed, *(lits[k] for k in trial)]) is None:
            keep = trial
    return keep


def _needed(prover: _Prover, order: list[int]) -> list[int]:
    """Clues (indices) without which full knowledge of positions and motives leaves another answer."""
    chosen: list[int] = []
    while (night := prover.other([*prover.query_lits, *prover.start_lits(chosen)])) is not None:
        false = [i for i in order if i not in chosen and not holds(prover.puzzle.clues[i], prover.case, night)]
        if not false:  # the puzzle's own clues leave a second answer: a bug in clue selection
            raise AssertionError(f"{prover.puzzle.id}: its clues do not determine the answers")
        chosen.append(false[0])
    if not chosen:
        return []
    keep = _minimal(prover, prover.start_lits(chosen), prover.query_lits)
    return sorted(chosen[k] for k in keep)


def _opens(prover: _Prover, start: list[int], goal: Lit | None) -> bool:
    """Whether some night fits the clues ``start`` with another answer (``goal``: another
    murderer / main answer; None: any question)."""
    return prover.other(prover.start_lits(start), goal) is not None


def _choose_start(prover: _Prover, rng: np.random.Generator, withhold: float) -> tuple[list[int], str]:
    """The starting clues (indices, in the puzzle's order) and what they leave open."""
    n = len(prover.puzzle.clues)
    needed = _needed(prover, [int(i) for i in rng.permutation(n)])
    rest = [int(i) for i in rng.permutation(n) if int(i) not in needed]
    least = min(len(rest), math.ceil(withhold * len(rest)))
    most = len(rest) if needed else max(0, len(rest) - 1)  # leave the detective one clue at least
    m = prover.model
    goals: list[tuple[str, Lit | None]] = []
    if "who" in prover.answer_lits and len(prover.case.suspects) > 1:
        goals.append(("the murderer", prover.answer_lits["who"].Not()))
    mains = list(prover.answer_lits.values())
    if mains:
        goals.append(("a main question", m.any_of([x.Not() for x in mains])))
    goals.append(("a question", None))

    def start_of(k: int) -> list[int]:
        return sorted(needed + rest[k:])

    for what, goal in goals:
        if least > most or not _opens(prover, start_of(most), goal):
            continue
        lo, hi = least, most  # the fewest withheld that open the goal: bisection (opening is monotone)
        if _opens(prover, start_of(lo), goal):
            return start_of(lo), what
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _opens(prover, start_of(mid), goal):
                hi = mid
            else:
                lo = mid
        return start_of(hi), what
    raise InvestigationError(
        f"{prover.puzzle.id}: its clues leave nothing to investigate (every answer is settled by the clues "
        "that no question can replace); use a larger level"
    )


def _greedy(prover: _Prover, start: list[int]) -> tuple[list[int], list[list[int]]]:
    """A minimal witness (question indices) found counterexample by counterexample, and the
    refuters of every counterexample met."""
    base = prover.start_lits(start)
    chosen: list[int] = []
    seen: list[list[int]] = []
    while (night := prover.other([*base, *(prover.query_lits[q] for q in chosen)])) is not None:
        refute = prover.smallest_refuters(night, [*base, *(prover.query_lits[q] for q in chosen)])
        if not refute:  # full knowledge leaves another answer: _needed guarantees it does not
            raise AssertionError(f"{prover.puzzle.id}: no question rules out a night")
        seen.append(refute)
        hits = {q: 0 for q in refute}
        for row in seen:
            for q in row:
                if q in hits:
                    hits[q] += 1
        chosen.append(max(refute, key=lambda q: (hits[q], -q)))
    if not chosen:
        return [], seen
    keep = _minimal(prover, [prover.query_lits[q] for q in chosen], base)
    return [chosen[k] for k in keep], seen


def _hitting_set(rows: list[list[int]], count: int, hint: list[int]) -> list[int]:
    """The smallest set of questions meeting every row (CP-SAT, single-threaded, deterministic)."""
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"q{i}") for i in range(count)]
    for row in rows:
        m.add_bool_or([x[i] for i in row])
    m.minimize(sum(x))
    for i in hint:
        m.add_hint(x[i], 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(m)
    if status != cp_model.OPTIMAL:
        raise RuntimeError(f"CP-SAT returned {solver.status_name(status)} on a hitting set")
    return [i for i in range(count) if solver.boolean_value(x[i])]


def _prove(prover: _Prover, start: list[int]) -> tuple[list[int], OptimalKind, int]:
    """A witness, whether it is a proven minimum, and the proven lower bound."""
    greedy, rows = _greedy(prover, start)
    if not greedy:
        return [], "minimum", 0
    base = prover.start_lits(start)
    lower = 1
    for _ in range(MAX_HITTING_ROUNDS):
        pick = _hitting_set(rows, len(prover.queries), greedy)
        lower = max(lower, len(pick))
        if lower >= len(greedy):
            return greedy, "minimum", len(greedy)
        night = prover.other([*base, *(prover.query_lits[q] for q in pick)])
        if night is None:
            return pick, "minimum", len(pick)
        rows.append(prover.smallest_refuters(night, base))
    return greedy, "upper_bound", lower


def case_from_puzzle(
    puzzle: Puzzle, withhold: float = DEFAULT_WITHHOLD, cost_per_question: float = DEFAULT_COST_PER_QUESTION
) -> InvestigationCase:
    """The investigation of ``puzzle``'s world (see the module docstring)."""
    if not isinstance(withhold, (int, float)) or not 0.0 <= withhold <= 1.0:
        raise InvestigationError(f"withhold must be a share between 0 and 1, got {withhold!r}")
    rng = seeded_rng("temporal-clue-investigation", puzzle.variant, puzzle.difficulty, puzzle.seed, withhold)
    prover = _Prover(puzzle, int(rng.integers(2**31)))
    start, opens = _choose_start(prover, rng, float(withhold))
    witness, kind, lower = _prove(prover, start)
    queries = tuple(prover.queries[i] for i in sorted(witness))
    return InvestigationCase(
        puzzle=puzzle,
        start=tuple(start),
        budget=budget_for(len(queries)),
        optimal_questions=len(queries),
        optimal_kind=kind,
        lower_bound=lower,
        witness=queries,
        withhold=float(withhold),
        opens=opens,
        cost_per_question=cost_per_question,
    )


def determines(inv: InvestigationCase, queries: Sequence[Query] | None = None) -> bool:
    """Whether the starting clues and the true answers to ``queries`` (default: the witness)
    leave exactly one answer to every question: a check of its own, on a fresh model."""
    model = NightModel(inv.case)
    for clue in inv.clues:
        model.model.add_bool_or([model.literal(clue)])
    for q in inv.witness if queries is None else queries:
        for fact in q.facts(inv.case, inv.night):
            model.model.add_bool_or([model.literal(fact)])
    answers = [model.answer_literal(q, q.answer_index(inv.night)) for q in inv.puzzle.questions]
    model.model.add_bool_or([a.Not() for a in answers])
    solver = new_solver(0)
    status = solver.solve(model.model)
    if status not in (cp_model.INFEASIBLE, cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT returned {solver.status_name(status)}")
    return status == cp_model.INFEASIBLE
