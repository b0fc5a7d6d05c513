"""The one map drawing (Layout.drawing): the prompt's map stays byte for byte what it was,
and the boxed map of the terminal game puts every label and piece of frame where it says."""

from __future__ import annotations

import itertools

import pytest

from clue_env.layout import Layout
from clue_env.theme import CLASSIC

LAYOUTS = [Layout(w, n) for n in range(1, 18) for w in range(1, 6) if w <= n]
ROOM_NAMES = [r.name for r in CLASSIC.rooms]


def reference_draw(layout: Layout, labels: list[str] | None = None) -> str:
    """``Layout.draw`` as it was before the drawing was shared with the terminal game, copied
    here unchanged as the reference: every prompt contains this map, so a byte that moved
    would change every puzzle's prompt (and its hash-derived ids and datasets)."""
    digits = len(str(layout.count))
    labels = labels or [str(i + 1).zfill(digits) for i in range(layout.count)]
    cell = max(len(s) for s in labels)
    blank = "·" * cell
    rows = []
    for y in range(layout.height):
        cells = [labels[r] if (r := layout.room_at(x, y)) is not None else blank for x in range(layout.width)]
        rows.append(" | ".join(c.rjust(cell) for c in cells))
    inner = len(rows[0])
    pad = " " * 5
    north = pad + "north".center(inner).rstrip()
    south = pad + "south".center(inner).rstrip()
    body = []
    middle = len(rows) // 2
    for i, row in enumerate(rows):
        left = "west" if i == middle else ""
        right = "east" if i == middle else ""
        body.append((left.ljust(5) + row + (" " + right if right else "")).rstrip())
    return "\n".join([north, *body, south])


def label_sets(count: int) -> list[list[str] | None]:
    """Default numbers, no labels, one letter, room names, numbered names, wide characters."""
    names = list(itertools.islice(itertools.cycle(ROOM_NAMES), count))
    return [
        None,
        [],
        [chr(ord("A") + i % 26) for i in range(count)],
        names,
        [f"{i + 1} {name}" for i, name in enumerate(names)],
        ["Salle à manger" if i % 3 == 0 else f"Pièce {i}" for i in range(count)],
        ["x" * (1 + i % 4) for i in range(count)],
    ]


def test_draw_is_byte_identical_to_the_original_over_many_layouts():
    checked = 0
    for layout in LAYOUTS:
        for labels in label_sets(layout.count):
            assert layout.draw(labels) == reference_draw(layout, labels), (layout, labels)
            checked += 1
    assert len(LAYOUTS) == 75 and checked == 75 * 7


def test_plain_drawing_spots_hold_the_right_aligned_labels():
    for layout in LAYOUTS:
        labels = label_sets(layout.count)[4]
        drawing = layout.drawing(labels)
        cell = max(map(len, labels))
        assert drawing.text == layout.draw(labels)
        for room, spot in enumerate(drawing.cells):
            assert drawing.lines[spot.line][spot.start : spot.end] == labels[room].rjust(cell)
        for spot in drawing.frame:
            assert drawing.lines[spot.line][spot.start : spot.end] in ("| ", "·" * cell)


@pytest.mark.parametrize("layout", [Layout(1, 1), Layout(3, 7), Layout(4, 13), Layout(5, 17), Layout(2, 2)])
def test_boxed_drawing_puts_every_label_and_wall_where_it_says(layout):
    labels = [f"{i + 1} {name}" for i, name in enumerate(itertools.islice(itertools.cycle(ROOM_NAMES), layout.count))]
    cell = max(map(len, labels)) + 2
    drawing = layout.drawing(labels, cell, boxed=True)
    lines = drawing.lines
    assert len(lines) == 2 * layout.height + 3  # north, a border above each row and below the last, south
    assert lines[0].strip() == "north" and lines[-1].strip() == "south"
    grid_width = 5 + layout.width * (cell + 3) + 1
    assert all(len(line) == grid_width for line in lines[1:-1] if not line.endswith("east"))
    assert all(line == line.rstrip() for line in lines)
    middle = lines[2 + 2 * (layout.height // 2)]
    assert middle.startswith("west │") and middle.endswith("│ east")
    covered = [[False] * len(line) for line in lines]
    for room, spot in enumerate(drawing.cells):  # rooms row by row, labels left-aligned in full-width cells
        assert spot.line == 2 + 2 * (room // layout.width)
        assert lines[spot.line][spot.start : spot.end] == labels[room].ljust(cell)
        covered[spot.line][spot.start : spot.end] = [True] * cell
    for spot in drawing.frame:
        piece = lines[spot.line][spot.start : spot.end]
        assert piece in ("│ ", "│", "·" * cell) or set(piece.strip()) <= set("┌┬┐├┼┤└┴┘─"), piece
        assert not any(covered[spot.line][spot.start : spot.end]), spot  # pieces never overlap
        covered[spot.line][spot.start : spot.end] = [True] * (spot.end - spot.start)
    empty = layout.width * layout.height - layout.count
    assert sum(p == "·" * cell for p in (lines[s.line][s.start : s.end] for s in drawing.frame)) == empty
    for line, done in zip(lines, covered):  # what no spot covers is blank or a compass point
        rest = "".join(" " if c else ch for ch, c in zip(line, done))
        assert set(rest.split()) <= {"north", "south", "west", "east"}, line


def test_bad_labels_and_widths_are_refused_with_what_to_do():
    layout = Layout(2, 3)
    with pytest.raises(ValueError, match="3 rooms but 2 labels"):
        layout.drawing(["a", "b"])
    with pytest.raises(ValueError, match="3 rooms but 4 labels"):
        layout.draw(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="too narrow for the label 'Kitchen'.*at least 7"):
        layout.drawing(["Hall", "Kitchen", "Study"], cell=5, boxed=True)
    with pytest.raises(ValueError, match="blanks at its ends"):
        layout.drawing(["Hall", " Study", "Den"])
    with pytest.raises(ValueError, match="spans lines"):
        layout.drawing(["Hall", "Dining\nRoom", "Den"])
    with pytest.raises(ValueError, match="no room for a label"):
        layout.drawing(["", "", ""])
