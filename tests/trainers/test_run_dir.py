"""A training run's folder and settings: checkpoints switched whole, metrics never twice, resume rules."""

from __future__ import annotations

import json
import os

import pytest

from trainers.config import ConfigError, GRPOConfig
from trainers.grpo import RESUMABLE_CHANGES, resolve_config, train_seed
from trainers.run_dir import STATE, RunDir, RunDirError
from trainers.spec import TrainRequest


def _fake_checkpoint(run: RunDir, iteration: int) -> os.PathLike:
    staging = run.staging_dir(iteration)
    (staging / STATE).parent.mkdir(parents=True)
    (staging / STATE).write_text(f"state {iteration}")
    (staging / "model.safetensors").write_text("weights")
    return staging


def test_checkpoints_switch_whole_and_old_ones_go(tmp_path):
    run = RunDir(tmp_path / "run", resume=False)
    for i, best in ((1, True), (2, False), (3, False)):
        run.commit(i, _fake_checkpoint(run, i), best=best)
    assert run.latest() == run.checkpoint_dir(3).resolve()
    assert (run.path / "best").resolve() == run.checkpoint_dir(1).resolve()
    assert sorted(p.name for p in (run.path / "checkpoints").iterdir()) == ["iter-000001", "iter-000003"]
    # a checkpoint still being written is invisible: latest stays on the last complete one
    _fake_checkpoint(run, 4)
    assert run.latest() == run.checkpoint_dir(3).resolve()
    run.close()


def test_a_run_folder_is_not_reused_by_accident(tmp_path):
    out = tmp_path / "run"
    RunDir(out, resume=False).close()
    (out / "config.toml").write_text("")
    (out / "metrics.jsonl").write_text('{"iteration": 0}\n')  # an iteration recorded: a run
    with pytest.raises(RunDirError, match="--resume"):
        RunDir(out, resume=False)
    with pytest.raises(RunDirError, match="holds no run"):
        RunDir(tmp_path / "other", resume=True)
    held = RunDir(out, resume=True)
    with pytest.raises(ValueError, match="being written by another run"):
        RunDir(out, resume=True)
    held.close()


def test_an_attempt_that_never_started_does_not_block_the_folder(tmp_path):
    out = tmp_path / "run"
    RunDir(out, resume=False).close()  # what a run refused before its first line leaves
    RunDir(out, resume=False).close()  # so the corrected command can start there
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="already holds a run"):
        RunDir(out, resume=False)
    (out / "notes.txt").unlink()
    (out / "checkpoints" / "iter-000001").mkdir()
    with pytest.raises(RunDirError, match="already holds a run"):
        RunDir(out, resume=False)


def test_a_failed_start_is_cleared_by_the_next_start_and_a_running_one_is_untouched(tmp_path):
    out = tmp_path / "run"
    # what a start that failed after writing its settings (a bad variant, a kill during the first
    # validation) leaves: the settings, an empty metrics file, part of validation 0
    RunDir(out, resume=False).close()
    (out / "config.toml").write_text("variant = 'nosuch'\n")
    (out / "metrics.jsonl").write_text("")
    (out / "val" / "iter-000000").mkdir(parents=True)
    (out / "val" / "iter-000000" / "results.jsonl").write_text("{}\n")
    (out / "tensorboard").mkdir()  # and the trackers' first files
    (out / "wandb-run-id").write_text("abc\n")
    held = RunDir(out, resume=False)  # the corrected command: accepted, and none of that is its own
    assert not (out / "config.toml").exists() and not (out / "val").exists()
    assert not (out / "tensorboard").exists() and not (out / "wandb-run-id").exists()
    (out / "config.toml").write_text("variant = 'tiny'\n")
    with pytest.raises(ValueError, match="being written by another run"):
        RunDir(out, resume=False)  # a second `clue train` on the same --out while the first runs
    assert (out / "config.toml").read_text() == "variant = 'tiny'\n"  # the first is untouched
    held.close()


def test_missing_weights_stop_clue_train_before_any_folder(tmp_path, capsys):
    import cli

    out = tmp_path / "run"
    assert cli.main(["train", "--agent", "tiny", "--out", str(out), "--set", "model=/no/such/dir"]) == 2
    assert "--set model=" in capsys.readouterr().err
    assert not out.exists()


def test_resumed_metrics_keep_each_iteration_once(tmp_path):
    run = RunDir(tmp_path / "run", resume=False)
    for i in (1, 2, 3, 4):
        run.append_metrics({"iteration": i, "mean_reward": 0.1 * i})
    with run.metrics_file.open("a") as fh:
        fh.write('{"iteration": 5, "mean_rew')  # killed mid-line
    kept = run.keep_metrics_until(3, {"iteration": 3, "mean_reward": 0.3})
    assert [m["iteration"] for m in kept] == [1, 2, 3]
    assert [m["iteration"] for m in run.read_metrics()] == [1, 2, 3]
    # the checkpoint's own record is added when its line never made it to the file
    run.metrics_file.write_text(json.dumps({"iteration": 1, "mean_reward": 0.1}) + "\n")
    assert [m["iteration"] for m in run.keep_metrics_until(2, {"iteration": 2, "mean_reward": 0.2})] == [1, 2]
    run.close()


def test_settings_stack_preset_file_overrides(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text('learning_rate = 1e-4\nsamples_per_task = 6\n[agent_args]\n"kv_cache_gb" = "0.5"\n')
    request = TrainRequest("tiny", tmp_path / "run", config_file=file, overrides=("samples_per_task=4", "seed=3"))
    config = resolve_config(request)
    assert (config.learning_rate, config.samples_per_task, config.seed) == (1e-4, 4, 3)
    assert config.agent == "tiny" and config.agent_args == {"kv_cache_gb": "0.5"}
    assert config.variant == "tiny"  # from the preset
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("learning_rate: 2.0e-4\nlora_rank: 4\n")
    assert resolve_config(TrainRequest("tiny", tmp_path / "r", config_file=yaml_file)).lora_rank == 4


@pytest.mark.parametrize(
    "text, message",
    [
        ("learning_rate = -1\n", "learning_rate must be a finite number > 0"),
        ("no_such_field = 1\n", "unknown setting(s) no_such_field"),
        ("learning_rate = \n", "not valid TOML"),
        ('lr_schedule = "exp"\n', "lr_schedule must be one of"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path, text, message):
    file = tmp_path / "c.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as err:
        resolve_config(TrainRequest("tiny", tmp_path / "run", config_file=file))
    assert message in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="FIELD=VALUE"):
        GRPOConfig.parse_override("nonsense")
    with pytest.raises(ConfigError, match="iterations=many: not an integer"):
        GRPOConfig.parse_override("iterations=many")


def test_resume_keeps_the_runs_settings(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    saved = resolve_config(TrainRequest("tiny", out, overrides=("learning_rate=1e-4",)))
    (out / "config.toml").write_text(saved.to_toml())
    resumed = resolve_config(TrainRequest("tiny", out, resume=True, overrides=("iterations=99",)))
    assert resumed.learning_rate == 1e-4 and resumed.iterations == 99
    with pytest.raises(ConfigError, match="learning_rate=0.0001, asked 0.001"):
        resolve_config(TrainRequest("tiny", out, resume=True, overrides=("learning_rate=1e-3",)))
    assert "iterations" in RESUMABLE_CHANGES


def test_training_seeds_are_fixed_and_below_the_validation_range():
    seeds = [train_seed(0, i, k) for i in range(50) for k in range(32)]
    assert seeds == [train_seed(0, i, k) for i in range(50) for k in range(32)]
    assert len(set(seeds)) == len(seeds) and max(seeds) < GRPOConfig().val_seed
    assert train_seed(1, 0, 0) != train_seed(0, 0, 0)


def test_a_checkpoint_is_verified_before_latest_points_at_it_and_on_resume(tmp_path, monkeypatch):
    import trainers.run_dir as run_dir

    run = RunDir(tmp_path / "run", resume=False)
    good = run.commit(1, _fake_checkpoint(run, 1), best=True)
    manifest = json.loads((good / run_dir.MANIFEST).read_text())["files"]
    assert set(manifest) == {"model.safetensors", "state/trainer.pt"}
    assert manifest["model.safetensors"]["bytes"] == len("weights")
    run_dir.verify_checkpoint(good)  # intact

    def fails(path):
        raise RunDirError(f"checkpoint {path} is damaged: (as if a file did not read back)")

    monkeypatch.setattr(run_dir, "verify_checkpoint", fails)
    with pytest.raises(RunDirError, match="damaged"):
        run.commit(2, _fake_checkpoint(run, 2), best=True)
    assert run.latest() == good.resolve() and (run.path / "best").resolve() == good.resolve()
    monkeypatch.undo()

    (good / "model.safetensors").write_text("weig")  # cut short (a full disk, a copy interrupted)
    with pytest.raises(RunDirError, match=r"model\.safetensors has 4 bytes, 7 were written"):
        run_dir.verify_checkpoint(good)
    (good / "model.safetensors").write_text("WEIGHTS")  # the same size, other bytes
    with pytest.raises(RunDirError, match="SHA-256 differs"):
        run_dir.verify_checkpoint(good)
    (good / "model.safetensors").unlink()
    with pytest.raises(RunDirError, match="model.safetensors is missing"):
        run_dir.verify_checkpoint(good)
    run.close()
