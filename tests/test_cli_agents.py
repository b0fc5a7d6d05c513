"""`clue eval`, `clue report` and `clue audit` end to end with the built-in local agents."""

import json

import pytest

import cli


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_eval_solver_then_resume_then_report(tmp_path, capsys):
    out = tmp_path / "solver"
    rc, stdout, err = run(capsys, "eval", "--agent", "solver", "--variant", "tiny", "--n", 3, "--out", out)
    assert rc == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == 3 and summary["mean_reward"] == 1.0 and summary["agent"] == "solver"
    lines = (out / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["episode"] for x in lines) == [f"tiny/easy/{i}#0" for i in range(3)]
    # Without --resume an existing run is not overwritten.
    rc, _, err = run(capsys, "eval", "--agent", "solver", "--variant", "tiny", "--n", 5, "--out", out)
    assert rc == 2 and "--resume" in err and len(err.strip().splitlines()) == 1
    rc, _, err = run(capsys, "eval", "--agent", "solver", "--variant", "tiny", "--n", 5, "--out", out, "--resume")
    assert rc == 0, err
    assert json.loads((out / "summary.json").read_text())["n"] == 5
    rnd = tmp_path / "random"
    assert run(capsys, "eval", "--agent", "random", "--variant", "tiny", "--n", 5, "--out", rnd)[0] == 0
    rc, stdout, err = run(capsys, "report", out, rnd, "--plot", tmp_path / "chart.png")
    assert rc == 0, err
    assert stdout.index("solver") < stdout.index("random")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["eval", "--agent", "nope", "--out", "X"], "unknown agent 'nope'"),
        (["eval", "--agent", "api", "--out", "X"], "model name is required"),
        (["eval", "--agent", "solver", "--samples", "0", "--out", "X"], "--samples must be >= 1"),
        (["eval", "--agent", "solver", "--concurrency", "0", "--out", "X"], "concurrency must be >= 1"),
        (["eval", "--agent", "solver", "--agent-arg", "nokey", "--out", "X"], "KEY=VALUE"),
        (["report", "does-not-exist"], "no summary"),
        (["audit", "does-not-exist.json"], "no such puzzle file"),
    ],
)
def test_agent_commands_fail_with_one_line(tmp_path, capsys, argv, message):
    argv = [str(tmp_path / a) if a == "X" else a for a in argv]
    rc, _, err = run(capsys, *argv)
    assert rc == 2
    assert err.startswith("clue: error:") and message in err and len(err.strip().splitlines()) == 1


def test_audit_reads_the_original_inclusively(val_json, tmp_path, capsys):
    out = tmp_path / "audit.jsonl"
    rc, stdout, err = run(capsys, "audit", val_json, "--n", 18, "--out", out)
    assert rc == 0, err
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 18
    ambiguous = {r["id"] for r in rows if r["ambiguous_main"]}
    assert ambiguous == {"val/9", "val/17"}
    rc, stdout, err = run(capsys, "audit", val_json, "--n", 18, "--reading", "encoded")
    assert rc == 0 and "18 puzzles: 18 with exactly one answer" in " ".join(stdout.split())
