"""What each view shows, as blocks for the pager: the case (cast, map, questions), the
clues, the map with names and the rules, the notepad, the help, the puzzle's text, and in an
investigation what was learned (each question asked and its answer, and the forms to ask in)."""

from __future__ import annotations

import re

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from .commands import help_rows
from .inquiry import Inquiry
from .sheet import Sheet
from .state import GameState
from .widgets import mark_style, styled_item, wrap_items

TITLES = {
    "case": "Case",
    "clues": "Clues",
    "map": "Map",
    "notes": "Notepad",
    "help": "Help",
    "text": "Puzzle text",
    "learned": "Learned",
}


def blocks(state: GameState, width: int) -> list[RenderableType]:
    """The blocks of the view on screen, for a terminal ``width`` columns wide."""
    view = state.view
    if view == "case":
        return case_blocks(state, width)
    if view == "clues":
        return clues_blocks(state.sheet)
    if view == "map":
        return map_blocks(state, width)
    if view == "notes":
        return notes_blocks(state, width)
    if view == "help":
        return help_blocks(state.inquiry is not None)
    if view == "learned":
        return learned_blocks(state)
    return text_blocks(state.sheet)


def cast_table(state: GameState, width: int) -> Table:
    """Each category with how many candidates are left, and its candidates as marked."""
    cats = state.sheet.categories
    label_width = max(len(f"{c.title} {len(c.names)}/{len(c.names)}") for c in cats)
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, width=label_width)
    table.add_column(no_wrap=True, overflow="ellipsis")
    items_width = max(10, width - label_width - 1)
    for cat in cats:
        left = len(state.notepad.left(cat.kind, list(cat.names)))
        label = Text(cat.title, style="bold")
        label.append(f" {left}/{len(cat.names)}", style="dim")
        items = [styled_item(shown, state.notepad.mark(cat.kind, name)) for name, shown in zip(cat.names, cat.shown)]
        table.add_row(label, wrap_items(items, items_width))
    return table


def questions_table(state: GameState) -> Table:
    """The questions, each with the answer given so far."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for ask in state.sheet.questions:
        text = Text(ask.text)
        if ask.bonus:
            text.append(" (bonus)", style="dim")
        if ask.label in state.answers:
            text.append(f"  → {state.answers[ask.label]}", style="green")
        table.add_row(f"{ask.label}." if ask.label else "", text)
    return table


def case_blocks(state: GameState, width: int, intro: bool = True) -> list[RenderableType]:
    """The title (and with ``intro`` the story), the cast, the prompt's map, the questions."""
    sheet = state.sheet
    head = Text(f"Temporal Clue · {sheet.title}", style="bold", overflow="ellipsis")
    if sheet.intro and intro:
        head.append("\n")
        head.append(sheet.intro, style="italic")
    out: list[RenderableType] = [head]
    if sheet.categories:
        out.append(cast_table(state, width))
    hint = Text.assemble(
        ("m", "bold cyan"),
        " shows the map with names, and the rules; ",
        ("c", "bold cyan"),
        f" shows the {len(sheet.clues)} clues; " if sheet.clues else " shows the clues; ",
        ("h", "bold cyan"),
        " lists every command.",
    )
    if sheet.map_text:
        grid = Table.grid(padding=(0, 3))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(Text(sheet.map_text), Text.assemble(("Map: rooms by number, north is up.\n", "bold"), hint))
        out.append(grid)
    else:
        out.append(hint)
    questions = Table.grid()
    title = Text("Questions", style="bold")
    if state.inquiry is not None:
        title.append_text(ask_hint(state.inquiry))
    questions.add_row(title)
    questions.add_row(questions_table(state))
    out.append(questions)
    return out


def ask_hint(inquiry: Inquiry) -> Text:
    """What the case screen says of asking, after "Questions": the key and what a question costs."""
    cost = f" ({inquiry.cost_per_question:g} each)" if inquiry.cost_per_question is not None else ""
    return Text.assemble(
        ("   the clues do not settle them: ", "dim"), ("i", "bold cyan"), (f" asks the witness{cost}", "dim")
    )


def paragraphs(sheet: Sheet) -> list[RenderableType]:
    """The prompt's paragraphs, one block each."""
    return [Text(p.strip("\n")) for p in re.split(r"\n[^\S\n]*\n", sheet.prompt) if p.strip()]


def text_blocks(sheet: Sheet) -> list[RenderableType]:
    """The prompt as one block: pages cut it at any line."""
    return [Text(sheet.prompt.strip("\n"))]


def clues_blocks(sheet: Sheet) -> list[RenderableType]:
    """One numbered block per clue; the prompt's paragraphs when no clues were found in it."""
    texts = sheet.clues
    if not texts:
        return paragraphs(sheet)
    digits = len(str(len(texts)))
    out: list[RenderableType] = []
    for i, text in enumerate(texts, 1):
        row = Table.grid(padding=(0, 1))
        row.add_column(width=digits + 1, justify="right", style="dim")
        row.add_column()
        row.add_row(f"{i}.", text)
        out.append(row)
    return out


def map_drawing(state: GameState, width: int) -> tuple[Text, bool]:
    """The puzzle's map in boxed cells holding the room names, styled by the notepad's
    marks, and whether some names were cut to fit their cells. Needs the sheet's puzzle."""
    sheet = state.sheet
    if sheet.puzzle is None:
        raise ValueError(f"sheet {sheet.id!r} has no puzzle to draw the map of: show its map_text instead")
    cat = sheet.category("ROOM")
    if cat is None:
        raise ValueError(f"sheet {sheet.id!r} has no rooms to name on the map: show its map_text instead")
    layout = sheet.puzzle.case.layout
    cell = max(4, min(max(len(s) for s in cat.shown), (width - 11) // layout.width - 3))
    labels = [s.strip() for s in cat.shown]
    cut = any(len(s) > cell for s in labels)
    labels = [s[: cell - 1] + "…" if len(s) > cell else s for s in labels]
    drawing = layout.drawing(labels, cell, boxed=True)
    lines = [Text(line) for line in drawing.lines]
    for spot in drawing.frame:
        lines[spot.line].stylize("dim", spot.start, spot.end)
    for room, spot in enumerate(drawing.cells):
        style = mark_style(state.notepad.mark("ROOM", cat.names[room]))
        if style:
            lines[spot.line].stylize(style, spot.start, spot.end)
    return Text("\n").join(lines), cut


def map_blocks(state: GameState, width: int) -> list[RenderableType]:
    """The map with names (the prompt's map for a bare prompt), the room list where the
    names are not all in the cells, and the rules."""
    sheet = state.sheet
    out: list[RenderableType] = []
    cut = False
    if sheet.puzzle is not None:
        drawing, cut = map_drawing(state, width)
        out.append(drawing)
    elif sheet.map_text:
        out.append(Text(sheet.map_text))
    else:
        out.append(Text("No map found in this puzzle's text: t shows the whole text."))
    cat = sheet.category("ROOM")
    if cat is not None and (cut or sheet.puzzle is None):
        items = [styled_item(s, state.notepad.mark("ROOM", n)) for n, s in zip(cat.names, cat.shown)]
        out.append(wrap_items(items, width))
    if sheet.rules:
        rules = Table.grid(padding=(0, 1))
        rules.add_column(no_wrap=True)
        rules.add_column()
        for rule in sheet.rules:
            rules.add_row("•", rule)
        out.append(rules)
    return out


def notes_blocks(state: GameState, width: int) -> list[RenderableType]:
    """The notepad: how to mark, the cast as marked, the notes."""
    out: list[RenderableType] = [
        Text.assemble(
            ("Detective's notepad", "bold"),
            ("   x NAME crosses out ✗ · o NAME circles ● · u NAME clears", "dim"),
        )
    ]
    if state.sheet.categories:
        out.append(cast_table(state, width))
    if state.inquiry is not None:
        out.append(
            _numbered("Facts learned", state.notepad.facts, "none yet: each answer of the witness (i) is written here")
        )
    out.append(_numbered("Notes", state.notepad.notes, "none yet: n TEXT writes one, d N deletes note N"))
    return out


def _numbered(title: str, items, empty: str) -> Table:
    """A titled, numbered list of the notepad (``empty``: what to show while it has none)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column()
    table.add_row("", Text(title, style="bold"))
    for i, item in enumerate(items, 1):
        table.add_row(f"{i}.", item)
    if not items:
        table.add_row("", Text(empty, style="dim"))
    return table


def help_blocks(investigating: bool = False) -> list[RenderableType]:
    """Every command, then how names and answers (and an investigation's questions) may be typed."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for cmd, what in help_rows(investigating):
        table.add_row(cmd, what)
    tips = Text.assemble(
        ("Names: ", "bold"),
        'a few letters do ("scar" is Miss Scarlet, "8 pm" is 08:00 PM), rooms also by number; '
        "several at once with commas: x green, rope, 3.\n",
        ("Answering: ", "bold"),
        "Enter takes the answer offered in [brackets], < goes back a question, ! leaves to "
        "look at the clues again. Ctrl-C or Ctrl-D leaves the game at any time.",
    )
    if investigating:
        tips.append_text(
            Text.assemble(
                ("\nAsking: ", "bold"),
                "type a question in one of the forms l lists (i first is optional); it is checked "
                "before it is sent, and one the forms do not take, or one asked already, is explained "
                "and costs nothing (a model's reply that is no question costs one).",
            )
        )
    return [table, tips]


def learned_blocks(state: GameState) -> list[RenderableType]:
    """The questions asked, the latest first, each with its answer; then the forms to ask in."""
    inquiry = state.inquiry
    if inquiry is None:
        return [Text("This puzzle is no investigation: there is no witness to ask.", style="dim")]
    head = Text("What you learned", style="bold")
    head.append(f"   {inquiry.asked} asked · {inquiry.left} of {inquiry.budget} left", style="dim")
    if inquiry.cost_per_question is not None:
        head.append(f" · each costs {inquiry.cost_per_question:g}", style="dim")
    out: list[RenderableType] = [head]
    if inquiry.learned:
        rows = Table.grid(padding=(0, 1))
        rows.add_column(justify="right", style="dim", no_wrap=True)
        rows.add_column()
        for k in range(inquiry.asked, 0, -1):
            learned = inquiry.learned[k - 1]
            rows.add_row(f"{k}.", Text(learned.question, style="bold"))
            sign, style = ("→ ", "") if learned.answered else ("✗ not answered: ", "yellow")
            rows.add_row("", Text(sign + learned.answer, style=style))
        out.append(rows)
    if not inquiry.learned:
        out.append(Text("Nothing yet: i asks the witness a question.", style="dim"))
    if inquiry.forms:
        forms = Table.grid(padding=(0, 1))
        forms.add_column(no_wrap=True)
        forms.add_column()
        forms.add_row("", Text("Ask in one of these forms (or i alone for a menu):", style="bold"))
        for line in inquiry.forms:
            forms.add_row("•", line)
        out.append(forms)
    return out
