"""plugins.registry: the table every kind of registry item is shown in (``clue list``)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from plugins import Entry, registry_table


@dataclass(frozen=True)
class Thing:
    name: str
    description: str
    size: int = 0


def _text(table) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_rows_come_by_name_with_their_plugin_and_description():
    entries = {
        "zeta": Entry(Thing("zeta", "the last one"), "builtin"),
        "alpha": Entry(Thing("alpha", "the first one"), "my-plugin"),
    }
    table = registry_table("Things", "thing", entries)
    assert table.title == "Things"
    assert [c.header for c in table.columns] == ["thing", "plugin", "description"]
    assert table.columns[0].style == "bold"
    text = _text(table)
    assert text.index("alpha") < text.index("zeta")
    assert "│ alpha │ my-plugin │ the first one │" in text
    assert "│ zeta  │ builtin   │ the last one  │" in text


def test_a_kind_adds_columns_between_the_plugin_and_the_description():
    entries = {"big": Entry(Thing("big", "large", size=9), "builtin")}
    table = registry_table("Things", "thing", entries, columns=[("size", lambda t: str(t.size))])
    assert [c.header for c in table.columns] == ["thing", "plugin", "size", "description"]
    assert "│ big   │ builtin │ 9    │ large       │" in _text(table)


def test_no_entries_is_an_empty_table_with_its_headers():
    table = registry_table("Things", "thing", {})
    assert table.row_count == 0 and [c.header for c in table.columns] == ["thing", "plugin", "description"]
