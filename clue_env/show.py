"""A puzzle laid out for a terminal with rich (``clue show``)."""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .puzzle import Puzzle, Task


def _list_panel(title: str, items: list[str]) -> Panel:
    return Panel("\n".join(items), title=title, expand=False)


def render_rich(task: Task, puzzle: Puzzle | None, show_solution: bool = False) -> RenderableType:
    """The puzzle as rich renderables; falls back to the prompt text for foreign files."""
    if puzzle is None:
        parts: list[RenderableType] = [Panel(Text(task.prompt), title=task.id)]
        if show_solution:
            parts.append(_solution_table(task))
        return Group(*parts)
    case = puzzle.case
    digits = len(str(len(case.rooms)))
    rooms = [f"{str(i + 1).zfill(digits)}. {r.name}" for i, r in enumerate(case.rooms)]
    lists = [
        _list_panel("Suspects", list(case.suspects)),
        _list_panel("Weapons", list(case.weapons)),
        _list_panel("Rooms", rooms),
        Panel(case.layout.draw(), title="Map", expand=False),
    ]
    if len(case.times) > 1:
        lists.append(_list_panel("Times", list(case.times)))
    if case.motives:
        items = (
            list(case.motives)
            if case.unique_motives
            else [f"{m} ({n})" for m, n in zip(case.motives, case.motive_counts)]
        )
        lists.append(_list_panel("Motives", items))
    clues = Table.grid(padding=(0, 1))
    clues.add_column(justify="right", style="dim")
    clues.add_column()
    for i, text in enumerate(puzzle.clue_texts(), 1):
        clues.add_row(f"{i}.", text)
    questions = Table.grid(padding=(0, 1))
    questions.add_column(style="bold")
    questions.add_column()
    for label, q in zip(puzzle.labels, puzzle.questions):
        questions.add_row(f"{label}.", q.text(case) + (" [dim](bonus)[/dim]" if q.bonus else ""))
    title = f"{puzzle.id}  ·  {puzzle.sizes.tag()}  ·  {len(puzzle.clues)} clues"
    parts = [
        Panel(Text(puzzle.intro), title=title),
        Columns(lists),
        Panel(clues, title="Clues"),
        Panel(questions, title="Questions"),
    ]
    if show_solution:
        parts.append(_solution_table(task))
    return Group(*parts)


def _solution_table(task: Task) -> Table:
    table = Table(title="Solution")
    table.add_column("question")
    table.add_column("answer", style="green")
    for label, answer in task.solution.items():
        table.add_row(label, answer)
    return table
