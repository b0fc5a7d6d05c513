"""``clue eval --game investigation``: every turn of each episode in results.jsonl, the summary with the
mean questions asked, resuming without playing an episode twice, and the random agent's one-reply
episodes; through ``cli.main`` as a user runs it."""

from __future__ import annotations

import json
import statistics

import pytest

import cli
from clue_env.investigation import Session, generate_case
from evaluation.runner import RESULTS, RUN, SUMMARY

pytestmark = pytest.mark.timeout(120)


def clue(*argv: object) -> int:
    return cli.main([str(a) for a in argv])


def eval_args(agent: str, out, n: int, *more: object) -> list[object]:
    level = ["--variant", "tiny", "--difficulty", "easy", "--n", n]
    return ["eval", "--agent", agent, "--game", "investigation", *level, "--out", out, *more]


def records(out) -> list[dict]:
    return [json.loads(line) for line in (out / RESULTS).read_text(encoding="utf-8").splitlines()]


def test_solver_eval_records_every_turn_and_the_mean_questions(tmp_path, capsys):
    out = tmp_path / "solver"
    assert clue(*eval_args("solver", out, 3)) == 0
    printed = capsys.readouterr().out
    rows = records(out)
    assert [r["episode"] for r in sorted(rows, key=lambda r: r["episode"])] == [
        f"investigation/tiny/easy/{s}#0" for s in range(3)
    ]
    for row in rows:
        case = generate_case("tiny", "easy", int(row["puzzle_id"].rsplit("/", 1)[1]))
        turns = row["turns"]
        assert row["error"] is None and row["agent"] == "solver"
        assert row["correct"] == dict.fromkeys(case.labels, True) and row["solution"] == case.solution
        assert row["reward"] == pytest.approx(1.0 - case.cost_per_question * row["questions"])
        assert 1 <= row["questions"] <= case.budget
        # The transcript: the case, then (question, its answer) per question, then the accusation.
        assert [t["role"] for t in turns] == ["user", "assistant"] * (row["questions"] + 1)
        assert all(set(t) == {"role", "content"} for t in turns)
        assert turns[0]["content"] == case.prompt and turns[-1]["content"] == row["text"]
        session = Session(case)
        for asked, answered in zip(turns[1:-1:2], turns[2::2]):
            assert session.step(asked["content"]).observation == answered["content"]
        assert session.step(turns[-1]["content"]).kind == "accusation" and session.reward == row["reward"]
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["game"] == "investigation" and summary["n"] == 3 and summary["errors"] == 0
    assert summary["mean_questions"] == pytest.approx(statistics.mean(r["questions"] for r in rows))
    assert summary["mean_reward"] == pytest.approx(statistics.mean(r["reward"] for r in rows))
    assert f"{summary['mean_questions']:.2f} questions" in printed
    assert json.loads((out / RUN).read_text())["game"] == "investigation"


def test_a_second_run_resumes_and_plays_only_the_new_episodes(tmp_path, capsys):
    out = tmp_path / "run"
    assert clue(*eval_args("solver", out, 2)) == 0
    first = (out / RESULTS).read_text(encoding="utf-8")
    # The same folder without --resume: refused, nothing touched.
    assert clue(*eval_args("solver", out, 4)) != 0
    assert "--resume" in capsys.readouterr().err
    assert (out / RESULTS).read_text(encoding="utf-8") == first
    assert clue(*eval_args("solver", out, 4, "--resume")) == 0
    text = (out / RESULTS).read_text(encoding="utf-8")
    assert text.startswith(first)  # the first two episodes are kept as they were
    new = [json.loads(line) for line in text[len(first) :].splitlines()]
    assert sorted(r["episode"] for r in new) == ["investigation/tiny/easy/2#0", "investigation/tiny/easy/3#0"]
    episodes = [r["episode"] for r in records(out)]
    assert len(episodes) == len(set(episodes)) == 4
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["n"] == 4 and summary["mean_questions"] == pytest.approx(
        statistics.mean(r["questions"] for r in records(out))
    )
    # Resuming a complete run plays nothing.
    assert clue(*eval_args("solver", out, 4, "--resume")) == 0
    assert (out / RESULTS).read_text(encoding="utf-8") == text
    # Another game in the same folder is another run: refused.
    other = ["eval", "--agent", "solver", "--variant", "tiny", "--difficulty", "easy", "--n", 2, "--out", out]
    assert clue(*other, "--resume") != 0
    assert "game" in capsys.readouterr().err


def test_the_same_seeds_give_the_same_results(tmp_path):
    for name in ("a", "b"):
        assert clue(*eval_args("solver", tmp_path / name, 2)) == 0

    def stable(out) -> list[dict]:
        return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in records(out)), key=str)

    assert stable(tmp_path / "a") == stable(tmp_path / "b")


def test_random_agent_episodes_run_without_errors(tmp_path):
    out = tmp_path / "random"
    assert clue(*eval_args("random", out, 4, "--seed", 3)) == 0
    rows = records(out)
    assert len(rows) == 4
    for row in rows:
        # It answers the case's questions at once, reading the options from the prompt.
        assert row["error"] is None and row["questions"] == 0
        assert [t["role"] for t in row["turns"]] == ["user", "assistant"]
        assert all(answer is not None for answer in row["answers"].values())
        assert 0.0 <= row["reward"] <= 1.0
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["errors"] == 0 and summary["mean_questions"] == 0.0


def test_investigating_a_file_of_generated_puzzles(tmp_path):
    puzzles = tmp_path / "puzzles.jsonl"
    assert clue("generate", "--variant", "tiny", "--n", 2, "--seed", 5, "--out", puzzles) == 0
    out = tmp_path / "from-file"
    assert clue("eval", "--agent", "solver", "--game", "investigation", "--dataset", puzzles, "--out", out) == 0
    rows = records(out)
    assert len(rows) == 2 and all(r["error"] is None and r["questions"] >= 0 for r in rows)
    assert all(r["correct"] and all(r["correct"].values()) for r in rows)
