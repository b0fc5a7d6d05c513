"""The solver and random agents, and the audit of whether a prompt's answers are forced.

- the solver agent, reading only the prompt, scores 1.0 on generated puzzles of every
  built-in variant and level (unique, shared and no motives; one time or several) and on
  all 64 puzzles of the original benchmark's val.json;
- the audit: under the "encoded" reading (the original's bare "or" is exclusive, as its
  generator meant it) every original puzzle has exactly one answer per question, the
  file's; under the "literal" reading ("or" inclusive, as English reads it) some have a
  second valid answer, each shown by a night that is checked clue by clue. This project's
  puzzles are unique under both readings;
- the agents never raise: an unreadable prompt gets a completion with ``error`` set.
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache

import pytest

from agents.base import Agent, Completion, SamplingConfig, generate
from agents.config import AgentConfig
from agents.random_agent import RandomAgent, create_random
from agents.solver import SolverAgent, create_solver
from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.clues import At, Ref, clue_text, holds
from clue_env.generate import generate_puzzle, seeded_rng
from clue_env.grading import grade
from clue_env.night import check_night
from clue_env.prompt_parse import options_from_prompt, parse_prompt
from clue_env.sizes import Sizes
from clue_env.solve import SolveError, audit, audit_summary, reading_clues, solve_prompt

# --------------------------------------------------------------------------- generated puzzles

GENERATED = (
    [(TEMPORAL, "easy", s) for s in range(4)]
    + [(TEMPORAL, "medium", s) for s in range(4)]
    + [(TEMPORAL, "benchmark", s) for s in range(6)]
    + [(CLASSIC_GAME, "easy", s) for s in range(3)]
    + [(CLASSIC_GAME, "medium", s) for s in range(3)]
    + [(CLASSIC_GAME, "hard", s) for s in range(2)]
    + [(TINY, "easy", s) for s in range(4)]
    + [(TINY, "medium", s) for s in range(4)]
    + [(TEMPORAL, Sizes(4, 3, 5, 1, 2, bonus_questions=4), s) for s in range(2)]  # one time, shared motives
    # unique motives, motive bonus questions
    + [(TEMPORAL, Sizes(5, 4, 6, 4, 5, bonus_questions=6), s) for s in range(2)]
    + [(TEMPORAL, Sizes(5, 4, 6, 4, 3, pin="answers"), 0)]  # clues pin the answers only
)
HARD = [(TEMPORAL, "hard", s) for s in range(3)]


def _id(x) -> str | None:
    return getattr(x, "name", None) or (x.tag() if isinstance(x, Sizes) else None)


def _check_generated(variant, level, seed) -> None:
    p = generate_puzzle(variant, level, seed)
    prompt = p.render()
    completion = SolverAgent().answer(prompt)
    assert completion.error is None, completion.error
    assert grade(completion.text, p.solution, p.options).reward == 1.0
    result = solve_prompt(prompt)
    assert result.all_unique and result.answers == p.solution
    for reading in ("encoded", "literal"):
        a = audit(prompt, p.solution, reading)
        assert a.ok and a.unique and a.solution_fits, (reading, a.to_dict())
        assert all(q.fits == (p.solution[q.label],) for q in a.questions)


def test_generated_cover_the_variants() -> None:
    assert len(GENERATED) + len(HARD) >= 30
    kinds = set()
    for variant, level, seed in GENERATED:
        # The sizes a puzzle is drawn with, as generate_puzzle draws them (cheap).
        diff = variant.difficulty(level)
        sizes = diff.sample(seeded_rng("temporal-clue", variant.name, diff.name, seed))
        motives = "unique" if sizes.motives == sizes.suspects else "shared" if sizes.motives else "none"
        kinds.add(("times" if sizes.times > 1 else "single", motives))
    want = {("times", "unique"), ("times", "shared"), ("times", "none"), ("single", "none"), ("single", "shared")}
    assert kinds >= want


@pytest.mark.parametrize("variant,level,seed", GENERATED, ids=_id)
def test_solver_scores_one_on_generated(variant, level, seed) -> None:
    _check_generated(variant, level, seed)


@pytest.mark.slow
@pytest.mark.parametrize("variant,level,seed", HARD, ids=_id)
def test_solver_scores_one_on_hard(variant, level, seed) -> None:
    _check_generated(variant, level, seed)


def test_solver_reads_another_theme() -> None:
    """A plugin theme: its own victim (named in "Who murdered ...?"), cast and outdoor place."""
    from clue_env.sizes import Difficulty, Levels
    from clue_env.theme import Room, Theme
    from clue_env.variant import Variant

    theme = Theme(
        name="manor",
        victim="Lady Ashworth",
        intro="Lady Ashworth was found dead at dawn.",
        suspects=("Dr. Okafor", "Cook Lind", "Pilot Reyes", "Maid Novak"),
        weapons=("Poker", "Vial", "Cord"),
        rooms=(
            Room("Parlour"),
            Room("Orchard", outdoor=True),
            Room("Cellar"),
            Room("Attic"),
            Room("Terrace", outdoor=True),
        ),
        motives=("Debt", "Grief", "Secrecy", "Envy"),
    )
    variant = Variant("manor", "test", theme, Levels((Difficulty("t", "", (4, 4), (3, 3), (5, 5), (3, 3), "unique"),)))
    for seed in range(3):
        p = generate_puzzle(variant, "t", seed)
        result = solve_prompt(p.render())
        assert result.parsed.case.victim == "Lady Ashworth"
        assert result.answers == p.solution and result.all_unique
        assert reading_clues(result.parsed, "literal") == result.parsed.clues == p.clues


# --------------------------------------------------------------------------- the original benchmark


@lru_cache(maxsize=1)
def _records(path: str) -> list[dict]:
    return json.loads(open(path, encoding="utf-8").read())


def test_solver_scores_one_on_the_original(val_json) -> None:
    records = _records(str(val_json))
    agent = create_solver(AgentConfig())
    replies = generate(agent, [r["prompt"] for r in records], SamplingConfig(n=1))
    agent.close()
    scores = []
    for i, (record, (completion,)) in enumerate(zip(records, replies)):
        assert completion.error is None, (i, completion.error)
        g = grade(completion.text, record["solution"], options_from_prompt(record["prompt"]))
        assert g.reward == 1.0, (i, g)
        scores.append(g.reward)
    assert len(scores) == 64 and sum(scores) / len(scores) == 1.0


@pytest.mark.slow
def test_audit_of_the_original(val_json) -> None:
    """Encoded: every question forced, to the file's answer. Literal: the puzzles whose
    answers need the exclusive "or" have a second valid answer, with a night as evidence."""
    records = _records(str(val_json))
    encoded = [audit(r["prompt"], r["solution"], "encoded") for r in records]
    assert all(a.ok and a.unique and a.solution_fits for a in encoded)
    assert audit_summary(encoded)["ambiguous_any"] == 0

    literal = [audit(r["prompt"], r["solution"], "literal") for r in records]
    summary = audit_summary(literal)
    ambiguous_main = [i for i, a in enumerate(literal) if a.ambiguous_main]
    ambiguous_any = [i for i, a in enumerate(literal) if a.ambiguous]
    # Found by this audit on val.json: 2 puzzles with a second answer to a main question
    # (who / what), 7 with one to some question (bonus "where" questions included).
    assert ambiguous_main == [9, 17]
    assert ambiguous_any == [9, 17, 26, 27, 38, 53, 63]
    assert summary["ambiguous_main"] == 2 and summary["ambiguous_any"] == 7
    assert summary["solution_does_not_fit"] == 0 and summary["unsatisfiable"] == 0

    for i in ambiguous_any:
        parsed = parse_prompt(records[i]["prompt"])
        inclusive = reading_clues(parsed, "literal")
        for q in literal[i].questions:
            assert q.expected == records[i]["solution"][q.label]
            assert q.fits[0] == q.expected  # the file's answer fits under both readings
            if q.unique:
                continue
            assert q.alternative is not None and q.alternative != q.expected
            night = q.nights[q.alternative]
            question = parsed.question(q.label)
            assert question.answer(parsed.case, night) == q.alternative
            assert not check_night(parsed.case, night)
            assert all(holds(c, parsed.case, night) for c in inclusive)
            # ... and it is the exclusive "or" that rules the night out.
            assert not all(holds(c, parsed.case, night) for c in parsed.clues)
    d = literal[17].to_dict(nights=True)
    assert d["ambiguous_main"] == ["A", "B"]
    assert d["questions"][0]["alternative"] and "alternative_night" in d["questions"][0]
    json.dumps(d)


def test_audit_rejects_an_unknown_reading() -> None:
    prompt = generate_puzzle(TINY, "easy", 0).render()
    with pytest.raises(ValueError, match="unknown reading"):
        audit(prompt, None, "poetic")


def test_audit_without_a_solution_and_with_a_wrong_one() -> None:
    p = generate_puzzle(TINY, "medium", 0)
    prompt = p.render()
    a = audit(prompt)
    assert a.ok and a.solution_fits is None and all(q.correct is None for q in a.questions)
    wrong = dict(p.solution)
    label = p.labels[0]
    wrong[label] = next(o for o in p.options[label] if o != p.solution[label])
    a = audit(prompt, wrong)
    assert not a.ok and a.solution_fits is False and a.unique
    first = a.questions[0]
    assert first.correct is False and first.fits == (p.solution[label],) and first.alternative == p.solution[label]


# --------------------------------------------------------------------------- agent behaviour


def _contradiction() -> str:
    p = generate_puzzle(TINY, "easy", 0)
    lines = [f"- {clue_text(At(Ref('suspect', 0), r, 0), p.case)}" for r in (0, 1)]
    return p.render().replace("Clues:\n\n", "Clues:\n\n" + "\n".join(lines) + "\n", 1)


def test_solver_agent_interface() -> None:
    agent = create_solver(AgentConfig(extra={"check_unique": "true"}))
    assert isinstance(agent, Agent) and agent.name == "solver"
    good = generate_puzzle(TEMPORAL, "easy", 0)
    prompts = [good.render(), "What is the answer?", _contradiction()]
    out = asyncio.run(agent.agenerate(prompts, SamplingConfig(n=2)))
    assert [len(x) for x in out] == [2, 2, 2]
    ok, garbage, contradiction = (x[0] for x in out)
    assert isinstance(ok, Completion) and ok.error is None
    assert (ok.prompt_tokens, ok.completion_tokens) == (0, 0)
    assert ok.text == "\n".join(f"{lab}. {ans}" for lab, ans in good.solution.items())
    assert ok.extra["unique"] == {lab: True for lab in good.labels}
    assert garbage.text == "" and "PromptParseError" in garbage.error
    assert contradiction.text == "" and "no night fits" in contradiction.error
    agent.close()
    with pytest.raises(SolveError):
        solve_prompt(_contradiction())


def test_solver_agent_settings() -> None:
    assert create_solver(AgentConfig()).check_unique is False
    assert create_solver(AgentConfig(extra={"reading": "literal"})).reading == "literal"
    with pytest.raises(ValueError, match="unknown settings"):
        create_solver(AgentConfig(extra={"temperature": "0"}))
    with pytest.raises(ValueError, match="reading"):
        create_solver(AgentConfig(extra={"reading": "loose"}))
    with pytest.raises(ValueError, match="check_unique"):
        create_solver(AgentConfig(extra={"check_unique": "maybe"}))


def test_random_agent() -> None:
    p = generate_puzzle(TEMPORAL, "medium", 1)
    prompt = p.render()
    agent = create_random(AgentConfig(seed=7))
    assert isinstance(agent, Agent) and isinstance(agent, RandomAgent) and agent.name == "random"
    out = generate(agent, [prompt, "no puzzle here"], SamplingConfig(n=20))
    replies, bad = out
    assert len(replies) == 20 and len(bad) == 20
    for c in replies:
        assert c.error is None and (c.prompt_tokens, c.completion_tokens) == (0, 0)
        lines = dict(line.split(". ", 1) for line in c.text.splitlines())
        assert list(lines) == p.labels
        assert all(lines[lab] in p.options[lab] for lab in p.labels)
        assert grade(c.text, p.solution, p.options).reward in [k / len(p.labels) for k in range(len(p.labels) + 1)]
    assert len({c.text for c in replies}) > 1  # it does guess
    assert all(c.text == "" and c.error for c in bad)
    # The same seed gives the same answers; another seed other ones.
    again = generate(create_random(AgentConfig(seed=7)), [prompt], SamplingConfig(n=20))[0]
    other = generate(create_random(AgentConfig(seed=8)), [prompt], SamplingConfig(n=20))[0]
    assert [c.text for c in again] == [c.text for c in replies]
    assert [c.text for c in other] != [c.text for c in replies]
    agent.close()


def test_random_agent_on_the_original(val_json) -> None:
    records = _records(str(val_json))
    agent = RandomAgent(seed=0)
    rewards = []
    for r in records:
        c = agent.answer(r["prompt"])
        assert c.error is None
        rewards.append(grade(c.text, r["solution"], options_from_prompt(r["prompt"])).reward)
    assert 0.1 < sum(rewards) / len(rewards) < 0.6
