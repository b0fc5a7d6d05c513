"""`report_to`: every metrics.jsonl field, the settings and validation samples in TensorBoard and W&B,
through the real libraries (the TensorBoard event file read back; W&B offline: its run file and tables)."""

from __future__ import annotations

import json

import pytest

from trainers.config import ConfigError
from trainers.trackers import Trackers, scalars, tracker_names

RECORDS = [
    {"iteration": 0, "val_reward": 0.4, "validation_s": 1.0},
    {"iteration": 1, "mean_reward": 0.25, "loss": 0.01, "mfu": None, "difficulty_mix": {"cpu": 8}, "groups": 8},
    {"iteration": 2, "mean_reward": 0.5, "loss": -0.02, "val_reward": 0.45, "val_reward_by_difficulty": {"2": 0.45}},
]


def _validation(out, iteration: int) -> None:
    folder = out / "val" / f"iter-{iteration:06d}"
    folder.mkdir(parents=True)
    row = {"puzzle_id": "tiny/cpu/1", "reward": 1.0, "text": "A. Mr. Green\nB. Rope\nC. Hall"}
    (folder / "results.jsonl").write_text(json.dumps(row) + "\n")


def test_names_and_fields():
    assert tracker_names("") == [] and tracker_names("none") == []
    assert tracker_names("tensorboard, wandb,tensorboard") == ["tensorboard", "wandb"]
    with pytest.raises(ConfigError, match="unknown tracker 'mlflow'; known: tensorboard, wandb"):
        tracker_names("tensorboard,mlflow")
    flat = scalars({"loss": 0.1, "mfu": None, "ok": True, "mix": {"cpu": 8, "4": 2}, "bad": float("nan")})
    assert flat == {"loss": 0.1, "mix/cpu": 8.0, "mix/4": 2.0}


def test_tensorboard_event_files_hold_every_logged_scalar_and_the_samples(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "run"
    _validation(out, 0)
    _validation(out, 2)
    trackers = Trackers(["tensorboard"], out, {"seed": 0}, "seed = 0\n", first_step=0)
    for record in RECORDS:
        trackers.log(record)
    trackers.close()
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"scalars": 0, "tensors": 0}).Reload()
    tags = set(events.Tags()["scalars"])
    assert {"mean_reward", "loss", "val_reward", "groups", "difficulty_mix/cpu", "val_reward_by_difficulty/2"} <= tags
    assert "mfu" not in tags  # null on a CPU: nothing to draw
    assert [(e.step, e.value) for e in events.Scalars("mean_reward")] == [(1, 0.25), (2, 0.5)]
    assert [(e.step, round(e.value, 6)) for e in events.Scalars("val_reward")] == [(0, 0.4), (2, 0.45)]
    texts = set(events.Tags()["tensors"])
    assert {"settings/text_summary", "validation/samples/text_summary"} <= texts
    sample = events.Tensors("validation/samples/text_summary")[-1]
    assert sample.step == 2 and b"Mr. Green" in sample.tensor_proto.string_val[0]


def test_wandb_runs_offline_without_a_key_and_resumes_the_same_run(tmp_path, monkeypatch):
    for key in ("WANDB_API_KEY", "WANDB_MODE"):
        monkeypatch.delenv(key, raising=False)
    out = tmp_path / "run"
    _validation(out, 2)
    trackers = Trackers(["wandb"], out, {"seed": 0, "learning_rate": 5e-4}, "", first_step=0)
    for record in RECORDS:
        trackers.log(record)
    trackers.close()
    run_id = (out / "wandb-run-id").read_text().strip()
    (run,) = [p for p in (out / "wandb").glob(f"offline-run-*-{run_id}")]
    (table,) = (run / "files" / "media" / "table" / "validation").glob("samples_*.table.json")
    assert json.loads(table.read_text())["data"] == [["tiny/cpu/1", 1.0, "A. Mr. Green\nB. Rope\nC. Hall"]]
    log = (run / f"run-{run_id}.wandb").read_bytes()  # the offline run's records, for `wandb sync`
    for name in (b"mean_reward", b"difficulty_mix/cpu", b"val_reward_by_difficulty/2", b"learning_rate"):
        assert name in log, name
    again = Trackers(["wandb"], out, {"seed": 0}, "", first_step=3)  # --resume: the same W&B run
    again.close()
    assert (out / "wandb-run-id").read_text().strip() == run_id
