"""`clue generate/show/list/eval/report` with the difficulty scale: rung numbers, lists and ranges of rungs."""

from __future__ import annotations

import json

import pytest

import cli
import plugins
from clue_env.builtin_variants import TINY
from clue_env.generate import generate_record


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR", plugins.manager.DISABLE_ENV):
        monkeypatch.delenv(name, raising=False)
    plugins.reset_plugin_manager()
    yield
    plugins.reset_plugin_manager()


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(rc, err, fragment):
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("clue: error: ") and fragment in err, err


def records(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_generate_a_rung(tmp_path, capsys):
    out = tmp_path / "r3.jsonl"
    assert run(capsys, "generate", "--variant", "tiny", "--difficulty", 3, "--n", 2, "--out", out)[0] == 0
    assert records(out) == [json.loads(json.dumps(generate_record(TINY, 3, s))) for s in (0, 1)]
    cpu = tmp_path / "cpu.jsonl"
    two = tmp_path / "2.jsonl"
    run(capsys, "generate", "--variant", "tiny", "--difficulty", "cpu", "--n", 2, "--out", cpu)
    run(capsys, "generate", "--variant", "tiny", "--difficulty", 2, "--n", 2, "--out", two)
    assert cpu.read_bytes() == two.read_bytes()


def test_generate_a_range_of_rungs_writes_n_of_each(tmp_path, capsys):
    out = tmp_path / "all.jsonl"
    rc, stdout, _ = run(
        capsys, "generate", "--variant", "tiny", "--difficulty", "0-2", "--n", 2, "--seed", 5, "--out", out
    )
    assert rc == 0 and "wrote 6 puzzles" in stdout
    got = records(out)
    assert [(r["rung"], r["seed"]) for r in got] == [(k, s) for k in (0, 1, 2) for s in (5, 6)]
    assert got[4]["id"] == "tiny/cpu/5"
    listed = tmp_path / "list.jsonl"
    run(capsys, "generate", "--variant", "tiny", "--difficulty", "2,0", "--n", 1, "--out", listed)
    assert [r["rung"] for r in records(listed)] == [2, 0]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["generate", "--difficulty", "25"], "variant 'tiny': difficulty 25 is off its scale 0..24"),
        (["generate", "--difficulty", "2,cpu"], "level 'cpu' is asked twice"),
        (["generate", "--difficulty", "3-1"], "difficulty range '3-1' runs backwards"),
        (["generate", "--difficulty", "0-1", "--format", "hf"], "--format hf writes one level"),
        (["show", "--difficulty", "0,1"], "`clue show` takes one level"),
        (["eval", "--agent", "solver", "--difficulty", "0-30"], "off its scale 0..24"),
    ],
)
def test_bad_difficulties_give_one_line(tmp_path, capsys, argv, fragment):
    rc, _, err = run(capsys, *argv, "--variant", "tiny", *(["--out", tmp_path / "x"] if argv[0] != "show" else []))
    one_line_error(rc, err, fragment)
    assert not (tmp_path / "x").exists()


def test_show_a_rung(capsys):
    rc, stdout, _ = run(capsys, "show", "--variant", "tiny", "--difficulty", 2, "--seed", 1, "--plain")
    assert rc == 0 and stdout == generate_record(TINY, "cpu", 1)["prompt"] + "\n"


def test_list_shows_each_variants_scale(capsys):
    rc, stdout, _ = run(capsys, "list")
    assert rc == 0
    tiny = next(line for line in stdout.splitlines() if line.startswith("│ tiny "))
    assert f"scale 0..{TINY.max_difficulty}; easy ≈ {TINY.rung('easy'):.1f}" in tiny and "cpu = 2" in tiny
    assert "largest = 19" in stdout and "hard = 15" in stdout


def test_eval_over_a_range_of_rungs_then_resume_then_report(tmp_path, capsys):
    solver, rnd = tmp_path / "solver", tmp_path / "random"
    args = ("--variant", "tiny", "--difficulty", "0-2", "--n", 2)
    assert run(capsys, "eval", "--agent", "solver", *args, "--out", solver)[0] == 0
    summary = json.loads((solver / "summary.json").read_text())
    assert summary["n"] == 6 and summary["difficulty"] == [r.name for r in TINY.ladder[:3]]
    groups = summary["by_difficulty"]
    assert [g["rung"] for g in groups.values()] == [0, 1, 2] and all(g["n"] == 2 for g in groups.values())
    assert run(capsys, "eval", "--agent", "solver", *args, "--out", solver, "--resume")[0] == 0
    rc, _, err = run(
        capsys, "eval", "--agent", "solver", "--variant", "tiny", "--difficulty", "0-3", "--out", solver, "--resume"
    )
    one_line_error(rc, err, "holds another run")
    assert (
        run(capsys, "eval", "--agent", "random", "--variant", "tiny", "--difficulty", "1,3", "--n", 2, "--out", rnd)[0]
        == 0
    )
    chart = tmp_path / "acc.png"
    rc, stdout, _ = run(capsys, "report", solver, rnd, "--plot-difficulty", chart)
    assert rc == 0 and "Accuracy by difficulty" in stdout and f"wrote {chart}" in stdout
    per_level = [line.split() for line in stdout.split("Accuracy by difficulty")[1].splitlines()]
    rows = [(row[0], row[2], row[4]) for row in per_level if row and row[0] in ("solver", "random")]
    assert rows[:3] == [("solver", str(k), "100.0±0.0%") for k in (0, 1, 2)]
    assert [(run, rung) for run, rung, _ in rows[3:]] == [("random", "1"), ("random", "3")]
    assert chart.stat().st_size > 1000


def test_report_with_a_bad_difficulty_chart_fails_first(tmp_path, capsys):
    rc, stdout, err = run(capsys, "report", tmp_path, "--plot-difficulty", tmp_path / "x.gif")
    one_line_error(rc, err, "--plot-difficulty")
    assert stdout == ""
