"""SFTConfig: a description per field (``clue train --trainer sft --help-config``), one-line errors for bad
values, files and ``--set`` overrides, the preset's settings and what ``--resume`` may change."""

from __future__ import annotations

import dataclasses

import pytest

import cli
from trainers import ConfigError, SFTConfig
from trainers.sft_config import RESUMABLE_CHANGES, describe, preset_settings, resolve_config
from trainers.spec import TrainRequest, get_trainer, trainers
from trainers.traces import TraceFilter

NAMES = (
    "data min_reward best_of max_per_puzzle keep_truncated val_fraction val_puzzles split_seed agent model dtype "
    "lora_rank lora_alpha activation_checkpointing row_len epochs iterations samples_per_step learning_rate "
    "lr_schedule warmup_iterations weight_decay adam_beta1 adam_beta2 max_grad_norm micro_batch_rows seed "
    "val_every save_every report_to"
).split()


def test_the_fields_users_rely_on_and_their_defaults():
    assert set(NAMES) <= set(SFTConfig.field_names())
    c = SFTConfig()
    assert (c.val_fraction, c.epochs, c.iterations, c.data) == (0.1, 3, 0, "")
    for f in dataclasses.fields(SFTConfig):
        help = f.metadata.get("help")
        assert isinstance(help, str) and help.strip() and help == help.strip(), f.name


def test_help_config_lists_every_setting_with_its_default_and_description(capsys):
    text = describe()
    lines = text.splitlines()
    assert [line.split(" = ")[0] for line in lines if not line.startswith(" ")] == SFTConfig.field_names()
    assert "val_fraction = 0.1\n    Hold out about this share" in text
    at = lines.index("data = ''")
    assert lines[at + 1].startswith("    ``clue eval`` output") and lines[at + 2].startswith("    one-shot or")
    assert cli.main(["train", "--trainer", "sft", "--help-config"]) == 0
    assert capsys.readouterr().out.strip() == text.strip()


def test_both_trainers_are_listed(capsys):
    assert {"grpo", "sft"} <= set(trainers())
    assert get_trainer("sft").describe() == describe()
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "grpo" in out and "sft" in out


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"data": 3}, "SFTConfig.data must be"),
        ({"min_reward": float("nan")}, "SFTConfig.min_reward must be a finite number"),
        ({"best_of": 0}, "SFTConfig.best_of must be an integer >= 1"),
        ({"max_per_puzzle": 1.5}, "SFTConfig.max_per_puzzle must be an integer >= 1"),
        ({"val_puzzles": True}, "SFTConfig.val_puzzles must be an integer >= 1"),
        ({"keep_truncated": 1}, "SFTConfig.keep_truncated must be true or false"),
        ({"val_fraction": 1.0}, r"SFTConfig.val_fraction must be a number in \[0, 1\)"),
        ({"agent": ""}, "SFTConfig.agent must be a non-empty name"),
        ({"dtype": "float16"}, "SFTConfig.dtype must be one of auto, float32, bfloat16"),
        ({"row_len": 1}, "SFTConfig.row_len must be an integer >= 2"),
        ({"epochs": 0}, "SFTConfig.epochs must be an integer >= 1"),
        ({"iterations": -1}, "SFTConfig.iterations must be an integer >= 0"),
        ({"samples_per_step": 0}, "SFTConfig.samples_per_step must be an integer >= 1"),
        ({"learning_rate": 0.0}, "SFTConfig.learning_rate must be a finite number > 0.0"),
        ({"lr_schedule": "exp"}, "SFTConfig.lr_schedule must be one of constant, linear, cosine"),
        ({"adam_beta2": 1.5}, "SFTConfig.adam_beta2 must be a finite number >= 0.0 and <= 1.0"),
        ({"save_every": 0}, "SFTConfig.save_every must be an integer >= 1"),
        ({"report_to": None}, "SFTConfig.report_to must be tracker names"),
    ],
)
def test_bad_values_raise_one_line_errors_naming_the_field(kwargs, match):
    with pytest.raises(ConfigError, match=match) as e:
        SFTConfig(**kwargs)
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError):
        dataclasses.replace(SFTConfig(), **kwargs)  # replace validates again


def test_the_filters_and_the_split_map_onto_a_trace_filter():
    c = SFTConfig(data=" a, b/results.jsonl ,", min_reward=0.5, best_of=2, max_per_puzzle=3, keep_truncated=True)
    assert c.sources == ["a", "b/results.jsonl"]
    assert c.trace_filter() == TraceFilter(
        min_reward=0.5, best_of=2, max_per_puzzle=3, keep_truncated=True, val_fraction=0.1, split_seed=0
    )
    # val_puzzles replaces val_fraction (a TraceFilter refuses both)
    assert SFTConfig(val_puzzles=4, split_seed=7).trace_filter() == TraceFilter(val_puzzles=4, split_seed=7)


def test_overrides_files_and_the_preset(tmp_path):
    assert SFTConfig.parse_override("best_of=4") == ("best_of", 4)
    assert SFTConfig.parse_override("min_reward=none") == ("min_reward", None)
    assert SFTConfig.parse_override("keep_truncated=1") == ("keep_truncated", True)
    assert SFTConfig.parse_override("data=a,b") == ("data", "a,b")
    with pytest.raises(ConfigError, match="val_fraction=lots: not a number"):
        SFTConfig.parse_override("val_fraction=lots")
    with pytest.raises(ConfigError, match="FIELD=VALUE"):
        SFTConfig.parse_override("epsilon_low=0.1")  # a GRPO setting, not one of SFT's
    # the tiny preset's training settings that mean the same here, then SFT's own for it
    tiny = preset_settings("tiny")
    assert tiny["dtype"] == "float32" and tiny["row_len"] == 1024 and "variant" not in tiny
    assert preset_settings("vllm") == {}
    file = tmp_path / "sft.yaml"
    file.write_text("epochs: 5\nlearning_rate: 0.002\n")
    c = resolve_config(TrainRequest("tiny", tmp_path / "run", config_file=file, overrides=("epochs=2",)))
    assert (c.agent, c.dtype, c.row_len, c.epochs, c.learning_rate) == ("tiny", "float32", 1024, 2, 0.002)
    assert SFTConfig.from_mapping(SFTConfig.read_file(_saved(tmp_path, c))) == c  # to_toml reads back
    file.write_text("epsilon_low: 0.1\n")
    with pytest.raises(ConfigError, match="unknown setting.*epsilon_low; see `clue train --trainer sft --help-config`"):
        resolve_config(TrainRequest("tiny", tmp_path / "run", config_file=file))


def _saved(tmp_path, config: SFTConfig):
    path = tmp_path / "saved.toml"
    path.write_text(config.to_toml())
    return path


def test_resume_keeps_the_runs_settings(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    saved = resolve_config(TrainRequest("tiny", out, overrides=("data=d", "best_of=2")))
    (out / "config.toml").write_text(saved.to_toml())
    resumed = resolve_config(TrainRequest("tiny", out, resume=True, overrides=("iterations=40", "val_every=2")))
    assert resumed == saved.replace(iterations=40, val_every=2)
    with pytest.raises(ConfigError, match=r"best_of=2, asked 3\); only iterations, epochs") as err:
        resolve_config(TrainRequest("tiny", out, resume=True, overrides=("best_of=3",)))
    assert "\n" not in str(err.value)
    assert set(RESUMABLE_CHANGES) == {"iterations", "epochs", "val_every", "save_every", "report_to"}


def test_data_paths_are_kept_absolute_so_a_resume_works_from_any_directory(tmp_path, monkeypatch):
    from trainers.sft_config import resolve_config
    from trainers.spec import TrainRequest

    monkeypatch.chdir(tmp_path)
    c = resolve_config(TrainRequest("tiny", tmp_path / "run", overrides=("data=evals/a, evals/b/results.jsonl",)))
    assert c.sources == [str(tmp_path / "evals" / "a"), str(tmp_path / "evals" / "b" / "results.jsonl")]
