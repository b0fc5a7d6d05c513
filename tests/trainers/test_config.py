"""GRPOConfig: defaults, a docstring line per field, one-line errors for bad values."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import pytest

import trainers.config
from trainers import ConfigError, GRPOConfig


def test_defaults_are_the_studys_recipe():
    c = GRPOConfig()
    assert (c.epsilon_low, c.epsilon_high, c.kl_coef) == (0.2, 0.2, 0.0)
    assert c.loss_normalization == "token" and c.advantage_scaling == "group"


def test_every_field_has_a_docstring_line():
    tree = ast.parse(inspect.getsource(trainers.config))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GRPOConfig")
    documented = set()
    for a, b in zip(cls.body, cls.body[1:]):
        if isinstance(a, ast.AnnAssign) and isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant):
            documented.add(a.target.id)
    assert documented == {f.name for f in dataclasses.fields(GRPOConfig)}


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
    ],
)
def test_bad_values_raise_one_line_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match) as e:
        GRPOConfig(**kwargs)
    assert "\n" not in str(e.value) and isinstance(e.value, ValueError)


def test_replace_revalidates():
    with pytest.raises(ConfigError):
        dataclasses.replace(GRPOConfig(), row_len=0)
