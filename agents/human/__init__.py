"""Play a Temporal Clue puzzle yourself, in a terminal.

    from agents.human import play_puzzle
    result = play_puzzle(puzzle)           # a clue_env.Puzzle
    result.grade.reward, result.abandoned  # score in [0, 1]; True after q, Ctrl-C or EOF

``python -m agents.human --variant tiny --seed 3`` plays a generated puzzle.
``HumanAgent`` puts a person behind the Agent interface (one game per prompt).
"""

from __future__ import annotations

from rich.console import Console

from clue_env.puzzle import Puzzle

from ..config import AgentConfig
from .agent import HumanAgent
from .game import Game, InputFn, PlayResult
from .matching import match_choice
from .notepad import Notepad
from .sheet import Sheet, sheet_from_prompt, sheet_from_puzzle

__all__ = ["Game", "HumanAgent", "Notepad", "PlayResult", "Sheet", "match_choice", "play_prompt", "play_puzzle"]


def play_puzzle(puzzle: Puzzle, console: Console | None = None, input_fn: InputFn = input) -> PlayResult:
    """Play ``puzzle`` on ``console`` (a new one on the terminal by default), reading lines
    with ``input_fn``. Returns the answers and their grade; Ctrl-C, EOF and ``q`` end the
    game cleanly with a result marked ``abandoned``. Never raises KeyboardInterrupt."""
    return Game(sheet_from_puzzle(puzzle), console, input_fn).run()


def play_prompt(
    prompt: str,
    console: Console | None = None,
    input_fn: InputFn = input,
    options: dict[str, list[str]] | None = None,
    solution: dict[str, str] | None = None,
    puzzle_id: str = "puzzle",
) -> PlayResult:
    """Play a puzzle known only by its prompt text: the text is shown page by page and each
    question is asked with the options read from it (``options_from_prompt``) unless given.
    With ``solution`` the answers are graded and the score shown."""
    return Game(sheet_from_prompt(prompt, options, solution, puzzle_id), console, input_fn).run()


def create_human(config: AgentConfig) -> HumanAgent:
    """The factory behind ``clue eval --agent human``: a person answers each prompt."""
    return HumanAgent()
