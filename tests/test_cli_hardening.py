"""The command line against a hostile but realistic user: no data lost to a bad flag or a second
run, one line for every bad input, and no process left behind by SIGTERM or kill -9."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cli
from clue_env.outputs import partial_path

REPO = Path(__file__).resolve().parents[1]


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(rc: int, err: str, *fragments: str) -> None:
    assert rc == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("clue: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def puzzles(tmp_path, capsys) -> Path:
    path = tmp_path / "p.jsonl"
    assert run(capsys, "generate", "--variant", "tiny", "--n", 3, "--out", path)[0] == 0
    return path


# --------------------------------------------------------------------------- no data lost


def test_audit_never_writes_onto_its_input(puzzles, capsys):
    before = puzzles.read_bytes()
    rc, _, err = run(capsys, "audit", puzzles, "--out", puzzles, "--force")
    one_line_error(rc, err, "is the input file")
    assert puzzles.read_bytes() == before


def test_audit_refuses_to_overwrite_without_force(puzzles, tmp_path, capsys):
    out = tmp_path / "audit.jsonl"
    out.write_text("keep\n")
    rc, _, err = run(capsys, "audit", puzzles, "--out", out)
    one_line_error(rc, err, "exists", "--force")
    assert out.read_text() == "keep\n"
    rc, _, err = run(capsys, "audit", puzzles, "--out", out, "--force")
    assert rc == 0, err
    assert len(out.read_text().splitlines()) == 3


def test_eval_resume_with_a_corrupt_middle_line_deletes_nothing(puzzles, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "eval", "--agent", "random", "--dataset", puzzles, "--out", out)[0] == 0
    results = out / "results.jsonl"
    lines = results.read_text().splitlines(keepends=True)
    broken = lines[0] + "{not json\n" + lines[2]
    results.write_text(broken)
    rc, _, err = run(capsys, "eval", "--agent", "random", "--dataset", puzzles, "--out", out, "--resume")
    one_line_error(rc, err, "results.jsonl:2")
    assert results.read_text() == broken


def test_eval_resume_into_another_agents_folder_names_both(puzzles, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "eval", "--agent", "random", "--dataset", puzzles, "--out", out)[0] == 0
    before = (out / "results.jsonl").read_bytes()
    rc, _, err = run(capsys, "eval", "--agent", "solver", "--dataset", puzzles, "--out", out, "--resume")
    one_line_error(rc, err, "agent='random'", "agent='solver'")
    assert (out / "results.jsonl").read_bytes() == before
    assert json.loads((out / "summary.json").read_text())["agent"] == "random"


def test_a_second_generate_on_the_same_output_fails_at_once(tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    with open(partial_path(out), "a") as held:  # what a running generate holds
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        rc, _, err = run(capsys, "generate", "--variant", "tiny", "--n", 2, "--out", out)
    one_line_error(rc, err, "being written by another run")
    assert not out.exists()


def test_a_second_eval_on_the_same_folder_fails_at_once(puzzles, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "eval", "--agent", "random", "--dataset", puzzles, "--n", 1, "--out", out)[0] == 0
    with open(out / "results.jsonl", "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        rc, _, err = run(capsys, "eval", "--agent", "random", "--dataset", puzzles, "--out", out, "--resume")
    one_line_error(rc, err, "being written by another run")
    assert len((out / "results.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_special_files_are_written_not_replaced(device, capsys):
    before = os.stat(device)
    rc, _, err = run(capsys, "generate", "--variant", "tiny", "--n", 2, "--out", device)
    if device == "/dev/full":
        one_line_error(rc, err, "cannot write /dev/full", "No space left")
    else:
        assert rc == 0, err
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not Path(device + ".partial").exists()


def test_generate_to_stdout_keeps_the_data_clean():
    proc = subprocess.run(
        [sys.executable, "cli.py", "generate", "--variant", "tiny", "--n", "2", "--out", "/dev/stdout"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["seed"] for r in records] == [0, 1]
    assert "wrote 2 puzzles" in proc.stderr


def test_plot_reports_the_file_it_wrote(puzzles, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "eval", "--agent", "solver", "--dataset", puzzles, "--out", out)[0] == 0
    rc, stdout, err = run(capsys, "report", out, "--plot", tmp_path / "chart")
    assert rc == 0, err
    assert f"wrote {tmp_path / 'chart.png'}" in stdout and (tmp_path / "chart.png").exists()
    rc, _, err = run(capsys, "report", out, "--plot", tmp_path / "chart.xyz")
    one_line_error(rc, err, "unknown image format '.xyz'")
    rc, _, err = run(capsys, "report", out, "--plot", tmp_path / "no" / "chart.png")
    one_line_error(rc, err, "does not exist")


# --------------------------------------------------------------------------- one line, never a traceback


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["eval", "--agent", "solver", "--variant", "tiny", "--seed", "-1", "--out", "X"], "--seed must be >= 0"),
        (["eval", "--agent", "solver", "--variant", "tiny", "--workers", "0", "--out", "X"], "--workers must be >= 1"),
        (["eval", "--agent", "api", "--model", "m", "--timeout", "nan", "--out", "X"], "--timeout must be a finite"),
        (["eval", "--agent", "api", "--model", "m", "--timeout", "inf", "--out", "X"], "--timeout must be a finite"),
        (["generate", "--variant", "tiny", "--out", "DIR"], "is a folder"),
        (["audit", "PUZZLES", "--out", "DIR"], "is a folder"),
        (["eval", "--agent", "solver", "--variant", "tiny", "--out", "PUZZLES"], "is a file, not a folder"),
        (["generate", "--variant", "tiny", "--out", "/proc/no-such/p.jsonl"], "does not exist"),
        (["generate", "--variant", "tiny", "--out", "/proc/p.jsonl"], "cannot write /proc/p.jsonl"),
        (["report", "RUN", "--plot", "DIR/c.bmpx"], "unknown image format"),
        (["eval", "--agent", "solver", "--agent-arg", "a=1", "--agent-arg", "a=2", "--out", "X"], "given twice"),
    ],
)
def test_bad_values_give_one_line(puzzles, tmp_path, capsys, argv, fragment):
    run_dir = tmp_path / "run"
    assert run(capsys, "eval", "--agent", "solver", "--dataset", puzzles, "--n", 1, "--out", run_dir)[0] == 0
    names = {"X": tmp_path / "x", "DIR": tmp_path, "PUZZLES": puzzles, "RUN": run_dir}
    argv = [str(names[a]) if a in names else a.replace("DIR", str(tmp_path)) for a in argv]
    rc, _, err = run(capsys, *argv)
    one_line_error(rc, err, fragment)


def test_workers_are_capped_at_the_cpu_count(tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    rc, _, err = run(capsys, "generate", "--variant", "tiny", "--n", 2, "--workers", 512, "--out", out)
    assert rc == 0, err
    assert "capped at the" in err
    assert len(out.read_text().splitlines()) == 2


def test_audit_names_the_puzzle_and_question_whose_solution_does_not_fit(puzzles, tmp_path, capsys):
    records = [json.loads(line) for line in puzzles.read_text().splitlines()]
    record = records[1]
    label, right = next(iter(record["solution"].items()))
    wrong = next(o for o in record["options"][label] if o != right)
    record["solution"][label] = wrong
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in records))
    rc, stdout, err = run(capsys, "audit", bad)
    assert rc == 0, err
    row = next(line for line in stdout.splitlines() if record["id"] in line)
    assert f"{label}." in row and wrong in row and "does not fit" in " ".join(stdout.split())
    assert "1 whose stated solution does not fit" in " ".join(stdout.split())


# --------------------------------------------------------------------------- signals and workers


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid``."""
    out: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            if kid not in out:
                out.add(kid)
                frontier.append(kid)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_slow_generate(out: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "cli.py", "generate", "--variant", "temporal", "--difficulty", "hard"]
        + ["--n", "200", "--workers", "2", "--oversubscribe", "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 3 and time.monotonic() < deadline:  # 2 workers + the resource tracker
        time.sleep(0.2)
    assert len(_children(proc.pid)) >= 2, "the workers did not start"
    return proc


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {p for p in pids if _alive(p)}
        if not left:
            return set()
        time.sleep(0.1)
    return {p for p in pids if _alive(p)}


@pytest.mark.slow
def test_sigterm_ends_generate_like_ctrl_c_and_leaves_no_process(tmp_path):
    out = tmp_path / "hard.jsonl"
    proc = _start_slow_generate(out)
    workers = _children(proc.pid)
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "interrupted:" in err and str(partial_path(out)) in err and "Traceback" not in err
    assert partial_path(out).exists() and not out.exists()
    assert _wait_gone(workers, 10) == set()


@pytest.mark.slow
def test_kill_9_of_generate_takes_its_workers_along(tmp_path):
    proc = _start_slow_generate(tmp_path / "hard.jsonl")
    workers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _wait_gone(workers, 10) == set()


def test_a_run_that_fails_before_its_first_episode_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "runs" / "api"
    rc, _, err = run(
        capsys, "eval", "--agent", "api", "--model", "m", "--base-url", "http://u:pw@127.0.0.1:9/v1", "--out", out
    )
    one_line_error(rc, err, "agent 'api'")
    assert "pw" not in err
    assert not (tmp_path / "runs").exists()
