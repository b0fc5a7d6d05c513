"""Every generated puzzle has exactly one answer, checked from its prompt, not by the generator.

The clues are re-derived from the rendered prompt (``prompt_parse.parse_prompt``); then

(a) tiny puzzles: a brute-force search in plain Python (no CP-SAT, no ``clue_env.model``)
    lists every night the prompt's rules allow, on the map drawn in the prompt, and keeps
    those where every clue holds (``clues.holds``). ``pin="night"``: exactly one night is
    left, the puzzle's own. ``pin="answers"``: every night left gives the puzzle's answers.
    The same pass checks minimality: for every clue, some night breaks that clue alone and
    is another night (or gives other answers).
(b) larger puzzles: a fresh CP-SAT model (``NightModel`` supplies the rules) with every
    parsed clue forced true must be infeasible for each wrong option of each question,
    and feasible for the real night; with ``pin="night"``, no other night fits at all.
(c) minimality of larger puzzles: with any single clue removed, a second answer fits (a
    night that the solver finds, then checked with ``clues.holds`` and ``check_night``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import pytest
from ortools.sat.python import cp_model

from clue_env.clues import Clue, clue_text, holds
from clue_env.generate import generate_puzzle
from clue_env.night import Night
from clue_env.prompt_parse import parse_prompt
from clue_env.puzzle import Puzzle
from clue_env.questions import Question
from clue_env.sizes import Levels, Sizes, fixed
from clue_env.theme import CLASSIC
from clue_env.variant import Variant

VARIANT = Variant("classic", "test", CLASSIC, Levels((fixed("t", Sizes(3, 3, 4, 3, 3)),)))
# The same cast with a different clue mix: compound clues and negations dominate.
COMPOUND = Variant(
    "compound",
    "test",
    CLASSIC,
    Levels((fixed("t", Sizes(3, 3, 4, 3, 3)),)),
    clue_weights={"at": 0.1, "same_room": 0.1, "beside": 0.1, "moved": 0.1, "motive": 0.05, "murder": 0.05,
                  "or": 0.3, "xor": 0.3, "iff": 0.3, "not": 0.3},
)  # fmt: skip


def make(variant: Variant, sizes: Sizes, seed: int) -> tuple[Puzzle, list[Clue]]:
    """A puzzle and the clues its prompt states, read back from the text."""
    p = generate_puzzle(variant, sizes, seed=seed)
    parsed = list(parse_prompt(p.render()).clues)
    assert len(parsed) == len(p.clues)
    return p, parsed


def where(sizes: Sizes, seed: int, variant: Variant) -> str:
    return f"variant {variant.name}, sizes {sizes} (tag {sizes.tag()}), seed {seed}"


def answers(p: Puzzle, night: Night) -> tuple[str, ...]:
    return tuple(q.answer(p.case, night) for q in p.questions)


# =========================================================================== (a) brute force


def map_from_prompt(prompt: str) -> dict[int, tuple[int, int]]:
    """Room index -> (column, row) from the map the prompt draws (north is up)."""
    lines = prompt.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("The rooms are laid out like this"))
    body = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if body:
                break
            continue
        body.append(line)
    assert body[0].strip() == "north" and body[-1].strip() == "south", body
    cells: dict[int, tuple[int, int]] = {}
    for y, line in enumerate(body[1:-1]):
        row = re.sub(r"^(west)?\s*", "", line)
        row = re.sub(r"\s*(east)?$", "", row)
        for x, cell in enumerate(row.split("|")):
            cell = cell.strip()
            if cell.isdigit():
                cells[int(cell) - 1] = (x, y)
            else:
                assert set(cell) == {"·"}, f"unexpected map cell {cell!r}"
    return cells


def adjacency(cells: dict[int, tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    at = {xy: r for r, xy in cells.items()}
    out = []
    for r in range(len(cells)):
        x, y = cells[r]
        out.append(tuple(sorted(at[q] for q in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)) if q in at)))
    return tuple(out)


def walks(n_r: int, n_t: int, adj: tuple[tuple[int, ...], ...]) -> list[tuple[int, ...]]:
    """Every sequence of rooms that stays or steps to an adjacent room at each time."""
    out: list[tuple[int, ...]] = [(r,) for r in range(n_r)]
    for _ in range(n_t - 1):
        out = [w + (r,) for w in out for r in (w[-1], *adj[w[-1]])]
    return out


@lru_cache(maxsize=64)
def all_nights(
    n_s: int, n_w: int, n_r: int, n_t: int, adj: tuple[tuple[int, ...], ...], motive_counts: tuple[int, ...]
) -> tuple[Night, ...]:
    """Every night the rules in the prompt allow, straight from the rules.

    - each suspect, and the victim while alive, stays or moves to an adjacent room;
    - a weapon moves from a to b at t only if some suspect moves from a to b at t;
    - the murder: at one time, in one room, the murderer is the only suspect there, with
      the victim and the murder weapon; the victim stays in that room from then on;
    - motives: every assignment with the stated number of suspects per motive.
    """
    paths = walks(n_r, n_t, adj)
    any_rooms = list(itertools.product(range(n_r), repeat=n_t))
    motive_options: list[tuple[int, ...]] = [()]
    if motive_counts:
        motive_options = [
            ms
            for ms in itertools.product(range(len(motive_counts)), repeat=n_s)
            if all(ms.count(m) == c for m, c in enumerate(motive_counts))
        ]
    nights = []
    for sus in itertools.product(paths, repeat=n_s):
        moves = {(t, s[t - 1], s[t]) for s in sus for t in range(1, n_t) if s[t] != s[t - 1]}
        weapon_paths = [
            w for w in any_rooms if all(w[t] == w[t - 1] or (t, w[t - 1], w[t]) in moves for t in range(1, n_t))
        ]
        for t0 in range(n_t):
            for murderer in range(n_s):
                room = sus[murderer][t0]
                if any(sus[s][t0] == room for s in range(n_s) if s != murderer):
                    continue
                victims = [v for v in paths if all(v[t] == room for t in range(t0, n_t))]
                for wpn in itertools.product(weapon_paths, repeat=n_w):
                    for weapon in range(n_w):
                        if wpn[weapon][t0] != room:
                            continue
                        for vic in victims:
                            for motives in motive_options:
                                nights.append(Night(sus, wpn, vic, motives, murderer, weapon, room, t0))
    return tuple(nights)


def brute_force_check(variant: Variant, sizes: Sizes, seed: int) -> int:
    """Check one tiny puzzle by enumeration: one answer, and every clue needed for it.

    Returns how many nights the rules allow.
    """
    p, clues = make(variant, sizes, seed)
    case, prompt, at = p.case, p.render(), where(sizes, seed, variant)
    adj = adjacency(map_from_prompt(prompt))
    assert adj == case.layout.neighbours, f"{at}: the map drawn differs from the layout"
    nights = all_nights(
        len(case.suspects), len(case.weapons), len(case.rooms), len(case.times), adj, case.motive_counts
    )
    assert p.night in nights, f"{at}: the puzzle's own night breaks the stated rules"
    by_night = p.sizes.pin == "night"
    truth = answers(p, p.night)
    fitting: list[Night] = []
    needed: dict[int, Night] = {}  # clue -> a second answer that only this clue rules out
    for night in nights:
        failed = []
        for i, c in enumerate(clues):
            if not holds(c, case, night):
                failed.append(i)
                if len(failed) == 2:
                    break
        if not failed:
            fitting.append(night)
        elif len(failed) == 1 and failed[0] not in needed and (by_night or answers(p, night) != truth):
            needed[failed[0]] = night
    assert p.night in fitting, f"{at}: the puzzle's night does not satisfy its own clues"
    texts = [clue_text(c, case) for c in clues]
    if by_night:
        assert fitting == [p.night], (
            f"{at}: {len(fitting)} nights fit the clues, e.g. {[n for n in fitting if n != p.night][:1]}; "
            f"clues: {texts}"
        )
    else:
        seen = {answers(p, n) for n in fitting}
        assert seen == {tuple(p.solution.values())}, f"{at}: the clues allow several answers {sorted(seen)}; {texts}"
    redundant = [texts[i] for i in range(len(clues)) if i not in needed]
    assert not redundant, f"{at}: clues that can be removed without letting a second answer in: {redundant}"
    return len(nights)


TINY_SIZES = [
    Sizes(2, 2, 2, 1, 0),
    Sizes(2, 2, 3, 1, 2),
    Sizes(2, 2, 3, 2, 0),
    Sizes(2, 2, 2, 2, 2),
    Sizes(2, 2, 3, 2, 2),
    Sizes(2, 2, 2, 3, 2),
    Sizes(3, 2, 3, 1, 2),  # shared motives
    Sizes(3, 3, 4, 1, 3, pin="answers"),
    Sizes(2, 2, 3, 2, 0, bonus_questions=0, pin="answers"),
    Sizes(2, 2, 3, 2, 2, pin="answers"),
    Sizes(2, 2, 3, 2, 2, bonus_questions=1, ask=("who", "where"), pin="answers"),
    Sizes(3, 2, 3, 2, 0, pin="answers"),
]
TINY_SEEDS = range(5)
TINY_CASES = [(VARIANT, s, seed) for s in TINY_SIZES for seed in TINY_SEEDS] + [
    (COMPOUND, s, seed) for s in TINY_SIZES[2:6] for seed in range(3)
]


@pytest.mark.parametrize(
    "variant, sizes, seed", TINY_CASES, ids=[f"{v.name}-{s.tag()}-{seed}" for v, s, seed in TINY_CASES]
)
def test_brute_force_uniqueness(variant: Variant, sizes: Sizes, seed: int) -> None:
    assert brute_force_check(variant, sizes, seed) > 1


SLOW_TINY = [
    Sizes(2, 2, 4, 2, 0),
    Sizes(2, 2, 4, 2, 2, pin="answers"),
    Sizes(3, 2, 3, 2, 0),
    Sizes(2, 3, 3, 2, 0, pin="answers"),
    Sizes(3, 3, 4, 1, 3),
    Sizes(3, 2, 3, 1, 2, pin="answers"),
]


SLOW_TINY_CASES = [(v, s, seed) for s in SLOW_TINY for v in (VARIANT, COMPOUND) for seed in range(20, 35)]


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, sizes, seed", SLOW_TINY_CASES, ids=[f"{v.name}-{s.tag()}-{seed}" for v, s, seed in SLOW_TINY_CASES]
)
def test_brute_force_uniqueness_sweep(variant: Variant, sizes: Sizes, seed: int) -> None:
    brute_force_check(variant, sizes, seed)


# =========================================================================== (b) CP-SAT


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60.0
    # Presolve costs about 4x the search on these small models; the verdict is the same.
    solver.parameters.cp_model_presolve = False
    return solver


@dataclass
class Check:
    """A fresh model of every night the rules allow, with the parsed clues as literals."""

    p: Puzzle
    clues: list[Clue]

    def __post_init__(self) -> None:
        from clue_env.model import NightModel  # the rules only; the checks are ours

        self.nm = NightModel(self.p.case)
        self.lits = [self.nm.literal(c) for c in self.clues]
        self.solver = _solver()

    def solve(self, assumptions: list) -> bool:
        m = self.nm.model
        m.clear_assumptions()
        m.add_assumptions(assumptions)
        status = self.solver.solve(m)
        assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE), self.solver.status_name(status)
        return status != cp_model.INFEASIBLE

    def answer_literal(self, q: Question, option: str):
        """A literal that is true exactly when ``option`` is the answer to ``q``."""
        return self.nm.answer_literal(q, q.options(self.p.case).index(option))

    def witness(self, at: str, without: int | None = None) -> Night:
        """The solver's night, checked independently: the rules and every clue in force."""
        from clue_env.night import check_night

        night = self.nm.read_night(self.solver)
        assert not check_night(self.p.case, night), f"{at}: solver night breaks the rules"
        for i, c in enumerate(self.clues):
            if i != without:
                assert holds(c, self.p.case, night), f"{at}: solver night breaks {clue_text(c, self.p.case)!r}"
        return night


def cpsat_check(variant: Variant, sizes: Sizes, seed: int) -> int:
    """Check one puzzle with CP-SAT; returns the number of solver calls made."""
    p, clues = make(variant, sizes, seed)
    at = where(sizes, seed, variant)
    for c in clues:
        assert holds(c, p.case, p.night), f"{at}: clue {clue_text(c, p.case)!r} is false of the night"
    chk = Check(p, clues)
    calls = 0
    assert chk.solve(chk.lits + chk.nm.truth_literals(p.night)), f"{at}: the real night does not fit the clues"
    calls += 1
    for label, q in zip(p.labels, p.questions):
        right = q.answer(p.case, p.night)
        for option in q.options(p.case):
            if option == right:
                continue
            feasible = chk.solve(chk.lits + [chk.answer_literal(q, option)])
            calls += 1
            if feasible:
                other = chk.witness(at)
                raise AssertionError(
                    f"{at}: question {label} ({q.text(p.case)}) also has answer {option!r} (right: {right!r}); "
                    f"a night that fits every clue: {other}"
                )
    if p.sizes.pin == "night":
        differs = chk.nm.model.new_bool_var("differs")
        chk.nm.model.add_bool_or([x.Not() for x in chk.nm.truth_literals(p.night)]).only_enforce_if(differs)
        feasible = chk.solve(chk.lits + [differs])
        calls += 1
        assert not feasible, f"{at}: a second night fits every clue: {chk.witness(at)}"
    return calls


CPSAT_SIZES = [
    Sizes(4, 3, 4, 3, 4),
    Sizes(5, 4, 6, 3, 5),
    Sizes(6, 4, 6, 4, 2),  # shared motives
    Sizes(5, 4, 9, 4, 0),
    Sizes(4, 4, 5, 1, 4),  # a single time
    Sizes(5, 4, 6, 3, 5, bonus_questions=3, pin="answers"),
    Sizes(6, 4, 6, 4, 3, pin="answers"),
    Sizes(5, 4, 6, 3, 5, bonus_questions=4, ask=("who", "what", "where"), pin="answers"),
]
CPSAT_SEEDS = range(1, 5)
CPSAT_CASES = [(VARIANT, s, seed) for s in CPSAT_SIZES for seed in CPSAT_SEEDS] + [
    (COMPOUND, s, seed) for s in (CPSAT_SIZES[0], CPSAT_SIZES[2], CPSAT_SIZES[6]) for seed in range(2)
]


@pytest.mark.parametrize(
    "variant, sizes, seed", CPSAT_CASES, ids=[f"{v.name}-{s.tag()}-{seed}" for v, s, seed in CPSAT_CASES]
)
def test_cpsat_uniqueness(variant: Variant, sizes: Sizes, seed: int) -> None:
    assert cpsat_check(variant, sizes, seed) > 5


# Puzzles the generator got wrong: a second answer fits every clue. Cause (found with
# these tests): ``selection._reduce`` keeps only the clues in CP-SAT's
# ``sufficient_assumptions_for_infeasibility()`` after the selection loop, and under
# ``model.new_solver()``'s parameters (``cp_model_probing_level=0`` is the one that matters)
# that core is not sufficient: the kept clues no longer rule the other night out. The
# generator is not fixed here; these tests fail until it is.
KNOWN_NOT_UNIQUE = [
    pytest.param(VARIANT, Sizes(5, 4, 9, 4, 0), 0, id="classic-s5w4r9t4m0b2-0"),  # C: the room may be another
    pytest.param(VARIANT, Sizes(6, 4, 6, 4, 2), 118, id="classic-s6w4r6t4m2b2-118"),  # G: a bonus "where"
    pytest.param(COMPOUND, Sizes(8, 6, 12, 5, 8), 10, id="compound-s8w6r12t5m8b2-10", marks=pytest.mark.slow),
    pytest.param(
        VARIANT,
        Sizes(10, 8, 16, 6, 10, bonus_questions=4, pin="answers"),
        3,
        id="classic-s10w8r16t6m10b4-answers-3",
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.parametrize("variant, sizes, seed", KNOWN_NOT_UNIQUE)
def test_generator_bug_insufficient_core(variant: Variant, sizes: Sizes, seed: int) -> None:
    try:
        cpsat_check(variant, sizes, seed)
    except AssertionError as err:
        raise AssertionError(
            f"GENERATOR BUG: puzzle {variant.name} {sizes.tag()} seed {seed} has a second answer. selection._reduce trusted "
            "CP-SAT's unsat core (sufficient_assumptions_for_infeasibility) after the selection loop, and with "
            "cp_model_probing_level=0 that core is not sufficient, so clues the proof needed were dropped. "
            f"Details: {err}"
        ) from None


SLOW_CPSAT = [  # (sizes, seeds per variant)
    (Sizes(8, 6, 12, 5, 8), 6),
    (Sizes(8, 6, 12, 5, 3), 4),
    (Sizes(10, 8, 16, 6, 10, bonus_questions=4, pin="answers"), 2),
    (Sizes(7, 5, 9, 6, 0, minutes_per_step=30), 4),
    (Sizes(6, 6, 9, 1, 6), 8),
    (Sizes(6, 5, 9, 4, 6, bonus_questions=4, ask=("who", "what", "where"), pin="answers"), 6),
]
SLOW_CPSAT_CASES = [(v, s, seed) for s, n in SLOW_CPSAT for v in (VARIANT, COMPOUND) for seed in range(10, 10 + n)]


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, sizes, seed", SLOW_CPSAT_CASES, ids=[f"{v.name}-{s.tag()}-{seed}" for v, s, seed in SLOW_CPSAT_CASES]
)
def test_cpsat_uniqueness_sweep(variant: Variant, sizes: Sizes, seed: int) -> None:
    cpsat_check(variant, sizes, seed)


# =========================================================================== (c) minimality


def minimality_check(variant: Variant, sizes: Sizes, seed: int) -> None:
    """Removing any one clue lets a second answer (pin="answers") or night (pin="night") in."""
    p, clues = make(variant, sizes, seed)
    at = where(sizes, seed, variant)
    chk = Check(p, clues)
    nm = chk.nm
    if p.sizes.pin == "night":
        pinned = nm.truth_literals(p.night)
    else:
        pinned = [chk.answer_literal(q, q.answer(p.case, p.night)) for q in p.questions]
    differs = nm.model.new_bool_var("differs")
    nm.model.add_bool_or([x.Not() for x in pinned]).only_enforce_if(differs)
    if chk.solve(chk.lits + [differs]):
        raise AssertionError(f"{at}: the clues leave a second answer, e.g. the night {chk.witness(at)}")
    for i, c in enumerate(clues):
        rest = chk.lits[:i] + chk.lits[i + 1 :]
        assert chk.solve(rest + [differs]), f"{at}: clue {clue_text(c, p.case)!r} is redundant"
        other = chk.witness(at, without=i)
        if p.sizes.pin == "night":
            assert other != p.night
        else:
            assert answers(p, other) != answers(p, p.night), f"{at}: the solver's night gives the same answers"


MINIMAL_CASES = [
    (VARIANT, Sizes(4, 3, 4, 3, 4), 0),
    (VARIANT, Sizes(6, 4, 6, 4, 2), 1),
    (VARIANT, Sizes(3, 3, 4, 1, 0), 2),
    (VARIANT, Sizes(5, 4, 6, 3, 5, pin="answers"), 3),
    (VARIANT, Sizes(6, 4, 6, 4, 3, bonus_questions=3, pin="answers"), 4),
    (COMPOUND, Sizes(4, 3, 4, 3, 4), 5),
    (COMPOUND, Sizes(5, 4, 6, 3, 5, pin="answers"), 6),
]


@pytest.mark.parametrize(
    "variant, sizes, seed", MINIMAL_CASES, ids=[f"{v.name}-{s.tag()}-{seed}" for v, s, seed in MINIMAL_CASES]
)
def test_minimality(variant: Variant, sizes: Sizes, seed: int) -> None:
    minimality_check(variant, sizes, seed)


SLOW_MINIMAL_CASES = [
    (VARIANT, Sizes(8, 6, 12, 5, 8), 0),
    (VARIANT, Sizes(8, 6, 12, 5, 3), 1),
    (COMPOUND, Sizes(8, 6, 12, 5, 3), 2),
    (VARIANT, Sizes(10, 8, 16, 6, 10, bonus_questions=4, pin="answers"), 4),
    (VARIANT, Sizes(6, 5, 9, 4, 6, bonus_questions=4, ask=("who", "what", "where"), pin="answers"), 5),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, sizes, seed",
    SLOW_MINIMAL_CASES,
    ids=[f"{v.name}-{s.tag()}-{seed}" for v, s, seed in SLOW_MINIMAL_CASES],
)
def test_minimality_sweep(variant: Variant, sizes: Sizes, seed: int) -> None:
    minimality_check(variant, sizes, seed)


def test_counts() -> None:
    """The default run checks at least 100 puzzles for uniqueness."""
    assert len(TINY_CASES) + len(CPSAT_CASES) >= 100
