"""The CP-SAT encoding of rules and clues agrees with ``holds`` and ``check_night``."""

import numpy as np
import pytest
from ortools.sat.python import cp_model

from clue_env.case import draw_case
from clue_env.clue_maker import ClueMaker
from clue_env.clues import holds
from clue_env.model import NightModel, new_solver
from clue_env.night import check_night, simulate_night
from clue_env.sizes import Sizes
from clue_env.theme import CLASSIC


@pytest.mark.parametrize(
    "sizes", [Sizes(3, 3, 4, 3, 3), Sizes(5, 3, 6, 4, 2), Sizes(4, 3, 5, 1, 4)], ids=lambda s: s.tag()
)
def test_true_night_satisfies_the_model(sizes):
    for seed in range(5):
        rng = np.random.default_rng(seed)
        case = draw_case(rng, CLASSIC, sizes)
        night = simulate_night(rng, case)
        m = NightModel(case)
        m.model.add_assumptions(m.truth_literals(night))
        solver = new_solver()
        assert solver.solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        assert m.read_night(solver) == night


@pytest.mark.parametrize("sizes", [Sizes(3, 3, 4, 3, 3), Sizes(6, 4, 6, 4, 2)], ids=lambda s: s.tag())
def test_model_nights_obey_rules_and_clue_literals_match_holds(sizes):
    """Solve for nights with random clues forced true or false: every such night is valid
    and every clue literal's value equals ``holds`` on it."""
    rng = np.random.default_rng(11)
    case = draw_case(rng, CLASSIC, sizes)
    night = simulate_night(rng, case)
    maker = ClueMaker(case, night, rng)
    clues = [c for c in (maker.draw() for _ in range(300)) if c is not None]
    model = NightModel(case)
    lits = [model.literal(c) for c in clues]
    solver = new_solver(3)
    checked = 0
    for _ in range(40):
        picks = rng.choice(len(clues), size=3, replace=False)
        model.model.clear_assumptions()
        model.model.add_assumptions([lits[j] if rng.random() < 0.5 else lits[j].Not() for j in picks])
        status = solver.solve(model.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        other = model.read_night(solver)
        assert check_night(case, other) == []
        for clue, lit in zip(clues, lits):
            assert solver.boolean_value(lit) == holds(clue, case, other), clue
        checked += 1
    assert checked >= 20
