"""agents/human/commands.py: the command grammar and what each command does to the game
state, on a hand-made sheet (no puzzle to generate)."""

from __future__ import annotations

import pytest

from agents.human.commands import Command, execute, parse
from agents.human.notepad import CIRCLED, CROSSED
from agents.human.sheet import Ask, Category, Sheet
from agents.human.state import GameState

ROOMS = ("Hall", "Hall of Mirrors", "Study")
SHEET = Sheet(
    id="hand/1",
    title="hand/1 · 2 clues · 2 questions",
    categories=(
        Category(
            "SUSPECT",
            "Suspects",
            ("Miss Scarlet", "Mr. Green", "Mrs. White"),
            ("Miss Scarlet", "Mr. Green", "Mrs. White"),
        ),
        Category("WEAPON", "Weapons", ("Rope", "Candlestick"), ("Rope", "Candlestick")),
        Category("ROOM", "Rooms", ROOMS, tuple(f"{i + 1} {r}" for i, r in enumerate(ROOMS))),
        Category("TIME", "Times", ("01:00 AM", "03:00 AM"), ("01:00 AM", "03:00 AM")),
    ),
    questions=(Ask("A", "Who?", "SUSPECT", ("Miss Scarlet", "Mr. Green", "Mrs. White"), category="SUSPECT"),),
    solution=None,
    options=None,
    prompt="A puzzle.",
    clues=("Miss Scarlet was in the Hall.", "Nobody was in the Study at 3."),
)


@pytest.mark.parametrize(
    "text, command",
    [
        ("c", Command("c")),
        ("C 2", Command("c", "2")),
        ("c2", Command("c", "2")),
        ("  x  scar , rope ", Command("x", None, "scar , rope")),
        ("x 3", Command("x", "3")),
        ("?", Command("?")),
        ("n 10 pm is late", Command("n", None, "10 pm is late")),
        ("xx", None),
        ("12", None),
        ("c2b", None),
        ("", None),
    ],
)
def test_the_grammar_is_a_letter_then_a_number_or_text(text, command):
    assert parse(text) == command


def test_views_pages_and_enter_turning_the_page():
    state = GameState(SHEET)
    assert execute(state, "c 3") == "screen" and (state.view, state.page) == ("clues", 3)
    assert execute(state, "m 0") == "screen" and (state.view, state.page) == ("map", 1)
    state.pages = 2
    execute(state, "")
    assert state.page == 2
    execute(state, "   ")  # the last page: Enter stays
    assert state.page == 2
    for key, view in (("s", "case"), ("p", "notes"), ("t", "text"), ("h", "help"), ("?", "help")):
        execute(state, key)
        assert state.view == view
    assert state.message is None


def test_marks_prefer_whole_names_and_read_a_bare_number_as_a_room():
    state = GameState(SHEET)
    execute(state, "x hall, 1 am, scar")  # "hall" is the Hall, not the Hall of Mirrors; "1 am" a time
    execute(state, "o 3")  # room 3, not 03:00 AM
    assert state.notepad.marks == {
        "ROOM": {"Hall": CROSSED, "Study": CIRCLED},
        "TIME": {"01:00 AM": CROSSED},
        "SUSPECT": {"Miss Scarlet": CROSSED},
    }
    assert state.view == "notes"
    execute(state, "u hall, m, zzz")
    assert "Hall" not in state.notepad.marks["ROOM"]
    message = state.take_message().plain
    assert message == (
        "Cleared Hall. 'm' could be Miss Scarlet, Mr. Green, Mrs. White, Hall of Mirrors: type more letters; "
        "'zzz' names no suspect, weapon, room, time or motive."
    )
    assert state.take_message() is None  # shown once


def test_notes_are_written_and_deleted_by_number():
    state = GameState(SHEET)
    execute(state, "n 42")
    execute(state, "n Green lies")
    assert state.notepad.notes == ["42", "Green lies"] and state.view == "notes"
    execute(state, "d 0")
    assert state.take_message().plain == "There is no note 0."
    execute(state, "d 1")
    assert state.notepad.notes == ["Green lies"]
    execute(state, "d")
    assert state.take_message().plain == "d N deletes note N (p shows the notes)."


@pytest.mark.parametrize(
    "line, message",
    [
        ("x", "x what? For example: x Miss Scarlet"),
        ("a now", "Unknown command 'a now': h lists the commands."),
        ("q 2", "Unknown command 'q 2': h lists the commands."),
        ("h me", "Unknown command 'h me': h lists the commands."),
        (
            "frobnicate the butler at once, please",
            "Unknown command 'frobnicate the butler at once,': h lists the commands.",
        ),
    ],
)
def test_commands_that_do_not_fit_say_so(line, message):
    state = GameState(SHEET)
    assert execute(state, line) == "screen"
    assert state.take_message().plain == message
    assert state.view == "case" and not state.notepad.marks


def test_answer_and_quit_are_left_to_the_loop():
    state = GameState(SHEET)
    assert execute(state, "a") == "answer"
    assert execute(state, " Q ") == "quit"


def test_marking_without_candidates_points_to_notes():
    bare = Sheet("bare", "bare", (), (Ask("", "Your answer", None, None),), None, None, "Some text.")
    state = GameState(bare, view="text")
    execute(state, "x scar")
    assert "use notes (n TEXT)" in state.take_message().plain
    assert state.view == "text" and not state.notepad.marks


def test_an_unknown_view_is_refused():
    with pytest.raises(ValueError, match="unknown view 'board': the views are case, clues"):
        GameState(SHEET, view="board")
    with pytest.raises(ValueError, match="unknown view 'board'"):
        GameState(SHEET).show("board")
