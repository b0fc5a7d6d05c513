"""A person behind the Agent interface: each prompt becomes a game in the terminal.

A prompt is a text (a one-shot puzzle) or a conversation (chat messages). A conversation whose
first user message is an investigation's case (it states a question budget) is one turn of the
investigation: the person sees the environment's latest reply (on the message line, and in the
learned view and the notepad with every earlier answer) and gives the next action, a question or
the accusation, which becomes the completion. Any other conversation is answered as a one-shot
puzzle, its last user message being the prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from agents.base import Completion, Prompt, PromptError, SamplingConfig, last_user_text, messages_of
from clue_env.grading import grade
from clue_env.investigation import InvestigationCase
from clue_env.prompt_parse import parse_prompt
from clue_env.puzzle import READABLE_FORMATS, Puzzle, Task

from .game import Game, InputFn, PlayResult
from .inquiry import Exchange, Inquiry, is_investigation_prompt, left_in, read_exchanges
from .investigation import InvestigationGame
from .sheet import Sheet, sheet_from_case, sheet_from_prompt, sheet_from_puzzle

_CTRL_C = "abandoned: the player pressed Ctrl-C"


@dataclass
class _Investigating:
    """An investigation in progress: its game, and the exchanges of the conversation it has seen."""

    game: InvestigationGame
    seen: list[Exchange] = field(default_factory=list)


class HumanAgent:
    """Answers prompts by asking the person at the terminal.

    Give it the puzzles (``Puzzle`` or ``Task``) and investigation cases (``InvestigationCase``)
    it will be asked about to get the full game (map, notepad, answers checked against each
    question's options, the score at the end); a prompt it does not know is shown as text and
    its questions are asked with the options read from it (an investigation's questions are
    still checked against the names its prompt states).

    A person answers once: with ``sampling.n > 1`` the same completion is repeated. Games
    run one after another and block the event loop while the person types (input cannot
    be read from another thread and still stop on Ctrl-C). An abandoned game (``q``, EOF)
    gives a completion with ``error`` set and empty text; Ctrl-C and EOF also abandon every
    prompt still to come. After each game that ends with answers the person presses Enter to
    go on (``q`` there stops, like Ctrl-C).
    """

    name = "human"

    def __init__(
        self,
        puzzles: Iterable[Puzzle | Task | InvestigationCase] = (),
        console: Console | None = None,
        input_fn: InputFn = input,
    ):
        self.console = console or Console()
        self.input_fn = input_fn
        self._known: dict[str, Puzzle | Task] = {}
        self._cases: dict[str, InvestigationCase] = {}
        self._investigations: dict[str, _Investigating] = {}
        self._stopped: str | None = None
        for item in puzzles:
            self.add(item)

    def add(self, item: Puzzle | Task | InvestigationCase) -> None:
        """Make a puzzle or a case known, so its prompt gets the full game."""
        if isinstance(item, InvestigationCase):
            self._cases[item.prompt] = item
            return
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

    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        out: list[list[Completion]] = []
        for i, prompt in enumerate(prompts):
            if self._stopped is not None:
                completion = Completion("", error=self._stopped, finish_reason="abandoned")
            else:
                completion = self._answer(prompt, more=len(prompts) - i - 1, number=i + 2, total=len(prompts))
            out.append([completion] * sampling.n)
        return out

    def _answer(self, prompt: Prompt, more: int, number: int, total: int) -> Completion:
        """The completion of one prompt; ``more`` prompts follow it in this call."""
        try:
            messages = messages_of(prompt)
        except PromptError as err:
            return Completion("", error=f"human: {err}", finish_reason="error")
        first = next((m["content"] for m in messages if m["role"] == "user"), "")
        if is_investigation_prompt(first):
            return self._investigate(messages)
        result = self.play(last_user_text(prompt))
        extra = {"answers": dict(result.answers), "reason": result.reason, "notepad": result.notepad.to_dict()}
        if result.abandoned:
            self._stop_on(result.reason)
            return Completion(
                "", finish_reason="abandoned", error=f"abandoned by the player ({result.reason})", extra=extra
            )
        self._pause(f"puzzle {number} of {total}" if more else "go on")
        return Completion(result.reply, finish_reason="stop", extra=extra)

    # ------------------------------------------------------------------ investigations

    def _investigate(self, messages: list[dict[str, Any]]) -> Completion:
        """One turn of an investigation: bring its game up to the conversation, then the
        person's next action."""
        try:
            prompt, exchanges = read_exchanges(messages)
        except ValueError as err:
            return Completion("", error=f"human: {err}", finish_reason="error")
        current = self._investigations.get(prompt)
        if current is None or exchanges[: len(current.seen)] != current.seen:
            current = _Investigating(self._new_game(prompt))  # a new episode of this case
            self._investigations[prompt] = current
        game = current.game
        for exchange in exchanges[len(current.seen) :]:
            lines = [line for line in exchange.reply.splitlines() if line.strip()]
            game.record(lines[-1] if lines else "", exchange.answer, left_in(exchange.answer))
        current.seen = list(exchanges)
        action = game.next_action()
        if action.kind == "question":
            return Completion(action.text, finish_reason="stop", extra={"kind": "question"})
        del self._investigations[prompt]
        extra = {"answers": dict(action.answers), "notepad": game.notepad.to_dict(), "questions": len(exchanges)}
        if action.kind == "abandon":
            self._stop_on(action.reason)
            extra["reason"] = action.reason
            return Completion(
                "", finish_reason="abandoned", error=f"abandoned by the player ({action.reason})", extra=extra
            )
        sheet, inquiry = game.sheet, game.inquiry
        graded = grade(action.text, sheet.solution, sheet.options) if sheet.solution else None
        reward = None
        if graded is not None and inquiry.cost_per_question is not None:
            reward = float(graded.reward) - inquiry.cost_per_question * len(exchanges)
        game.finish(action.answers, graded, reward, len(exchanges))
        self._pause("go on")
        extra.update(kind="accusation", reason="answered")
        return Completion(action.text, finish_reason="stop", extra=extra)

    def _new_game(self, prompt: str) -> InvestigationGame:
        case = self._cases.get(prompt)
        if case is not None:
            return InvestigationGame(sheet_from_case(case), Inquiry.of_case(case), self.console, self.input_fn)
        try:
            names = parse_prompt(prompt).case
        except ValueError:
            names = None  # questions go out unchecked; the environment explains the ones it cannot read
        sheet = sheet_from_prompt(prompt, puzzle_id="investigation")
        return InvestigationGame(sheet, Inquiry.of_prompt(prompt, names), self.console, self.input_fn)

    # ------------------------------------------------------------------ between games

    def _stop_on(self, reason: str) -> None:
        """After Ctrl-C or EOF the person is gone: abandon every prompt still to come."""
        if reason == "interrupted":
            self._stopped = _CTRL_C
        elif reason == "eof":
            self._stopped = "abandoned: end of input"

    def _pause(self, what: str) -> None:
        """Wait before the next screen clears the score; ``q`` (or Ctrl-C, EOF) stops here."""
        try:
            self.console.print(f"\nEnter: {what} · q: stop here ", end="")
            if self.input_fn("").strip().lower() in ("q", "quit"):
                self._stopped = "abandoned: the player stopped"
        except (KeyboardInterrupt, EOFError):
            self.console.print()
            self._stopped = "abandoned: the player stopped"

    def close(self) -> None:
        """Nothing to release."""
