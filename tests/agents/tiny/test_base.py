"""The tiny model's warmed-up base (agents/tiny/base.py).

The fast tests build a toy-sized recipe (a few puzzles, a few steps) and check the shipped base
is the one the recipe describes; the slow one checks the shipped base has learned the format
and to copy options (and nothing more: its score is chance).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from agents.tiny import base as tiny_base
from agents.tiny import tokenizer, warmup
from clue_env import generate_puzzle, grade
from clue_env.builtin_variants import TINY

SMALL = replace(tiny_base.RECIPE, puzzles=6, steps=3, batch=4)


def _digests(path: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(path.iterdir())}


def test_build_is_deterministic_and_loads(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    a = tiny_base.build_tiny_base(tmp_path / "a", recipe=SMALL)
    b = tiny_base.build_tiny_base(tmp_path / "b", recipe=SMALL)
    assert _digests(a) == _digests(b)
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= set(_digests(a))
    tok = AutoTokenizer.from_pretrained(a)
    model = AutoModelForCausalLM.from_pretrained(a)
    assert model.config.vocab_size == len(tok)
    # every theme name is one token, and text round-trips
    for name in tokenizer.theme_names():
        assert tok.tokenize(f"A. {name}")[-1] == name
    text = "A. Mrs. Peacock\nB. Lead Pipe\nC. Billiard Room"
    assert tok.decode(tok(text)["input_ids"]) == text
    chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert chat.endswith("<|im_start|>assistant\n")
    curve = json.loads((a / "warmup.json").read_text())["curve"]
    assert curve[-1]["step"] == SMALL.steps


def test_cached_build_is_reused_and_stale_one_rebuilt(tmp_path: Path) -> None:
    path = tiny_base.build_tiny_base(tmp_path / "m", recipe=SMALL)
    stamp = (path / "tiny-base.json").stat().st_mtime_ns
    assert tiny_base.build_tiny_base(path, recipe=SMALL) == path
    assert (path / "tiny-base.json").stat().st_mtime_ns == stamp
    other = replace(SMALL, seed=1)
    assert not tiny_base.is_built(path, other)
    tiny_base.build_tiny_base(path, recipe=other)
    assert tiny_base.is_built(path, other)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"steps": 0}, "steps must be an integer >= 1"),
        ({"lr": -1.0}, "lr must be a number > 0"),
        ({"min_lr_frac": 2.0}, "min_lr_frac must be in [0, 1]"),
        ({"seed_start": -5}, "seed_start must be an integer >= 0"),
    ],
)
def test_bad_recipe_is_a_clear_error(change: dict, message: str) -> None:
    with pytest.raises(tiny_base.TinyBaseError, match=message.replace("[", r"\[").replace("]", r"\]")):
        replace(tiny_base.RECIPE, **change)


def test_shipped_base_is_what_the_recipe_builds() -> None:
    # The stamp records the recipe, the level's every field, the names made tokens and a hash of
    # the tiny model the base starts from: changing any of them without rebuilding fails here.
    assert tiny_base.tiny_base_path() == tiny_base.SHIPPED
    assert tiny_base.CPU_LEVEL == TINY.difficulty("cpu")
    warmup = json.loads((tiny_base.SHIPPED / "warmup.json").read_text())
    assert warmup["level"] == "tiny/cpu" and warmup["curve"][-1]["step"] == tiny_base.RECIPE.steps


def test_cpu_level_puzzles_are_small_and_chance_is_a_third() -> None:
    rng = random.Random(0)
    rewards = []
    for seed in range(20):
        task = generate_puzzle(TINY, tiny_base.CPU_LEVEL, seed).task()
        assert list(task.solution) == ["A", "B", "C"]
        assert all(len(opts) == 3 for opts in task.options.values())
        for _ in range(20):
            guess = warmup.answer_text({k: rng.choice(v) for k, v in task.options.items()})
            rewards.append(grade(guess, task.solution, task.options).reward)
    assert 0.28 < sum(rewards) / len(rewards) < 0.39


@pytest.mark.slow
def test_real_base_writes_the_format_and_copies_options() -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = tiny_base.tiny_base_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    valid = rewards = 0.0
    for seed in range(32):
        task = generate_puzzle(TINY, tiny_base.CPU_LEVEL, seed).task()
        ids = tok.apply_chat_template([{"role": "user", "content": task.prompt}], add_generation_prompt=True)
        ids = ids["input_ids"] if not isinstance(ids, list) else ids
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), max_new_tokens=24, do_sample=False)
        g = grade(tok.decode(out[0, len(ids) :], skip_special_tokens=True), task.solution, task.options)
        valid += all(g.answers.get(k) in task.options[k] for k in task.solution)
        rewards += g.reward
    assert valid >= 20  # measured: 0.86-0.89 of greedy answers name only valid options
    assert rewards / 32 < 0.5  # and no better than guessing (chance 1/3; measured 0.34-0.40)


def test_the_stamp_ignores_the_library_version_that_wrote_the_tiny_model(tmp_path: Path) -> None:
    import shutil

    from agents.tiny import model as tiny_model

    source = tiny_model.build_tiny_model()
    copy = tmp_path / "tiny"
    shutil.copytree(source, copy)
    before = tiny_base._recipe(tiny_base.RECIPE, copy)
    for name in ("config.json", "generation_config.json"):
        data = json.loads((copy / name).read_text())
        data["transformers_version"] = "9.99.9"
        (copy / name).write_text(json.dumps(data, indent=7))  # another version, another layout
    assert tiny_base._recipe(tiny_base.RECIPE, copy) == before
    data = json.loads((copy / "config.json").read_text())
    data["hidden_size"] += 1
    (copy / "config.json").write_text(json.dumps(data))
    assert tiny_base._recipe(tiny_base.RECIPE, copy) != before


def test_the_command_line_rejects_a_bad_recipe(tmp_path: Path, capsys) -> None:
    from agents.tiny.__main__ import main

    with pytest.raises(SystemExit) as exit:
        main(["base", "--path", str(tmp_path / "m"), "--steps", "0"])
    assert exit.value.code == 2
    assert "bad warm-up recipe: steps must be an integer >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_the_command_line_finds_an_up_to_date_base_without_rebuilding(capsys) -> None:
    from agents.tiny.__main__ import main

    stamp = (tiny_base.SHIPPED / "tiny-base.json").stat().st_mtime_ns
    assert main(["base", "--path", str(tiny_base.SHIPPED)]) == 0
    assert capsys.readouterr().out.strip() == str(tiny_base.SHIPPED)
    assert (tiny_base.SHIPPED / "tiny-base.json").stat().st_mtime_ns == stamp
