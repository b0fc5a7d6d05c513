"""The question menu of an investigation (command ``i`` alone): pick a form of the grammar, then
each name it needs (a piece, a room, a time, a suspect) from the case's lists, then confirm.

Each name is typed the way answers are ("scar", "3" for the third room, "10 pm"), and the
question is built by the grammar itself (``Query.text``), so it is always one the witness takes.
``<`` goes back a step, ``!`` leaves the menu; nothing is spent until the question is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from clue_env.clues import VICTIM, Ref, place_text, ref_text
from clue_env.investigation.grammar import QUERY_FORMS, Query

from .inquiry import Inquiry, QuestionRejected
from .matching import describe_choices, match_choice
from .pager import Line, Pager
from .state import GameState
from .widgets import styled_item, wrap_items

# What each form asks for, in order (a time only where the case has several).
SLOTS = {"where": ("piece", "time"), "who": ("room", "time"), "weapons": ("room", "time"), "motive": ("suspect",)}
SLOT_WORDS = {"piece": "person or weapon", "room": "room", "time": "time", "suspect": "suspect"}
# Words that pick a form on the first screen, besides its number.
FORM_WORDS = {
    "where": "where",
    "who": "who",
    "which": "weapons",
    "weapons": "weapons",
    "what": "motive",
    "motive": "motive",
}


@dataclass(frozen=True)
class Choice:
    """One name a slot may take: ``name`` as the case writes it, ``value`` what the query holds
    (a Ref, a room or a time index), ``kind`` the notepad category whose mark it shows."""

    name: str
    shown: str
    value: object
    kind: str | None


class Asking:
    """One visit to the menu: ``run()`` gives the question to send (checked), or None when the
    player leaves it."""

    def __init__(self, state: GameState, pager: Pager):
        if state.inquiry is None or state.inquiry.case is None:
            raise ValueError("the question menu needs the case's names: this game has no readable case")
        self.state = state
        self.pager = pager
        self.inquiry: Inquiry = state.inquiry
        self.case = state.inquiry.case

    # ------------------------------------------------------------------ the names

    def slots(self, kind: str) -> tuple[str, ...]:
        return tuple(s for s in SLOTS[kind] if s != "time" or len(self.case.times) > 1)

    def choices(self, slot: str) -> list[Choice]:
        case = self.case
        if slot == "room":
            return [Choice(r.name, f"{i + 1} {r.name}", i, "ROOM") for i, r in enumerate(case.rooms)]
        if slot == "time":
            return [Choice(t, t, i, "TIME") for i, t in enumerate(case.times)]
        out = [Choice(s, s, Ref("suspect", i), "SUSPECT") for i, s in enumerate(case.suspects)]
        if slot == "piece":
            out.append(Choice(case.victim, f"{case.victim} (the victim)", VICTIM, None))
            out += [Choice(w, w, Ref("weapon", i), "WEAPON") for i, w in enumerate(case.weapons)]
        return out

    def query(self, kind: str, values: dict[str, object]) -> Query:
        subject = values.get("piece", values.get("suspect"))
        return Query(kind, subject, int(values.get("room", 0)), int(values.get("time", 0)))  # type: ignore[arg-type]

    def sketch(self, kind: str, values: dict[str, object]) -> Text:
        """The question so far: the form's shape with the names chosen and the rest to fill."""
        case = self.case
        text = QUERY_FORMS[kind].shape.format(when=" at TIME" if len(case.times) > 1 else "")
        for slot, value in values.items():
            if slot == "room":
                text = text.replace("in ROOM", place_text(case, value))  # type: ignore[arg-type]
            elif slot == "time":
                text = text.replace("TIME", case.times[value])  # type: ignore[index]
            else:
                text = text.replace("PERSON OR WEAPON" if slot == "piece" else "SUSPECT", ref_text(value, case))  # type: ignore[arg-type]
        return Text(text, style="bold")

    # ------------------------------------------------------------------ the steps

    def run(self) -> str | None:
        """The steps: form, each name, confirm; ``<`` back one, ``!`` out (None)."""
        kind: str | None = None
        values: dict[str, object] = {}
        typed_question: str | None = None  # a whole question typed on the first screen
        while True:
            if typed_question is None and kind is None:
                typed = self._form_screen().strip()
                if typed in ("!", "<"):
                    return None
                picked = self._pick_form(typed)
                if picked in SLOTS:
                    kind, values = picked, {}
                elif picked is not None:
                    typed_question = picked
                continue
            todo = [] if kind is None else [s for s in self.slots(kind) if s not in values]
            if kind is not None and todo:
                typed = self._slot_screen(kind, values, todo[0]).strip()
                if typed == "!":
                    return None
                if typed == "<":
                    if values:
                        values.popitem()
                    else:
                        kind = None
                    continue
                choice = self._choice(todo[0], typed)
                if choice is not None:
                    values[todo[0]] = choice.value
                continue
            if typed_question is not None:
                question = typed_question
            else:
                assert kind is not None
                try:
                    question = self.inquiry.check_query(self.query(kind, values))
                except QuestionRejected as err:
                    self.state.say(str(err), "yellow")
                    values.popitem()
                    continue
            typed = self._confirm_screen(question).strip().lower()
            if typed in ("", "y", "yes"):
                return question
            if typed == "!":
                return None
            if typed in ("n", "no") or (typed == "<" and typed_question is not None):
                kind, values, typed_question = None, {}, None
            elif typed == "<":
                values.popitem()
            else:
                self.state.say("Enter or y asks it, n picks another question, < goes back, ! leaves.", "yellow")

    def _pick_form(self, typed: str) -> str | None:
        """The form ``typed`` picks (by its number or first word), or the question it is when it
        is a whole one (checked); None, with the reason on the message line, when it is neither."""
        kinds = self.inquiry.kinds
        if typed.isdigit() and 1 <= int(typed) <= len(kinds):
            return kinds[int(typed) - 1]
        word = typed.casefold().rstrip("?")
        if FORM_WORDS.get(word) in kinds:
            return FORM_WORDS[word]
        if not typed or typed.isdigit():
            self.state.say(f"Type the number of a form (1–{len(kinds)}), or < to go back.", "yellow")
            return None
        try:
            return self.inquiry.check(typed)
        except QuestionRejected as err:
            self.state.say(str(err), "yellow")
            return None

    def _choice(self, slot: str, typed: str) -> Choice | None:
        choices = self.choices(slot)
        if not typed:
            self.state.say(f"Type a {SLOT_WORDS[slot]}: a few letters will do.", "yellow")
            return None
        names = [c.name for c in choices]
        found = match_choice(typed, names, numbered=slot == "room")
        if len(found) == 1:
            return choices[names.index(found[0])]
        if found:
            self.state.say(f"{typed!r} could be {describe_choices(found)}: type more letters.", "bold red")
        else:
            self.state.say(f"{typed!r} is no {SLOT_WORDS[slot]} of this case: {describe_choices(names)}.", "bold red")
        return None

    # ------------------------------------------------------------------ screens

    def _status(self) -> str:
        inquiry = self.inquiry
        cost = f", each costs {inquiry.cost_per_question:g}" if inquiry.cost_per_question is not None else ""
        return f"{inquiry.left} of {inquiry.budget} questions left{cost}"

    def _draw(self, blocks: list[RenderableType], prompt: str) -> str:
        pager = self.pager
        lines: list[Line] = []
        for i, block in enumerate(blocks):
            if i:
                lines.append([])
            lines += pager.lines(block)
        footer = pager.footer(f"Asking · {self.inquiry.left} left", (("<", "back"), ("!", "leave"), ("Ctrl-C", "quit")))
        return pager.draw(lines[: pager.budget()], footer, prompt, self.state.take_message())

    def _form_screen(self) -> str:
        forms = Table.grid(padding=(0, 1))
        forms.add_column(justify="right", style="bold", no_wrap=True)
        forms.add_column()
        for k, line in enumerate(self.inquiry.forms, 1):
            forms.add_row(f"{k}.", line)
        blocks: list[RenderableType] = [
            Text.assemble(("Ask the witness", "bold"), (f"   {self._status()}", "dim")),
            forms,
            Text(
                "Type the number of a form (or its first word), or the whole question. "
                "Nothing is spent until you confirm it.",
                style="dim",
            ),
        ]
        return self._draw(blocks, "form> ")

    def _slot_screen(self, kind: str, values: dict[str, object], slot: str) -> str:
        items = [
            styled_item(c.shown, self.state.notepad.mark(c.kind, c.name) if c.kind else None)
            for c in self.choices(slot)
        ]
        choices = Table.grid(padding=(0, 1))
        choices.add_column(no_wrap=True)
        choices.add_column(no_wrap=True, overflow="ellipsis")
        choices.add_row(Text("Choices:", style="bold"), wrap_items(items, self.pager.width - 10))
        blocks: list[RenderableType] = [
            Text.assemble(("Ask the witness", "bold"), (f"   {self._status()}", "dim")),
            self.sketch(kind, values),
            choices,
            Text(
                f"Type the {SLOT_WORDS[slot]}: a few letters will do" + (", or its number" if slot == "room" else ""),
                style="dim",
            ),
        ]
        return self._draw(blocks, f"{SLOT_WORDS[slot]}> ")

    def _confirm_screen(self, question: str) -> str:
        cost = self.inquiry.cost_per_question
        spend = f"; it takes {cost:g} off your score" if cost is not None else ""
        left = self.inquiry.left
        blocks: list[RenderableType] = [
            Text.assemble(("Ask the witness", "bold"), (f"   {self._status()}", "dim")),
            Text(question, style="bold green"),
            Text.assemble(
                ("Enter", "bold cyan"),
                f" or y asks it: question {self.inquiry.asked + 1}, {left - 1} left after it{spend}.\n",
                ("n", "bold cyan"),
                " picks another question · ",
                ("<", "bold cyan"),
                " goes back · ",
                ("!", "bold cyan"),
                " leaves the menu",
            ),
        ]
        return self._draw(blocks, "Ask it? (Y/n) > ")
