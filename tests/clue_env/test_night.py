import numpy as np
import pytest

from clue_env.case import draw_case
from clue_env.layout import Layout, choose_width
from clue_env.night import check_night, simulate_night
from clue_env.sizes import Sizes
from clue_env.theme import CLASSIC

SIZES = [
    Sizes(1, 1, 2),
    Sizes(2, 2, 2, 1),
    Sizes(3, 3, 4, 3, 3),
    Sizes(10, 2, 2, 4, 10),
    Sizes(6, 4, 6, 4, 2),
    Sizes(10, 8, 17, 12, 10),
]


@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: s.tag())
def test_simulated_nights_obey_every_rule(sizes):
    for seed in range(30):
        rng = np.random.default_rng(seed)
        case = draw_case(rng, CLASSIC, sizes)
        night = simulate_night(rng, case)
        assert check_night(case, night) == []
        assert len(night.suspect_rooms) == sizes.suspects
        assert all(len(r) == sizes.times for r in night.suspect_rooms)


def test_check_night_finds_broken_rules():
    rng = np.random.default_rng(0)
    case = draw_case(rng, CLASSIC, Sizes(3, 2, 9, 3))
    night = simulate_night(rng, case)
    far = [
        r
        for r in range(9)
        if r != night.suspect_rooms[0][0] and r not in case.layout.neighbours[night.suspect_rooms[0][0]]
    ][0]
    rooms = list(night.suspect_rooms)
    rooms[0] = (rooms[0][0], far, far)
    from dataclasses import replace

    broken = replace(night, suspect_rooms=tuple(rooms))
    assert any("not adjacent" in p for p in check_night(case, broken))


def test_shared_motive_counts():
    rng = np.random.default_rng(4)
    case = draw_case(rng, CLASSIC, Sizes(9, 3, 5, 2, 3))
    assert len(case.motives) == 3 and sum(case.motive_counts) == 9 and min(case.motive_counts) >= 1
    assert not case.unique_motives
    night = simulate_night(rng, case)
    assert sorted(night.motives.count(m) for m in range(3)) == sorted(case.motive_counts)


def test_layout_neighbours_and_map():
    layout = Layout(4, 13)
    assert layout.height == 4
    assert layout.toward(0, "east") == 1 and layout.toward(0, "south") == 4
    assert layout.toward(0, "north") is None and layout.toward(12, "east") is None
    assert layout.neighbours[12] == (8,)
    drawing = layout.draw()
    assert "north" in drawing and "south" in drawing and "west" in drawing and "east" in drawing
    assert "13" in drawing
    for n in range(2, 18):
        w = choose_width(n, 0.5)
        assert 1 <= w <= n
        lay = Layout(w, n)
        # connected: every room reachable from room 0
        seen, todo = {0}, [0]
        while todo:
            for q in lay.neighbours[todo.pop()]:
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        assert len(seen) == n
