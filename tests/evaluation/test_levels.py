"""Runs over several difficulties: a multi-level task source, ``by_difficulty`` in the summary, the report's table and chart."""

from __future__ import annotations

import json

import pytest

from agents import Completion, SamplingConfig, create_agent
from clue_env.builtin_variants import TINY
from clue_env.puzzle import Task
from evaluation import (
    ReportError,
    TaskSource,
    difficulty_table,
    evaluate,
    load_source,
    load_summaries,
    plot_accuracy_vs_difficulty,
)
from evaluation.runner import RESULTS, SUMMARY


class HalfRight:
    """Right on every puzzle of the levels in ``right``, nothing else."""

    name = "half"

    def __init__(self, tasks, right):
        self.answers = {t.prompt: (t.record["difficulty"] in right, t.solution) for t in tasks}

    async def agenerate(self, prompts, sampling):
        out = []
        for p in prompts:
            ok, solution = self.answers[p]
            text = "\n".join(f"{k}. {v}" for k, v in solution.items()) if ok else ""
            out.append([Completion(text=text)])
        return out

    def close(self):
        pass


def test_a_source_of_several_levels_gives_n_of_each_with_the_same_seeds():
    tasks, where = load_source(TaskSource(variant="tiny", difficulty=(0, "cpu", "4"), n=2, seed=3))
    names = [TINY.ladder[0].name, "cpu", TINY.ladder[4].name]
    assert [t.id for t in tasks] == [f"tiny/{n}/{s}" for n in names for s in (3, 4)]
    assert [t.record["rung"] for t in tasks] == [0, 0, 2, 2, 4, 4]
    assert where == {"game": "puzzle", "variant": "tiny", "difficulty": names, "seed": 3}
    single, where = load_source(TaskSource(variant="tiny", difficulty="cpu", n=2, seed=3))
    assert [t.id for t in single] == [t.id for t in tasks[2:4]] and where["difficulty"] == "cpu"
    assert TaskSource(variant="tiny", difficulty=[1, 2]).levels == (1, 2)


def test_a_source_refuses_a_level_twice_and_no_level():
    with pytest.raises(ValueError, match="level 'cpu' is asked twice"):
        load_source(TaskSource(variant="tiny", difficulty=("cpu", 2), n=1))
    with pytest.raises(ValueError, match="at least one level"):
        TaskSource(variant="tiny", difficulty=())
    with pytest.raises(ValueError, match="off its scale 0..24"):
        load_source(TaskSource(variant="tiny", difficulty=(0, 30), n=1))


def test_the_summary_has_accuracy_per_difficulty_and_resume_keeps_it(tmp_path):
    tasks, where = load_source(TaskSource(variant="tiny", difficulty=(0, 1, 2), n=3))
    agent = HalfRight(tasks, right={"cpu"})
    meta = {"agent": "half", **where}
    first = evaluate(agent, tasks[:4], tmp_path, SamplingConfig(), meta=meta)
    assert set(first["by_difficulty"]) == {TINY.ladder[0].name, TINY.ladder[1].name}
    summary = evaluate(agent, tasks, tmp_path, SamplingConfig(), meta=meta, resume=True)
    groups = summary["by_difficulty"]
    assert list(groups) == [TINY.ladder[0].name, TINY.ladder[1].name, "cpu"]
    assert [g["rung"] for g in groups.values()] == [0, 1, 2]
    assert [g["position"] for g in groups.values()] == [0.0, 1.0, 2.0]
    assert [g["n"] for g in groups.values()] == [3, 3, 3]
    assert [g["mean_reward"] for g in groups.values()] == [0.0, 0.0, 1.0]
    assert groups["cpu"]["solved"] == 3 and groups["cpu"]["stderr"] == 0.0
    assert summary["n"] == 9 and summary["mean_reward"] == pytest.approx(1 / 3)
    assert json.loads((tmp_path / SUMMARY).read_text())["by_difficulty"] == groups
    assert len((tmp_path / RESULTS).read_text().splitlines()) == 9


def test_no_by_difficulty_for_one_level_or_puzzles_without_levels(tmp_path):
    tasks, where = load_source(TaskSource(variant="tiny", difficulty="cpu", n=2))
    summary = evaluate(HalfRight(tasks, {"cpu"}), tasks, tmp_path / "one", SamplingConfig(), meta=where)
    assert "by_difficulty" not in summary
    bare = [Task(f"val/{i}", t.prompt, t.solution, t.options) for i, t in enumerate(tasks)]  # no record
    agent = create_agent("random")
    assert "by_difficulty" not in evaluate(agent, bare, tmp_path / "val", SamplingConfig(seed=0))


def test_named_distribution_levels_sit_at_fractional_positions(tmp_path):
    tasks, where = load_source(TaskSource(variant="tiny", difficulty=("easy", "cpu"), n=2))
    summary = evaluate(create_agent("solver"), tasks, tmp_path, SamplingConfig(), meta=where)
    groups = summary["by_difficulty"]
    assert list(groups) == ["cpu", "easy"]  # easiest first: cpu is rung 2, easy sits near 4
    assert groups["easy"]["rung"] is None and groups["easy"]["position"] == pytest.approx(TINY.rung("easy"))
    assert all(g["mean_reward"] == 1.0 for g in groups.values())


def test_the_report_table_and_chart(tmp_path):
    tasks, where = load_source(TaskSource(variant="tiny", difficulty=(0, 2), n=2))
    evaluate(create_agent("solver"), tasks, tmp_path / "solver", SamplingConfig(), meta={"agent": "solver", **where})
    evaluate(create_agent("random"), tasks, tmp_path / "random", SamplingConfig(seed=1), meta={"agent": "random"})
    summaries = load_summaries([tmp_path / "solver", tmp_path / "random"])
    table = difficulty_table(summaries)
    assert table is not None and table.row_count == 4
    out = plot_accuracy_vs_difficulty(summaries, tmp_path / "acc")
    assert out == tmp_path / "acc.png" and out.stat().st_size > 1000
    single, _ = load_source(TaskSource(variant="tiny", difficulty="cpu", n=1))
    evaluate(create_agent("solver"), single, tmp_path / "single", SamplingConfig())
    alone = load_summaries([tmp_path / "single"])
    assert difficulty_table(alone) is None
    with pytest.raises(ReportError, match="no run spans several difficulties"):
        plot_accuracy_vs_difficulty(alone, tmp_path / "x.png")
    with pytest.raises(ReportError, match="--plot-difficulty x.gif: unknown image format"):
        plot_accuracy_vs_difficulty(summaries, "x.gif")
