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
        (["report_to=tensorboard,mlflow"], "unknown tracker 'mlflow'"),
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


class _FullDisk:
    """A policy whose checkpoint writer runs out of space half-way through the weights."""

    def save_checkpoint(self, directory):
        import errno

        directory.mkdir(parents=True, exist_ok=True)
        (directory / "model.safetensors").write_bytes(b"\0" * 100)
        raise OSError(errno.ENOSPC, "No space left on device")

    def optimizer_state_dict(self, optimizer):
        return {}


def test_a_full_disk_while_saving_names_the_last_good_checkpoint_which_stays_resumable(tmp_path):
    from trainers.config import GRPOConfig
    from trainers.grpo import GRPORecipe, TrainError
    from trainers.run_dir import STATE, RunDir, verify_checkpoint

    recipe = GRPORecipe(GRPOConfig(), tmp_path / "run")
    recipe.run_dir = run = RunDir(tmp_path / "run", resume=False)
    staging = run.staging_dir(2)
    (staging / STATE).parent.mkdir(parents=True)
    (staging / STATE).write_bytes(b"state")
    good = run.commit(2, staging, best=True)
    recipe.policy = _FullDisk()
    with pytest.raises(TrainError) as err:
        recipe.checkpoint(3, {"iteration": 3}, is_best=True)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("could not save the checkpoint of iteration 3: [Errno 28] No space left on device")
    assert f"the last good checkpoint is {good.resolve()}" in message and "--resume" in message
    assert run.latest() == good.resolve() and (run.path / "best").resolve() == good.resolve()
    verify_checkpoint(good)  # intact
    assert not any(p.name.startswith(".iter-000003") for p in (run.path / "checkpoints").iterdir())
    run.close()


def test_resume_from_a_damaged_checkpoint_is_one_line_naming_the_file(tmp_path, capsys):
    import cli
    from trainers.grpo import resolve_config
    from trainers.run_dir import CONFIG, STATE, RunDir
    from trainers.spec import TrainRequest

    out = tmp_path / "run"
    config = resolve_config(TrainRequest("tiny", out))
    run = RunDir(out, resume=False)
    run.write_config(config.to_toml())
    staging = run.staging_dir(4)
    (staging / STATE).parent.mkdir(parents=True)
    (staging / STATE).write_bytes(b"optimizer state")
    (staging / "model.safetensors").write_bytes(b"\1" * 1000)
    (staging / CONFIG).write_text(config.to_toml())
    good = run.commit(4, staging, best=True)
    run.append_metrics({"iteration": 4, "mean_reward": 0.5})
    run.close()
    with (good / "model.safetensors").open("r+b") as f:  # cut short, as a copy that ran out of space
        f.truncate(600)
    rc = cli.main(["train", "--agent", "tiny", "--out", str(out), "--resume"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1, lines
    assert f"{good.resolve() / 'model.safetensors'} has 600 bytes, 1,000 were written" in lines[0], lines[0]
