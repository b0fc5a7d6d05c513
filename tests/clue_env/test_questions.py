"""The question table (clue_env.questions): one form per kind drives wording, reading, answers,
facts, JSON and the CP-SAT literal; prompts are byte for byte those written before the table.

- every question a case can be asked reads back from its text (both wordings), and no
  kind's meaning depends on ``bonus``;
- the answer, the fact "the answer is option k" (``holds``) and ``NightModel.answer_literal``
  agree on solver nights;
- JSON round trips; puzzle records of format 1 (a "where" question with a subject) load;
- fixed prompts keep the sha256 they had before the table (generated with the code of the
  commit before it).
"""

from __future__ import annotations

import hashlib
import typing

import numpy as np
import pytest
from ortools.sat.python import cp_model

from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.case import Case, draw_case
from clue_env.clues import MURDERER, Ref, holds
from clue_env.generate import generate_puzzle
from clue_env.layout import Layout
from clue_env.model import NightModel, new_solver
from clue_env.night import simulate_night
from clue_env.prompt_parse import PromptParseError, parse_question
from clue_env.puzzle import FORMAT_VERSION, Puzzle
from clue_env.questions import MAIN_KINDS, QUESTION_FORMS, QUESTION_KINDS, Question, QuestionKind
from clue_env.sizes import MAIN_QUESTIONS, Sizes
from clue_env.theme import CLASSIC, Room


def every_question(case: Case) -> list[Question]:
    """Every question that can be asked of ``case`` with one right answer."""
    out = [Question(k) for k in MAIN_KINDS]  # type: ignore[arg-type]
    refs = [Ref("suspect", s) for s in range(len(case.suspects))] + [Ref("weapon", w) for w in range(len(case.weapons))]
    refs += [Ref("motive", m) for m in range(len(case.motives)) if case.motive_counts[m] == 1]
    refs += [Ref("victim"), MURDERER, Ref("murder_weapon")]
    out += [Question("room_of", True, r, t) for r in refs for t in range(len(case.times))]
    if case.motives:
        out += [Question("motive_of", True, Ref("suspect", s)) for s in range(len(case.suspects))]
        out += [Question("motive_holder", True, motive=m) for m, n in enumerate(case.motive_counts) if n == 1]
    return [q for q in out if q.problem(case) is None]


CASE_SIZES = [Sizes(4, 3, 5, 3, 4), Sizes(5, 3, 6, 4, 2), Sizes(3, 3, 4, 1, 0), Sizes(4, 4, 5, 1, 4)]


@pytest.mark.parametrize("sizes", CASE_SIZES, ids=lambda s: s.tag())
def test_every_question_reads_back(sizes: Sizes) -> None:
    case = draw_case(np.random.default_rng(3), CLASSIC, sizes)
    questions = every_question(case)
    assert {q.kind for q in questions} >= {"who", "what", "where", "room_of"}
    texts = set()
    for q in questions:
        text = q.text(case)
        texts.add(text)
        for dialect in ("clue_env", "original"):
            assert parse_question(text, case, dialect, bonus=q.bonus) == q, (dialect, text)
    assert len(texts) == len(questions)  # no two questions share a sentence


def test_kinds_are_distinct_and_bonus_does_not_change_them() -> None:
    assert QUESTION_KINDS == typing.get_args(QuestionKind) == tuple(QUESTION_FORMS)
    assert MAIN_KINDS == MAIN_QUESTIONS == tuple(k for k, f in QUESTION_FORMS.items() if f.main)
    assert len({f.template for f in QUESTION_FORMS.values()}) == len(QUESTION_FORMS)
    case = draw_case(np.random.default_rng(5), CLASSIC, Sizes(4, 3, 5, 3, 4))
    night = simulate_night(np.random.default_rng(5), case)
    for q in every_question(case):
        other = Question(q.kind, not q.bonus, q.subject, q.time, q.motive)
        assert other.text(case) == q.text(case)
        assert other.answer(case, night) == q.answer(case, night) and other.fact(0) == q.fact(0)
    with pytest.raises(ValueError, match="unknown question kind"):
        Question("whereabouts")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs subject"):
        Question("room_of", True)
    with pytest.raises(ValueError, match="takes no subject"):
        Question("where", True, Ref("suspect", 0))
    with pytest.raises(ValueError, match="named suspect"):
        Question("motive_of", True, Ref("motive", 0))


@pytest.mark.parametrize("sizes", CASE_SIZES[:3], ids=lambda s: s.tag())
def test_answers_facts_and_literals_agree(sizes: Sizes) -> None:
    """On nights CP-SAT finds: ``answer`` names option ``answer_index``, exactly that
    option's fact holds, and ``NightModel.answer_literal`` is true exactly for it."""
    rng = np.random.default_rng(7)
    case = draw_case(rng, CLASSIC, sizes)
    questions = every_question(case)
    model = NightModel(case)
    lits = {(q, k): model.answer_literal(q, k) for q in questions for k in range(len(q.options(case)))}
    solver = new_solver(1)
    keys = list(lits)
    checked = 0
    for _ in range(25):
        picks = rng.choice(len(keys), size=2, replace=False)
        model.model.clear_assumptions()
        model.model.add_assumptions([lits[keys[int(j)]] for j in picks])
        if solver.solve(model.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        night = model.read_night(solver)
        for q in questions:
            right = q.answer_index(night)
            assert q.answer(case, night) == q.options(case)[right]
            assert holds(q.answer_clue(night), case, night)
            for k in range(len(q.options(case))):
                assert holds(q.fact(k), case, night) == (k == right), (q, k)
                assert solver.boolean_value(lits[(q, k)]) == (k == right), (q, k)
        checked += 1
    assert checked >= 10


def test_question_errors_say_what() -> None:
    case = Case(
        "Mr. Boddy",
        ("Ann", "Bob"),
        ("Rope",),
        (Room("Hall"), Room("Den")),
        Layout(2, 2),
        ("10:00 PM", "11:00 PM"),
        ("Greed",),
        (2,),
    )
    with pytest.raises(PromptParseError, match="none of the question forms"):
        parse_question("Who ate the cake?", case)
    with pytest.raises(PromptParseError, match="no piece and time of the puzzle fit"):
        parse_question("Where was Cy at 10:00 PM?", case)
    with pytest.raises(PromptParseError, match="2 right answers"):
        parse_question("Who is motivated by Greed?", case)
    with pytest.raises(PromptParseError, match="2 suspects at once"):
        parse_question("Where was a suspect motivated by Greed at 10:00 PM?", case)
    with pytest.raises(PromptParseError, match="must be text"):
        parse_question(None, case)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown clue dialect"):
        parse_question("Who murdered Mr. Boddy?", case, "poetic")
    one_time = Case("Mr. Boddy", ("Ann", "Bob"), ("Rope",), (Room("Hall"),), Layout(1, 1), ("12:00 AM",), (), ())
    with pytest.raises(PromptParseError, match="lists no times"):
        parse_question("When did the murder occur?", one_time)
    with pytest.raises(PromptParseError, match="lists no motives"):
        parse_question("Why did the murderer do it?", one_time)


# --------------------------------------------------------------------------- JSON and records


def test_json_round_trip_and_format_1() -> None:
    case = draw_case(np.random.default_rng(2), CLASSIC, Sizes(4, 3, 5, 3, 4))
    for q in every_question(case):
        data = q.to_json()
        assert Question.from_json(data) == q
        assert set(data) == {"kind", "bonus", *q.form.fields}
    old = {"kind": "where", "bonus": True, "subject": ["motive", 1], "time": 2}  # format 1's "where" of a piece
    assert Question.from_json(old) == Question("room_of", True, Ref("motive", 1), 2)
    assert Question.from_json({"kind": "where", "bonus": False}) == Question("where")
    for bad in ({"kind": "whereabouts"}, {"bonus": True}, "who"):
        with pytest.raises(ValueError, match="question"):
            Question.from_json(bad)  # type: ignore[arg-type]


def format_1(record: dict) -> dict:
    """``record`` as format 1 wrote it: questions of where a piece was are kind "where"."""
    old = dict(record, format=1)
    old["questions"] = [dict(q, kind="where") if q["kind"] == "room_of" else q for q in record["questions"]]
    return old


def test_records_of_format_1_still_load() -> None:
    assert FORMAT_VERSION == 2
    for p in (generate_puzzle(TEMPORAL, "easy", 4), generate_puzzle(TINY, "medium", 1)):
        record = p.to_record()
        assert record["format"] == 2 and any(q["kind"] == "room_of" for q in record["questions"])
        old = format_1(record)
        assert Puzzle.from_record(old) == p and Puzzle.from_record(record) == p
        assert Puzzle.from_record(old).render() == record["prompt"]
    with pytest.raises(ValueError, match="format 3 is not one this version reads"):
        Puzzle.from_record(dict(record, format=3))


# --------------------------------------------------------------------------- prompts unchanged

# sha256 of the prompts these puzzles had before the question table (commit 21ef80f's code):
# main and bonus questions of every kind, unique, shared and no motives, one time and several.
PROMPT_SHA256 = [
    (TEMPORAL, "easy", 7, "95cbe5fba5876187b37a1d3648879776bd11a777c93c0e76d21c9fe6bf1892b3"),
    (TEMPORAL, "easy", 9, "06ba18b181e27aee2b8be93243c3dc11b5aa6bb23a456c5c3f82c8db089dbc09"),
    (TEMPORAL, "medium", 3, "d1d72d193c7cfaa04c0cb0079fe41e88014c4aa33887a91b7031b1164a8e508c"),
    (CLASSIC_GAME, "medium", 1, "daf820954612dea5546263ac3a638a9106fd0601e5df266806fc2d44a96c9e36"),
    (TINY, "medium", 1, "05487ee4ff24392aa46236b4bb9f6cc0babc4f5d1db384a279cd8579d2236325"),
    (TEMPORAL, "benchmark", 12, "b711826957de8ca8d03a96ab2d8b273f6396d1a653897a0f3c90b8915ce0712b"),
    (
        TEMPORAL,
        Sizes(5, 4, 6, 4, 5, bonus_questions=6, pin="answers"),
        6,
        "32746b4fe4a33a0e3410e7fb7cf0eafd229680a6fb8e24ecf51ebadbab5eb806",
    ),
    (
        TEMPORAL,
        Sizes(4, 3, 5, 1, 2, bonus_questions=4, pin="answers"),
        0,
        "def994eb39becb7955e967970b09584ef3b36bd69fa62beaf665b00ee6285029",
    ),
]


@pytest.mark.parametrize(
    "variant,level,seed,digest",
    PROMPT_SHA256,
    ids=[f"{v.name}-{lv if isinstance(lv, str) else lv.tag()}-{s}" for v, lv, s, _ in PROMPT_SHA256],
)
def test_prompts_are_unchanged(variant, level, seed: int, digest: str) -> None:
    p = generate_puzzle(variant, level, seed)
    assert hashlib.sha256(p.render().encode()).hexdigest() == digest
