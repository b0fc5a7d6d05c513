"""The answer wizard: each question asked in turn with its choices checked, a review of
all the answers, then the submitted answers graded and the score shown."""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from clue_env.grading import Grade, grade

from .matching import describe_choices, match_choice
from .pager import Line, Pager
from .result import PlayResult
from .sheet import Ask
from .state import GameState
from .widgets import styled_item, wrap_items

_KEPT = "Answers kept: a comes back to them."


class Answering:
    """One visit to the answers (command ``a``): ``run()`` gives the PlayResult once the
    answers are submitted, None when the player goes back to the case (answers kept)."""

    def __init__(self, state: GameState, pager: Pager, reveal: bool = True):
        self.state = state
        self.pager = pager
        self.reveal = reveal

    @property
    def asks(self) -> tuple[Ask, ...]:
        return self.state.sheet.questions

    def run(self) -> PlayResult | None:
        """Ask each open question, then the review; a PlayResult once submitted, None to go back."""
        state = self.state
        asks = self.asks
        current = self._next_open(-1)
        while True:
            if current is None:
                line = self._review_screen().strip().lower()
                if line in ("y", "yes"):
                    return self._finish()
                if line in ("n", "no", "!", "<"):
                    state.say(_KEPT, "green")
                    return None
                pick = next((i for i, ask in enumerate(asks) if ask.label.lower() == line and line), None)
                if pick is None:
                    labels = [a.label for a in asks]
                    span = f"{labels[0]}–{labels[-1]}" if len(labels) > 1 else labels[0]
                    state.say(f"Type y to submit, n to go back, or a label ({span}) to change that answer.", "yellow")
                current = pick
                continue
            ask = asks[current]
            default = self._default(ask)
            typed = self._ask_screen(current, default).strip()
            if typed == "!":
                state.say(_KEPT, "green")
                return None
            if typed == "<":
                if current == 0:
                    state.say(_KEPT, "green")
                    return None
                current -= 1
                continue
            if not typed:
                if default is None:
                    state.say("Type an answer (or < to go back, ! to leave).", "yellow")
                    continue
                choice = default
            else:
                choice = self._choice(ask, typed)
                if choice is None:
                    continue
            state.answers[ask.label] = choice
            current = self._next_open(current)

    def _choice(self, ask: Ask, typed: str) -> str | None:
        """The option ``typed`` names (any text for a question without options); None, with
        the reason on the message line, when it names none or several."""
        if ask.options is None:
            return typed
        found = match_choice(typed, ask.options, numbered=ask.kind == "ROOM")
        if len(found) == 1:
            return found[0]
        if found:
            why = f"{typed!r} could be {describe_choices(found)}: type more letters."
        else:
            why = f"{typed!r} is not one of the choices: {describe_choices(ask.options)}."
        self.state.say(why, "bold red")
        return None

    def _default(self, ask: Ask) -> str | None:
        """The answer Enter takes: the one given before, else the one the notepad points at."""
        if ask.label in self.state.answers:
            return self.state.answers[ask.label]
        cat = self.state.sheet.category(ask.category)
        return self.state.notepad.pick(cat.kind, list(cat.names)) if cat else None

    def _next_open(self, after: int) -> int | None:
        """The first unanswered question after index ``after``, wrapping round; None when all are answered."""
        asks = self.asks
        order = list(range(after + 1, len(asks))) + list(range(after + 1))
        return next((i for i in order if asks[i].label not in self.state.answers), None)

    # ------------------------------------------------------------------ screens

    def _ask_screen(self, index: int, default: str | None) -> str:
        state, pager = self.state, self.pager
        asks = self.asks
        ask = asks[index]
        header = Text(f"Answering question {index + 1} of {len(asks)}", style="bold")
        listing = Table.grid(padding=(0, 1))
        listing.add_column(no_wrap=True)
        listing.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        listing.add_column(no_wrap=True, style="green")
        for i, other in enumerate(asks):
            here = i == index
            listing.add_row(
                Text(
                    ("▸ " if here else "  ") + (f"{other.label}." if other.label else ""), style="bold" if here else ""
                ),
                Text(other.text, style="bold" if here else "dim"),
                state.answers.get(other.label, ""),
            )
        current = Text(f"{ask.label}. " if ask.label else "", style="bold")
        current.append(ask.text, style="bold")
        if ask.bonus:
            current.append(" (bonus)", style="dim")
        tail: list[RenderableType] = [current]
        if ask.options is not None:
            cat = state.sheet.category(ask.kind)
            shown = dict(zip(cat.names, cat.shown)) if cat and cat.names == ask.options else {}
            items = [
                styled_item(shown.get(o, o).strip(), state.notepad.mark(ask.kind or "", o) if ask.category else None)
                for o in ask.options
            ]
            choices = Table.grid(padding=(0, 1))
            choices.add_column(no_wrap=True)
            choices.add_column(no_wrap=True, overflow="ellipsis")
            choices.add_row(Text("Choices:", style="bold"), wrap_items(items, pager.width - 10))
            tail.append(choices)
        hint = Text(
            "Type " + ("a choice: a few letters will do" if ask.options is not None else "your answer"), style="dim"
        )
        if default is not None:
            hint.append(" · Enter = ", style="dim")
            hint.append(default, style="bold green")
        tail.append(hint)
        budget = pager.budget()
        head = pager.lines(header) + [[]]
        body = pager.lines(listing) + [[]]
        rest: list[Line] = []
        for block in tail:
            rest += pager.lines(block)
        if len(head) + len(body) + len(rest) > budget:
            body = []  # many questions on a small screen: keep the one being asked
        lines = (head + body + rest)[:budget]
        footer = pager.footer(
            f"Answers {len(state.answers)}/{len(asks)}", (("<", "back"), ("!", "leave"), ("Ctrl-C", "quit"))
        )
        return pager.draw(lines, footer, f"{ask.label}> " if ask.label else "answer> ", state.take_message())

    def _review_screen(self) -> str:
        state, pager = self.state, self.pager
        asks = self.asks
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(style="green", no_wrap=True)
        for ask in asks:
            table.add_row(f"{ask.label}." if ask.label else "", Text(ask.text), state.answers.get(ask.label, ""))
        blocks = [
            Text("Your answers", style="bold"),
            table,
            Text.assemble(
                ("y", "bold cyan"),
                " submits them · ",
                ("n", "bold cyan"),
                " goes back to the case · ",
                ("a label", "bold cyan"),
                " changes that answer",
            ),
        ]
        lines: list[Line] = []
        for i, block in enumerate(blocks):
            if i:
                lines.append([])
            lines += pager.lines(block)
        lines = lines[: pager.budget()]
        footer = pager.footer(f"Answers {len(state.answers)}/{len(asks)}", ())
        return pager.draw(lines, footer, "Submit? (y/n/label) > ", state.take_message())

    # ------------------------------------------------------------------ the end

    def _finish(self) -> PlayResult:
        """Grade the answers (when the solution is known) and show the score."""
        sheet, console = self.state.sheet, self.pager.console
        answers = {a.label: self.state.answers[a.label] for a in sheet.questions if a.label in self.state.answers}
        result = PlayResult(sheet.id, answers, None, False, "answered", self.state.notepad)
        if sheet.solution:
            submitted = grade(result.reply, sheet.solution, sheet.options)
            result = PlayResult(sheet.id, answers, submitted, False, "answered", self.state.notepad)
        console.clear()
        if result.grade is None or not self.reveal:
            console.print(Text("Your answers are recorded.", style="bold green"))
            return result
        self._print_score(result.grade)
        return result

    def _print_score(self, g: Grade) -> None:
        console = self.pager.console
        sheet = self.state.sheet
        solution = sheet.solution or {}
        right = sum(g.correct.values())
        total = len(g.correct)
        console.print(Text(f"Case closed · {sheet.id}", style="bold"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=True, collapse_padding=True)
        table.add_column("", no_wrap=True)
        table.add_column("Question", ratio=1)
        table.add_column("Your answer", no_wrap=True)
        table.add_column("Solution", no_wrap=True)
        table.add_column("", no_wrap=True)
        for ask in sheet.questions:
            ok = g.correct.get(ask.label, False)
            table.add_row(
                ask.label,
                ask.text,
                Text(self.state.answers.get(ask.label, "—"), style="green" if ok else "red"),
                solution.get(ask.label, ""),
                Text("✓" if ok else "✗", style="green" if ok else "bold red"),
            )
        console.print(table)
        score = Text(f"Score: {right}/{total} ({g.reward:.0%})", style="bold")
        if right == total:
            score.append(" · Full marks! Case solved.", style="bold green")
        elif right == 0:
            score.append(" · The murderer walks free.", style="bold red")
        else:
            score.append(f" · {total - right} wrong: the ✗ rows show the solution.", style="yellow")
        console.print(score)
