"""Play a Temporal Clue puzzle yourself, in a terminal, or investigate a case.

    from agents.human import play_investigation, play_puzzle
    result = play_puzzle(puzzle)           # a clue_env.Puzzle
    result.grade.reward, result.abandoned  # score in [0, 1]; True after q, Ctrl-C or EOF
    result = play_investigation(case)      # a clue_env.investigation.InvestigationCase
    result.score, result.questions         # fraction right - cost per question; the questions asked

``python -m agents.human --variant tiny --seed 3 [--game investigation]`` plays a generated one.
``HumanAgent`` puts a person behind the Agent interface (one game per prompt; one turn of an
investigation per conversation).
"""

from __future__ import annotations

from rich.console import Console

from clue_env.puzzle import Puzzle

from ..config import AgentConfig
from .agent import HumanAgent
from .game import Game, InputFn, PlayResult
from .investigation import Action, InvestigationGame, InvestigationResult, play_investigation
from .matching import match_choice
from .notepad import Notepad
from .sheet import Sheet, sheet_from_case, sheet_from_prompt, sheet_from_puzzle

__all__ = [
    "Action",
    "Game",
    "HumanAgent",
    "InvestigationGame",
    "InvestigationResult",
    "Notepad",
    "PlayResult",
    "Sheet",
    "match_choice",
    "play_investigation",
    "play_prompt",
    "play_puzzle",
    "sheet_from_case",
]


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
