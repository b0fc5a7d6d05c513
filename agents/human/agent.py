"""A person behind the Agent interface: each prompt becomes a game in the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console

from agents.base import Completion, SamplingConfig
from clue_env.puzzle import READABLE_FORMATS, Puzzle, Task

from .game import Game, InputFn, PlayResult
from .sheet import Sheet, sheet_from_prompt, sheet_from_puzzle


class HumanAgent:
    """Answers prompts by asking the person at the terminal.

    Give it the puzzles (``Puzzle`` or ``Task``) it will be asked about to get the full
    game (map, notepad, answers checked against each question's options); a prompt it does
    not know is shown as text and its questions are asked with the options read from it.

    A person answers once: with ``sampling.n > 1`` the same completion is repeated. Games
    run one after another and block the event loop while the person types (input cannot
    be read from another thread and still stop on Ctrl-C). An abandoned game (``q``, EOF)
    gives a completion with ``error`` set and empty text; Ctrl-C also abandons the
    prompts still to come.
    """

    name = "human"

    def __init__(
        self, puzzles: Iterable[Puzzle | Task] = (), console: Console | None = None, input_fn: InputFn = input
    ):
        self.console = console or Console()
        self.input_fn = input_fn
        self._known: dict[str, Puzzle | Task] = {}
        for item in puzzles:
            self.add(item)

    def add(self, item: Puzzle | Task) -> None:
        """Make a puzzle known, so its prompt gets the full game."""
        prompt = item.render() if isinstance(item, Puzzle) else item.prompt
        self._known[prompt] = item

    def sheet(self, prompt: str) -> Sheet:
        item = self._known.get(prompt)
        if isinstance(item, Puzzle):
            return sheet_from_puzzle(item)
        if isinstance(item, Task):
            if item.record.get("format") in READABLE_FORMATS:
                try:
                    puzzle = Puzzle.from_record(item.record)
                except (KeyError, TypeError, ValueError):
                    puzzle = None
                if puzzle is not None and puzzle.render() == prompt:
                    return sheet_from_puzzle(puzzle)
            return sheet_from_prompt(prompt, item.options, item.solution, item.id)
        return sheet_from_prompt(prompt)

    def play(self, prompt: str) -> PlayResult:
        return Game(self.sheet(prompt), self.console, self.input_fn).run()

    async def agenerate(self, prompts: Sequence[str], sampling: SamplingConfig) -> list[list[Completion]]:
        out: list[list[Completion]] = []
        stopped = False
        for i, prompt in enumerate(prompts):
            if stopped:
                out.append(
                    [Completion("", error="abandoned: the player pressed Ctrl-C", finish_reason="abandoned")]
                    * sampling.n
                )
                continue
            result = self.play(prompt)
            extra = {"answers": dict(result.answers), "reason": result.reason, "notepad": result.notepad.to_dict()}
            if result.abandoned:
                completion = Completion(
                    "", finish_reason="abandoned", error=f"abandoned by the player ({result.reason})", extra=extra
                )
                stopped = result.reason == "interrupted"
            else:
                completion = Completion(result.reply, finish_reason="stop", extra=extra)
            out.append([completion] * sampling.n)
            if not stopped and result.reason != "eof" and i + 1 < len(prompts):
                stopped = not self._next_puzzle(i + 2, len(prompts))
            if result.reason == "eof":
                stopped = True
        return out

    def _next_puzzle(self, number: int, total: int) -> bool:
        """Wait before clearing the screen for the next puzzle; False to stop."""
        try:
            self.console.print(f"\nEnter: puzzle {number} of {total} · q: stop here ", end="")
            return self.input_fn("").strip().lower() not in ("q", "quit")
        except (KeyboardInterrupt, EOFError):
            self.console.print()
            return False

    def close(self) -> None:
        """Nothing to release."""
