"""agents/human/pager.py: pages of whole blocks that fit the terminal, the footer's hints,
and a page drawn with its message and prompt."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from agents.human.pager import MIN_PAGE_LINES, RESERVED_LINES, Pager


def pager(width: int = 80, height: int = 24, replies: list[str] | None = None) -> Pager:
    console = Console(file=io.StringIO(), width=width, height=height)
    answers = list(replies or [])
    return Pager(console, lambda prompt="": answers.pop(0))


def block(n: int, tag: str = "line") -> Text:
    return Text("\n".join(f"{tag} {i}" for i in range(n)))


def plain(lines) -> list[str]:
    return ["".join(seg.text for seg in line) for line in lines]


def test_budget_leaves_the_footer_message_and_prompt_free():
    assert pager(height=24).budget() == 24 - RESERVED_LINES == 20
    assert pager(height=6).budget() == MIN_PAGE_LINES
    assert pager(width=5).width == 20  # never narrower than 20 columns


def test_whole_blocks_fill_pages_with_a_gap_and_a_tall_block_is_cut():
    p = pager(height=14)  # 10 lines a page
    pages = p.paginate([block(4, "a"), block(4, "b"), block(3, "c"), block(23, "d"), block(1, "e")])
    # a+b fit (4 + gap + 4), c does not fit beside them; d is cut into pages of 10, its
    # last 3 lines share a page with e
    sizes = [(len(pg.lines), pg.first, pg.last) for pg in pages]
    assert sizes == [(9, 0, 1), (3, 2, 2), (10, 3, 3), (10, 3, 3), (5, 3, 4)]
    assert plain(pages[0].lines)[4] == ""  # the gap between blocks a and b
    assert plain(pages[4].lines) == ["d 20", "d 21", "d 22", "", "e 0"]
    no_gap = p.paginate([block(4, "a"), block(4, "b"), block(2, "c")], gap=False)
    assert [(len(pg.lines), pg.first, pg.last) for pg in no_gap] == [(10, 0, 2)]


def test_nothing_to_show_is_one_empty_page():
    (page,) = pager().paginate([])
    assert page.lines == [] and (page.first, page.last) == (0, 0)


def test_footer_keeps_the_hints_that_matter_most_when_narrow():
    wide = pager(width=80).footer("Case").plain
    assert wide == "── Case │ s case · c clues · m map · p notes · a answer · h help · q quit"
    # answer and quit first, then clues, help, notes, map, case, each where it still fits
    assert pager(width=37).footer("Case").plain == "── Case │ c clues · a answer · q quit"
    assert pager(width=36).footer("Case").plain == "── Case │ a answer · h help · q quit"
    assert pager(width=20).footer("A long title here").plain == "── A long title here"
    assert pager().footer("Answers 1/5", (("<", "back"), ("!", "leave"))).plain == "── Answers 1/5 │ < back · ! leave"


def test_draw_prints_page_footer_two_message_lines_and_prompt_then_reads():
    p = pager(width=40, replies=["typed"])
    lines = p.lines(Text("first\nsecond"))
    message = Text("word " * 30)  # wraps to more than two lines: two are shown
    assert p.draw(lines, Text("── Footer"), "> ", message) == "typed"
    out = p.console.file.getvalue().split("\n")
    assert out[:3] == ["first", "second", "── Footer"]
    assert out[3].startswith("word word") and out[4].startswith("word word")
    assert out[5] == "> "
