"""The one way a registry's items are shown: ``clue list``'s table of variants, agents or trainers.

A registry (:class:`plugins.Registry`) lists, gets and validates its items; this draws its table
(:meth:`Registry.table`'s entries): one row per item, by name, with the plugin that offers it and
its description, and any columns the kind adds between them. Items need ``name`` and
``description`` attributes only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .manager import Entry

#: A column a kind adds: its header and the text of an item's cell.
Column = tuple[str, Callable[[Any], str]]


def registry_table(title: str, kind: str, entries: Mapping[str, Entry], columns: Sequence[Column] = ()):
    """A ``rich.table.Table`` titled ``title``: the item's name (bold, headed ``kind``), the plugin,
    each of ``columns`` and the description, one row per entry in name order."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column(kind, style="bold")
    table.add_column("plugin")
    for header, _ in columns:
        table.add_column(header)
    table.add_column("description")
    for name, entry in sorted(entries.items()):
        cells = [cell(entry.item) for _, cell in columns]
        table.add_row(name, entry.plugin, *cells, entry.item.description)
    return table
