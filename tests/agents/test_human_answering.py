"""agents/human/answering.py: the answer wizard on a hand-made sheet, driven with scripted
lines (no puzzle to generate)."""

from __future__ import annotations

import io

from rich.console import Console

from agents.human.answering import Answering
from agents.human.notepad import CROSSED
from agents.human.pager import Pager
from agents.human.sheet import Ask, Category, Sheet
from agents.human.state import GameState

SUSPECTS = ("Miss Scarlet", "Mr. Green", "Mrs. White")
WEAPONS = ("Rope", "Candlestick")
SHEET = Sheet(
    id="hand/2",
    title="hand/2",
    categories=(
        Category("SUSPECT", "Suspects", SUSPECTS, SUSPECTS),
        Category("WEAPON", "Weapons", WEAPONS, WEAPONS),
    ),
    questions=(
        Ask("A", "Who did it?", "SUSPECT", SUSPECTS, category="SUSPECT"),
        Ask("B", "With what?", "WEAPON", WEAPONS, category="WEAPON"),
        Ask("C", "Anything to add?", None, None, bonus=True),
    ),
    solution={"A": "Mr. Green", "B": "Rope", "C": "no"},
    options={"A": list(SUSPECTS), "B": list(WEAPONS)},
    prompt="A puzzle.",
)


def wizard(lines: list[str], reveal: bool = True, state: GameState | None = None):
    console = Console(file=io.StringIO(), width=80, height=24)
    script = list(lines)
    screens: list[str] = []  # what each screen printed

    def read(prompt: str = "") -> str:
        out = console.file.getvalue()
        screens.append(out[sum(map(len, screens)) :])
        if not script:
            raise EOFError
        return script.pop(0)

    state = state or GameState(SHEET)
    return Answering(state, Pager(console, read), reveal), state, screens, console


def test_defaults_come_from_the_notepad_and_free_text_is_taken_as_typed():
    answering, state, screens, console = wizard(["", "r", "no", "y"])
    state.notepad.set("SUSPECT", "Miss Scarlet", CROSSED)
    state.notepad.set("SUSPECT", "Mrs. White", CROSSED)  # Mr. Green is the only one left: Enter takes him
    result = answering.run()
    assert "Enter = Mr. Green" in screens[0]
    assert result.answers == {"A": "Mr. Green", "B": "Rope", "C": "no"}
    assert result.grade.reward == 1.0 and not result.abandoned
    assert "Score: 3/3 (100%)" in console.file.getvalue()


def test_without_reveal_the_answers_are_recorded_not_scored():
    answering, _, _, console = wizard(["green", "rope", "yes", "y"], reveal=False)
    result = answering.run()
    assert result.grade.correct == {"A": True, "B": True, "C": False}
    out = console.file.getvalue()
    assert "Your answers are recorded." in out and "Score:" not in out


def test_enter_without_a_default_and_a_bad_review_reply_say_what_to_type():
    lines = ["", "g", "c", "nothing", "?", "b", "rope", "n"]
    answering, state, screens, _ = wizard(lines)
    assert answering.run() is None  # n at the review: back to the case, answers kept
    assert "Type an answer (or < to go back, ! to leave)." in screens[1] and "Who did it?" in screens[1]
    assert "Submit? (y/n/label)" in screens[4]
    assert "Type y to submit, n to go back, or a label (A–C) to change that answer." in screens[5]
    assert "Answering question 2 of 3" in screens[6]  # b: back to B, then straight to the review
    assert len(screens) == 8
    assert state.answers == {"A": "Mr. Green", "B": "Rope", "C": "nothing"}
    assert state.take_message().plain == "Answers kept: a comes back to them."


def test_leaving_keeps_the_answers_and_coming_back_asks_the_open_ones():
    answering, state, _, _ = wizard(["white", "!"])
    assert answering.run() is None
    assert state.answers == {"A": "Mrs. White"}
    again, _, screens, _ = wizard(["<", "<"], state=state)
    assert again.run() is None  # opens on B (the first open question); < twice leaves from A
    assert "Answering question 2 of 3" in screens[0] and "Answering question 1 of 3" in screens[1]
    assert "Enter = Mrs. White" in screens[1]  # the answer given before is offered again
