"""agents/human/views.py: what each view shows; the map is the one drawing of
clue_env/layout.py, boxed, with the notepad's marks as styles on the rooms' cells."""

from __future__ import annotations

import pytest
from rich.text import Text

from agents.human.notepad import CIRCLED, CROSSED
from agents.human.sheet import sheet_from_prompt, sheet_from_puzzle
from agents.human.state import VIEWS, GameState
from agents.human.views import TITLES, blocks, map_blocks, map_drawing
from clue_env import generate_puzzle
from clue_env.builtin_variants import TINY


@pytest.fixture(scope="module")
def puzzle():
    return generate_puzzle(TINY, "medium", 1)  # 4 rooms, 3 wide, names up to 14 letters


def styles_at(text: Text, line: int, start: int, end: int) -> set[str]:
    """The styles of the spans covering exactly ``start``..``end`` of line ``line``."""
    offset = sum(len(s) + 1 for s in text.plain.split("\n")[:line])
    return {str(s.style) for s in text.spans if (s.start, s.end) == (offset + start, offset + end)}


def test_the_map_is_the_layouts_boxed_drawing_with_marks_styled(puzzle):
    state = GameState(sheet_from_puzzle(puzzle))
    cat = state.sheet.category("ROOM")
    state.notepad.set("ROOM", cat.names[0], CROSSED)
    state.notepad.set("ROOM", cat.names[2], CIRCLED)
    text, cut = map_drawing(state, 80)
    labels = [s.strip() for s in cat.shown]
    drawing = puzzle.case.layout.drawing(labels, max(map(len, cat.shown)), boxed=True)
    assert not cut
    assert text.plain == drawing.text
    for room, label in enumerate(labels):
        spot = drawing.cells[room]
        assert label in text.plain.split("\n")[spot.line]
        want = {0: {"dim strike"}, 2: {"bold green"}}.get(room, set())
        assert styles_at(text, spot.line, spot.start, spot.end) == want
    for spot in drawing.frame:  # walls, borders and empty cells are dim
        assert styles_at(text, spot.line, spot.start, spot.end) == {"dim"}


def test_a_narrow_map_cuts_names_and_lists_the_rooms_below(puzzle):
    state = GameState(sheet_from_puzzle(puzzle))
    cat = state.sheet.category("ROOM")
    text, cut = map_drawing(state, 40)  # (40 - 11) // 3 - 3 = 6 columns a cell
    assert cut and max(len(line) for line in text.plain.split("\n")) <= 40
    for shown in cat.shown:
        assert (shown if len(shown) <= 6 else shown[:5] + "…") in text.plain
    listed = map_blocks(state, 40)
    assert len(listed) == 3 and all(name in listed[1].plain for name in cat.shown)  # map, rooms, rules
    assert len(map_blocks(state, 80)) == 2  # every name fits its cell: map and rules only


def test_a_bare_prompt_shows_its_own_map_and_the_room_list(puzzle):
    state = GameState(sheet_from_prompt(puzzle.render()))
    first = map_blocks(state, 80)
    assert first[0].plain == puzzle.case.layout.draw()
    assert all(name in first[1].plain for name in puzzle.case.room_names)
    with pytest.raises(ValueError, match="has no puzzle to draw the map of"):
        map_drawing(state, 80)


def test_every_view_has_blocks_and_a_title(puzzle):
    assert set(TITLES) == set(VIEWS)
    state = GameState(sheet_from_puzzle(puzzle))
    for view in VIEWS:
        state.show(view)
        assert blocks(state, 80), view
    state.show("clues")
    assert len(blocks(state, 80)) == len(puzzle.clues)
    state.show("text")
    assert blocks(state, 80)[0].plain == puzzle.render().strip("\n")
