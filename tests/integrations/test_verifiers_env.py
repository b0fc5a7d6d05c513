"""integrations.verifiers_env: verifiers' own evaluation (``env.evaluate_sync`` and the ``vf-eval`` command)
against a local OpenAI-compatible server on 127.0.0.1 reports exactly ``clue_env.grade`` of the texts served."""

from __future__ import annotations

import json
import signal

import pytest

from clue_env import grade
from integrations.hf_datasets import generated_dataset, options_of, solution_of
from integrations.verifiers_env import clue_reward, load_environment, solved

from .serving import KEY_VAR, Server, answers, run_vf_eval, serving


@pytest.fixture(autouse=True)
def keep_signal_handlers():
    """verifiers' environments install their own SIGINT/SIGTERM handlers; the rest of the suite keeps its own."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def expected_reward(rows_by_prompt, prompt: str, text: str) -> float:
    row = rows_by_prompt[prompt]
    return grade(text, solution_of(row), options_of(row)).reward


@pytest.mark.slow  # importing verifiers takes seconds
def test_load_environment_builds_a_single_turn_env_with_the_graders_rubric():
    import verifiers as vf

    env = load_environment(variant="tiny", num_train=3, num_eval=2, seed=5)
    assert isinstance(env, vf.SingleTurnEnv)
    ours = [r for r in env.rubric.rubrics if clue_reward in r.funcs]  # verifiers adds its num_turns monitor beside it
    assert [(r.funcs, r.weights) for r in ours] == [([clue_reward, solved], [1.0, 0.0])]
    assert env.get_dataset()["seed"] == [5, 6, 7]
    assert env.get_eval_dataset()["seed"] == [8, 9]  # the seeds after the training ones
    row = env.get_eval_dataset()[0]
    assert row["prompt"] == [{"role": "user", "content": row["prompt_text"]}]
    assert row["answer"] == row["solution"]
    assert json.loads(row["info"]) == {
        "options": options_of(row),
        "id": "tiny/easy/8",
        "variant": "tiny",
        "difficulty": "easy",
        "seed": 8,
    }


@pytest.mark.slow
def test_the_evaluation_set_can_be_a_puzzle_file_and_sizes_a_dict(tmp_path):
    path = tmp_path / "val.jsonl"
    rows = list(generated_dataset("tiny", None, range(2)))
    path.write_text("".join(json.dumps({"prompt": r["prompt_text"], "solution": solution_of(r)}) + "\n" for r in rows))
    env = load_environment(eval_file=str(path), num_train=0)
    assert env.get_eval_dataset()["prompt_text"] == [r["prompt_text"] for r in rows]
    env = load_environment(difficulty={"suspects": 3, "weapons": 2, "rooms": 2}, num_train=1, num_eval=0)
    assert len(options_of(env.get_dataset()[0])["A"]) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant": "no-such-variant"}, "no-such-variant"),
        ({"difficulty": "impossible"}, "impossible"),
        ({"difficulty": {"suspects": 3}}, "difficulty"),
        ({"difficulty": {"suspects": 0, "weapons": 1, "rooms": 2}}, "suspects must be >= 1"),
        ({"num_eval": -1}, "num_eval must be a non-negative integer"),
        ({"num_train": "10"}, "num_train must be a non-negative integer"),
        ({"num_train": 0, "num_eval": 0}, "ask for at least one puzzle"),
        ({"eval_file": "/no/such/file.jsonl"}, "no such puzzle file"),
    ],
)
def test_bad_arguments_are_one_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_environment(**kwargs)


def test_the_rubric_functions_are_the_grader_and_never_raise():
    row = generated_dataset("tiny", None, [0])[0]
    for text in answers([row])[row["prompt_text"]]:
        completion = [{"role": "assistant", "content": text}]
        result = grade(text, solution_of(row), options_of(row))
        assert clue_reward(completion, solution=row["solution"], options=row["options"]) == result.reward
        assert solved(completion, solution=row["solution"], options=row["options"]) == float(
            all(result.correct.values())
        )
        # the columns verifiers passes on every path: answer (the solution's JSON) and info (options)
        info = {"options": options_of(row)}
        assert clue_reward(completion, answer=row["solution"], info=info) == result.reward
        assert clue_reward(completion, answer=row["solution"], info=json.dumps(info)) == result.reward
        assert solved(completion, answer=row["solution"], info=info) == float(all(result.correct.values()))
    assert clue_reward([{"role": "assistant", "content": "A. x"}]) == 0.0  # no solution: 0.0, no exception
    assert clue_reward("A. x", answer='{"A": "x"}', info="not json") == 1.0  # no options: exact match
    assert solved("A. x", solution="not json") == 0.0


@pytest.mark.slow
def test_evaluate_reports_the_graders_rewards_of_the_texts_served(monkeypatch):
    import verifiers as vf

    monkeypatch.setenv(KEY_VAR, "not-a-real-key")
    env = load_environment(variant="tiny", num_train=0, num_eval=3)
    rows = list(env.get_eval_dataset())
    by_prompt = {row["prompt_text"]: row for row in rows}
    with Server(serving(rows)) as server:
        client = vf.ClientConfig(api_base_url=server.base_url, api_key_var=KEY_VAR)
        results = env.evaluate_sync(client=client, model="tiny", num_examples=3, rollouts_per_example=3)
        assert server.total_requests == 9
    outputs = results["outputs"]
    assert len(outputs) == 9
    rewards, per_prompt = [], {}
    for output in outputs:
        assert output["error"] is None
        prompt = output["prompt"][-1].content
        (message,) = output["completion"]
        expected = expected_reward(by_prompt, prompt, message.content)
        assert output["reward"] == output["metrics"]["clue_reward"] == expected
        row = by_prompt[prompt]
        correct = grade(message.content, solution_of(row), options_of(row)).correct
        assert output["metrics"]["solved"] == float(all(correct.values()))
        rewards.append(expected)
        per_prompt.setdefault(prompt, set()).add(expected)
    for prompt, seen in per_prompt.items():  # each puzzle was served its right, hedged and wrong reply
        hedged = expected_reward(by_prompt, prompt, answers(rows)[prompt][1])
        assert 0.0 < hedged < 1.0
        assert seen == {1.0, hedged, 0.0}
    assert results["metadata"]["avg_reward"] == pytest.approx(sum(rewards) / len(rewards))


@pytest.mark.slow
def test_vf_eval_reports_the_graders_rewards_of_the_texts_served(tmp_path):
    rows = list(generated_dataset("tiny", None, range(2)))  # num_train=0: the eval seeds start at 0
    by_prompt = {row["prompt_text"]: row for row in rows}
    env_args = json.dumps({"variant": "tiny", "num_train": 0, "num_eval": 2})
    with Server(serving(rows)) as server:
        done = run_vf_eval(
            ["integrations.verifiers_env", "-a", env_args, "-m", "tiny", "-b", server.base_url, "-k", KEY_VAR]
            + ["-n", "2", "-r", "3", "-s", "-o", str(tmp_path / "out"), "--disable-tui"],
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (results,) = (tmp_path / "out").rglob("results.jsonl")
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(records) == 6
    rewards = []
    for record in records:
        assert record["error"] is None
        prompt = record["prompt"][-1]["content"]
        (message,) = record["completion"]
        expected = expected_reward(by_prompt, prompt, message["content"])
        assert record["reward"] == record["clue_reward"] == expected
        rewards.append(expected)
    assert 0.0 in rewards and 1.0 in rewards
    metadata = json.loads((results.parent / "metadata.json").read_text())
    assert metadata["env_id"] == "integrations.verifiers_env"
    assert metadata["avg_reward"] == pytest.approx(sum(rewards) / len(rewards))
