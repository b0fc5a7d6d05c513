"""`clue train` refuses what cannot start or cannot learn in one line, before anything is written:
the run folder is not created, so the corrected command with the same --out starts there."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "settings, fragment",
    [
        (["variant=nosuch"], "unknown variant 'nosuch'"),
        (["difficulty=nosuch"], "unknown difficulty 'nosuch'"),
        (["val_difficulty=99"], "difficulty 99 is off its scale"),
        (["dataset=/no/such/puzzles.jsonl"], "no such file"),
        (["val_dataset=/no/such/val.jsonl"], "no such file"),
        (["model=/no/such/checkpoint"], "/no/such/checkpoint"),
        (["samples_per_task=1"], "every advantage is 0 and nothing is learned"),
        (["agent_args=dtype:int3"], "dtype must be one of"),
        (["max_new_tokens=1024"], "leaves no room for the prompt in row_len (1024)"),
        (["max_new_tokens=5000", "row_len=8192"], "leaves no room for the prompt in the model's context (4096)"),
    ],
)
def test_a_start_that_cannot_work_is_one_line_and_writes_nothing(tmp_path, capsys, settings, fragment):
    import cli

    out = tmp_path / "runs" / "tiny"
    args = ["train", "--agent", "tiny", "--out", str(out), "--iterations", "1"]
    for item in settings:
        args += ["--set", item]
    rc = cli.main(args)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("clue: error: "), err
    assert fragment in lines[0], lines[0]
    assert not (tmp_path / "runs").exists()
