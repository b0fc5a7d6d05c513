"""Tests of clue_env.prompt_parse: a whole puzzle read back from its prompt text alone.

- this project's prompts (every built-in variant, unique/shared/no motives, one time or
  several): the case, clues and questions read back equal the generator's;
- the original benchmark's 64 prompts: every one reads, labels and answer options agree
  with the file and with ``options_from_prompt``;
- the original's wording by hand: its map, single-time text, shared-motive articles,
  outdoor rooms and exclusive "or";
- prompts that cannot be read raise PromptParseError naming the part;
- the outline (``read_prompt``), strict and lenient.
"""

from __future__ import annotations

import json

import pytest

from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.clues import At, Carried, Either, Iff, MurderTime, Ref, SameRoom, Together
from clue_env.generate import generate_puzzle
from clue_env.layout import Layout
from clue_env.prompt_parse import SINGLE_TIME, PromptParseError, options_from_prompt, parse_prompt, read_prompt
from clue_env.questions import Question
from clue_env.sizes import Sizes

# --------------------------------------------------------------------------- this project's prompts

CASES = [
    (TEMPORAL, "easy", 0),
    (TEMPORAL, "easy", 1),
    (TEMPORAL, "medium", 0),
    (TEMPORAL, "medium", 3),  # shared motives
    (TEMPORAL, "benchmark", 0),
    (TEMPORAL, "benchmark", 3),  # no motives
    (TEMPORAL, "benchmark", 4),
    (CLASSIC_GAME, "easy", 0),
    (CLASSIC_GAME, "medium", 1),  # one time
    (CLASSIC_GAME, "hard", 0),  # 17 rooms, outdoor ones among them
    (TINY, "easy", 1),
    (TINY, "medium", 0),
    (TEMPORAL, Sizes(4, 3, 5, 1, 2, bonus_questions=4), 2),  # one time, shared motives
    (TEMPORAL, Sizes(3, 3, 4, 3, 3, bonus_questions=8), 5),  # motive bonus questions
]


@pytest.mark.parametrize("variant,level,seed", CASES, ids=lambda x: getattr(x, "name", None) or str(x))
def test_own_prompts_read_back(variant, level, seed) -> None:
    p = generate_puzzle(variant, level, seed)
    parsed = parse_prompt(p.render())
    case = parsed.case
    assert parsed.format == "clue_env" and parsed.dialect == "clue_env"
    assert case.victim == p.case.victim
    assert case.suspects == p.case.suspects and case.weapons == p.case.weapons
    assert case.room_names == p.case.room_names
    assert case.layout == p.case.layout
    assert (case.motives, case.motive_counts) == (p.case.motives, p.case.motive_counts)
    if len(p.case.times) > 1:
        assert case.times == p.case.times
    else:
        assert case.times == (SINGLE_TIME,)
    # A room is outdoor when a clue says "at the" for it; the others do not matter to the text.
    said_at = {r.name for r in case.rooms if r.outdoor}
    assert said_at <= {r.name for r in p.case.rooms if r.outdoor}
    assert parsed.clues == p.clues
    assert parsed.clue_texts == tuple(p.clue_texts())
    assert parsed.questions == p.questions
    assert list(parsed.labels) == p.labels
    assert parsed.options == p.options
    assert parsed.answer_types == {lab: q.answer_type() for lab, q in zip(p.labels, p.questions)}


def test_outdoor_rooms_come_from_the_clues() -> None:
    for seed in range(40):
        p = generate_puzzle(CLASSIC_GAME, "hard", seed)
        if any(" at the " in t for t in p.clue_texts()):
            break
    else:  # pragma: no cover - the classic theme has three outdoor places in 17 rooms
        pytest.fail("no puzzle with an outdoor clue in 40 seeds")
    parsed = parse_prompt(p.render())
    outdoor = {r.name for r in parsed.case.rooms if r.outdoor}
    assert outdoor and all(any(f"at the {name}" in t for t in p.clue_texts()) for name in outdoor)


# --------------------------------------------------------------------------- the original benchmark


def test_every_original_prompt_reads(val_json) -> None:
    records = json.loads(val_json.read_text())
    assert len(records) == 64
    formats = set()
    for i, record in enumerate(records):
        parsed = parse_prompt(record["prompt"])
        formats.add(parsed.format)
        assert list(parsed.labels) == list(record["solution"]), i
        assert len(parsed.clues) == record["num_clues"], i
        assert parsed.options == options_from_prompt(record["prompt"]), i
        for label, answer in record["solution"].items():
            assert answer in parsed.options[label], (i, label)
        assert parsed.case.victim == "Mr. Boddy"
    assert formats == {"original"}


ORIGINAL = """On a dark winter night, wealthy and enigmatic Mr. John Q. Boddy hosted a small, but lavish, dinner party for some of his closest associates. However, the night ended in tragedy when Mr. Boddy was found dead in one of the rooms of Tudor Mansion in the early hours of the morning. The following persons of interest have been identified as suspects:

• Miss Peach
• Mr. Green
• Sgt. Gray

And the following weapons were found on the premises:

• Rope
• Knife

The murder could only have occured in one of the following rooms:

1. Hall
2. Fountain
3. Study

The rooms are laid out as follows:

  N N  
W 1|2 E
W 3|- E
  S S  

{times}Each suspect had one of the following possible motives for killing Mr. Boddy:

• Greed (2 suspects)
• Fear (1 suspect)

For the murder to occur, the murderer and Mr. Boddy must have been alone in a room with at least one weapon.

The available clues are as follows:

{clues}

Please answer the following question(s):

A. Who murdered Mr. Boddy?
B. Where was the murder committed?

And the following bonus question(s):

C. Where was the suspect motivated by Fear?
D. Who is motivated by Fear?

Fill out your final answers in the following format:

A. SUSPECT
B. ROOM
C. ROOM
D. SUSPECT

Best of luck, detective."""


def original(clues: list[str], times: list[str] | None = None) -> str:
    block = ""
    if times:
        block = (
            "The exact time of the murder is a bit uncertain, but it has been narrowed down to one of the following times:\n\n"
            + "\n".join(f"• {t}" for t in times)
            + "\n\nAt every time the suspects and Mr. Boddy either stayed in their current room or moved to an orthogonally "
            "adjacent room (north, south, east, or west). Weapons could be moved by suspects between rooms as well.\n\n"
        )
    return ORIGINAL.replace("{clues}", "\n".join(f"- {c}" for c in clues)).replace("{times}", block)


def test_original_wording_by_hand() -> None:
    peach, green, gray = (Ref("suspect", i) for i in range(3))
    greed, fear = Ref("motive", 0), Ref("motive", 1)
    parsed = parse_prompt(
        original(
            [
                "Miss Peach was at the Fountain or Mr. Green was in the Hall",
                "A suspect motivated by Greed and Sgt. Gray were in the Study together",
                "The suspect motivated by Fear was in the same room as the Knife if and only if the murderer was in the Hall",
                "a suspect motivated by Fear was in the Study",
            ]
        )
    )
    case = parsed.case
    assert parsed.format == "original" and parsed.dialect == "original"
    assert case.layout == Layout(2, 3) and case.times == (SINGLE_TIME,)
    assert case.motives == ("Greed", "Fear") and case.motive_counts == (2, 1)
    assert [r.outdoor for r in case.rooms] == [False, True, False]
    assert parsed.clues == (
        Either(At(peach, 1, 0), At(green, 0, 0), exclusive=True),
        Together(greed, gray, 2),
        Iff(SameRoom(fear, Ref("weapon", 1), 0), At(Ref("murderer"), 0, 0)),
        At(fear, 2, 0),
    )
    assert parsed.questions == (
        Question("who"),
        Question("where"),
        Question("room_of", True, fear, 0),
        Question("motive_holder", True, motive=1),
    )


def test_original_with_times() -> None:
    times = ["11:00 PM", "11:30 PM"]
    text = original(
        [
            "Mr. Green and the Rope were in the Hall together at least once",
            "Sgt. Gray moved the Knife from the Study to the Hall at 11:30 PM",
            "Mr. Boddy was murdered at 11:00 PM",
        ],
        times,
    )
    with pytest.raises(PromptParseError, match="no piece and time"):
        parse_prompt(text)  # "Where was ...?" needs a time when there are several
    parsed = parse_prompt(text.replace("suspect motivated by Fear?", "suspect motivated by Fear at 11:30 PM?"))
    assert parsed.case.times == tuple(times)
    assert parsed.clues == (
        Together(Ref("suspect", 1), Ref("weapon", 0), 0),
        Carried(Ref("suspect", 2), Ref("weapon", 1), 2, 0, 1),
        MurderTime(0),
    )
    assert parsed.questions[2] == Question("room_of", True, Ref("motive", 1), 1)


def test_map_numbering_decides_the_positions() -> None:
    """Rooms are placed where the map draws their numbers, not where the list puts them."""
    text = original(["Miss Peach was in the Hall"]).replace("W 1|2 E\nW 3|- E", "W 3|1 E\nW 2|- E")
    case = parse_prompt(text).case
    assert case.room_names == ("Study", "Hall", "Fountain")
    assert parse_prompt(text).clues == (At(Ref("suspect", 0), 1, 0),)


# --------------------------------------------------------------------------- errors


def test_errors_say_what_could_not_be_read() -> None:
    good = original(["Miss Peach was in the Hall"])
    parse_prompt(good)
    bad = {
        "no map": (good.replace("The rooms are laid out as follows:", "Nothing here."), "map"),
        "bad map": (good.replace("W 3|- E", "W 3|x E"), "map row"),
        "holey map": (good.replace("W 1|2 E\nW 3|- E", "W 1|- E\nW 2|3 E"), "empty cell"),
        "missing room": (good.replace("W 3|- E", "W -|- E"), "map shows rooms"),
        "bad clue": (original(["The butler did it"]), "clue 1"),
        "no clues": (good.replace("The available clues are as follows:", "Nothing here."), "clues"),
        "bad question": (good.replace("A. Who murdered Mr. Boddy?", "A. Who ate the cake?"), "Who ate the cake"),
        "shared where": (
            good.replace("the suspect motivated by Fear?", "a suspect motivated by Greed?"),
            "shared motive",
        ),
        "motive counts": (good.replace("Fear (1 suspect)", "Fear (2 suspects)"), "motive counts"),
        "format": (good.replace("B. ROOM\nC.", "B. TIME\nC."), "answer format"),
        "no suspects": (good.replace("identified as suspects:", "identified as guests."), "suspects"),
    }
    for text, words in bad.values():
        with pytest.raises(PromptParseError, match=words):
            parse_prompt(text)
    with pytest.raises(PromptParseError):
        parse_prompt("hello")
    with pytest.raises(PromptParseError):
        parse_prompt(None)  # type: ignore[arg-type]
    assert issubclass(PromptParseError, ValueError)


# --------------------------------------------------------------------------- the outline and lenient reading


def test_outline_of_our_prompt() -> None:
    p = generate_puzzle(TINY, "medium", 1)
    outline = read_prompt(p.render())
    assert outline.format == "clue_env" and outline.problems == ()
    assert outline.intro == p.intro and outline.map_text == p.case.layout.draw()
    assert outline.suspects == p.case.suspects and outline.rooms == p.case.room_names
    assert outline.clue_texts == tuple(p.clue_texts()) and list(outline.labels) == p.labels
    assert [q.bonus for q in outline.questions] == [q.bonus for q in p.questions]
    assert outline.options == p.options == options_from_prompt(p.render())
    assert outline.prose[0].startswith("At each time,") and outline.prose[-1].startswith("The murder took place")
    assert outline.rules[0] == "The murder happened at one of these times."


def test_lenient_reading_keeps_what_it_can() -> None:
    good = original(["Miss Peach was in the Hall"])
    broken = good.replace("• Sgt. Gray\n", "Sgt. Gray\n")  # a suspect line that is no list item
    with pytest.raises(PromptParseError, match="suspects list"):
        read_prompt(broken)
    outline = read_prompt(broken, strict=False)
    assert outline.suspects == () and any("suspects list" in why for why in outline.problems)
    assert outline.weapons == ("Rope", "Knife") and outline.labels == ("A", "B", "C", "D")
    assert len(outline.clue_texts) == 1 and outline.layout == Layout(2, 3)
    assert outline.options is None  # A's list could not be read: no options rather than wrong ones
    nothing = read_prompt("What is the answer?", strict=False)
    assert nothing.intro == "What is the answer?" and nothing.options is None and nothing.problems
    assert options_from_prompt("") is None
    with pytest.raises(PromptParseError, match="must be text"):
        read_prompt(None, strict=False)  # type: ignore[arg-type]


def test_answer_format_must_list_the_questions() -> None:
    good = original(["Miss Peach was in the Hall"])
    for bad, words in (
        (good.replace("D. SUSPECT", "E. SUSPECT"), "labels"),
        (good.replace("D. SUSPECT", "D. PERSON"), "PERSON"),
        (good.replace("C. ROOM\nD. SUSPECT", "C. ROOM\nC. SUSPECT"), "twice"),
        (good.replace("D. SUSPECT", "D. SUSPECT\nsee you"), "answer format line"),
    ):
        with pytest.raises(PromptParseError, match=words):
            parse_prompt(bad)
