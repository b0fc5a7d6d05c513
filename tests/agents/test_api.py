"""The api agent against a local fault-injecting OpenAI-compatible server (loopback only)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import math
import socket
import time

import pytest

from agents.api import ApiAgent, create_api
from agents.api_key import Redactor
from agents.base import Agent, Completion, SamplingConfig, generate
from agents.config import AgentConfig, AgentSettingError
from agents.prices import PRICES_PER_MTOK, known_price
from tests import fake_openai as fo

pytestmark = pytest.mark.timeout(60)

KEY_ENV = "CLUE_TEST_API_KEY"
KEY = "sk-test-Zq9XvT4kLm2Pw8RsUy6N"
FAST = {"backoff_base_s": "0.01", "backoff_max_s": "0.05"}


def make(server: fo.FakeOpenAIServer, **kw) -> ApiAgent:
    extra = {**FAST, **kw.pop("extra", {})}
    kw.setdefault("model", "test-model")
    kw.setdefault("api_key_env", KEY_ENV)
    return create_api(AgentConfig(base_url=server.base_url, extra=extra, **kw))


def run(agent: ApiAgent, prompts, sampling: SamplingConfig | None = None) -> list[list[Completion]]:
    return asyncio.run(agent.agenerate(list(prompts), sampling or SamplingConfig()))


def schedule(plan: dict[str, list[fo.Action]]) -> fo.Behavior:
    """Prompt p's k-th request gets plan[p][k-1]; past the plan's end (or unplanned): ok."""

    def behave(req: fo.Request) -> fo.Action:
        actions = plan.get(req.prompt, [])
        return actions[req.attempt - 1] if req.attempt <= len(actions) else fo.ok()

    return behave


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_is_an_agent_and_answers_in_order_with_usage_and_cost():
    with fo.FakeOpenAIServer() as server:
        agent = make(server, price_in_per_mtok=1.0, price_out_per_mtok=2.0)
        try:
            assert isinstance(agent, Agent)
            prompts = [f"prompt number {i}" for i in range(5)]
            out = run(agent, prompts, SamplingConfig(temperature=0.5, top_p=0.9, max_tokens=77, seed=3))
        finally:
            agent.close()
    assert [len(c) for c in out] == [1] * 5
    for p, (c,) in zip(prompts, out):
        assert c.error is None and c.text == f"answer 0 to: {p}" and c.finish_reason == "stop"
        assert (c.prompt_tokens, c.completion_tokens) == (3, 7)
        assert c.cost_usd == pytest.approx((3 * 1.0 + 7 * 2.0) / 1e6)
    payload = server.stats.payloads[0]
    assert payload["model"] == "test-model"
    assert payload["messages"] == [{"role": "user", "content": payload["messages"][0]["content"]}]
    assert (payload["temperature"], payload["top_p"], payload["max_tokens"], payload["seed"]) == (0.5, 0.9, 77, 3)
    assert "n" not in payload


FAULTS = [
    fo.status(429),
    fo.status(429, retry_after="0"),
    fo.status(500),
    fo.status(503),
    fo.stall(1.0),
    fo.broken_json(),
    fo.close(),
    fo.truncate(),
    fo.Action("status", status=200, body=b'{"object": "list", "data": []}'),  # valid JSON, no choices
    fo.status(502),
]


def test_forty_prompts_with_faults_each_answered_exactly_once():
    prompts = [f"puzzle {i}" for i in range(40)]
    plan = {}
    for i, p in enumerate(prompts):
        k = 1 + i % 2  # the first 1 or 2 attempts fail
        plan[p] = [FAULTS[(i + j * 3) % len(FAULTS)] for j in range(k)]
    with fo.FakeOpenAIServer(schedule(plan)) as server:
        agent = make(server, concurrency=8, timeout_s=0.3, max_retries=3)
        try:
            t0 = time.monotonic()
            out = run(agent, prompts)
            elapsed = time.monotonic() - t0
        finally:
            agent.close()
    assert len(out) == 40
    for p, comps in zip(prompts, out):
        assert len(comps) == 1
        c = comps[0]
        assert c.error is None, (p, c.error)
        assert c.text == f"answer 0 to: {p}"
        assert server.answered[p] == 1, p
        assert server.attempts[p] == len(plan[p]) + 1, p
    assert elapsed < 15


def test_a_prompt_that_always_fails_is_recorded_with_an_error():
    behave = schedule({"bad": [fo.status(500, "boom")] * 100})
    with fo.FakeOpenAIServer(behave) as server:
        agent = make(server, max_retries=2)
        try:
            out = run(agent, ["good 1", "bad", "good 2"], SamplingConfig(n=1))
        finally:
            agent.close()
    assert [c[0].error for c in (out[0], out[2])] == [None, None]
    bad = out[1][0]
    assert bad.text == "" and bad.cost_usd == 0 and bad.completion_tokens == 0
    assert bad.error.startswith("HTTP 500") and "boom" in bad.error and "after 3 attempts" in bad.error
    assert "\n" not in bad.error
    assert server.attempts["bad"] == 3


def test_always_failing_with_n_gives_n_error_completions():
    with fo.FakeOpenAIServer(lambda r: fo.status(503)) as server:
        agent = make(server, max_retries=1)
        try:
            out = run(agent, ["a", "b"], SamplingConfig(n=3))
        finally:
            agent.close()
    assert [len(c) for c in out] == [3, 3]
    assert all(c.error and c.error.startswith("HTTP 503") and c.text == "" for cs in out for c in cs)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(code):
    with fo.FakeOpenAIServer(lambda r: fo.status(code, "you asked wrongly")) as server:
        agent = make(server, max_retries=4)
        try:
            ((c,),) = run(agent, ["x"])
        finally:
            agent.close()
    assert server.attempts["x"] == 1
    assert c.error.startswith(f"HTTP {code}") and "you asked wrongly" in c.error and c.text == ""


def test_404_error_hints_at_the_url():
    with fo.FakeOpenAIServer() as server:
        agent = create_api(AgentConfig(model="m", base_url=f"http://127.0.0.1:{server.port}/wrong", extra=FAST))
        try:
            ((c,),) = run(agent, ["x"])
        finally:
            agent.close()
    assert c.error.startswith("HTTP 404") and "/wrong/chat/completions" in c.error and "/v1" in c.error


def test_retry_after_is_honoured_and_capped():
    plan = {"slow": [fo.status(429, retry_after="0.4")], "capped": [fo.status(503, retry_after="3600")]}
    with fo.FakeOpenAIServer(schedule(plan)) as server:
        agent = make(server, extra={"backoff_base_s": "0.001", "retry_after_max_s": "0.2"})
        try:
            t0 = time.monotonic()
            out = run(agent, ["slow", "capped"])
            elapsed = time.monotonic() - t0
        finally:
            agent.close()
    assert all(c[0].error is None for c in out)
    slow, capped = server.stats.times["slow"], server.stats.times["capped"]
    assert slow[1] - slow[0] >= 0.19  # 0.4 asked, capped at 0.2
    assert capped[1] - capped[0] >= 0.19
    assert elapsed < 3


def test_retry_after_below_cap_is_waited_in_full():
    with fo.FakeOpenAIServer(schedule({"p": [fo.status(429, retry_after="0.3")]})) as server:
        agent = make(server, extra={"backoff_base_s": "0.001"})
        try:
            ((c,),) = run(agent, ["p"])
        finally:
            agent.close()
    t = server.stats.times["p"]
    assert c.error is None and t[1] - t[0] >= 0.29


def test_backoff_grows_exponentially():
    with fo.FakeOpenAIServer(lambda r: fo.status(500)) as server:
        agent = make(server, max_retries=3, extra={"backoff_base_s": "0.05", "backoff_max_s": "10"})
        try:
            run(agent, ["p"])
        finally:
            agent.close()
    t = server.stats.times["p"]
    gaps = [b - a for a, b in itertools.pairwise(t)]
    assert len(gaps) == 3
    # attempt k waits 0.05 * 2**k times a factor in [0.5, 1]
    for k, gap in enumerate(gaps):
        assert 0.05 * 2**k * 0.5 - 0.01 <= gap <= 0.05 * 2**k + 0.5, (k, gaps)


def test_timeouts_are_retried_then_reported():
    with fo.FakeOpenAIServer(lambda r: fo.stall(5.0)) as server:
        agent = make(server, timeout_s=0.2, max_retries=1)
        try:
            t0 = time.monotonic()
            ((c,),) = run(agent, ["p"])
            elapsed = time.monotonic() - t0
        finally:
            agent.close()
    assert server.attempts["p"] == 2
    assert c.error.startswith("timeout after 0.2 s") and "after 2 attempts" in c.error
    assert elapsed < 2


def test_unreachable_server_gives_a_clear_error():
    port = free_port()
    agent = create_api(AgentConfig(model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=2, extra=FAST))
    try:
        out = generate(agent, ["a", "b"], SamplingConfig(n=2))
    finally:
        agent.close()
    assert [len(c) for c in out] == [2, 2]
    for cs in out:
        for c in cs:
            assert c.text == ""
            assert c.error.startswith(f"cannot reach http://127.0.0.1:{port}/v1: connection refused")
            assert "after 3 attempts" in c.error


def test_concurrency_bound_is_respected_over_all_requests():
    with fo.FakeOpenAIServer(latency_s=0.03) as server:
        agent = make(server, concurrency=5)
        try:

            async def two_batches():
                return await asyncio.gather(
                    agent.agenerate([f"a{i}" for i in range(30)], SamplingConfig()),
                    agent.agenerate([f"b{i}" for i in range(10)], SamplingConfig(n=2, seed=1)),
                )

            a, b = asyncio.run(two_batches())
        finally:
            agent.close()
    assert all(c.error is None for cs in a + b for c in cs)
    assert server.max_in_flight == 5


def test_concurrency_bound_holds_with_separate_n_requests():
    with fo.FakeOpenAIServer(latency_s=0.03, reject_n=True) as server:
        agent = make(server, concurrency=3)
        try:
            out = run(agent, [f"p{i}" for i in range(8)], SamplingConfig(n=4))
        finally:
            agent.close()
    assert all(c.error is None for cs in out for c in cs)
    assert server.max_in_flight == 3


def test_n_in_one_request_with_usage_split():
    with fo.FakeOpenAIServer() as server:
        agent = make(server, price_in_per_mtok=10.0, price_out_per_mtok=100.0)
        try:
            (cs,) = run(agent, ["one two three four"], SamplingConfig(n=3))
        finally:
            agent.close()
    assert server.total_requests == 1 and server.stats.payloads[0]["n"] == 3
    assert [c.text for c in cs] == [f"answer {i} to: one two three four" for i in range(3)]
    assert [c.prompt_tokens for c in cs] == [4, 4, 4]
    assert sum(c.completion_tokens for c in cs) == 21
    # the prompt is billed once: the completions' costs add up to the request's
    assert sum(c.cost_usd for c in cs) == pytest.approx((4 * 10.0 + 21 * 100.0) / 1e6)


def test_n_rejected_falls_back_to_separate_requests_with_distinct_seeds():
    with fo.FakeOpenAIServer(reject_n=True) as server:
        agent = make(server)
        try:
            first = run(agent, ["p0"], SamplingConfig(n=3, seed=10))
            before = server.total_requests
            rest = run(agent, ["p1", "p2"], SamplingConfig(n=3, seed=10))
        finally:
            agent.close()
    for cs in first + rest:
        assert len(cs) == 3 and all(c.error is None for c in cs)
    assert before == 1 + 3  # the refused n=3 request, then three of one
    assert server.total_requests - before == 6  # from then on no n>1 request is tried
    seeds = sorted(p["seed"] for p in server.stats.payloads if p["messages"][0]["content"] == "p1")
    assert seeds == [10, 11, 12]


def test_server_ignoring_n_gets_the_rest_asked_separately():
    with fo.FakeOpenAIServer(ignore_n=True) as server:
        agent = make(server)
        try:
            (cs,) = run(agent, ["p"], SamplingConfig(n=3))
        finally:
            agent.close()
    assert len(cs) == 3 and all(c.error is None for c in cs)
    assert server.attempts["p"] == 3


def test_separate_mode_never_sends_n():
    with fo.FakeOpenAIServer() as server:
        agent = make(server, extra={"n": "separate"})
        try:
            (cs,) = run(agent, ["p"], SamplingConfig(n=2))
        finally:
            agent.close()
    assert len(cs) == 2 and all("n" not in p for p in server.stats.payloads)


def test_missing_usage_counts_zero():
    with fo.FakeOpenAIServer(usage=False) as server:
        agent = make(server, model="gpt-4o")
        try:
            ((c,),) = run(agent, ["p"])
        finally:
            agent.close()
    assert c.error is None and (c.prompt_tokens, c.completion_tokens, c.cost_usd) == (0, 0, 0.0)


def test_prices_from_the_table_and_overrides():
    assert known_price("gpt-4o-mini") == PRICES_PER_MTOK["gpt-4o-mini"]
    assert known_price("gpt-4o-mini-2024-07-18") == PRICES_PER_MTOK["gpt-4o-mini"]
    assert known_price("gpt-4o-2024-08-06") == PRICES_PER_MTOK["gpt-4o"]
    assert known_price("openai/gpt-4.1-mini") == PRICES_PER_MTOK["gpt-4.1-mini"]
    assert known_price("gpt-4.1") == PRICES_PER_MTOK["gpt-4.1"]
    assert known_price("o3-mini") == PRICES_PER_MTOK["o3-mini"]
    assert known_price("anthropic/claude-3.7-sonnet") == PRICES_PER_MTOK["claude-3-7-sonnet"]
    assert known_price("claude-sonnet-4-20250514") == PRICES_PER_MTOK["claude-sonnet-4"]
    assert known_price("anthropic.claude-3-5-sonnet-20240620-v1:0") == PRICES_PER_MTOK["claude-3-5-sonnet"]
    assert known_price("deepseek-reasoner") == PRICES_PER_MTOK["deepseek-reasoner"]
    assert known_price("gemini-2.0-flash-001") == PRICES_PER_MTOK["gemini-2.0-flash"]
    assert known_price("gemini-2.0-flash-lite") == PRICES_PER_MTOK["gemini-2.0-flash-lite"]
    assert known_price("Qwen/Qwen2.5-7B-Instruct") is None
    assert known_price("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B") is None

    with fo.FakeOpenAIServer() as server:
        table = make(server, model="gpt-4o-mini")
        local = make(server, model="Qwen/Qwen2.5-7B-Instruct")
        half = make(server, model="gpt-4o-mini", price_in_per_mtok=0.0)
        try:
            ((t,),) = run(table, ["a b"])
            ((lo,),) = run(local, ["a b"])
            ((h,),) = run(half, ["a b"])
        finally:
            for a in (table, local, half):
                a.close()
    pin, pout = PRICES_PER_MTOK["gpt-4o-mini"]
    assert t.cost_usd == pytest.approx((2 * pin + 7 * pout) / 1e6)
    assert lo.cost_usd == 0.0
    assert h.cost_usd == pytest.approx(7 * pout / 1e6)


def test_reasoning_models_get_max_completion_tokens_and_no_top_p():
    with fo.FakeOpenAIServer() as server:
        agent = make(server, model="o3-mini")
        plain = make(server, model="gpt-4o", extra={"omit": "temperature", "max_tokens_param": "max_completion_tokens"})
        try:
            run(agent, ["a"], SamplingConfig(max_tokens=50))
            run(plain, ["b"], SamplingConfig(max_tokens=60))
        finally:
            agent.close()
            plain.close()
    a, b = server.stats.payloads
    assert a["max_completion_tokens"] == 50 and "max_tokens" not in a and "top_p" not in a and "temperature" in a
    assert b["max_completion_tokens"] == 60 and "temperature" not in b and b["top_p"] == 1.0


def test_the_key_never_leaks(caplog, capsys, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    plan = {
        # a server that echoes the key back in its error messages
        "echo401": [fo.status(401, "Incorrect API key provided: {auth}")],
        "echo500": [fo.status(500, "upstream said {auth}")] * 10,
        "flaky": [fo.status(429), fo.broken_json(), fo.close()],
    }

    def behave(req: fo.Request) -> fo.Action:
        actions = plan.get(req.prompt, [])
        if req.attempt > len(actions):
            return fo.ok()
        a = actions[req.attempt - 1]
        if a.body and b"{auth}" in a.body:
            a = fo.Action(a.kind, a.status, a.headers, a.body.replace(b"{auth}", req.headers["authorization"].encode()))
        return a

    with fo.FakeOpenAIServer(behave) as server:
        agent = make(server, max_retries=3)
        try:
            out = run(agent, ["echo401", "echo500", "flaky", "fine"], SamplingConfig(n=2))
            print(agent, repr(agent), out)
            texts = [repr(agent), str(agent), repr(vars(agent)), repr(out)]
        finally:
            agent.close()
    port = free_port()
    down = create_api(
        AgentConfig(model="m", base_url=f"http://127.0.0.1:{port}/v1", api_key_env=KEY_ENV, max_retries=1, extra=FAST)
    )
    try:
        out_down = generate(down, ["x"])
        texts += [repr(down), repr(vars(down)), repr(out_down)]
    finally:
        down.close()

    # the key was sent...
    assert set(server.stats.authorization) == {f"Bearer {KEY}"}
    # ...and shows nowhere
    assert out[0][0].error.startswith("HTTP 401") and "***" in out[0][0].error
    assert "***" in out[1][0].error and out[2][0].error is None and out[3][0].error is None
    captured = capsys.readouterr()
    for text in texts + [caplog.text, captured.out, captured.err] + [r.getMessage() for r in caplog.records]:
        assert KEY not in text
        assert KEY[6:20] not in text


def test_without_a_key_no_authorization_header(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with fo.FakeOpenAIServer() as server:
        agent = make(server)
        try:
            ((c,),) = run(agent, ["p"])
        finally:
            agent.close()
    assert c.error is None and server.stats.authorization == [None]


def test_factory_validates():
    with pytest.raises(ValueError, match="model name is required"):
        create_api(AgentConfig(base_url="http://127.0.0.1:8000/v1"))
    with pytest.raises(ValueError, match="base_url is required"):
        create_api(AgentConfig(model="gpt-4o-mini"))
    with pytest.raises(ValueError, match="http"):
        create_api(AgentConfig(model="m", base_url="ftp://example.org/v1"))
    with pytest.raises(ValueError, match="unknown setting"):
        create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", extra={"bakoff": "1"}))
    with pytest.raises(ValueError, match="backoff_base_s"):
        create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", extra={"backoff_base_s": "fast"}))
    with pytest.raises(ValueError, match="n must be"):
        create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", extra={"n": "many"}))
    with pytest.raises(ValueError, match="must not hold credentials") as err:
        create_api(AgentConfig(model="m", base_url="http://user:pw@127.0.0.1:1/v1/"))
    assert "pw" not in str(err.value)
    a = create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1/"))
    assert a.name == "api:m"
    a.close()


def test_usable_from_successive_event_loops_and_after_close():
    with fo.FakeOpenAIServer() as server:
        agent = make(server)
        try:
            for i in range(3):  # each generate() is a fresh asyncio.run
                assert generate(agent, [f"p{i}"])[0][0].text == f"answer 0 to: p{i}"
        finally:
            agent.close()
            agent.close()  # idempotent
        out = generate(agent, ["late"], SamplingConfig(n=2))
    assert [c.text for c in out[0]] == ["", ""] and all("closed" in c.error for c in out[0])


def test_reasoning_content_and_content_parts():
    def behave(req: fo.Request) -> fo.Action:
        import json as _json

        body = {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "length",
                    "message": {
                        "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
                        "reasoning_content": "thinking",
                    },
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": None},
        }
        return fo.Action("status", status=200, body=_json.dumps(body).encode())

    with fo.FakeOpenAIServer(behave) as server:
        agent = make(server)
        try:
            ((c,),) = run(agent, ["p"])
        finally:
            agent.close()
    assert (c.text, c.finish_reason, c.extra["reasoning"]) == ("AB", "length", "thinking")
    assert (c.prompt_tokens, c.completion_tokens) == (5, 0)


def test_lanes_survive_requests_cancelled_at_any_moment():
    # httpx 0.28 / httpcore 1.0: a request cancelled at an unlucky moment can leave its pool's
    # connection slot taken for good. Cancel hundreds at random moments, then check every lane works.
    import random

    rng = random.Random(0)
    with fo.FakeOpenAIServer(lambda r: fo.ok(delay_s=rng.uniform(0, 0.004))) as server:
        agent = make(server, concurrency=2, timeout_s=0.002, max_retries=0)
        try:
            storm = run(agent, [f"storm {i}" for i in range(300)])
            agent.timeout_s = 5.0
            after = run(agent, [f"after {i}" for i in range(20)])
        finally:
            agent.close()
    assert all(len(cs) == 1 for cs in storm)
    assert [c.error for (c,) in after] == [None] * 20


# -- no key in any output (issue 6) ------------------------------------------------------------


def leaked(text: str, key: str = KEY) -> bool:
    """Whether any 8 consecutive characters of the key show in ``text``."""
    return any(key[i : i + 8] in text for i in range(len(key) - 7))


def shown(out: list[list[Completion]]) -> list[str]:
    """What an eval run writes of each completion (results.jsonl holds these fields), and the reprs."""
    return [json.dumps(dataclasses.asdict(c)) for cs in out for c in cs] + [repr(out), str(out)]


def echoing(req: fo.Request) -> fo.Action:
    """A careless server: the Authorization header comes back in answers, error bodies and reasoning."""
    auth = req.headers.get("authorization", "")
    if req.prompt == "echo in answer":
        return fo.ok(echo_headers=True)
    if req.prompt == "echo in 401":
        return fo.status(401, "Incorrect API key provided", echo_headers=True)
    if req.prompt == "echo in 500":
        return fo.status(500, "upstream failed", echo_headers=True)
    if req.prompt == "echo at the cut":  # the key straddles where a long reason is cut short
        return fo.status(500, "x" * 185 + " " + auth)
    if req.prompt == "echo, no choices":
        return fo.Action("status", status=200, body=json.dumps({"error": {"message": f"bad {auth}"}}).encode())
    if req.prompt == "echo in reasoning":
        body = {"choices": [{"index": 0, "message": {"content": f"A. {auth}", "reasoning_content": f"saw {auth}"}}]}
        return fo.Action("status", status=200, body=json.dumps(body).encode())
    if req.prompt == "echo in html" and req.attempt == 1:
        page = f"<html><body><h1>502 Bad Gateway</h1>{'y' * 380} {auth}</body></html>"
        return fo.Action("status", status=502, body=page.encode())
    return fo.ok()


ECHO_PROMPTS = [
    "echo in answer",
    "echo in 401",
    "echo in 500",
    "echo at the cut",
    "echo, no choices",
    "echo in reasoning",
    "echo in html",
    "fine",
]


@pytest.mark.parametrize("ending", ["", "\r\n"], ids=["plain", "crlf-file"])
def test_a_server_echoing_the_key_shows_it_nowhere(ending, tmp_path, monkeypatch, caplog, capsys):
    key_file = tmp_path / "key.txt"
    key_file.write_bytes((KEY + ending).encode())
    monkeypatch.setenv(KEY_ENV, key_file.read_bytes().decode())  # as `export VAR="$(< key.txt)"` keeps a \r
    caplog.set_level(logging.DEBUG)
    with fo.FakeOpenAIServer(echoing) as server:
        agent = make(server, max_retries=1)
        try:
            out = run(agent, ECHO_PROMPTS)
            print(agent, out)
            texts = shown(out) + [repr(agent), repr(vars(agent))]
        finally:
            agent.close()
    # the key went out stripped, as a valid header...
    assert set(server.stats.authorization) == {f"Bearer {KEY}"}
    answer, e401, e500, cut, nochoices, reasoning, html, fine = (cs[0] for cs in out)
    # ...every echo came back, and each shows *** where the key was
    assert answer.error is None and "Bearer ***" in answer.text
    assert e401.error.startswith("HTTP 401") and "Bearer ***" in e401.error
    assert e500.error.startswith("HTTP 500") and "Bearer ***" in e500.error and "after 2 attempts" in e500.error
    assert cut.error.startswith("HTTP 500")
    assert nochoices.error.startswith("invalid response") and "Bearer ***" in nochoices.error
    assert reasoning.text == "A. Bearer ***" and reasoning.extra["reasoning"] == "saw Bearer ***"
    assert html.error is None and fine.error is None  # the 502 page was retried
    captured = capsys.readouterr()
    for text in texts + [caplog.text, captured.out, captured.err] + [r.getMessage() for r in caplog.records]:
        assert not leaked(text), text


def test_every_form_of_the_key_is_redacted():
    raw = KEY + "\r\n"
    redact = Redactor([raw])
    forms = [raw, KEY, repr(raw), repr(raw.encode()), str(raw.encode()), ascii(raw), json.dumps(raw), repr(KEY)]
    forms += [raw.replace("\r", "\\r").replace("\n", "\\n"), json.dumps({"k": KEY.replace("-", "/")})]
    for form in forms[:-1]:
        text = redact(f"before {form} after")
        assert not leaked(text) and "***" in text, (form, text)
    slashed = Redactor([KEY.replace("-", "/")])(forms[-1])  # JSON may escape '/' as '\/'
    assert "***" in slashed
    assert redact.scrub({"a": [KEY, (1, f"x{KEY}")], KEY: None}) == {"a": ["***", (1, "x***")], "***": None}
    assert not leaked(repr(redact)) and not Redactor([None, ""]) and Redactor(["abc"])("abc") == "abc"


def test_an_unexpected_error_is_recorded_and_logged_without_the_key(monkeypatch, caplog):
    monkeypatch.setenv(KEY_ENV, KEY)
    caplog.set_level(logging.DEBUG)

    def broken(self, res, n):
        raise RuntimeError(f"decoder bug near {KEY!r}")

    monkeypatch.setattr(ApiAgent, "_completions", broken)
    with fo.FakeOpenAIServer() as server:
        agent = make(server)
        try:
            ((c,),) = run(agent, ["p"])
        finally:
            agent.close()
    assert c.error.startswith("internal error: RuntimeError: decoder bug near '***'") and c.text == ""
    assert "Traceback" in caplog.text  # still logged with its traceback...
    assert not leaked(caplog.text)  # ...with the key hidden


BAD_KEYS = {
    "non-ascii": ("sk-tést-Zq9XvT4kLm2Pw8Rs", "non-ASCII"),
    "bom": ("\ufeffsk-test-Zq9XvT4kLm2Pw8Rs", "non-ASCII"),
    "space inside": ("sk-test Zq9XvT4kLm2Pw8Rs", "whitespace"),
    "line break inside": ("sk-test\r\nZq9XvT4kLm2Pw8Rs", "whitespace"),
    "control": ("sk-test\x1bZq9XvT4kLm2Pw8Rs", "control character"),
}


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_a_key_that_cannot_be_sent_is_refused_before_any_request(name, monkeypatch):
    bad, problem = BAD_KEYS[name]
    monkeypatch.setenv(KEY_ENV, bad)
    with fo.FakeOpenAIServer() as server:
        with pytest.raises(ValueError) as err:
            make(server)
    msg = str(err.value)
    assert KEY_ENV in msg and problem in msg and "\n" not in msg
    assert not leaked(msg, bad.strip()) and not leaked(msg, repr(bad)[1:-1])
    assert server.total_requests == 0


def test_a_key_spoilt_after_the_agent_was_made_gives_error_completions(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    with fo.FakeOpenAIServer() as server:
        agent = make(server)
        try:
            monkeypatch.setenv(KEY_ENV, "sk-tést-" + KEY)
            out = run(agent, ["p", "q"], SamplingConfig(n=2))
        finally:
            agent.close()
    assert server.total_requests == 0
    for c in (c for cs in out for c in cs):
        assert c.text == "" and KEY_ENV in c.error and "non-ASCII" in c.error and not leaked(c.error)


def test_a_blank_or_padded_key_is_stripped(monkeypatch):
    with fo.FakeOpenAIServer() as server:
        for value in ("  \r\n", f"\t{KEY}  \n"):
            monkeypatch.setenv(KEY_ENV, value)
            agent = make(server)
            try:
                ((c,),) = run(agent, ["p"])
            finally:
                agent.close()
            assert c.error is None
    assert server.stats.authorization == [None, f"Bearer {KEY}"]


@pytest.mark.parametrize(
    "url, secret",
    [
        ("https://alice:s3cr3t-Pa55@api.example.com/v1", "s3cr3t-Pa55"),
        ("https://sk-live-Qm4TzW8n@api.example.com/v1", "sk-live-Qm4TzW8n"),
        ("https://api.example.com/v1?api_key=sk-live-Qm4TzW8n", "sk-live-Qm4TzW8n"),
        ("https://api.example.com/v1?token=tok-Qm4TzW8n", "tok-Qm4TzW8n"),
        ("http://127.0.0.1:8000/v1#sk-live-Qm4TzW8n", "sk-live-Qm4TzW8n"),
    ],
)
def test_credentials_in_base_url_are_refused_and_not_shown(url, secret):
    with pytest.raises(ValueError, match="base_url must not") as err:
        create_api(AgentConfig(model="m", base_url=url))
    msg = str(err.value)
    assert secret not in msg and "alice" not in msg and "\n" not in msg
    assert "--api-key-env" in msg


def test_an_unparsable_base_url_is_refused_without_quoting_it():
    for url in ("https://api.example.com:s3cr3t-Pa55/v1", "https://[s3cr3t-Pa55/v1"):
        with pytest.raises(ValueError, match="base_url is not a valid URL") as err:
            create_api(AgentConfig(model="m", base_url=url))
        assert "s3cr3t" not in str(err.value)


def test_null_content_is_an_error_not_an_empty_answer():
    def behave(req: fo.Request) -> fo.Action:
        if req.prompt == "null":
            return fo.null_content()
        if req.prompt == "mixed":  # one choice with text, one refused with content null
            choices = [
                {"index": 0, "message": {"content": "A. Mrs. White"}, "finish_reason": "stop"},
                {"index": 1, "message": {"content": None, "refusal": "I can't help"}, "finish_reason": "stop"},
            ]
            body = {"choices": choices, "usage": {"prompt_tokens": 4, "completion_tokens": 6}}
            return fo.Action("status", status=200, body=json.dumps(body).encode())
        if req.prompt == "empty":
            return fo.ok("")
        return fo.ok()

    with fo.FakeOpenAIServer(behave) as server:
        agent = make(server, price_in_per_mtok=1.0, price_out_per_mtok=1.0)
        try:
            ((null,), mixed, (empty,)) = run(agent, ["null", "mixed", "empty"], SamplingConfig(n=1))
            (mixed,) = run(agent, ["mixed"], SamplingConfig(n=2))
        finally:
            agent.close()
    # an error completion: the eval records it with reward 0 and counts it among the errors
    assert null.text == "" and null.error.startswith("no answer:") and "content is null" in null.error
    assert server.attempts["null"] == 1  # not retried: the server answered
    assert (null.prompt_tokens, null.completion_tokens) == (1, 7) and null.cost_usd > 0  # it was billed
    assert mixed[0].error is None and mixed[0].text == "A. Mrs. White"
    assert mixed[1].text == "" and "content is null" in mixed[1].error and "refusal: I can't help" in mixed[1].error
    assert empty.error is None and empty.text == ""  # an empty string is an answer, if a poor one


def test_the_timeout_must_be_a_finite_number_of_seconds():
    for bad in (math.nan, math.inf, 0.0, -1.0):
        with pytest.raises(ValueError, match="timeout"):
            AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", timeout_s=bad)
    config = AgentConfig(model="m", base_url="http://127.0.0.1:1/v1")
    object.__setattr__(config, "timeout_s", math.nan)  # past AgentConfig's own check
    with pytest.raises(ValueError, match="timeout must be a finite number"):
        create_api(config)
    agent = create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", timeout_s=3))
    try:
        with pytest.raises(ValueError, match="timeout must be a finite number"):
            agent.timeout_s = math.inf
        assert agent.timeout_s == 3.0
    finally:
        agent.close()


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"backoff_base_s": "-1"}, "api agent: backoff_base_s must be a number >= 0, got '-1'"),
        ({"backoff_max_s": "nan"}, "api agent: backoff_max_s must be a number >= 0, got 'nan'"),
        ({"retry_after_max_s": "soon"}, "api agent: retry_after_max_s must be a number, got 'soon'"),
        ({"n": "many"}, "api agent: n must be one of auto, separate, got 'many'"),
        ({"max_tokens_param": "tokens"}, "api agent: max_tokens_param must be one of max_tokens, max_completion"),
        ({"omit": "top_k"}, "api agent: omit must be a comma-separated list of temperature, top_p, seed, got 'top_k'"),
        ({"bakoff": "1"}, "api agent: unknown setting(s) bakoff; known: backoff_base_s"),
    ],
)
def test_settings_are_read_with_one_typed_helper(extra, message):
    with pytest.raises(AgentSettingError) as err:
        create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", extra=extra))
    assert str(err.value).startswith(message)


def test_settings_reach_the_agent():
    extra = {"backoff_base_s": "0.5", "backoff_max_s": "4", "retry_after_max_s": "9", "name": "mine"}
    agent = create_api(AgentConfig(model="m", base_url="http://127.0.0.1:1/v1", max_retries=2, extra=extra))
    try:
        assert (agent.backoff_base_s, agent.backoff_max_s, agent.retry_after_max_s) == (0.5, 4.0, 9.0)
        assert (agent.max_retries, agent.name) == (2, "mine")
    finally:
        agent.close()
