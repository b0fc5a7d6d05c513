"""GRPOConfig: defaults, a description per field (``clue train --help-config``), one-line errors for bad values."""

from __future__ import annotations

import dataclasses

import pytest

from trainers import ConfigError, GRPOConfig
from trainers.config import describe_settings


def test_defaults_are_the_studys_recipe():
    c = GRPOConfig()
    assert (c.epsilon_low, c.epsilon_high, c.kl_coef) == (0.2, 0.2, 0.0)
    assert c.loss_normalization == "token" and c.advantage_scaling == "group"


def test_every_field_has_a_description():
    for f in dataclasses.fields(GRPOConfig):
        help = f.metadata.get("help")
        assert isinstance(help, str) and help.strip() and help == help.strip(), f.name


def test_help_config_lists_every_setting_with_its_default_and_description():
    text = describe_settings()
    lines = text.splitlines()
    defaults = GRPOConfig()
    names = [f.name for f in dataclasses.fields(GRPOConfig)]
    assert [line.split(" = ")[0] for line in lines if not line.startswith(" ")] == names
    assert f"epsilon_low = 0.2\n    {dataclasses.fields(GRPOConfig)[0].metadata['help']}" in text
    assert f"agent_args = {defaults.agent_args!r}\n" in text
    # a description over two lines keeps its second line indented under the setting
    at = lines.index("overlong_buffer = 0")
    assert lines[at + 1].startswith("    DAPO's soft overlong penalty") and lines[at + 2].startswith(
        "    ``overlong_penalty``"
    )
    assert GRPOConfig().agent_args is not GRPOConfig().agent_args  # a fresh dict per config


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epsilon_low": -0.1}, "epsilon_low must be a finite number >= 0"),
        ({"epsilon_low": 1.0}, "epsilon_low must be < 1"),
        ({"epsilon_high": float("nan")}, "epsilon_high"),
        ({"kl_coef": "0.1"}, "kl_coef"),
        ({"advantage_epsilon": True}, "advantage_epsilon"),
        ({"loss_normalization": "mean"}, "loss_normalization must be one of token, sequence"),
        ({"advantage_scaling": "std"}, "advantage_scaling must be one of group, batch, none"),
        ({"truncation": "drop"}, "truncation must be one of keep, mask, penalize"),
        ({"truncation_reward": float("inf")}, "truncation_reward"),
        ({"row_len": 1}, "row_len must be an integer >= 2"),
        ({"logprob_chunk": 10.0}, "logprob_chunk"),
        ({"temperature": 0}, "temperature must be a finite number > 0"),
        # one answer per puzzle: every advantage is 0; refused even when the batch has many puzzles
        ({"samples_per_task": 1, "tasks_per_iteration": 32}, "samples_per_task must be >= 2 .*nothing is learned"),
    ],
)
def test_bad_values_raise_one_line_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match) as e:
        GRPOConfig(**kwargs)
    assert "\n" not in str(e.value) and isinstance(e.value, ValueError)


def test_replace_revalidates():
    with pytest.raises(ConfigError):
        dataclasses.replace(GRPOConfig(), row_len=0)
