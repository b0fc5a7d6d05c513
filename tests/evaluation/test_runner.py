"""The evaluation runner: every episode recorded once, failures kept, resumable."""

import json

import pytest

from agents import Completion, SamplingConfig
from clue_env.puzzle import Task
from evaluation.report import load_summaries, plot_accuracy_vs_cost
from evaluation.runner import RESULTS, SUMMARY, EvalError, evaluate, read_results


def _tasks(n: int) -> list[Task]:
    return [
        Task(
            f"t/{i}",
            f"prompt {i}",
            {"A": "Miss Scarlet", "B": "Knife"},
            {"A": ["Miss Scarlet", "Mr. Green"], "B": ["Knife", "Rope"]},
        )
        for i in range(n)
    ]


class FakeAgent:
    """Right on even puzzles, half right on odd ones, fails on prompts named in ``fail``."""

    name = "fake"

    def __init__(self, fail=(), crash=()):
        self.fail, self.crash, self.calls = set(fail), set(crash), []

    async def agenerate(self, prompts, sampling):
        out = []
        for p in prompts:
            self.calls.append(p)
            if p in self.crash:
                raise RuntimeError("boom")
            if p in self.fail:
                out.append([Completion(text="", error="HTTP 500 after 4 retries")])
                continue
            i = int(p.split()[-1])
            text = "A. Miss Scarlet\nB. Knife" if i % 2 == 0 else "A. Miss Scarlet\nB. Rope"
            out.append([Completion(text=text, prompt_tokens=10, completion_tokens=5, cost_usd=0.001)])
        return out

    def close(self):
        pass


def test_summary_and_results(tmp_path):
    agent = FakeAgent(fail={"prompt 3"}, crash={"prompt 5"})
    summary = evaluate(agent, _tasks(6), tmp_path, SamplingConfig(), samples=2, meta={"agent": "fake"})
    records = read_results(tmp_path / RESULTS)
    assert len(records) == 12 and len({r.episode for r in records}) == 12
    assert summary["n"] == 12 and summary["n_puzzles"] == 6
    # puzzles 0,2,4 right (1.0); 1 half (0.5); 3 failed (0); 5 crashed (0)
    assert summary["mean_reward"] == pytest.approx((3 * 1.0 + 0.5) / 6)
    assert summary["stderr"] > 0
    assert summary["errors"] == 4
    failed = [r for r in records if r.puzzle_id == "t/5"]
    assert all("boom" in r.error and r.reward == 0.0 for r in failed)
    assert json.loads((tmp_path / SUMMARY).read_text())["mean_reward"] == summary["mean_reward"]
    assert summary["prompt_tokens"] == 80 and summary["cost_usd"] == pytest.approx(0.008)


def test_resume_skips_recorded_episodes_and_repairs_a_torn_line(tmp_path):
    evaluate(FakeAgent(), _tasks(3), tmp_path, SamplingConfig())
    path = tmp_path / RESULTS
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2]) + lines[2][:20])  # killed mid-write
    with pytest.raises(EvalError, match="--resume"):
        evaluate(FakeAgent(), _tasks(5), tmp_path, SamplingConfig())
    agent = FakeAgent()
    summary = evaluate(agent, _tasks(5), tmp_path, SamplingConfig(), resume=True)
    assert sorted(agent.calls) == ["prompt 2", "prompt 3", "prompt 4"]
    records = read_results(path)
    assert sorted(r.episode for r in records) == [f"t/{i}#0" for i in range(5)]
    assert summary["n"] == 5


def test_report_loads_and_plots(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    evaluate(FakeAgent(), _tasks(4), a, SamplingConfig(), meta={"agent": "fake", "model": "m1"})
    evaluate(FakeAgent(fail={"prompt 1"}), _tasks(4), b, SamplingConfig(), meta={"agent": "fake", "model": "m2"})
    summaries = load_summaries([a, b])
    assert [s["model"] for s in summaries] == ["m1", "m2"]
    png = plot_accuracy_vs_cost(summaries, tmp_path / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_line_before_the_last_is_an_error_and_nothing_is_deleted(tmp_path):
    evaluate(FakeAgent(), _tasks(4), tmp_path, SamplingConfig())
    path = tmp_path / RESULTS
    lines = path.read_text().splitlines(keepends=True)
    broken = lines[0] + '{"episode": "t/1#0", "broken\n' + "".join(lines[2:])
    path.write_text(broken)
    with pytest.raises(EvalError, match=f"{RESULTS}:2: not a JSON line"):
        evaluate(FakeAgent(), _tasks(4), tmp_path, SamplingConfig(), resume=True)
    assert path.read_text() == broken  # the records after the bad line are all still there
    path.write_text(lines[0] + '{"episode": "t/1#0"}\n' + "".join(lines[2:]))
    with pytest.raises(EvalError, match=f"{RESULTS}:2: not an episode record"):
        read_results(path)


def test_only_a_torn_last_line_is_cut(tmp_path):
    evaluate(FakeAgent(), _tasks(3), tmp_path, SamplingConfig())
    path = tmp_path / RESULTS
    whole = path.read_text()
    path.write_text(whole + whole.splitlines()[0][:30])  # a run killed mid-write of a fourth line
    assert len(read_results(path)) == 3
    assert path.read_text().endswith(whole.splitlines()[0][:30])  # reading alone changes nothing
    assert len(read_results(path, repair=True)) == 3
    assert path.read_text() == whole


@pytest.mark.parametrize(
    "change, named",
    [({"agent": "other"}, "agent='other'"), ({"model": "m2"}, "model='m2'"), ({"temperature": 0.7}, "temperature")],
)
def test_resume_refuses_another_runs_folder(tmp_path, change, named):
    meta = {"agent": "fake", "model": "m1", "dataset": "d.json"}
    evaluate(FakeAgent(), _tasks(2), tmp_path, SamplingConfig(), meta=meta)
    before = (tmp_path / RESULTS).read_bytes()
    new_meta = {**meta, **{k: v for k, v in change.items() if k != "temperature"}}
    sampling = SamplingConfig(temperature=change.get("temperature", 1.0))
    with pytest.raises(EvalError, match="holds another run") as err:
        evaluate(FakeAgent(), _tasks(4), tmp_path, sampling, resume=True, meta=new_meta)
    assert named in str(err.value)
    assert (tmp_path / RESULTS).read_bytes() == before


def test_a_second_run_on_the_same_folder_fails_at_once(tmp_path):
    import fcntl

    evaluate(FakeAgent(), _tasks(1), tmp_path, SamplingConfig())
    with (tmp_path / RESULTS).open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running evaluation holds it
        with pytest.raises(ValueError, match="being written by another run"):
            evaluate(FakeAgent(), _tasks(3), tmp_path, SamplingConfig(), resume=True)
    assert len(read_results(tmp_path / RESULTS)) == 1
