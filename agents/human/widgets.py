"""Small renderables the screens share: a candidate styled by its notepad mark, and items
wrapped into lines between items (never inside one)."""

from __future__ import annotations

from rich.text import Text

from .notepad import CIRCLED, CROSSED

# How a marked candidate looks wherever it is shown (lists, choices, the map's cells).
MARK_STYLES = {CROSSED: "dim strike", CIRCLED: "bold green"}
MARK_SIGNS = {CROSSED: "✗ ", CIRCLED: "● "}


def mark_style(mark: str | None) -> str:
    """The style of a candidate marked ``mark`` (CROSSED, CIRCLED or None: no style)."""
    return MARK_STYLES.get(mark or "", "")


def styled_item(shown: str, mark: str | None) -> Text:
    """``shown`` with its mark's sign and style: "✗ Hall" struck out, "● Rope" in green."""
    if mark in MARK_STYLES:
        return Text(MARK_SIGNS[mark] + shown, style=MARK_STYLES[mark])
    return Text(shown)


def wrap_items(items: list[Text], width: int, sep: str = " · ") -> Text:
    """Items joined with ``sep``, broken into lines between items, never inside one."""
    lines: list[Text] = []
    line = Text()
    for item in items:
        if line.cell_len and line.cell_len + len(sep) + item.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append(sep, style="dim")
        line.append_text(item)
    lines.append(line)
    return Text("\n").join(lines)
