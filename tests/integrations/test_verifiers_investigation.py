"""integrations.verifiers_env, ``game="investigation"``: verifiers' own evaluation (``env.evaluate_sync`` and
the ``vf-eval`` command) against a local OpenAI-compatible server on 127.0.0.1, whose replies come from the
solver (or a garbage policy) playing the conversation it is sent, reports exactly the rewards that
``evaluation.play`` gets on the same cases with the same replies."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from agents.base import Completion, SamplingConfig
from agents.solver import investigate
from clue_env.investigation import Session, generate_case, generate_case_records
from evaluation.play import play
from evaluation.tasks import TaskSource, load_source
from integrations.verifiers_env import investigation_reward, load_environment, questions, session_of, solved
from tests.fake_openai import null_content, ok

from .serving import KEY_VAR, Server, run_vf_eval

GARBAGE = [
    "hmm",
    "Let me think about the Trophy Room... \u200b\U0001f50e",
    "Answer: I need more time.",
    "Who was where at what time and why?",
    "{not json",
    "Where was Nobody At All?",
]
"""Replies that are neither a question of the grammar nor final answers (each costs a question)."""


@pytest.fixture(autouse=True)
def keep_signal_handlers():
    """verifiers' environments install their own SIGINT/SIGTERM handlers; the rest of the suite keeps its own."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def policy(modes: dict[str, str]):
    """The detective's next reply to a conversation (role/content dicts), by the mode of its case
    (looked up by the case's prompt): ``solver`` plays the solver agent; ``garbage`` never asks a
    question nor answers (so the budget runs out and a garbage reply is graded); ``mixed`` asks the
    solver's first question, then sends garbage, then lets the solver finish."""

    def reply(messages) -> str:
        first = next(m["content"] for m in messages if m["role"] == "user")
        mode = modes[first]
        mine = sum(m["role"] == "assistant" for m in messages)
        if mode == "garbage" or (mode == "mixed" and mine == 1):
            return GARBAGE[mine % len(GARBAGE)]
        return investigate(messages)

    return reply


def serving(reply):
    def behavior(request):
        return ok(reply(request.payload["messages"]))

    return behavior


class PolicyAgent:
    """An ``agents.base.Agent`` giving ``reply(conversation)``: what ``evaluation.play`` plays with."""

    name = "policy"

    def __init__(self, reply):
        self.reply = reply

    async def agenerate(self, prompts, sampling):
        return [[Completion(self.reply([{"role": m["role"], "content": m["content"]} for m in p]))] for p in prompts]

    def close(self):
        pass


def content(message) -> str:
    return message["content"] if isinstance(message, dict) else message.content


def role(message) -> str:
    return message["role"] if isinstance(message, dict) else message.role


def check_against_play(rows, outputs, reply, cost: float | None = None):
    """Each verifiers output has the reward, metrics and conversation ``evaluation.play`` gets for its case."""
    by_prompt = {row["prompt_text"]: row for row in rows}
    cases = {row["prompt_text"]: generate_case("tiny", None, row["seed"]) for row in rows}
    if cost is not None:
        cases = {k: c.with_cost(cost) for k, c in cases.items()}
    turns = []
    for output in outputs:
        assert output["error"] is None
        assert output["stop_condition"] == "case_closed"
        prompt = content(output["prompt"][-1])
        case = cases[prompt]
        assert case.prompt == prompt  # the row's prompt is the case's (its stated cost included)
        played = asyncio.run(play(PolicyAgent(reply), case, SamplingConfig()))
        assert played.error is None
        assert output["reward"] == output["metrics"]["investigation_reward"] == played.reward
        assert output["metrics"]["questions"] == played.questions
        assert output["metrics"]["solved"] == float(all(played.grade.correct.values()))
        completion = [(role(m), content(m)) for m in output["completion"]]
        assert completion[:-1] == [(m["role"], m["content"]) for m in played.transcript[1:]]
        assert completion[-1][0] == "user" and completion[-1][1].startswith("Case closed:")
        assert output["metrics"]["num_turns"] == len(played.completions) <= case.budget + 1
        # the rubric, replayed on the completion and the row's info alone, agrees with the live session
        info = by_prompt[prompt]["info"]
        assert investigation_reward(output["completion"], info=info) == played.reward
        turns.append(len(played.completions))
    return turns


@pytest.mark.slow  # importing verifiers and datasets takes seconds
def test_load_environment_builds_a_multi_turn_env_of_the_cases_clue_eval_plays():
    import verifiers as vf

    env = load_environment(game="investigation", variant="tiny", num_train=2, num_eval=2, seed=3)
    assert isinstance(env, vf.MultiTurnEnv) and type(env).__name__ == "ClueInvestigationEnv"
    from integrations.verifiers_env import ClueInvestigationEnv

    assert type(env) is ClueInvestigationEnv
    ours = [r for r in env.rubric.rubrics if investigation_reward in r.funcs]
    assert [(r.funcs, r.weights) for r in ours] == [([investigation_reward, solved, questions], [1.0, 0.0, 0.0])]
    assert env.get_dataset()["seed"] == [3, 4]
    rows = list(env.get_eval_dataset())
    assert [row["seed"] for row in rows] == [5, 6]
    cases, _ = load_source(TaskSource(variant="tiny", n=2, seed=5, game="investigation"))  # clue eval's cases
    for row, case in zip(rows, cases, strict=True):
        info = json.loads(row["info"])
        assert info["case"] == json.loads(json.dumps(case.to_record()))
        assert (info["id"], info["budget"], row["budget"]) == (case.id, case.budget, case.budget)
        assert row["prompt"] == [{"role": "user", "content": case.prompt}]
        assert json.loads(row["answer"]) == case.solution
    env = load_environment(game="investigation", num_train=0, num_eval=1, cost_per_question=0.05, system_prompt="Sys")
    row = env.get_eval_dataset()[0]
    case = generate_case("tiny", None, 0).with_cost(0.05)
    assert row["prompt"] == [{"role": "system", "content": "Sys"}, {"role": "user", "content": case.prompt}]
    assert "minus 0.05 for every question" in row["prompt_text"]
    assert json.loads(row["info"])["case"]["cost_per_question"] == row["cost_per_question"] == 0.05


@pytest.mark.slow
def test_the_evaluation_set_can_be_a_file_of_cases_or_of_clue_generate_puzzles(tmp_path):
    from clue_env.generate import generate_records
    from clue_env.variant import get_variant

    cases_file, puzzles_file = tmp_path / "cases.jsonl", tmp_path / "puzzles.jsonl"
    cases_file.write_text("".join(json.dumps(r) + "\n" for r in generate_case_records("tiny", None, [4, 1])))
    puzzles_file.write_text("".join(json.dumps(r) + "\n" for r in generate_records(get_variant("tiny"), None, [2, 0])))
    for path, seeds in ((cases_file, [4, 1]), (puzzles_file, [2, 0])):
        env = load_environment(game="investigation", eval_file=str(path), num_train=0)
        rows = list(env.get_eval_dataset())
        expected, _ = load_source(TaskSource(dataset=path, game="investigation"))
        assert [row["seed"] for row in rows] == seeds
        assert [json.loads(row["info"])["case"] for row in rows] == [
            json.loads(json.dumps(c.to_record())) for c in expected
        ]


def test_the_rubric_replays_the_completion_on_the_rows_case_and_never_raises():
    case = generate_case("tiny", None, 1)
    info = json.dumps({"case": case.to_record()})
    reply = policy({case.prompt: "mixed"})
    session = Session(case)
    messages = [{"role": "user", "content": case.prompt}]
    while not session.done:
        text = reply(messages)
        messages.append({"role": "assistant", "content": text})
        turn = session.step(text)
        messages.append({"role": "user", "content": turn.observation})
    completion = messages[1:]
    assert session.questions_asked >= 2  # a question, a garbage reply, then the solver again
    assert investigation_reward(completion, info=info) == session.reward
    assert investigation_reward(completion, info=json.loads(info)) == session.reward
    assert questions(completion, info=info) == session.questions_asked
    assert solved(completion, info=info) == float(all(session.grade.correct.values()))
    assert session_of(completion, info=info).fact_records == session.fact_records
    # a live session in verifiers' state wins over the replay
    assert investigation_reward([], info=info, state={"clue_session": session}) == session.reward
    # unfinished, garbage, or no case at all: 0.0, never an exception
    assert investigation_reward(completion[:1], info=info) == 0.0
    assert questions(completion[:1], info=info) == 1.0
    for bad in (None, 12, "", [{"role": "assistant", "content": None}], [object()], [{"role": "assistant"}]):
        assert investigation_reward(bad, info=info) == 0.0
        assert solved(bad, info=info) == 0.0
    assert investigation_reward(completion, info="not json") == 0.0
    assert investigation_reward(completion, info={"case": {"game": "investigation", "format": 1}}) == 0.0
    assert investigation_reward(completion) == 0.0
    assert questions(completion, info={"case": "nope"}) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"game": "chess"}, "game must be one of 'puzzle', 'investigation', got 'chess'"),
        ({"game": "investigation", "cost_per_question": 2}, "cost_per_question must be a number between 0 and 1"),
        ({"game": "investigation", "cost_per_question": True}, "cost_per_question must be a number between 0 and 1"),
        ({"game": "investigation", "cost_per_question": "0.1"}, "cost_per_question must be a number between 0 and 1"),
        ({"cost_per_question": 0.1}, "cost_per_question applies to game='investigation' only"),
        ({"game": "investigation", "max_turns": 3}, "leave max_turns out"),
        ({"game": "investigation", "variant": "no-such-variant"}, "no-such-variant"),
        ({"game": "investigation", "difficulty": "impossible"}, "impossible"),
        ({"game": "investigation", "num_eval": -1}, "num_eval must be a non-negative integer"),
        ({"game": "investigation", "num_train": 0, "num_eval": 0}, "ask for at least one puzzle"),
        ({"game": "investigation", "eval_file": "/no/such/file.jsonl"}, "no such puzzle file"),
    ],
)
def test_bad_arguments_are_one_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_environment(**kwargs)


def test_a_file_without_nights_is_one_clear_value_error(tmp_path):
    case = generate_case("tiny", None, 0)
    path = tmp_path / "original.json"  # the original benchmark's form: prompt and solution only
    path.write_text(json.dumps([{"prompt": case.prompt, "solution": case.solution, "num_clues": 3}]))
    with pytest.raises(ValueError, match="original.json.*no simulated night"):
        load_environment(game="investigation", eval_file=str(path))
    path.write_text("{not json")
    with pytest.raises(ValueError, match="original.json"):
        load_environment(game="investigation", eval_file=str(path))


@pytest.mark.slow
def test_evaluate_reports_the_rewards_evaluation_play_gets_with_the_same_replies(monkeypatch):
    import verifiers as vf

    monkeypatch.setenv(KEY_VAR, "not-a-real-key")
    env = load_environment(game="investigation", variant="tiny", num_train=0, num_eval=4, cost_per_question=0.03)
    rows = list(env.get_eval_dataset())
    modes = dict(zip((row["prompt_text"] for row in rows), ("solver", "garbage", "mixed", "solver"), strict=True))
    reply = policy(modes)
    with Server(serving(reply)) as server:
        client = vf.ClientConfig(api_base_url=server.base_url, api_key_var=KEY_VAR)
        results = env.evaluate_sync(client=client, model="tiny", num_examples=4, rollouts_per_example=2)
    outputs = results["outputs"]
    assert len(outputs) == 8
    turns = check_against_play(rows, outputs, reply, cost=0.03)
    assert server.total_requests == sum(turns)
    assert max(turns) >= 3  # the dialogue really went several turns
    by_mode = {}
    for output in outputs:
        by_mode.setdefault(modes[content(output["prompt"][-1])], []).append(output)
    budget = json.loads(rows[1]["info"])["budget"]
    for output in by_mode["garbage"]:  # every reply garbage: the budget ran out and the last reply was graded
        assert output["metrics"]["num_turns"] == budget + 1 and output["metrics"]["questions"] == budget
        assert output["reward"] == pytest.approx(-0.03 * budget)
    assert all(o["metrics"]["solved"] == 1.0 for o in by_mode["solver"] + by_mode["mixed"])
    rewards = [o["reward"] for o in outputs]
    assert results["metadata"]["avg_reward"] == pytest.approx(sum(rewards) / len(rewards))


@pytest.mark.slow
def test_a_failed_request_ends_the_rollout_with_its_error_and_reward_0(monkeypatch):
    import verifiers as vf

    monkeypatch.setenv(KEY_VAR, "not-a-real-key")
    env = load_environment(game="investigation", variant="tiny", num_train=0, num_eval=1)
    row = env.get_eval_dataset()[0]
    reply = policy({row["prompt_text"]: "solver"})

    def behavior(request):  # the first turn is answered, the second comes back without content
        messages = request.payload["messages"]
        return ok(reply(messages)) if len(messages) == 1 else null_content()

    with Server(behavior) as server:
        client = vf.ClientConfig(api_base_url=server.base_url, api_key_var=KEY_VAR)
        (output,) = env.evaluate_sync(client=client, model="tiny", num_examples=1)["outputs"]
    assert output["error"] is not None and output["stop_condition"] == "has_error"
    assert output["reward"] == 0.0 and output["metrics"]["solved"] == 0.0 and output["metrics"]["questions"] == 1.0


@pytest.mark.slow
def test_vf_eval_reports_the_rewards_evaluation_play_gets_with_the_same_replies(tmp_path):
    records = list(generate_case_records("tiny", None, [0, 1]))  # num_train=0: the eval seeds start at 0
    rows = [{"prompt_text": r["prompt"], "seed": r["puzzle"]["seed"], "info": json.dumps({"case": r})} for r in records]
    reply = policy(dict(zip((r["prompt"] for r in records), ("mixed", "garbage"), strict=True)))
    env_args = json.dumps({"game": "investigation", "variant": "tiny", "num_train": 0, "num_eval": 2})
    with Server(serving(reply)) as server:
        done = run_vf_eval(
            ["integrations.verifiers_env", "-a", env_args, "-m", "tiny", "-b", server.base_url, "-k", KEY_VAR]
            + ["-n", "2", "-r", "1", "-s", "-o", str(tmp_path / "out"), "--disable-tui"],
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (results,) = (tmp_path / "out").rglob("results.jsonl")
    outputs = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(outputs) == 2
    for output in outputs:  # the saved records: metrics are top-level columns
        output["metrics"] = {k: output[k] for k in ("investigation_reward", "solved", "questions", "num_turns")}
    check_against_play(rows, outputs, reply)
    metadata = json.loads((results.parent / "metadata.json").read_text())
    assert metadata["avg_reward"] == pytest.approx(sum(o["reward"] for o in outputs) / 2)


@pytest.mark.slow
def test_a_row_without_a_case_ends_its_rollout_with_a_clear_error_and_asks_nothing(monkeypatch):
    import verifiers as vf
    from datasets import Dataset

    from integrations.verifiers_env import ClueInvestigationEnv

    monkeypatch.setenv(KEY_VAR, "not-a-real-key")
    rows = Dataset.from_list([{"prompt": [{"role": "user", "content": "a puzzle"}], "answer": "{}", "info": "{}"}])
    env = ClueInvestigationEnv(eval_dataset=rows, rubric=vf.Rubric(funcs=[investigation_reward]))
    with Server() as server:
        client = vf.ClientConfig(api_base_url=server.base_url, api_key_var=KEY_VAR)
        (output,) = env.evaluate_sync(client=client, model="tiny", num_examples=1)["outputs"]
        assert server.total_requests == 0
    assert "holds no investigation case" in json.dumps(output["error"]) and output["reward"] == 0.0
