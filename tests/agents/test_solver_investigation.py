"""The solver agent plays investigations; the random agent and the tiny model play them without errors.

- the solver scores 1.0 within the budget on generated cases of every built-in variant's levels
  (the larger ones in the slow run), reading only the conversation; the same conversation gets
  the same next action, however it was reached;
- its one-shot behaviour is unchanged through the conversation interface;
- a conversation it cannot read gets a completion with ``error`` set, never an exception;
- the random agent (one-shot answers read from the prompt) and the tiny Qwen2 model (free text,
  turn by turn through its chat template) finish episodes; whatever they say, nothing raises.
"""

from __future__ import annotations

import asyncio

import pytest

from agents.base import SamplingConfig
from agents.config import AgentConfig
from agents.random_agent import RandomAgent
from agents.solver import (
    ConversationError,
    SolverAgent,
    create_solver,
    investigate,
    is_investigation,
    read_conversation,
)
from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.generate import generate_puzzle
from clue_env.investigation import Session, generate_case


def _play(agent: SolverAgent, inv) -> tuple[Session, list[dict]]:
    session = Session(inv)
    messages = [{"role": "user", "content": session.prompt}]
    while not session.done:
        completion = agent.reply(messages)
        assert completion.error is None, completion.error
        turn = session.step(completion.text)
        messages += [{"role": "assistant", "content": completion.text}, {"role": "user", "content": turn.observation}]
    return session, messages


QUICK = (
    [(TINY, "easy", s) for s in range(8)]
    + [(TINY, "medium", s) for s in range(4)]
    + [(CLASSIC_GAME, "easy", s) for s in range(4)]
    + [(TEMPORAL, "easy", s) for s in range(4)]
)
SLOW = (
    [(TEMPORAL, "easy", s) for s in range(4, 24)]
    + [(TEMPORAL, "medium", s) for s in range(6)]
    + [(TEMPORAL, "hard", s) for s in range(2)]
    + [(TEMPORAL, "benchmark", s) for s in range(4)]
    + [(CLASSIC_GAME, "medium", s) for s in range(4)]
    + [(CLASSIC_GAME, "hard", s) for s in range(2)]
    + [(TINY, "medium", s) for s in range(4, 20)]
)


def _id(x) -> str | None:
    return getattr(x, "name", None)


def _check_solves(variant, level, seed) -> None:
    inv = generate_case(variant, level, seed)
    session, _ = _play(SolverAgent(), inv)
    assert session.grade is not None and session.grade.reward == 1.0, session.info()
    assert session.questions_asked <= inv.budget
    assert not session.truncated


@pytest.mark.parametrize("variant,level,seed", QUICK, ids=_id)
def test_solver_solves_within_the_budget(variant, level, seed):
    _check_solves(variant, level, seed)


@pytest.mark.slow
@pytest.mark.parametrize("variant,level,seed", SLOW, ids=_id)
def test_solver_solves_within_the_budget_larger_levels(variant, level, seed):
    _check_solves(variant, level, seed)


def test_the_same_conversation_gets_the_same_action():
    inv = generate_case(TINY, "medium", 4)
    first, messages = _play(SolverAgent(), inv)
    again, replay = _play(SolverAgent(), inv)
    assert messages == replay
    # From scratch, at any point of the conversation: the action the game got then.
    for k in range(1, len(messages) - 1, 2):
        assert investigate(messages[:k]) == messages[k]["content"]
    assert first.questions_asked >= 3


def test_solver_accuses_at_once_when_the_clues_settle_it():
    inv = generate_case(TINY, "easy", 0)
    # The whole witness answered up front (as if asked): the next action is the accusation.
    session = Session(inv)
    messages = [{"role": "user", "content": session.prompt}]
    for q in inv.witness:
        turn = session.step(q.text(inv.case))
        messages += [{"role": "assistant", "content": q.text(inv.case)}, {"role": "user", "content": turn.observation}]
    completion = SolverAgent().reply(messages)
    assert completion.extra["determined"] is True
    assert session.step(completion.text).reward == pytest.approx(1.0 - 0.01 * len(inv.witness))


def test_one_shot_behaviour_through_conversations():
    p = generate_puzzle(TEMPORAL, "easy", 0)
    agent = SolverAgent()
    direct = agent.answer(p.render())
    via = agent.reply([{"role": "system", "content": "Be brief."}, {"role": "user", "content": p.render()}])
    assert via.text == direct.text and via.error is None
    assert not is_investigation(p.render()) and is_investigation(generate_case(TINY, "easy", 0).prompt)
    out = asyncio.run(agent.agenerate([[{"role": "user", "content": p.render()}]], SamplingConfig(n=2)))
    assert [c.text for c in out[0]] == [direct.text, direct.text]
    agent.close()


@pytest.mark.parametrize(
    "messages,why",
    [
        ("not a list", "list of chat messages"),
        ([], "starts with the case's prompt"),
        ([{"role": "user", "content": 5}], "string 'role' and a string 'content'"),
        ([3], "not a chat message"),
        ([{"role": "user", "content": "Who did it?"}], "states no question budget"),
    ],
)
def test_conversations_it_cannot_read(messages, why):
    with pytest.raises(ConversationError, match=why):
        read_conversation(messages)


def test_errors_are_completions_not_exceptions():
    agent = SolverAgent()
    prompt = generate_case(TINY, "easy", 0).prompt
    bad = [
        [{"role": "user", "content": prompt}, {"role": "assistant", "content": "Where was Mr. Boddy?"}],
        [{"role": "user", "content": prompt.replace("Suspects:", "Persons of interest:")}],
        [{"role": "user", "content": "just chatting"}, {"role": "assistant", "content": "hello"}],
        "nonsense",
        [None],
    ]
    for messages in bad:
        completion = agent.reply(messages)  # type: ignore[arg-type]
        assert completion.text == "" and completion.error and completion.error.startswith("solver:")


def test_the_conversation_says_how_many_questions_are_left():
    inv = generate_case(TINY, "easy", 0)
    prompt = inv.prompt
    conversation = read_conversation([{"role": "user", "content": prompt}])
    assert conversation.budget == conversation.left == inv.budget and conversation.exchanges == ()
    session = Session(inv)
    text = inv.witness[0].text(inv.case)
    messages = [
        {"role": "user", "content": prompt},
        {"role": "assistant", "content": text},
        {"role": "user", "content": session.step(text).observation},
    ]
    assert read_conversation(messages).left == inv.budget - 1


def test_create_solver_settings():
    assert create_solver(AgentConfig(extra={"sample": "8"})).sample == 8
    agent = create_solver(AgentConfig(extra={"criterion": "answer-sets", "sample": "16"}))
    inv = generate_case(TINY, "easy", 1)
    session, _ = _play(agent, inv)
    assert session.grade is not None and session.grade.reward == 1.0
    with pytest.raises(ValueError, match="criterion"):
        create_solver(AgentConfig(extra={"criterion": "luck"}))
    with pytest.raises(ValueError, match="sample"):
        create_solver(AgentConfig(extra={"sample": "zero"}))
    with pytest.raises(ValueError, match="unknown settings"):
        create_solver(AgentConfig(extra={"samples": "8"}))
    with pytest.raises(ValueError, match="sample"):
        SolverAgent(sample=0)


def test_random_agent_plays_investigations():
    agent = RandomAgent(seed=0)
    for variant, level in (("tiny", "easy"), ("classic", "easy"), ("temporal", "easy")):
        for seed in range(3):
            inv = generate_case(variant, level, seed)
            session = Session(inv)
            completion = agent.answer(session.prompt)
            assert completion.error is None
            turn = session.step(completion.text)
            assert turn.done and turn.kind == "accusation" and 0.0 <= turn.reward <= 1.0


@pytest.mark.slow
def test_tiny_model_plays_investigations():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from agents.tiny import build_tiny_model

    path = build_tiny_model()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path)
    torch.manual_seed(0)
    for seed in range(2):
        session = Session(generate_case(TINY, "easy", seed))
        messages = [{"role": "user", "content": session.prompt}]
        while not session.done:
            ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
            if hasattr(ids, "input_ids"):
                ids = ids["input_ids"]
            out = model.generate(ids, max_new_tokens=24, do_sample=True, temperature=1.0, pad_token_id=0)
            text = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
            turn = session.step(text)
            assert isinstance(turn.observation, str) and turn.observation
            messages += [{"role": "assistant", "content": text}, {"role": "user", "content": turn.observation}]
        assert session.questions_asked <= session.case.budget
