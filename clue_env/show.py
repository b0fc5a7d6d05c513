"""A puzzle laid out for a terminal with rich (``clue show``)."""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from plugins import registry_table

from .puzzle import Puzzle, Task
from .variant import Variant


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


def scale_text(variant: Variant) -> str:
    """Where a variant's named levels sit on its scale, e.g. ``scale 0..24; easy ≈ 4.0, cpu = 2``
    (``=``: the level is that rung; ``≈``: its position, ``Variant.rung``)."""
    places = []
    for level in variant.levels.levels:
        index = variant.rung_index(level)
        places.append(f"{level.name} = {index}" if index is not None else f"{level.name} ≈ {variant.rung(level):.1f}")
    return f"scale 0..{variant.max_difficulty}; " + ", ".join(places)


def variants_table(entries: dict) -> Table:
    """The variants on offer (``clue list``): name, plugin, levels (default first), their places on
    the variant's scale of rungs (``--difficulty 0..N``), description."""

    def levels(variant: Variant) -> str:
        default = variant.levels.get(None).name
        return ", ".join([default] + [n for n in variant.levels.names if n != default])

    columns = [("difficulties (default first)", levels), ("scale (--difficulty N)", scale_text)]
    return registry_table("Puzzle variants", "variant", entries, columns)


def audit_table(results: list, reading: str) -> Table:
    """``clue audit``: every puzzle without exactly one answer, or whose stated solution does not fit,
    with the question and the answers that fit. ``results`` holds ``(task, solve.Audit)`` pairs."""
    table = Table(title=f"Puzzles without exactly one answer ({reading} reading)")
    for col in ("puzzle", "question", "file's answer", "fits"):
        table.add_column(col)
    for task, result in results:
        if not result.satisfiable:
            table.add_row(task.id, "-", "-", "no night fits the clues")
            continue
        for q in result.questions:
            wrong = q.expected is not None and q.expected not in q.fits
            if q.unique and not wrong:
                continue
            fits = ", ".join(a for a in q.fits if a != q.expected) if not wrong else ", ".join(q.fits)
            note = "" if not wrong else " (the file's answer does not fit)"
            table.add_row(task.id, f"{q.label}. {q.text}", f"{q.expected}{note}", fits or "-")
        if result.solution_fits is False and all(q.expected in q.fits for q in result.questions):
            table.add_row(task.id, "-", "every answer fits alone", "no single night fits the file's answers together")
    return table
