"""The command line between screens: its grammar (a letter, then a page number or an
argument), the help's list of commands, and what each command does to the game state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rich.text import Text

from .matching import describe_choices, match_choice
from .notepad import CIRCLED, CROSSED
from .sheet import Category, Sheet
from .state import GameState

# A letter (or ?), then nothing, a number, or (after a blank) any text.
_COMMAND = re.compile(r"^\s*([a-zA-Z?])(?:\s*(\d+)\s*$|\s+(.*?)\s*$|\s*$)")

HELP_ROWS = (
    ("s [N]", "the case: cast, map and questions (page N)"),
    ("c [N]", "the clues, page N (Enter shows the next page)"),
    ("m", "the map and the rules"),
    ("t [N]", "the puzzle's whole text, as a model reads it"),
    ("p", "the detective's notepad"),
    ("x NAME", "cross out a suspect, weapon, room, time or motive"),
    ("o NAME", "circle a candidate you believe in"),
    ("u NAME", "clear the mark on a candidate"),
    ("n TEXT", "write a note on the notepad;  d N  deletes note N"),
    ("a", "answer the questions (then y to submit)"),
    ("h", "this help"),
    ("q", "quit without answering"),
)

# An investigation's commands besides those: asking, and the answers so far.
ASK_ROWS = (
    ("i [QUESTION]", "ask the witness a question (i alone: pick one from a menu)"),
    ("l [N]", "what you learned: each question asked and its answer"),
)


def help_rows(investigating: bool) -> tuple[tuple[str, str], ...]:
    """The help's commands: HELP_ROWS, with ASK_ROWS before answering in an investigation."""
    if not investigating:
        return HELP_ROWS
    at = next(i for i, (cmd, _) in enumerate(HELP_ROWS) if cmd == "a")
    answer = ("a", "accuse: answer the questions (then y to submit); ends the case")
    return (*HELP_ROWS[:at], *ASK_ROWS, answer, *HELP_ROWS[at + 1 :])


VIEW_KEYS = {"s": "case", "c": "clues", "m": "map", "p": "notes", "t": "text", "h": "help", "?": "help", "l": "learned"}
MARKS = {"x": CROSSED, "o": CIRCLED, "u": None}
_MARK_VERBS = {"x": "Crossed out", "o": "Circled", "u": "Cleared"}

# What the game loop does after a command: go on to the next screen, answer, or quit.
Next = Literal["screen", "answer", "quit"]


@dataclass(frozen=True)
class Command:
    """A parsed command line: ``key`` lower-cased; ``number`` the digits right after it
    ("c 2", "c2"); ``rest`` the text after a blank ("x scar"), when not a number."""

    key: str
    number: str | None = None
    rest: str | None = None

    @property
    def bare(self) -> bool:
        return not self.number and not self.rest

    @property
    def argument(self) -> str:
        return self.rest or self.number or ""


def parse(text: str) -> Command | None:
    """``text`` as a command, or None when it does not follow the grammar."""
    m = _COMMAND.match(text)
    if not m:
        return None
    return Command(m.group(1).lower(), m.group(2), m.group(3))


def execute(state: GameState, line: str) -> Next:
    """Do what the command ``line`` says to ``state`` (an empty line turns the page); say
    on the message line what went wrong, if anything."""
    text = line.strip()
    if not text:
        if state.page < state.pages:
            state.page += 1
        return "screen"
    cmd = parse(text)
    if cmd is None:
        _unknown(state, text)
        return "screen"
    key = cmd.key
    if key == "l" and state.inquiry is None:  # only an investigation has answers to show
        _unknown(state, text)
    elif key in VIEW_KEYS and not cmd.rest:
        state.show(VIEW_KEYS[key], int(cmd.number) if cmd.number else 1)
    elif key in MARKS and not cmd.bare:
        mark(state, key, cmd.argument)
    elif key in MARKS:
        state.say(f"{key} what? For example: {key} {example(state.sheet)}", "yellow")
    elif key == "n" and not cmd.bare:
        state.notepad.notes.append(cmd.argument)
        state.show("notes")
        state.say(f"Note {len(state.notepad.notes)} written.", "green")
    elif key == "d" and cmd.number:
        delete_note(state, int(cmd.number))
    elif key == "d":
        state.say("d N deletes note N (p shows the notes).", "yellow")
    elif key == "a" and cmd.bare:
        return "answer"
    elif key == "q" and cmd.bare:
        return "quit"
    else:
        _unknown(state, text)
    return "screen"


def example(sheet: Sheet) -> str:
    """A name to show in a usage hint: the first suspect (or the first candidate)."""
    cat = sheet.category("SUSPECT") or (sheet.categories[0] if sheet.categories else None)
    return cat.names[0] if cat else "NAME"


def _unknown(state: GameState, text: str) -> None:
    state.say(f"Unknown command {text[:30]!r}: h lists the commands.", "yellow")


def delete_note(state: GameState, k: int) -> None:
    """Delete note ``k`` (1-based) and show the notepad."""
    if 1 <= k <= len(state.notepad.notes):
        del state.notepad.notes[k - 1]
        state.say(f"Note {k} deleted.", "green")
    else:
        state.say(f"There is no note {k}.", "yellow")
    state.show("notes")


def find(sheet: Sheet, part: str) -> list[tuple[Category, str]]:
    """The candidates ``part`` may name, in any category: a whole name beats prefixes
    elsewhere, and a bare number is a room."""
    found: list[tuple[Category, str]] = []
    for cat in sheet.categories:
        found += [(cat, name) for name in match_choice(part, cat.names, numbered=cat.numbered)]
    if len(found) > 1:
        exact = [(c, n) for c, n in found if n.casefold() == part.casefold()]
        if not exact and part.isdigit():
            exact = [(c, n) for c, n in found if c.numbered]
        found = exact or found
    return found


def mark(state: GameState, key: str, arg: str) -> None:
    """Mark (``key`` x, o or u) each of the comma-separated names in ``arg``, then show the
    notepad; the message says what was marked and which names were not understood."""
    if not state.sheet.categories:
        state.say("This puzzle's candidates could not be read from its text: use notes (n TEXT).", "yellow")
        return
    done, problems = [], []
    for part in (p.strip() for p in arg.split(",")):
        if not part:
            continue
        found = find(state.sheet, part)
        if len(found) == 1:
            cat, name = found[0]
            state.notepad.set(cat.kind, name, MARKS[key])
            done.append(name)
        elif not found:
            problems.append(f"{part!r} names no suspect, weapon, room, time or motive")
        else:
            problems.append(f"{part!r} could be {describe_choices([n for _, n in found])}: type more letters")
    state.show("notes")
    message = Text()
    if done:
        message.append(f"{_MARK_VERBS[key]} {', '.join(done)}.", style="green")
    if problems:
        if done:
            message.append(" ")
        message.append("; ".join(problems) + ".", style="yellow")
    state.message = message
