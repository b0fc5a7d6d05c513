"""Tests of clue_env.clue_parse: every clue text reads back as the clue it was written from.

- hand-built clues of every atom, reference, negation and combination, on cases with
  several times, a single time, unique, shared and no motives, outdoor rooms and names
  with spaces and dots;
- every clue of generated puzzles across sizes, one by one and from the rendered prompt
  (found there by the one prompt reader, ``prompt_parse``);
- the meaning read back from the text holds in the puzzle's night;
- texts that match no clue form, or match two, raise ClueParseError.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from clue_env.case import Case
from clue_env.clue_parse import ClueParseError, parse_clue, readings
from clue_env.clues import (
    MURDER_WEAPON,
    MURDERER,
    NEGATABLE,
    VICTIM,
    At,
    Beside,
    Carried,
    Culprit,
    Either,
    HasMotive,
    Iff,
    KilledWith,
    Moved,
    MurderRoom,
    MurderTime,
    Not,
    Ref,
    SameRoom,
    Together,
    clue_text,
    holds,
)
from clue_env.generate import generate_puzzle
from clue_env.layout import DIRECTIONS, Layout
from clue_env.prompt_parse import PromptParseError, parse_prompt, read_prompt
from clue_env.sizes import Levels, Sizes, fixed
from clue_env.theme import CLASSIC, Room
from clue_env.variant import Variant

VARIANT = Variant("classic", "test", CLASSIC, Levels((fixed("t", Sizes(3, 3, 4, 3, 3)),)))

# --------------------------------------------------------------------------- hand-built cases

SUSPECTS = ("Sgt. Gray", "Miss Scarlet", "Mr. Green", "Mrs. White")
WEAPONS = ("Knife", "Lead Pipe", "Rope")
ROOMS = (
    Room("Hall"),
    Room("Hall of Mirrors"),
    Room("Fountain", outdoor=True),
    Room("Billiard Room"),
    Room("Gazebo", outdoor=True),
    Room("Study"),
)
TIMES = ("11:30 PM", "12:00 AM", "12:30 AM")


def make_case(times: tuple[str, ...] = TIMES, motives: tuple[str, ...] = (), counts: tuple[int, ...] = ()) -> Case:
    return Case("Mr. Boddy", SUSPECTS, WEAPONS, ROOMS, Layout(3, len(ROOMS)), times, motives, counts)


CASES = {
    "times+unique": make_case(motives=("Greed", "Revenge", "Pride", "Fear"), counts=(1, 1, 1, 1)),
    "times+shared": make_case(motives=("Greed", "Revenge"), counts=(3, 1)),
    "times+none": make_case(),
    "single+unique": make_case(times=("10:00 PM",), motives=("Greed", "Revenge", "Pride", "Fear"), counts=(1, 1, 1, 1)),
    "single+none": make_case(times=("10:00 PM",)),
}


def all_refs(case: Case) -> list[Ref]:
    refs = [Ref("suspect", i) for i in range(len(case.suspects))]
    refs += [Ref("weapon", i) for i in range(len(case.weapons))]
    refs += [VICTIM, MURDERER, MURDER_WEAPON]
    refs += [Ref("motive", i) for i in range(len(case.motives))]
    return refs


def every_atom(case: Case) -> list:
    """Every atom the case allows (for Beside, Moved and Carried a deterministic sample)."""
    refs = all_refs(case)
    suspects = [r for r in refs if r.kind in ("suspect", "murderer", "motive")]
    weapons = [r for r in refs if r.kind in ("weapon", "murder_weapon")]
    n_r, n_t = len(case.rooms), len(case.times)
    rng = random.Random(len(refs) * 100 + n_t)
    atoms: list = []
    atoms += [At(who, r, t) for who in refs for r in range(n_r) for t in range(n_t)]
    atoms += [SameRoom(a, b, t) for a in refs for b in refs if a != b for t in range(n_t)]
    beside = [Beside(a, d, b, t) for a in refs for b in refs if a != b for d in DIRECTIONS for t in range(n_t)]
    atoms += rng.sample(beside, min(len(beside), 400))
    if n_t > 1:
        moved = [Moved(who, a, b, t) for who in refs for a in range(n_r) for b in range(n_r) for t in range(1, n_t)]
        atoms += rng.sample(moved, 300)
        carried = [
            Carried(s, w, a, b, t)
            for s in suspects
            for w in weapons
            for a in range(n_r)
            for b in range(n_r)
            for t in range(1, n_t)
        ]
        atoms += rng.sample(carried, 300)
        atoms += [Together(a, b, r) for a in refs for b in refs if a != b for r in range(n_r)]
    atoms += [HasMotive(who, m) for who in suspects for m in range(len(case.motives))]
    atoms += [Culprit(who) for who in suspects]
    atoms += [KilledWith(w) for w in weapons]
    atoms += [MurderTime(t) for t in range(n_t)]
    atoms += [MurderRoom(r) for r in range(n_r)]
    return atoms


def every_clue(case: Case) -> list:
    atoms = every_atom(case)
    negated = [Not(a) for a in atoms if isinstance(a, NEGATABLE)]
    clauses = atoms + negated
    rng = random.Random(7)
    combos = []
    for _ in range(400):
        a, b = rng.choice(clauses), rng.choice(clauses)
        combos += [Either(a, b, exclusive=False), Either(a, b, exclusive=True), Iff(a, b)]
    # Every pair of clause kinds at least once, in both roles.
    by_kind: dict[tuple[type, bool], object] = {}
    for c in clauses:
        key = (type(c.atom if isinstance(c, Not) else c), isinstance(c, Not))
        by_kind.setdefault(key, c)
    for a, b in itertools.product(by_kind.values(), repeat=2):
        combos += [Either(a, b, exclusive=False), Either(a, b, exclusive=True), Iff(a, b)]
    return clauses + combos


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_hand_built_clue_reads_back(name: str) -> None:
    case = CASES[name]
    clues = every_clue(case)
    kinds = Counter(type(c).__name__ for c in clues)
    assert kinds["Not"] and kinds["Either"] and kinds["Iff"] and kinds["At"]
    for clue in clues:
        text = clue_text(clue, case)
        assert parse_clue(text, case) == clue, text
    assert len(clues) > 500


def test_hand_built_cases_cover_every_reference_and_atom() -> None:
    seen_refs: set[str] = set()
    seen_atoms: set[str] = set()
    for case in CASES.values():
        for clue in every_atom(case):
            seen_atoms.add(type(clue).__name__)
            seen_refs.update(v.kind for v in vars(clue).values() if isinstance(v, Ref))
    assert seen_refs == {"suspect", "weapon", "victim", "murderer", "murder_weapon", "motive"}
    assert seen_atoms == {
        "At", "SameRoom", "Beside", "Moved", "Carried", "Together",
        "HasMotive", "Culprit", "KilledWith", "MurderTime", "MurderRoom",
    }  # fmt: skip


def test_sample_texts() -> None:
    """A few sentences written out by hand, so the wording itself is pinned down."""
    case = CASES["times+unique"]
    shared = CASES["times+shared"]
    single = CASES["single+none"]
    gray, scarlet = Ref("suspect", 0), Ref("suspect", 1)
    knife, pipe = Ref("weapon", 0), Ref("weapon", 1)
    expected = [
        (case, "Sgt. Gray was in the Hall of Mirrors at 12:00 AM", At(gray, 1, 1)),
        (case, "The murderer was at the Fountain at 11:30 PM", At(MURDERER, 2, 0)),
        (case, "Mr. Boddy was not at the Gazebo at 12:30 AM", Not(At(VICTIM, 4, 2))),
        (single, "The Knife was in the Study", At(knife, 5, 0)),
        (case, "The murder weapon was in the same room as Miss Scarlet at 12:00 AM", SameRoom(MURDER_WEAPON, scarlet, 1)),
        (case, "The suspect motivated by Fear was in the room just west of the Lead Pipe at 11:30 PM",
         Beside(Ref("motive", 3), "west", pipe, 0)),
        (shared, "A suspect motivated by Greed was in the room just south of Mr. Boddy at 12:30 AM",
         Beside(Ref("motive", 0), "south", VICTIM, 2)),
        (case, "Mr. Boddy moved from the Hall to the Billiard Room at 12:00 AM", Moved(VICTIM, 0, 3, 1)),
        (case, "Miss Scarlet moved the Knife from the Study to the Gazebo at 12:30 AM", Carried(scarlet, knife, 5, 4, 2)),
        (case, "The Rope and Sgt. Gray were at the Fountain together at least once", Together(Ref("weapon", 2), gray, 2)),
        (case, "The murderer is not motivated by Pride", Not(HasMotive(MURDERER, 2))),
        (case, "Mr. Boddy was murdered by the suspect motivated by Revenge", Culprit(Ref("motive", 1))),
        (case, "Mr. Boddy was not killed with the Lead Pipe", Not(KilledWith(pipe))),
        (case, "Mr. Boddy was murdered at 12:30 AM", MurderTime(2)),
        (single, "Mr. Boddy was murdered at 10:00 PM", MurderTime(0)),
        (case, "Mr. Boddy was murdered at the Fountain", MurderRoom(2)),
        (case, "Either the Knife was in the Hall at 12:00 AM or Mr. Boddy was murdered in the Study, but not both",
         Either(At(knife, 0, 1), MurderRoom(5), exclusive=True)),
        (case, "The murderer was in the Hall at 12:00 AM, or Sgt. Gray is motivated by Greed, or both",
         Either(At(MURDERER, 0, 1), HasMotive(gray, 0), exclusive=False)),
        (case, "Sgt. Gray was not in the same room as the Knife at 11:30 PM if and only if the murderer is motivated by Fear",
         Iff(Not(SameRoom(gray, knife, 0)), HasMotive(MURDERER, 3))),
    ]  # fmt: skip
    for c, text, clue in expected:
        assert clue_text(clue, c) == text
        assert parse_clue(text, c) == clue
        assert parse_clue(text + ".", c) == clue  # one final full stop is allowed


# --------------------------------------------------------------------------- generated puzzles

ROUND_TRIP_SIZES = [
    Sizes(4, 3, 4, 3, 4),  # unique motives
    Sizes(6, 4, 6, 4, 2),  # shared motives
    Sizes(5, 3, 5, 3, 3),  # shared motives
    Sizes(3, 3, 4, 1, 0),  # a single time, no motives
    Sizes(4, 4, 5, 1, 4),  # a single time, unique motives
    Sizes(5, 4, 9, 3, 0),  # bigger map (outdoor rooms likely)
    Sizes(6, 5, 12, 4, 6, bonus_questions=3, pin="answers"),
    Sizes(4, 3, 16, 2, 2, pin="answers"),
]
SEEDS = range(5)


@pytest.fixture(scope="module")
def puzzles():
    return [(sizes, seed, generate_puzzle(VARIANT, sizes, seed=seed)) for sizes in ROUND_TRIP_SIZES for seed in SEEDS]


def test_generated_clues_read_back(puzzles) -> None:
    kinds: Counter = Counter()
    outdoor = 0
    for sizes, seed, p in puzzles:
        outdoor += any(r.outdoor for r in p.case.rooms)
        for clue in p.clues:
            text = clue_text(clue, p.case)
            parsed = parse_clue(text, p.case)
            assert parsed == clue, (
                f"sizes {sizes.tag()} seed {seed}: {text!r} read as {parsed!r}, written from {clue!r}"
            )
            kinds[type(clue).__name__] += 1
    assert len(puzzles) == len(ROUND_TRIP_SIZES) * len(SEEDS)
    assert outdoor > 0
    assert {"At", "Either", "Iff", "Not", "Moved"} <= set(kinds), kinds


def test_prompt_clues_read_back(puzzles) -> None:
    for sizes, seed, p in puzzles:
        prompt = p.render()
        texts = read_prompt(prompt).clue_texts
        assert list(texts) == p.clue_texts()
        assert [parse_clue(t, p.case) for t in texts] == list(p.clues), f"sizes {sizes.tag()} seed {seed}"
        assert parse_prompt(prompt).clues == p.clues, f"sizes {sizes.tag()} seed {seed}"  # the case read too


def test_meaning_from_text_holds_in_the_night(puzzles) -> None:
    """The clue re-derived from the prompt is true of the puzzle's night."""
    for sizes, seed, p in puzzles:
        for clue in parse_prompt(p.render()).clues:
            assert holds(clue, p.case, p.night), (
                f"sizes {sizes.tag()} seed {seed}: clue {clue_text(clue, p.case)!r} is false of the night"
            )


# --------------------------------------------------------------------------- bad texts


@pytest.mark.parametrize(
    "name, text",
    [
        ("times+unique", ""),
        ("times+unique", "Good luck, detective"),
        ("times+unique", "Colonel Mustard was in the Hall at 12:00 AM"),  # not in this case
        ("times+unique", "Sgt. Gray was in the Hall at 3:00 AM"),  # no such time
        ("times+unique", "Sgt. Gray was in the Hall"),  # several times: a time is needed
        ("single+none", "Sgt. Gray was in the Hall at 10:00 PM"),  # one time: none is named
        ("times+unique", "Sgt. Gray was in the Fountain at 12:00 AM"),  # outdoor: "at the"
        ("times+unique", "Sgt. Gray was at the Hall at 12:00 AM"),
        ("times+unique", "Knife was in the Hall at 12:00 AM"),  # weapons take "the"
        ("times+unique", "A suspect motivated by Greed was in the Hall at 12:00 AM"),  # unique: "the"
        ("times+shared", "The suspect motivated by Greed was in the Hall at 12:00 AM"),  # shared: "a"
        ("times+none", "The suspect motivated by Greed was in the Hall at 12:00 AM"),  # no motives
        ("times+unique", "Sgt. Gray was not in the room just north of the Knife at 12:00 AM"),  # no negative form
        ("times+unique", "Sgt. Gray did not move from the Hall to the Study at 12:00 AM"),
        ("times+unique", "Sgt. Gray moved from the Hall to the Study at 11:30 PM"),  # the first time
        ("times+unique", "Mr. Boddy was murdered by the Knife"),
        ("times+unique", "Mr. Boddy was killed with Sgt. Gray"),
        ("times+unique", "The Knife moved the Rope from the Hall to the Study at 12:00 AM"),
        ("times+unique", "The Knife is motivated by Greed"),
        ("times+unique", "Sgt. Gray was in the Hall at 12:00 AM or the murderer is motivated by Greed"),
        ("times+unique", "Either Sgt. Gray was in the Hall at 12:00 AM or the murderer is motivated by Greed"),
        ("times+unique", "Sgt. Gray was in the Hall at 12:00 AM, or the murderer is motivated by Greed"),
        ("times+unique", "Sgt. Gray was in the Hall at 12:00 AM, or Mr. Boddy was murdered at noon, or both"),
        ("times+unique", "Sgt. Gray was in the Hall at 12:00 AM if and only if"),
        ("times+unique", "Either Sgt. Gray was in the Hall at 12:00 AM or Mr. Boddy was murdered, or both, but not both"),
        ("times+unique", ("Sgt. Gray was in the Hall at 12:00 AM if and only if Sgt. Gray was in the Hall at 12:00 AM "
                          "if and only if Mr. Boddy was murdered in the Hall")),  # clues nest one level only
        ("times+unique", "sgt. Gray was in the Hall at 12:00 AM"),
        ("times+unique", "Sgt. Gray  was in the Hall at 12:00 AM"),
    ],
)  # fmt: skip
def test_bad_texts_raise(name: str, text: str) -> None:
    case = CASES[name]
    with pytest.raises(ClueParseError) as err:
        parse_clue(text, case)
    assert repr(text.strip()) in str(err.value) or text.strip() == ""


def test_errors_name_the_text_and_why() -> None:
    case = CASES["times+unique"]
    with pytest.raises(ClueParseError, match="matches no clue form"):
        parse_clue("The butler did it", case)
    with pytest.raises(ClueParseError, match="first time"):
        parse_clue("Sgt. Gray moved from the Hall to the Study at 11:30 PM", case)
    with pytest.raises(ClueParseError):
        parse_clue(None, case)  # type: ignore[arg-type]
    assert issubclass(ClueParseError, ValueError)


def test_ambiguous_text_raises() -> None:
    """Names that overlap the wording: a sentence with two readings is refused, not guessed."""
    case = Case(
        "Mr. Boddy",
        ("Ann", "Bob and Cy", "Ann and Bob", "Cy"),
        ("Knife",),
        (Room("Hall"), Room("Den")),
        Layout(2, 2),
        ("10:00 PM", "11:00 PM"),
        (),
        (),
    )
    text = "Ann and Bob and Cy were in the Hall together at least once"
    found = readings(text, case)
    assert set(found) == {
        Together(Ref("suspect", 0), Ref("suspect", 1), 0),
        Together(Ref("suspect", 2), Ref("suspect", 3), 0),
    }
    with pytest.raises(ClueParseError, match="can be read 2 ways"):
        parse_clue(text, case)
    # Unambiguous sentences of the same case still read.
    assert parse_clue("Ann and Cy were in the Den together at least once", case) == Together(
        Ref("suspect", 0), Ref("suspect", 3), 1
    )


def test_ambiguous_split_raises() -> None:
    """Room names containing the combination's own words make two split points work."""
    case = Case(
        "Mr. Boddy",
        ("Ann", "Bo", "Cy"),
        ("Knife",),
        (
            Room("Hall"),
            Room("Den"),
            Room("Hall if and only if Cy was in the Den"),
            Room("Den if and only if Ann was in the Den"),
        ),
        Layout(2, 4),
        ("10:00 PM",),
        (),
        (),
    )
    ann, bo, cy = (Ref("suspect", i) for i in range(3))
    text = "Bo was in the Hall if and only if Cy was in the Den if and only if Ann was in the Den"
    assert set(readings(text, case)) == {Iff(At(bo, 0, 0), At(cy, 3, 0)), Iff(At(bo, 2, 0), At(ann, 1, 0))}
    with pytest.raises(ClueParseError, match="2 ways"):
        parse_clue(text, case)


def test_prompt_clues_need_a_clue_section() -> None:
    """The clue sentences of a prompt come from the one prompt reader (``read_prompt``)."""
    case = CASES["times+unique"]
    whole = generate_puzzle(VARIANT, "t", seed=0).render()
    outline = read_prompt("Suspects:\n\n• Sgt. Gray\n", strict=False)
    assert outline.clue_texts == () and any("no 'clues' section" in why for why in outline.problems)
    with pytest.raises(PromptParseError, match="no 'clues' section"):
        parse_prompt(whole.replace("Clues:", "Nothing here."))
    prompt = "Intro.\n\nClues:\n\n- Sgt. Gray was in the Hall at 12:00 AM\n- The butler did it\n\nQuestions:\n\nA. Who?"
    texts = read_prompt(prompt, strict=False).clue_texts
    assert parse_clue(texts[0], case) == At(Ref("suspect", 0), 0, 1)
    with pytest.raises(ClueParseError, match="clue 'The butler did it'"):
        parse_clue(texts[1], case)
    lines = whole.split("\n")
    first = lines.index("Clues:") + 2
    bad = "\n".join([*lines[: first + 1], "- The butler did it", *lines[first + 1 :]])
    with pytest.raises(PromptParseError, match="clue 2: clue 'The butler did it'"):
        parse_prompt(bad)
    good = "Clues:\n\n- Sgt. Gray was in the Hall at 12:00 AM\n- Mr. Boddy was murdered at 12:30 AM\n\nQuestions:\n\nA. Who?"
    texts = read_prompt(good, strict=False).clue_texts
    assert [parse_clue(t, case) for t in texts] == [At(Ref("suspect", 0), 0, 1), MurderTime(2)]


def test_a_second_dialect_plugs_in() -> None:
    """Another wording reuses the atom table and brings its own combinations."""
    from clue_env.clue_parse import CLUE_ENV_ATOMS, ComboForm, Dialect, clue_env_vocabulary

    plain_or = Dialect(
        "plain-or",
        CLUE_ENV_ATOMS,
        (ComboForm("xor", "{a} or {b}", lambda a, b: Either(a, b, exclusive=True)),),
        clue_env_vocabulary,
    )
    case = CASES["times+unique"]
    text = "Sgt. Gray was in the Hall at 12:00 AM or the murderer is motivated by Greed"
    assert parse_clue(text, case, plain_or) == Either(
        At(Ref("suspect", 0), 0, 1), HasMotive(MURDERER, 0), exclusive=True
    )
    with pytest.raises(ClueParseError):
        parse_clue(text, case)  # not this project's wording
    with pytest.raises(ValueError, match="unknown clue dialect"):
        parse_clue(text, case, "no-such-dialect")


def test_original_dialect() -> None:
    """The original benchmark's wording: a bare "or" is exclusive ("original") or inclusive
    ("original-literal"); "the"/"a suspect motivated by" both name the motive's holders."""
    case = CASES["times+shared"]
    gray, scarlet, greed = Ref("suspect", 0), Ref("suspect", 1), Ref("motive", 0)
    text = "Sgt. Gray was in the Hall at 12:00 AM or the suspect motivated by Greed was at the Fountain at 11:30 PM"
    a, b = At(gray, 0, 1), At(greed, 2, 0)
    assert parse_clue(text, case, "original") == Either(a, b, exclusive=True)
    assert parse_clue(text, case, "original-literal") == Either(a, b, exclusive=False)
    with pytest.raises(ClueParseError):
        parse_clue(text, case)  # not this project's wording
    assert parse_clue("A suspect motivated by Greed was in the Study at 12:30 AM", case, "original") == At(greed, 5, 2)
    assert parse_clue("Miss Scarlet was in the Fountain at 12:30 AM", case, "original") == At(scarlet, 2, 2)
    iff = "Mr. Boddy was murdered at 12:00 AM if and only if the murderer is motivated by Revenge"
    assert parse_clue(iff, case, "original") == Iff(MurderTime(1), HasMotive(MURDERER, 1))
    # One time: no " at <time>", and "together" without "at least once".
    single = CASES["single+none"]
    assert parse_clue("Sgt. Gray and the Knife were in the Study together", single, "original") == Together(
        gray, Ref("weapon", 0), 5
    )
    assert parse_clue("Sgt. Gray was in the same room as Miss Scarlet", single, "original") == SameRoom(
        gray, scarlet, 0
    )
    with pytest.raises(ClueParseError):
        parse_clue("Sgt. Gray and the Knife were in the Study together", CASES["times+none"], "original")
