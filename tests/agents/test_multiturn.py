"""Multi-turn dialogues through the agents that talk to models (an investigation is one conversation).

- the api agent against the fake OpenAI-compatible server: every request carries the whole
  conversation so far as plain role/content messages (a turn's ``completion`` never leaks into
  the payload), turn after turn, for a whole investigation that the server plays with the
  solver's reasoning;
- ``VllmAgent.render`` on the tiny model's tokenizer: a conversation continues from the exact
  token ids of the previous assistant completion (turn 2's prompt ids start with turn 1's prompt
  ids + its sampled ids), even where re-tokenizing the text would give other ids;
- slow: the tiny model on vLLM's CPU build plays whole investigations through
  ``evaluation.play`` and ``evaluation.runner.evaluate``; every turn keeps its token ids and
  logprobs, and each turn's prompt extends the one before it.
"""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from agents.api import create_api
from agents.base import Completion, SamplingConfig, plain_messages
from agents.config import AgentConfig
from agents.solver import investigate
from clue_env.builtin_variants import TINY
from clue_env.investigation import Session, generate_case
from evaluation.play import play
from tests import fake_openai as fo

KEY_ENV = "CLUE_TEST_MULTITURN_KEY"
FAST = {"backoff_base_s": "0.01", "backoff_max_s": "0.05"}


def api_agent(server: fo.FakeOpenAIServer):
    return create_api(AgentConfig(model="test-model", base_url=server.base_url, api_key_env=KEY_ENV, extra=FAST))


def detective(req: fo.Request) -> fo.Action:
    """A server that plays the investigation: the solver's next action for the messages it was sent."""
    return fo.ok(investigate(req.payload["messages"]))


# -- the api agent --------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_api_agent_holds_a_whole_investigation(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    case = generate_case(TINY, "medium", 4)  # the solver asks >= 3 questions here
    with fo.FakeOpenAIServer(detective) as server:
        agent = api_agent(server)
        try:
            played = asyncio.run(play(agent, case, SamplingConfig(temperature=0.0, max_tokens=64, seed=5)))
        finally:
            agent.close()
    assert played.error is None and played.questions is not None and played.questions >= 3
    assert played.grade.reward == 1.0
    assert played.reward == pytest.approx(1.0 - case.cost_per_question * played.questions)
    payloads = server.stats.payloads
    assert len(payloads) == len(played.completions) == played.questions + 1
    transcript = played.transcript
    assert [m["role"] for m in transcript] == ["user", "assistant"] * (played.questions + 1)
    assert transcript[0]["content"] == case.prompt
    for k, payload in enumerate(payloads):
        # Request k: the case, then k exchanges (the agent's turn, the environment's answer).
        assert payload["messages"] == transcript[: 2 * k + 1]
        assert all(set(m) == {"role", "content"} for m in payload["messages"])
        assert payload["seed"] == 5 + k  # one seed per turn, so a turn can be replayed alone
        assert payload["model"] == "test-model" and "n" not in payload
    for completion, message in zip(played.completions, transcript[1::2]):
        assert completion.error is None and completion.text == message["content"]
    # The environment's answers are what the server saw between the turns.
    session = Session(case)
    for message in transcript[1:-1:2]:
        assert session.step(message["content"]).kind == "question"


@pytest.mark.timeout(60)
def test_api_agent_sends_a_conversation_as_plain_messages(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    sampled = Completion("Where was Mr. Green?", token_ids=(5, 6, 7), logprobs=(-0.1, -0.2, -0.3))
    conversation = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "the case"},
        {"role": "assistant", "content": "Where was Mr. Green?", "completion": sampled},
        {"role": "user", "content": "Mr. Green was in the Hall. (3 questions left)"},
    ]
    with fo.FakeOpenAIServer() as server:
        agent = api_agent(server)
        try:
            out = asyncio.run(agent.agenerate([conversation, "a single prompt"], SamplingConfig(n=1)))
        finally:
            agent.close()
    assert [c.error for cs in out for c in cs] == [None, None]
    # The default answer names the last message: the answer to the last user turn.
    assert out[0][0].text == "answer 0 to: Mr. Green was in the Hall. (3 questions left)"
    sent = sorted(server.stats.payloads, key=lambda p: len(p["messages"]))
    assert sent[0]["messages"] == [{"role": "user", "content": "a single prompt"}]
    assert sent[1]["messages"] == plain_messages(conversation)
    assert sent[1]["messages"][2] == {"role": "assistant", "content": "Where was Mr. Green?"}
    assert "completion" not in json.dumps(sent[1])


# -- VllmAgent.render on the tiny model's tokenizer --------------------------------------------


@pytest.fixture(scope="module")
def tiny_tokenizer():
    """The tiny model's tokenizer, read as a fast tokenizer (the same tokenizer.json, chat
    template and special tokens vLLM loads; without importing torch)."""
    transformers = pytest.importorskip("transformers")
    from agents.tiny import build_tiny_model

    return transformers.PreTrainedTokenizerFast.from_pretrained(build_tiny_model())


def _render(tokenizer, prompt) -> list[int]:
    from agents.vllm import VllmAgent  # imports neither vLLM nor torch

    return VllmAgent.render(tokenizer, prompt)


def _fresh(tokenizer, messages) -> list[int]:
    text = tokenizer.apply_chat_template(plain_messages(messages), tokenize=False, add_generation_prompt=True)
    return list(tokenizer.encode(text, add_special_tokens=False))


def _sampled(tokenizer, prompt_ids: list[int], ids: list[int]) -> Completion:
    """A completion as the vllm agent returns it: the text is the ids decoded without special tokens."""
    return Completion(
        tokenizer.decode(ids, skip_special_tokens=True),
        token_ids=tuple(ids),
        logprobs=tuple(-0.5 for _ in ids),
        prompt_token_ids=tuple(prompt_ids),
        completion_tokens=len(ids),
        prompt_tokens=len(prompt_ids),
    )


def test_render_continues_from_the_exact_ids_of_the_last_turn(tiny_tokenizer):
    tok = tiny_tokenizer
    case = generate_case(TINY, "easy", 0)
    session = Session(case)
    messages: list[dict] = [{"role": "user", "content": session.prompt}]
    first_prompt = _render(tok, messages)
    assert first_prompt == _fresh(tok, messages)
    # Turn 1 was sampled one character per token: not how the tokenizer would write that text.
    question = case.witness[0].text(case.case)
    odd = [tid for ch in question for tid in tok.encode(ch, add_special_tokens=False)] + [tok.eos_token_id]
    assert odd[:-1] != tok.encode(question, add_special_tokens=False)
    turn1 = _sampled(tok, first_prompt, odd)
    assert turn1.text == question
    messages += [{"role": "assistant", "content": turn1.text, "completion": turn1}]
    messages += [{"role": "user", "content": session.step(turn1.text).observation}]
    second_prompt = _render(tok, messages)
    assert second_prompt[: len(first_prompt) + len(odd)] == [*first_prompt, *odd]
    tail = tok.decode(second_prompt[len(first_prompt) + len(odd) :])
    # The end-of-turn token is the sampled one, not doubled; then the answer and a new assistant turn.
    assert tail == f"\n<|im_start|>user\n{messages[-1]['content']}<|im_end|>\n<|im_start|>assistant\n"
    assert second_prompt != _fresh(tok, messages)  # re-tokenizing the text would have changed turn 1

    # Turn 2 stopped at max_tokens (no end-of-turn token): the template's own closes it.
    words = tok.encode("Who was in the", add_special_tokens=False)
    turn2 = _sampled(tok, second_prompt, words)
    messages += [{"role": "assistant", "content": turn2.text, "completion": turn2}]
    messages += [{"role": "user", "content": session.step(turn2.text).observation}]
    third_prompt = _render(tok, messages)
    assert third_prompt[: len(second_prompt) + len(words)] == [*second_prompt, *words]
    assert third_prompt[: len(first_prompt) + len(odd)] == [*first_prompt, *odd]  # turn 1 still as sampled
    tail = tok.decode(third_prompt[len(second_prompt) + len(words) :])
    assert tail.startswith("<|im_end|>\n<|im_start|>user\n") and tail.endswith("<|im_start|>assistant\n")


def test_render_without_sampled_ids_renders_the_text(tiny_tokenizer):
    tok = tiny_tokenizer
    plain = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "the case"},
        {"role": "assistant", "content": "Where was Mr. Green?"},
        {"role": "user", "content": "Mr. Green was in the Hall."},
    ]
    assert _render(tok, plain) == _fresh(tok, plain)
    text_only = [*plain[:2], {**plain[2], "completion": Completion("Where was Mr. Green?")}, plain[3]]
    assert _render(tok, text_only) == _fresh(tok, plain)  # a completion without ids (an api agent's)
    assert _render(tok, "the case") == _fresh(tok, [{"role": "user", "content": "the case"}])
    head = tok.decode(_render(tok, plain))
    assert head.startswith("<|im_start|>system\nBe brief.<|im_end|>\n") and "You are a helpful" not in head


# -- the tiny model on vLLM (CPU build) ----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_vllm():
    pytest.importorskip("vllm")
    pytest.importorskip("transformers")
    from agents.presets import preset_factory

    agent = preset_factory("tiny")(AgentConfig(seed=0, extra={"enforce_eager": "1"}))
    try:
        agent.start()
        yield agent
    finally:
        agent.close()


def _check_turns(played) -> None:
    assert played.error is None, played.error
    assert played.questions is not None and len(played.completions) >= 1
    previous = None
    for completion, message in zip(played.completions, played.transcript[1::2], strict=True):
        assert completion.error is None
        assert completion.text == message["content"]
        assert completion.token_ids and completion.prompt_token_ids
        assert len(completion.token_ids) == len(completion.logprobs) == completion.completion_tokens <= 24
        assert all(math.isfinite(lp) and lp <= 0 for lp in completion.logprobs)
        if previous is not None:
            sent = [*previous.prompt_token_ids, *previous.token_ids]
            assert list(completion.prompt_token_ids[: len(sent)]) == sent
            assert len(completion.prompt_token_ids) > len(sent)  # the environment's answer follows
        previous = completion


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_tiny_model_plays_investigations_on_vllm(tiny_vllm, tmp_path):
    from evaluation.runner import RESULTS, SUMMARY, evaluate

    sampling = SamplingConfig(temperature=1.0, max_tokens=24, seed=7)
    cases = [generate_case(TINY, "easy", s) for s in range(2)]
    n_turns = 0
    for case in cases:
        played = asyncio.run(play(tiny_vllm, case, sampling))
        _check_turns(played)
        n_turns += len(played.completions)
        assert played.questions <= case.budget
        assert played.transcript[0]["content"] == case.prompt
        again = asyncio.run(play(tiny_vllm, case, sampling))  # the same seed: the same episode
        assert [c.token_ids for c in again.completions] == [c.token_ids for c in played.completions]
        assert again.transcript == played.transcript
    assert n_turns > len(cases)  # multi-turn: some reply was no accusation and the dialogue went on

    summary = evaluate(tiny_vllm, cases, tmp_path / "eval", sampling, samples=2, meta={"agent": "tiny"})
    records = [json.loads(line) for line in (tmp_path / "eval" / RESULTS).read_text().splitlines()]
    assert sorted(r["episode"] for r in records) == sorted(f"{c.id}#{s}" for c in cases for s in range(2))
    for record in records:
        assert record["error"] is None
        turns = record["turns"]
        assert turns[0]["role"] == "user" and turns[-1]["role"] == "assistant"
        # Every reply but the last asked something (a question, or a text that counts as one).
        assert sum(t["role"] == "assistant" for t in turns) == record["questions"] + 1
        assert record["completion_tokens"] > 0 and record["text"] == turns[-1]["content"]
    assert summary["n"] == 4 and summary["errors"] == 0 and "mean_questions" in summary
    assert json.loads((tmp_path / "eval" / SUMMARY).read_text())["mean_questions"] == summary["mean_questions"]
