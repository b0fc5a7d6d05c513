"""The investigation game's engine: the question grammar, case generation and its proof, one episode.

- grammar: every question renders and parses back, its answer sentence reads back into the
  same facts, lenient spellings are read and bad ones are refused with a reason;
- cases: the same seed gives the same record byte for byte; the starting clues are true
  puzzle clues that leave an answer open; the recorded witness set of questions, with them,
  determines every answer (checked on a fresh model); a "minimum" is checked against every
  smaller set of questions on small cases; records round-trip;
- sessions: questions are answered with true facts, a text that is no question costs one,
  final answers are graded by the one-shot grader, the budget ends the episode, the reward
  is fraction - cost x questions, and no text raises.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest

from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.clues import At, HasMotive, Not, Ref, clue_from_json, holds
from clue_env.generate import generate_puzzle
from clue_env.investigation import (
    InvestigationCase,
    InvestigationError,
    QueryError,
    Session,
    all_queries,
    budget_for,
    case_from_puzzle,
    determines,
    generate_case,
    parse_query,
    read_answer,
)
from clue_env.investigation.grammar import Query, answer_codes, grammar_lines, grammar_summary, last_line_query
from clue_env.prompt_parse import parse_prompt
from clue_env.sizes import Sizes

WORLDS = [
    (TINY, "easy", 0),
    (TINY, "medium", 1),
    (CLASSIC_GAME, "easy", 2),  # one time: questions name no time
    (TEMPORAL, "easy", 3),  # unique motives
    (TEMPORAL, Sizes(4, 3, 5, 3, 2, bonus_questions=2), 1),  # shared motives
]


def _id(x) -> str | None:
    return getattr(x, "name", None) or (x.tag() if isinstance(x, Sizes) else None)


def _solution_text(inv: InvestigationCase) -> str:
    return "\n".join(f"{k}. {v}" for k, v in inv.solution.items())


# --------------------------------------------------------------------------- grammar


@pytest.mark.parametrize("variant,level,seed", WORLDS, ids=_id)
def test_every_question_renders_parses_and_its_answer_reads_back(variant, level, seed):
    p = generate_puzzle(variant, level, seed)
    case, night = p.case, p.night
    queries = all_queries(case)
    assert len(set(queries)) == len(queries)
    codes = answer_codes(case, night)
    assert len(codes) == len(queries)
    for q in queries:
        text = q.text(case)
        assert parse_query(text, case) == q, text
        assert parse_query(text.upper(), case) == q
        facts = q.facts(case, night)
        assert facts and all(holds(f, case, night) for f in facts)
        answer = q.answer(case, night)
        assert "\n" not in answer
        assert read_answer(q, answer, case) == facts, answer


def test_question_kinds_and_what_they_reveal():
    p = generate_puzzle(TEMPORAL, "easy", 0)
    case, night = p.case, p.night
    kinds = {q.kind for q in all_queries(case)}
    assert kinds == {"where", "who", "weapons", "motive"}
    who = Query("who", room=night.room, time=night.time)
    facts = who.facts(case, night)
    present = [f.who for f in facts if isinstance(f, At)]
    # At the murder, the murderer is the only suspect with the victim.
    assert present == [Ref("suspect", night.murderer), Ref("victim")]
    assert sum(isinstance(f, Not) for f in facts) == len(case.suspects) - 1
    weapons = Query("weapons", room=night.room, time=night.time).facts(case, night)
    assert At(Ref("weapon", night.weapon), night.room, night.time) in weapons
    motive = Query("motive", Ref("suspect", 1)).facts(case, night)
    assert motive == (HasMotive(Ref("suspect", 1), night.motives[1]),)
    assert grammar_lines(case)[0].startswith("Where was PERSON OR WEAPON at TIME? (for example: Where was ")
    assert "What was SUSPECT's motive?" in grammar_summary(case)
    single = generate_puzzle(CLASSIC_GAME, "easy", 0).case
    assert not any("motive" in line or "TIME" in line for line in grammar_lines(single))


def test_lenient_spellings_are_read():
    p = generate_puzzle(TEMPORAL, "easy", 0)
    case = p.case  # suspects include Colonel Mustard; times 10:00 PM, 11:00 PM, 12:00 AM
    mustard = Ref("suspect", case.suspects.index("Colonel Mustard"))
    knife = Ref("weapon", case.weapons.index("Knife"))
    hall = case.room_names.index("Hall")
    assert parse_query("where was colonel mustard at 10pm", case) == Query("where", mustard, time=0)
    assert parse_query("Question: Where was the Knife at 22:00?", case) == Query("where", knife, time=0)
    assert parse_query("- where was knife at midnight?", case) == Query("where", knife, time=2)
    assert parse_query("**Where was Mr Boddy at 11 p.m.?**", case) == Query("where", Ref("victim"), time=1)
    assert parse_query("Who were at the Hall at 10 PM", case) == Query("who", room=hall, time=0)
    assert parse_query("Which weapon was in hall at 12:00 AM?", case) == Query("weapons", room=hall, time=2)
    plum = Ref("suspect", case.suspects.index("Professor Plum"))
    assert parse_query("What motivates Professor Plum", case) == Query("motive", plum)
    assert parse_query("what was professor plum’s motive?", case) == Query("motive", plum)


@pytest.mark.parametrize(
    "text,why",
    [
        ("Where was the murderer at 10 PM?", "no person or weapon"),  # descriptions are no names
        ("Where was Miss Scarlet at 10 PM?", "no person or weapon"),  # not in this case
        ("Where was Colonel Mustard?", "no person or weapon"),  # the time is missing
        ("Where was Colonel Mustard at 3:00 PM?", "no person or weapon"),  # not one of the times
        ("Who was in the Attic at 10 PM?", "no room and time"),
        ("Who murdered Mr. Boddy?", "none of the question forms"),
        ("", "none of the question forms"),
        ("Where was Colonel Mustard\nat 10 PM?", "one line"),
        ("x" * 600, "short line"),
    ],
)
def test_bad_questions_are_refused_with_a_reason(text, why):
    case = generate_puzzle(TEMPORAL, "easy", 0).case
    with pytest.raises(QueryError, match=why):
        parse_query(text, case)


def test_no_motive_questions_without_motives():
    case = generate_puzzle(TINY, "easy", 0).case
    assert not case.motives
    with pytest.raises(QueryError, match="no motives"):
        parse_query(f"What was {case.suspects[0]}'s motive?", case)
    with pytest.raises(QueryError, match="must be text"):
        parse_query(None, case)  # type: ignore[arg-type]


def test_answers_read_back_whether_or_not_the_reader_knows_which_rooms_are_outdoors():
    from dataclasses import replace

    for seed in range(6):
        p = generate_puzzle(TEMPORAL, "easy", seed)
        indoor = replace(p.case, rooms=tuple(replace(r, outdoor=False) for r in p.case.rooms))
        for q in all_queries(p.case):
            assert read_answer(q, q.answer(p.case, p.night), indoor) == q.facts(p.case, p.night)
    q = Query("where", Ref("suspect", 0), time=0)
    with pytest.raises(QueryError, match="cannot read"):
        read_answer(q, "Nobody knows.", p.case)


def test_last_line_is_the_question():
    case = generate_puzzle(TEMPORAL, "easy", 0).case
    assert last_line_query("Let me think.\n\nWhere was Colonel Mustard at 10 PM?\n\n", case) is not None
    assert last_line_query("Where was Colonel Mustard at 10 PM?\nThat is my question.", case) is None
    assert last_line_query("   \n", case) is None


# --------------------------------------------------------------------------- cases


@pytest.mark.parametrize("variant,level,seed", WORLDS, ids=_id)
def test_case_is_proven_solvable_and_open_at_the_start(variant, level, seed):
    inv = generate_case(variant, level, seed)
    p = inv.puzzle
    assert p == generate_puzzle(variant, level, seed)  # the one-shot puzzle's world
    assert inv.id == f"investigation/{p.id}"
    assert set(inv.start) <= set(range(len(p.clues))) and inv.clues
    assert all(holds(c, p.case, p.night) for c in inv.clues)
    assert len(inv.start) < len(p.clues)
    # The starting clues leave some answer open; with the witness' answers, every one is settled.
    assert not determines(inv, [])
    assert determines(inv)
    assert len(inv.witness) == inv.optimal_questions >= 1
    assert inv.optimal_kind in ("minimum", "upper_bound")
    assert inv.lower_bound <= inv.optimal_questions
    assert inv.budget == budget_for(inv.optimal_questions) >= inv.optimal_questions
    # No question of the witness can be dropped.
    for i in range(len(inv.witness)):
        assert not determines(inv, inv.witness[:i] + inv.witness[i + 1 :])


@pytest.mark.parametrize("seed", range(6))
def test_a_recorded_minimum_is_one(seed):
    """On small cases, every set of fewer questions is tried: none determines the answers."""
    inv = generate_case(TINY, "easy", seed)
    assert inv.optimal_kind == "minimum" and inv.lower_bound == inv.optimal_questions
    queries = all_queries(inv.case)
    for smaller in itertools.combinations(queries, inv.optimal_questions - 1):
        assert not determines(inv, smaller)


def test_the_murderer_is_open_at_the_start_where_it_can_be():
    from ortools.sat.python import cp_model

    from clue_env.model import NightModel, new_solver

    for seed in range(5):
        inv = generate_case(TEMPORAL, "easy", seed)
        assert inv.opens == "the murderer"
        model = NightModel(inv.case)
        for clue in inv.clues:
            model.model.add_bool_or([model.literal(clue)])
        model.model.add_bool_or([model.murderer[inv.night.murderer].Not()])
        # Another murderer fits the starting clues.
        assert new_solver(0).solve(model.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)


def test_same_seed_same_case_byte_for_byte():
    a = json.dumps(generate_case(TEMPORAL, "easy", 5).to_record(), sort_keys=True)
    b = json.dumps(generate_case("temporal", "easy", 5).to_record(), sort_keys=True)
    assert a == b
    assert a != json.dumps(generate_case(TEMPORAL, "easy", 6).to_record(), sort_keys=True)


def test_record_round_trip_and_errors():
    inv = generate_case(TEMPORAL, "easy", 2)
    record = json.loads(json.dumps(inv.to_record()))
    assert list(record)[:3] == ["prompt", "solution", "num_clues"]
    assert record["optimal_kind"] in ("minimum", "upper_bound") and record["witness_text"]
    back = InvestigationCase.from_record(record)
    assert back == inv and back.prompt == inv.prompt
    assert [clue_from_json(c) for c in record["puzzle"]["clues"]] == list(inv.puzzle.clues)
    with pytest.raises(InvestigationError, match="not an investigation"):
        InvestigationCase.from_record({"prompt": "x"})
    with pytest.raises(InvestigationError, match="format"):
        InvestigationCase.from_record({**record, "format": 99})
    with pytest.raises(InvestigationError, match="bad investigation record"):
        InvestigationCase.from_record({**record, "budget": "many"})
    with pytest.raises(InvestigationError, match="'start' names clues"):
        InvestigationCase.from_record({**record, "start": [999]})
    with pytest.raises(InvestigationError, match="withhold"):
        case_from_puzzle(inv.puzzle, withhold=1.5)


def test_prompt_states_the_game_and_reads_as_a_puzzle():
    inv = generate_case(TEMPORAL, "easy", 0)
    prompt = inv.prompt
    assert f"ask up to {inv.budget} questions" in prompt
    assert "minus 0.01 for every question" in prompt
    for line in grammar_lines(inv.case):
        assert line in prompt
    assert prompt.endswith("Good luck, detective.")
    parsed = parse_prompt(prompt)
    assert parsed.clues == inv.clues
    assert list(parsed.labels) == inv.labels
    assert "minus 0.25 for every" in inv.with_cost(0.25).prompt


# --------------------------------------------------------------------------- sessions


def test_session_questions_answers_and_reward():
    inv = generate_case(TEMPORAL, "easy", 0)
    s = Session(inv)
    q = inv.witness[0]
    turn = s.step(q.text(inv.case))
    assert turn.kind == "question" and not turn.done and turn.reward == 0.0
    assert turn.observation == f"{q.answer(inv.case, inv.night)} ({inv.budget - 1} questions left)"
    assert turn.facts == q.facts(inv.case, inv.night) and list(turn.facts) == s.facts
    turn = s.step("Who killed him?")
    assert turn.kind == "invalid" and "That is no question I can answer" in turn.observation
    assert "\n" not in turn.observation and s.questions_asked == 2
    turn = s.step(_solution_text(inv))
    assert turn.kind == "accusation" and turn.done and not turn.truncated
    assert turn.reward == pytest.approx(1.0 - 0.01 * 2)
    info = s.info()
    assert info["solution"] == inv.solution and info["fraction"] == 1.0 and info["reward"] == turn.reward
    assert info["questions"] == [q.text(inv.case)] and len(info["asked"]) == 2
    assert info["facts"][0]["clue"] and info["facts"][0]["text"]
    with pytest.raises(RuntimeError, match="over"):
        s.step("A. x")


def test_the_budget_ends_the_episode():
    inv = generate_case(TINY, "easy", 0)
    s = Session(inv, cost_per_question=0.1)
    for k in range(inv.budget):
        turn = s.step(all_queries(inv.case)[k % 3].text(inv.case))
        assert not turn.done
    assert "no questions left" in turn.observation
    turn = s.step(all_queries(inv.case)[0].text(inv.case))  # a question with none left: graded as it stands
    assert turn.done and turn.truncated and turn.kind == "final"
    assert turn.reward == pytest.approx(0.0 - 0.1 * inv.budget)
    s = Session(inv, cost_per_question=0.0)
    for _ in range(inv.budget):
        s.step("?")
    turn = s.step(_solution_text(inv))
    assert turn.done and not turn.truncated and turn.reward == 1.0
    with pytest.raises(ValueError, match="cost_per_question"):
        Session(inv, cost_per_question=-1)


def test_partial_and_wrong_final_answers():
    inv = generate_case(TEMPORAL, "easy", 1)
    s = Session(inv, cost_per_question=0.0)
    turn = s.step(f"A. {inv.solution['A']}")
    assert turn.kind == "accusation" and turn.reward == pytest.approx(1 / len(inv.labels))
    s = Session(inv)
    wrong = "\n".join(f"{k}. nobody" for k in inv.labels)
    assert s.step(wrong).reward == pytest.approx(0.0)


def test_no_text_raises():
    inv = generate_case(TEMPORAL, "easy", 0)
    rng = random.Random(0)
    alphabet = "AB.: \n?WhoWhere was at PM\u2028\x00\ud800é•" + "".join(inv.case.suspects)
    texts = ["", None, b"A. \xff", 12, "\ud800", "A." * 100_000, "?" * 5000, "\n" * 1000]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200))) for _ in range(300)]
    for text in texts:
        s = Session(inv)
        while not s.done:
            turn = s.step(text)
            assert isinstance(turn.observation, str) and turn.observation
            assert turn.done or "\n" not in turn.observation
        assert -0.01 * inv.budget - 1e-9 <= s.reward <= 1.0
