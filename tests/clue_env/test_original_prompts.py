"""Every prompt shape the original benchmark's generator can write is read by ``prompt_parse``.

The prompts here are built by ``render_original``, a renderer written for these tests from
the rules of the original's prompt template (bradhilton/temporal-clue,
``temporal_clue/puzzle.py``: ``prompt_template`` and ``TemporalCluePuzzle.prompt``; the map
from ``temporal_clue/scenario.py``: ``formatted_board``; the question sentences and when
each is asked from ``scenario.py``: ``solution_clues``, ``piece_time_room_clues``,
``motive_clues``, ``create_puzzle``). Those rules:

- the sections in a fixed order, each "heading:\\n\\nbody", joined by blank lines; a body
  that is empty leaves the heading followed by nothing ("And the following bonus
  question(s):" then straight "Fill out your final answers ...");
- rooms numbered ``1.`` (fewer than 10 rooms) or ``01.``; the map ``W 1|2 E`` rows between
  ``  N N  `` and ``  S S  `` lines (``NN``/``SS`` and two-digit cells from 10 rooms, ``-``
  for an empty cell, one cell per row with one column), filled row by row from the top;
- with fewer than two times: no times block and no movement rule, the murder rule ends
  at "weapon.", and " at least once" and " at 12:00 AM" (the one time) are cut everywhere;
- with fewer than two motives: no motives block; "Each suspect uniquely had ..." and bare
  names when every suspect has their own motive, else "Each suspect had ..." with
  "(1 suspect)" / "(n suspects)";
- main questions: who, what, where always possible, "When" only with two times or more,
  "Why" only with two motives or more, each only when its direct clue was not needed (so
  any subset, the empty one included); bonus questions: where a suspect, a weapon or the
  holder of a motive held by one suspect was at a time, what motivates a suspect, who has
  a motive held by one suspect, any number from none up; labels A, B, ... run on from the
  main questions into the bonus ones; the answer format lists every label, in order.

Each optional part is switched on and off (``test_every_template_shape``), and real
``val.json`` prompts are reshaped by the same rules (bonus questions dropped, main ones
dropped, all dropped) and solved.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field

import pytest

from agents.solver import SolverAgent
from clue_env.grading import grade
from clue_env.prompt_parse import (
    SINGLE_TIME,
    PromptParseError,
    options_from_prompt,
    parse_prompt,
    parse_question,
    read_prompt,
)
from clue_env.solve import solve_prompt

# --------------------------------------------------------------------------- the renderer

INTRO = (
    "On a dark winter night, wealthy and enigmatic Mr. John Q. Boddy hosted a small, but lavish, dinner party for "
    "some of his closest associates. However, the night ended in tragedy when Mr. Boddy was found dead in one of the "
    "rooms of Tudor Mansion in the early hours of the morning. The following persons of interest have been "
    "identified as suspects:"
)
WEAPONS_HEAD = "And the following weapons were found on the premises:"
ROOMS_HEAD = "The murder could only have occured in one of the following rooms:"
MAP_HEAD = "The rooms are laid out as follows:"
TIMES_HEAD = (
    "The exact time of the murder is a bit uncertain, but it has been narrowed down to one of the following times:"
)
MOVES = (
    "At every time the suspects and Mr. Boddy either stayed in their current room or moved to an orthogonally "
    "adjacent room (north, south, east, or west). Weapons could be moved by suspects between rooms as well."
)
MURDER_RULE = (
    "For the murder to occur, the murderer and Mr. Boddy must have been alone in a room with at least one weapon "
    "at some point in the night. Any clue about Mr. Boddy's whereabouts should be read as \"Mr. Boddy (dead or "
    'alive) ..."'
)
MURDER_RULE_TAIL = (
    " at some point in the night. Any clue about Mr. Boddy's whereabouts should be read as \"Mr. Boddy (dead or "
    'alive) ..."'
)
CLUES_HEAD = "The available clues are as follows:"
QUESTIONS_HEAD = "Please answer the following question(s):"
BONUS_HEAD = "And the following bonus question(s):"
FORMAT_HEAD = "Fill out your final answers in the following format:"
CLOSING = "Best of luck, detective."
ONE_TIME = "12:00 AM"  # the original's only time when it draws one (its clock starts at 0.0)


def motives_head(unique: bool) -> str:
    return (
        f"Each suspect {'uniquely ' if unique else ''}had one of the following possible motives for killing Mr. Boddy:"
    )


def board(count: int, columns: int) -> str:
    """The original's map: room numbers filled row by row from the top, compass letters around."""
    rows = math.ceil(count / columns)
    wide = count > 9
    cells = [str(i + 1).zfill(2 if wide else 1) for i in range(count)] + ["-"] * (rows * columns - count)
    north = "  " + " ".join(["NN" if wide else "N"] * columns) + "  "
    south = "  " + " ".join(["SS" if wide else "S"] * columns) + "  "
    body = ["W " + "|".join(cells[r * columns : (r + 1) * columns]) + " E" for r in range(rows)]
    return "\n".join([north, *body, south])


@dataclass
class Scene:
    """What one original prompt states. ``times`` of one entry is the single-time case;
    ``motives`` maps each motive to how many suspects have it (fewer than two: none shown).
    Sentences are written with their " at <time>"; the single-time cut removes it."""

    suspects: list[str]
    weapons: list[str]
    rooms: list[str]
    columns: int
    times: list[str]
    motives: dict[str, int]
    clues: list[str]
    questions: list[tuple[str, str]] = field(default_factory=list)  # (sentence, answer type)
    bonus: list[tuple[str, str]] = field(default_factory=list)

    @property
    def unique(self) -> bool:
        return len(self.motives) == len(self.suspects) and all(n == 1 for n in self.motives.values())


def render_original(scene: Scene) -> str:
    """The prompt the original's template writes for ``scene`` (see the module docstring)."""
    rooms = scene.rooms
    digits = 1 if len(rooms) < 10 else 2
    asked = scene.questions + scene.bonus
    labels = [chr(65 + i) for i in range(len(asked))]
    n_main = len(scene.questions)
    motive_lines = [
        f"• {m}" + ("" if scene.unique else f" ({n} suspect{'' if n == 1 else 's'})") for m, n in scene.motives.items()
    ]
    parts = [
        INTRO,
        "\n".join(f"• {s}" for s in scene.suspects),
        WEAPONS_HEAD,
        "\n".join(f"• {w}" for w in scene.weapons),
        ROOMS_HEAD,
        "\n".join(f"{i:0{digits}d}. {r}" for i, r in enumerate(rooms, start=1)),
        MAP_HEAD,
        board(len(rooms), scene.columns),
        TIMES_HEAD,
        "\n".join(f"• {t}" for t in scene.times),
        MOVES,
        motives_head(scene.unique),
        "\n".join(motive_lines),
        MURDER_RULE,
        CLUES_HEAD,
        "\n".join(f"- {c}" for c in scene.clues),
        QUESTIONS_HEAD,
        "\n".join(f"{lab}. {q}" for lab, (q, _) in zip(labels[:n_main], scene.questions)),
        BONUS_HEAD,
        "\n".join(f"{lab}. {q}" for lab, (q, _) in zip(labels[n_main:], scene.bonus)),
        FORMAT_HEAD,
        "\n".join(f"{lab}. {kind}" for lab, (_, kind) in zip(labels, asked)),
        CLOSING,
    ]
    text = "\n\n".join(parts).strip()
    if len(scene.times) < 2:
        times_block = TIMES_HEAD + "\n\n" + "\n".join(f"• {t}" for t in scene.times) + "\n\n" + MOVES
        text = text.replace("\n" + times_block + "\n", "")
        text = text.replace(MURDER_RULE_TAIL, ".")
        text = text.replace(" at least once", "").replace(f" at {ONE_TIME}", "")
    if len(scene.motives) < 2:
        start = text.find(motives_head(False))
        if start >= 0:
            text = text[:start] + text[text.index("For the murder to occur", start) :]
    return text


# --------------------------------------------------------------------------- the shapes

SUSPECTS = ["Miss Peach", "Mr. Green", "Sgt. Gray"]
WEAPONS = ["Rope", "Knife"]
ROOM_SETS = {
    "3 rooms, 2 columns": (["Hall", "Fountain", "Study"], 2),
    "2 rooms, 1 column": (["Hall", "Study"], 1),
    "11 rooms, 3 columns": (
        ["Hall", "Lounge", "Dining Room", "Kitchen", "Ballroom", "Conservatory", "Billiard Room", "Library", "Study",
         "Carriage House", "Fountain"],
        3,
    ),
}  # fmt: skip
TIME_SETS = {"one time": [ONE_TIME], "three times": ["11:00 PM", "11:30 PM", "12:00 AM"]}
MOTIVE_SETS = {
    "one motive (no block)": {"Greed": 3},
    "shared motives": {"Greed": 2, "Fear": 1},
    "unique motives": {"Greed": 1, "Fear": 1, "Pride": 1},
}
MAIN_SETS = ("all main", "some main", "no main")
BONUS_SETS = ("bonus", "no bonus")


def scene_for(rooms: str, times: str, motives: str, main: str, bonus: str) -> tuple[Scene, list[str]]:
    """A scene with the parts named switched on, and the question kinds it asks, in order."""
    room_names, columns = ROOM_SETS[rooms]
    ts = TIME_SETS[times]
    ms = MOTIVE_SETS[motives]
    several_motives = len(ms) >= 2
    late = ts[-1]
    clues = [
        f"Miss Peach was in the {room_names[0]} at {ts[0]}",
        f"The Rope was in the {room_names[-1]} at {late}",
        f"Mr. Boddy was murdered in the {room_names[0]}",
        f"Sgt. Gray was in the same room as the Knife at {late} or Mr. Green was in the {room_names[1]} at {ts[0]}",
    ]
    if len(ts) > 1:
        clues.append(f"Mr. Green moved from the {room_names[1]} to the {room_names[0]} at {ts[1]}")
        clues.append(f"Mr. Green and the Knife were in the {room_names[0]} together at least once")
    if several_motives:
        clues.append("Mr. Green is motivated by Greed")
    every = [("Who murdered Mr. Boddy?", "SUSPECT", "who"), ("What weapon did the murderer use?", "WEAPON", "what")]
    every.append(("Where was the murder committed?", "ROOM", "where"))
    if len(ts) > 1:
        every.append(("When did the murder occur?", "TIME", "when"))
    if several_motives:
        every.append(("Why did the murderer do it?", "MOTIVE", "why"))
    chosen = {"all main": every, "some main": every[1::2], "no main": []}[main]
    extra: list[tuple[str, str, str]] = []
    if bonus == "bonus":
        extra += [
            (f"Where was Sgt. Gray at {late}?", "ROOM", "room_of"),
            (f"Where was the Rope at {ts[0]}?", "ROOM", "room_of"),
        ]
        if several_motives:
            extra.append(("What motivates Miss Peach?", "MOTIVE", "motive_of"))
            holder = next((m for m, n in ms.items() if n == 1), None)
            if holder is not None:
                extra.append((f"Where was the suspect motivated by {holder} at {late}?", "ROOM", "room_of"))
                extra.append((f"Who is motivated by {holder}?", "SUSPECT", "motive_holder"))
    scene = Scene(
        SUSPECTS, WEAPONS, room_names, columns, ts, ms, clues,
        [(q, t) for q, t, _ in chosen], [(q, t) for q, t, _ in extra],
    )  # fmt: skip
    return scene, [k for _, _, k in chosen + extra]


SHAPES = list(itertools.product(ROOM_SETS, TIME_SETS, MOTIVE_SETS, MAIN_SETS, BONUS_SETS))


def test_the_renderer_follows_the_template_on_a_real_prompt(val_json) -> None:
    """The renderer's fixed text, list, map and question layout is the original's: a real
    ``val.json`` prompt re-rendered from what it states comes out byte for byte."""
    records = json.loads(val_json.read_text())
    checked = 0
    for record in records:
        prompt = record["prompt"]
        outline = read_prompt(prompt)
        assert outline.layout is not None
        lines = {q.label: q for q in outline.questions}
        scene = Scene(
            list(outline.suspects),
            list(outline.weapons),
            list(outline.rooms),
            outline.layout.width,
            list(outline.times) or [ONE_TIME],
            dict(zip(outline.motives, outline.motive_counts)),
            # the single-time cut already happened in the file's text; cutting again changes nothing
            list(outline.clue_texts),
            [(q.text, outline.answer_types[q.label]) for q in lines.values() if not q.bonus],
            [(q.text, outline.answer_types[q.label]) for q in lines.values() if q.bonus],
        )
        assert render_original(scene) == prompt, record
        checked += 1
    assert checked == 64


@pytest.mark.parametrize("rooms,times,motives,main,bonus", SHAPES, ids=["/".join(s) for s in SHAPES])
def test_every_template_shape(rooms: str, times: str, motives: str, main: str, bonus: str) -> None:
    scene, kinds = scene_for(rooms, times, motives, main, bonus)
    prompt = render_original(scene)
    # The shapes themselves, as the template writes them.
    if len(scene.times) < 2:
        assert TIMES_HEAD not in prompt and " at 12:00 AM" not in prompt and prompt.count("weapon.") == 1
    if len(scene.motives) < 2:
        assert "possible motives" not in prompt
    if bonus == "no bonus":
        assert f"{BONUS_HEAD}\n\n\n\n" in prompt
    if main == "no main":
        assert f"{QUESTIONS_HEAD}\n\n\n\n{BONUS_HEAD}" in prompt

    outline = read_prompt(prompt, strict=False)
    assert outline.problems == ()
    parsed = parse_prompt(prompt)
    case = parsed.case
    assert parsed.format == "original" and parsed.dialect == "original"
    assert list(case.suspects) == scene.suspects and list(case.weapons) == scene.weapons
    assert list(case.room_names) == scene.rooms
    assert (case.layout.width, case.layout.count) == (scene.columns, len(scene.rooms))
    assert list(case.times) == (scene.times if len(scene.times) > 1 else [SINGLE_TIME])
    if len(scene.motives) >= 2:
        assert dict(zip(case.motives, case.motive_counts)) == scene.motives
    else:
        assert case.motives == () and case.motive_counts == ()
    assert len(parsed.clues) == len(scene.clues)
    asked = scene.questions + scene.bonus
    assert list(parsed.labels) == [chr(65 + i) for i in range(len(asked))]
    assert [q.kind for q in parsed.questions] == kinds
    assert [q.bonus for q in parsed.questions] == [False] * len(scene.questions) + [True] * len(scene.bonus)
    assert parsed.answer_types == {lab: t for lab, (_, t) in zip(parsed.labels, asked)}
    # The question table writes the original's sentences too (but for the article of a
    # motive held by one suspect among shared ones: the original says "the", ours "a"),
    # and reads its own sentences back.
    texts = [q.text for q in outline.questions]
    if case.unique_motives or not case.motives:
        assert [q.text(case) for q in parsed.questions] == texts
    for q in parsed.questions:
        assert parse_question(q.text(case), case, bonus=q.bonus) == q
    if asked:
        assert parsed.options == options_from_prompt(prompt)
    else:
        assert options_from_prompt(prompt) is None  # nothing is asked, nothing can be answered


def test_shapes_cover_every_switch() -> None:
    assert len(SHAPES) == 3 * 2 * 3 * 3 * 2
    kinds = {k for shape in SHAPES for k in scene_for(*shape)[1]}
    assert kinds == {"who", "what", "where", "when", "why", "room_of", "motive_of", "motive_holder"}


def test_spacing_variants_read_the_same() -> None:
    """Windows line ends, blank lines holding spaces, extra blank lines, trailing spaces."""
    scene, _ = scene_for("3 rooms, 2 columns", "three times", "shared motives", "all main", "no bonus")
    prompt = render_original(scene)
    base = parse_prompt(prompt)
    variants = [
        prompt.replace("\n", "\r\n"),
        prompt.replace("\n\n", "\n   \n"),
        prompt.replace("\n\n", "\n\n\n"),
        "\n".join(line + "  " for line in prompt.split("\n")),
        "\n\n" + prompt + "\n",
    ]
    for text in variants:
        parsed = parse_prompt(text)
        assert (parsed.case, parsed.clues, parsed.questions, parsed.labels) == (
            base.case,
            base.clues,
            base.questions,
            base.labels,
        )


def test_unreadable_clues_still_give_options() -> None:
    scene, _ = scene_for("3 rooms, 2 columns", "three times", "unique motives", "all main", "bonus")
    scene.clues.append("The butler did it")
    prompt = render_original(scene)
    with pytest.raises(PromptParseError, match="clue 8"):
        parse_prompt(prompt)
    options = options_from_prompt(prompt)
    assert options is not None and options["A"] == SUSPECTS and options["B"] == WEAPONS
    outline = read_prompt(prompt, strict=False)
    assert outline.problems == () and outline.clue_texts[-1] == "The butler did it"


def test_a_question_sentence_the_template_cannot_write_is_refused() -> None:
    scene, _ = scene_for("3 rooms, 2 columns", "three times", "shared motives", "all main", "bonus")
    scene.bonus.append(("Where was the suspect motivated by Greed at 11:00 PM?", "ROOM"))  # Greed is shared
    with pytest.raises(PromptParseError, match="shared motive"):
        parse_prompt(render_original(scene))


# --------------------------------------------------------------------------- real prompts, reshaped

_QUESTION_LINE = re.compile(r"^([A-Z])\. (.+)$")


def reshape(prompt: str, keep_main: bool, keep_bonus: bool) -> tuple[str, dict[str, str]]:
    """A ``val.json`` prompt with its main and/or bonus questions dropped, as the template
    writes such a puzzle (labels run on from A), and the old label -> new label map."""
    head, rest = prompt.split(f"\n\n{QUESTIONS_HEAD}\n\n")
    main_text, rest = rest.split(f"\n\n{BONUS_HEAD}\n\n")
    bonus_text, rest = rest.split(f"\n\n{FORMAT_HEAD}\n\n")
    format_text, closing = rest.split("\n\n", 1)
    types = dict(line.split(". ", 1) for line in format_text.splitlines())
    main = [_QUESTION_LINE.match(line).groups() for line in main_text.splitlines()]  # type: ignore[union-attr]
    bonus = [_QUESTION_LINE.match(line).groups() for line in bonus_text.splitlines()]  # type: ignore[union-attr]
    kept = (main if keep_main else []) + (bonus if keep_bonus else [])
    relabel = {old: chr(65 + i) for i, (old, _) in enumerate(kept)}
    n_main = len(main) if keep_main else 0
    questions = "\n".join(f"{relabel[old]}. {q}" for old, q in kept[:n_main])
    bonuses = "\n".join(f"{relabel[old]}. {q}" for old, q in kept[n_main:])
    answer = "\n".join(f"{relabel[old]}. {types[old]}" for old, _ in kept)
    text = f"{head}\n\n{QUESTIONS_HEAD}\n\n{questions}\n\n{BONUS_HEAD}\n\n{bonuses}\n\n{FORMAT_HEAD}\n\n{answer}\n\n{closing}"
    return text, relabel


@pytest.mark.parametrize("keep_main,keep_bonus", [(True, False), (False, True), (False, False)])
def test_reshaped_original_prompts_are_solved(val_json, keep_main: bool, keep_bonus: bool) -> None:
    """The reported failure: "And the following bonus question(s):" followed by nothing
    (and its kin) on real prompts; the solver still answers every question asked."""
    records = json.loads(val_json.read_text())
    agent = SolverAgent()
    for i in (0, 9, 26, 40, 63):
        prompt, relabel = reshape(records[i]["prompt"], keep_main, keep_bonus)
        solution = {new: records[i]["solution"][old] for old, new in relabel.items()}
        parsed = parse_prompt(prompt)
        assert list(parsed.labels) == list(solution), i
        completion = agent.answer(prompt)
        assert completion.error is None, (i, completion.error)
        if solution:
            assert grade(completion.text, solution, options_from_prompt(prompt)).reward == 1.0, i
        else:
            assert completion.text == "" and solve_prompt(prompt).answers == {}
    agent.close()
