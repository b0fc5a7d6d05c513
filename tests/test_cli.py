"""Tests of the ``clue`` command (cli.py): generate, show and list, in-process through
``cli.main`` and as a real ``python cli.py`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import cli
import clue_env
import plugins
from clue_env import generate_puzzle
from clue_env.puzzle import Puzzle

REPO = Path(__file__).resolve().parents[1]
RECORD_KEYS = {"prompt", "solution", "num_clues", "seed", "variant", "sizes", "id"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """A wide, plain (non-interactive) console and a fresh plugin manager."""
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR", plugins.manager.DISABLE_ENV):
        monkeypatch.delenv(name, raising=False)
    plugins.reset_plugin_manager()
    try:
        yield
    finally:
        plugins.reset_plugin_manager()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc: int, err: str, *fragments: str) -> None:
    assert rc == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("clue: error: "), err
    for fragment in fragments:
        assert fragment in lines[0]


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR")}
    env.pop(plugins.manager.DISABLE_ENV, None)
    env["COLUMNS"] = "250"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


def run_cli_process(*argv: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "cli.py", *[str(a) for a in argv]],
        cwd=REPO,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --------------------------------------------------------------------------- generate


def test_generate_writes_jsonl_records(tmp_path, capsys):
    out = tmp_path / "tiny.jsonl"
    rc, stdout, err = run(capsys, "generate", "--variant", "tiny", "--n", 3, "--seed", 5, "--out", out)
    assert rc == 0, err
    assert f"wrote 3 puzzles to {out}" in stdout
    assert not (tmp_path / "tiny.jsonl.partial").exists()
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n") and len(text.splitlines()) == 3
    records = read_records(out)
    assert [r["seed"] for r in records] == [5, 6, 7]
    variant = clue_env.get_variant("tiny")
    for record in records:
        assert RECORD_KEYS <= set(record)
        assert list(record)[:3] == ["prompt", "solution", "num_clues"]  # the original benchmark's fields first
        assert record["variant"] == "tiny"
        assert record["id"] == f"tiny/easy/{record['seed']}"
        assert isinstance(record["sizes"], dict) and record["sizes"]["rooms"] >= 2
        assert isinstance(record["num_clues"], int) and record["num_clues"] > 0
        assert isinstance(record["solution"], dict) and record["solution"]
        puzzle = generate_puzzle(variant, None, record["seed"])
        assert record["prompt"] == puzzle.render()
        assert record["solution"] == puzzle.solution
        assert Puzzle.from_record(record).render() == record["prompt"]


def test_generate_is_byte_identical_across_runs_and_with_a_live_progress_bar(tmp_path, capsys, monkeypatch):
    args = ["generate", "--variant", "tiny", "--n", 3, "--seed", 5, "--out"]
    first, second, live = tmp_path / "a" / "p.jsonl", tmp_path / "b" / "p.jsonl", tmp_path / "c" / "p.jsonl"
    for path in (first, second, live):
        path.parent.mkdir()
    assert run(capsys, *args, first)[0] == 0
    assert run(capsys, *args, second)[0] == 0
    # Now as if on an interactive colour terminal: the live progress bar draws itself.
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    rc, stdout, err = run(capsys, *args, live)
    assert rc == 0, err
    assert "generating tiny" in stdout and "3/3" in stdout
    assert "\x1b[" in stdout  # it really drew in colour
    assert err == ""
    assert first.read_bytes() == second.read_bytes() == live.read_bytes()
    # running again over the same file with --force gives the same bytes too
    assert run(capsys, *args, first, "--force")[0] == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.slow
def test_generate_with_two_workers_is_byte_identical(tmp_path, capsys):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    common = ["generate", "--variant", "tiny", "--n", 6, "--seed", 11]
    assert run(capsys, *common, "--workers", 1, "--out", one)[0] == 0
    rc, stdout, err = run(capsys, *common, "--workers", 2, "--out", two)
    assert rc == 0, err
    assert "wrote 6 puzzles" in stdout
    assert one.read_bytes() == two.read_bytes()
    assert [r["seed"] for r in read_records(two)] == list(range(11, 17))


def test_generate_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "keep.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    rc, stdout, err = run(capsys, "generate", "--variant", "tiny", "--n", 1, "--out", out)
    assert_one_line_error(rc, err, str(out), "--force")
    assert out.read_text(encoding="utf-8") == "precious\n"
    assert not (tmp_path / "keep.jsonl.partial").exists()
    rc, _, err = run(capsys, "generate", "--variant", "tiny", "--n", 1, "--out", out, "--force")
    assert rc == 0, err
    assert len(read_records(out)) == 1


def test_generate_with_explicit_sizes(tmp_path, capsys):
    out = tmp_path / "sized.jsonl"
    sizes = ["--suspects", 3, "--weapons", 2, "--rooms", 3, "--times", 2, "--motives", 3]
    rc, _, err = run(capsys, "generate", *sizes, "--n", 2, "--seed", 1, "--out", out)
    assert rc == 0, err
    records = read_records(out)
    assert len(records) == 2
    for record in records:
        assert record["variant"] == "temporal"
        s = record["sizes"]
        assert (s["suspects"], s["weapons"], s["rooms"], s["times"], s["motives"]) == (3, 2, 3, 2, 3)
        case = Puzzle.from_record(record).case
        assert (len(case.suspects), len(case.weapons), len(case.rooms), len(case.times), len(case.motives)) == (
            3,
            2,
            3,
            2,
            3,
        )
        assert record["difficulty"] == "s3w2r3t2m3b2"


def test_generate_with_difficulty_and_sizes_is_an_error(tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    rc, _, err = run(
        capsys, "generate", "--difficulty", "easy", "--suspects", 3, "--weapons", 2, "--rooms", 3, "--out", out
    )
    assert_one_line_error(rc, err, "--difficulty", "not both")
    assert not out.exists()


SIZES = ["--suspects", "3", "--weapons", "2"]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--n", "0"], "--n must be >= 1"),
        (["--n", "-3"], "--n must be >= 1"),
        ([*SIZES, "--rooms", "1"], "rooms must be >= 2"),
        (["--rooms", "1"], "explicit sizes need at least --suspects, --weapons and --rooms"),
        (["--variant", "nope"], "unknown variant 'nope'; known variants: classic, temporal, tiny"),
        (["--difficulty", "impossible"], "unknown difficulty 'impossible'"),
        (["--variant", "tiny", "--difficulty", "hard"], "unknown difficulty 'hard'; choose one of easy, medium"),
        ([*SIZES, "--rooms", "3", "--ask", "foo"], "unknown main questions ['foo']"),
        (["--ask", "foo"], "explicit sizes need"),
        ([*SIZES, "--rooms", "3", "--ask", "what,where"], "'who' must be asked"),
        ([*SIZES, "--rooms", "3", "--motives", "4"], "motives must be 0..suspects"),
        (["--suspects", "11", "--weapons", "2", "--rooms", "3"], "needs 11 suspects, its theme has 10"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--workers", "0"], "--workers must be >= 1"),
    ],
)
def test_generate_bad_values_give_one_line(tmp_path, capsys, argv, fragment):
    out = tmp_path / "never.jsonl"
    rc, stdout, err = run(capsys, "generate", *argv, "--out", out)
    assert_one_line_error(rc, err, fragment)
    assert not out.exists()
    assert not (tmp_path / "never.jsonl.partial").exists()


def test_generate_into_a_missing_folder_is_an_error(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "dir" / "p.jsonl"
    rc, _, err = run(capsys, "generate", "--variant", "tiny", "--n", 1, "--out", out)
    assert_one_line_error(rc, err, "does not exist")


def test_generate_as_a_real_process(tmp_path):
    out = tmp_path / "proc.jsonl"
    proc = run_cli_process("generate", "--variant", "tiny", "--n", 3, "--seed", 5, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 puzzles" in proc.stdout
    records = read_records(out)
    assert [r["seed"] for r in records] == [5, 6, 7]
    assert all(RECORD_KEYS <= set(r) for r in records)
    # same bytes as the in-process command
    again = tmp_path / "inproc.jsonl"
    assert cli.main(["generate", "--variant", "tiny", "--n", "3", "--seed", "5", "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()

    bad = run_cli_process(
        "generate", "--variant", "tiny", "--ask", "foo", *SIZES, "--rooms", 3, "--out", tmp_path / "b.jsonl"
    )
    assert bad.returncode == 2
    assert_one_line_error(bad.returncode, bad.stderr, "unknown main questions")
    assert bad.stdout == ""


# --------------------------------------------------------------------------- show


def test_show_generated_puzzle(capsys):
    rc, stdout, err = run(capsys, "show", "--variant", "tiny", "--seed", 4)
    assert rc == 0, err
    puzzle = generate_puzzle(clue_env.get_variant("tiny"), None, 4)
    assert puzzle.id in stdout
    assert "Clues" in stdout and "Questions" in stdout
    for clue in puzzle.clue_texts():
        assert clue in stdout
    for question in puzzle.questions:
        assert question.text(puzzle.case) in stdout
    assert "Solution" not in stdout


def test_show_solution(capsys):
    rc, stdout, err = run(capsys, "show", "--variant", "classic", "--difficulty", "easy", "--seed", 2, "--solution")
    assert rc == 0, err
    puzzle = generate_puzzle(clue_env.get_variant("classic"), "easy", 2)
    assert "Solution" in stdout
    for label, answer in puzzle.solution.items():
        assert any(label in line and answer in line for line in stdout.splitlines()), (label, answer)


def test_show_plain_is_the_exact_prompt(capsys):
    rc, stdout, err = run(capsys, "show", "--variant", "tiny", "--seed", 9, "--plain")
    assert rc == 0, err
    puzzle = generate_puzzle(clue_env.get_variant("tiny"), None, 9)
    assert stdout == puzzle.render() + "\n"

    rc, stdout, _ = run(capsys, "show", "--variant", "tiny", "--seed", 9, "--plain", "--solution")
    assert rc == 0
    answers = "\n".join(f"{k}. {v}" for k, v in puzzle.solution.items())
    assert stdout == puzzle.render() + "\n\n" + answers + "\n"


def test_show_plain_with_explicit_sizes(capsys):
    rc, stdout, err = run(capsys, "show", "--suspects", 3, "--weapons", 2, "--rooms", 3, "--times", 2, "--plain")
    assert rc == 0, err
    from clue_env import Sizes

    puzzle = generate_puzzle(clue_env.get_variant("temporal"), Sizes(3, 2, 3, 2), 0)
    assert stdout == puzzle.render() + "\n"


def test_show_from_a_jsonl_file(tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    assert run(capsys, "generate", "--variant", "tiny", "--n", 3, "--seed", 5, "--out", out)[0] == 0
    records = read_records(out)
    rc, stdout, err = run(capsys, "show", out, "--index", 2, "--plain")
    assert rc == 0, err
    assert stdout == records[2]["prompt"] + "\n"
    rc, stdout, err = run(capsys, "show", out, "--index", 1, "--solution")
    assert rc == 0, err
    assert "tiny/easy/6" in stdout  # a file of ours is shown like a generated puzzle
    assert "Clues" in stdout and "Solution" in stdout
    for answer in records[1]["solution"].values():
        assert answer in stdout


def test_show_from_the_original_benchmark_file(val_json, capsys, monkeypatch):
    original = json.loads(val_json.read_text(encoding="utf-8"))
    monkeypatch.chdir(REPO)
    relative = os.path.relpath(val_json, REPO)  # ../shared/anchors/temporal-clue/val.json
    rc, stdout, err = run(capsys, "show", relative, "--index", 3, "--plain")
    assert rc == 0, err
    assert stdout == original[3]["prompt"] + "\n"
    rc, stdout, err = run(capsys, "show", relative, "--index", 0, "--solution")
    assert rc == 0, err
    assert "Solution" in stdout
    for answer in original[0]["solution"].values():
        assert answer in stdout
    rc, _, err = run(capsys, "show", relative, "--index", len(original))
    assert_one_line_error(rc, err, f"--index must be in [0, {len(original)})")


def test_show_original_benchmark_file_as_a_real_process(val_json):
    proc = run_cli_process("show", os.path.relpath(val_json, REPO), "--index", 5, "--plain")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == json.loads(val_json.read_text(encoding="utf-8"))[5]["prompt"] + "\n"


def test_show_bad_file_and_index(tmp_path, capsys):
    rc, _, err = run(capsys, "show", tmp_path / "missing.jsonl")
    assert_one_line_error(rc, err, "no such puzzle file")

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "x", "solution": {"A": "y"}}\n{not json\n', encoding="utf-8")
    rc, _, err = run(capsys, "show", broken)
    assert_one_line_error(rc, err, "broken.jsonl:2: not valid JSON")

    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    rc, _, err = run(capsys, "show", empty)
    assert_one_line_error(rc, err, "holds no puzzles")

    wrong = tmp_path / "wrong.json"
    wrong.write_text('[{"prompt": "", "solution": {}}]', encoding="utf-8")
    rc, _, err = run(capsys, "show", wrong)
    assert_one_line_error(rc, err, "'prompt' must be a non-empty string")

    good = tmp_path / "good.jsonl"
    assert run(capsys, "generate", "--variant", "tiny", "--n", 2, "--out", good)[0] == 0
    for index in (2, -1, 100):
        rc, _, err = run(capsys, "show", good, "--index", index)
        assert_one_line_error(rc, err, f"--index must be in [0, 2), got {index}")


def test_show_bad_generation_values(capsys):
    rc, _, err = run(capsys, "show", "--variant", "nope")
    assert_one_line_error(rc, err, "unknown variant 'nope'")
    rc, _, err = run(capsys, "show", "--seed", -2)
    assert_one_line_error(rc, err, "seed must be a non-negative integer")
    rc, _, err = run(capsys, "show", "--difficulty", "easy", "--suspects", 3, "--weapons", 2, "--rooms", 3)
    assert_one_line_error(rc, err, "not both")


def test_show_plain_as_a_real_process():
    proc = run_cli_process("show", "--variant", "tiny", "--seed", 9, "--plain")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == generate_puzzle(clue_env.get_variant("tiny"), None, 9).render() + "\n"


# --------------------------------------------------------------------------- list


def _row(stdout: str, variant: str) -> str:
    variants_table = stdout.split(" Agents ")[0]  # the agents table follows; "tiny" is in both
    rows = [line for line in variants_table.splitlines() if line.startswith(f"│ {variant} ")]
    assert len(rows) == 1, stdout
    return rows[0]


def test_list_shows_every_variant_and_its_plugin(capsys):
    rc, stdout, err = run(capsys, "list")
    assert rc == 0, err
    assert "Puzzle variants" in stdout
    for name, entry in clue_env.variants().items():
        row = _row(stdout, name)
        assert f"│ {entry.plugin} " in row
        assert entry.item.description in row
    assert "medium, easy, hard, benchmark, largest" in _row(stdout, "temporal")
    assert "easy, medium" in _row(stdout, "tiny")
    assert "error" not in stdout


def test_list_reports_plugin_errors(capsys):
    broken = types.ModuleType("broken_list_plugin")

    @plugins.hookimpl
    def clue_variants():
        raise RuntimeError("kaboom")

    broken.clue_variants = clue_variants
    plugins.get_plugin_manager().register(broken, name="broken_list")
    rc, stdout, err = run(capsys, "list")
    assert rc == 0, err
    assert "builtin" in _row(stdout, "temporal")
    assert "error: plugin 'broken_list': clue_variants() raised RuntimeError: kaboom" in stdout


def test_list_as_a_real_process():
    proc = run_cli_process("list")
    assert proc.returncode == 0, proc.stderr
    for name in ("temporal", "classic", "tiny"):
        assert "builtin" in _row(proc.stdout, name)


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
