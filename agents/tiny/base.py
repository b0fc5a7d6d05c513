"""The tiny model's warmed-up base: a checkpoint GRPO visibly improves on a 2-core CPU in minutes.

A random tiny model cannot start RL: it names suspects, weapons and rooms from the whole
game's vocabulary instead of this puzzle's options, so almost every sample scores 0 and GRPO
has nothing to compare. This module builds, once and deterministically, a base that has
learned the *format* and to *copy options* -- and nothing about which option is right:

* **Level** -- :data:`~agents.tiny.recipe.CPU_LEVEL`, ``tiny/cpu``: 3 suspects, 3 weapons,
  3 rooms, one moment, no motives, only who/what/where asked, no bonus questions, and clues
  chosen only until the three answers are pinned (``pin="answers"``). Prompts are ~290 tokens,
  answers ~13. Chance (a random valid option per question) is 1/3; the clues mention the
  answers more often than the other options, so there is reward to be found by reading them.
* **Tokenizer** -- the tiny model's byte-level BPE (unchanged) plus every name of the classic
  theme (10 suspects, 8 weapons, 17 rooms) as one added, non-special, whole-word token, so
  naming an option is copying one token (:func:`~agents.tiny.tokenizer.write_base_tokenizer`).
* **Model** -- the tiny model's Qwen2 shape (:data:`agents.tiny.model.ARCH`: hidden 128,
  2 layers, 2 heads of 64; ~0.44M parameters, 1.8 MB in float32), with a seeded random init in
  which each layer's value and output projections start as identity plus noise (``copy_init``,
  :func:`agents.tiny.init.new_model`), so attention starts by copying the tokens it reads
  (without it the warm-up needs thousands of steps to learn to copy at all).
* **Warm-up** -- supervised training (:mod:`agents.tiny.warmup`) on ``WarmupRecipe.puzzles``
  puzzles of the level with seeds from ``WarmupRecipe.seed_start`` (disjoint from the small
  seeds evaluation uses), each answer line a *uniformly random valid option* (never the
  solution on purpose), loss on the answer tokens plus ``lm_weight`` times the language-model
  loss on the prompt. The base's expected reward is therefore chance: whatever GRPO adds above
  it comes from the reward, not from the warm-up.

The result is an ordinary Hugging Face checkpoint directory (``config.json``,
``generation_config.json``, ``model.safetensors``, ``tokenizer.json``,
``tokenizer_config.json`` with the tiny model's Qwen chat template, and ``warmup.json``: the
recipe and the loss curve) that loads with ``transformers`` and vLLM.

    from agents.tiny import tiny_base_path
    path = tiny_base_path()        # the shipped copy (agents/tiny/assets/tiny-qwen2-base), if current
    python -m agents.tiny base --path DIR --force   # rebuild it (about 7 minutes on one core)

The build is cached like the tiny model's: redone only when the directory is missing or
incomplete, or the recipe (or the tiny model it starts from) changed. The stamp records
values only (the recipe, the level's fields, a hash of the theme names, a hash of the tiny
model's JSON files), never source text or module paths, so moving the code leaves the shipped
base current. It is deterministic for a recipe: the same bytes on the same machine every time
(the build fixes torch's thread count to ``WarmupRecipe.threads``; a machine with another CPU
kernel set may differ in the last bits of the weights).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path

from . import model as tiny_model
from .cache import build_in_place, cache_root, is_stamped, write_stamp
from .init import new_model
from .recipe import CPU_LEVEL, RECIPE, TinyBaseError, WarmupRecipe
from .tokenizer import theme_names, write_base_tokenizer
from .warmup import warmup, warmup_examples

#: Bump when anything below changes what is built; a cached base with another stamp is rebuilt.
VERSION = 1

_STAMP = "tiny-base.json"
_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "warmup.json",
)

#: The tiny model's files the base is made from; their hash is part of the base's stamp.
_TINY_INPUTS = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


def _level_dict() -> dict:
    return {f.name: getattr(CPU_LEVEL, f.name) for f in fields(CPU_LEVEL) if f.name != "tiers"}


def _content(path: Path) -> bytes:
    """A tiny-model file's content as the stamp sees it: JSON canonicalised (sorted keys, no
    whitespace) without ``transformers_version``, so that another patch release of transformers
    or tokenizers writing the same model does not make the shipped base look stale."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data.pop("transformers_version", None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _recipe(recipe: WarmupRecipe, tiny_path: Path) -> dict:
    """What the stamp records: values only, so the same recipe stamps the same wherever the code lives."""
    digest = hashlib.sha256()
    for name in _TINY_INPUTS:
        digest.update(_content(tiny_path / name))
    return {
        "version": VERSION,
        "tiny_model": digest.hexdigest()[:16],
        "level": json.loads(json.dumps(_level_dict())),
        "names": hashlib.sha256("\n".join(theme_names()).encode()).hexdigest()[:16],
        "warmup": asdict(recipe),
    }


def default_path() -> Path:
    """Where :func:`build_tiny_base` builds by default (the tiny model's cache)."""
    return cache_root() / "tiny-qwen2-base"


SHIPPED = Path(__file__).resolve().parent / "assets" / "tiny-qwen2-base"
"""The base as built by :data:`RECIPE` on the project's machine (1.8 MB), shipped so that nobody
waits for the warm-up and every machine trains from the same bytes."""


def tiny_base_path() -> Path:
    """The base to load: :data:`SHIPPED` when it is what :data:`RECIPE` builds from the current
    tiny model (its stamp says so), else one built into the cache (a few minutes, once)."""
    tiny_model.build_tiny_model()
    if is_built(SHIPPED):
        return SHIPPED
    return build_tiny_base()


def is_built(path: Path, recipe: WarmupRecipe = RECIPE) -> bool:
    """Whether ``path`` holds a complete base built by this recipe from the current tiny model."""
    tiny_path = tiny_model.default_path()
    if not tiny_model.is_built(tiny_path):
        return False
    try:
        current = _recipe(recipe, tiny_path)
    except OSError:
        return False
    return is_stamped(path, _STAMP, current, _FILES)


def build_tiny_base(
    path: Path | str | None = None,
    *,
    recipe: WarmupRecipe = RECIPE,
    force: bool = False,
    log: Callable[[str], None] | None = None,
) -> Path:
    """The base's directory, building it first (a few minutes on two cores) if missing or stale.

    ``path`` defaults to :func:`default_path`. Built in a temporary directory beside ``path``
    and moved into place, so readers never see a half-written base and concurrent builders
    do not clash. ``log`` receives a progress line every 50 steps.
    """
    if not isinstance(recipe, WarmupRecipe):
        raise TinyBaseError(f"recipe must be a WarmupRecipe, got {type(recipe).__name__}")
    path = Path(path).expanduser() if path is not None else default_path()
    if not force and is_built(path, recipe):
        return path
    tiny_path = tiny_model.build_tiny_model()
    build_in_place(
        path,
        lambda tmp: _build(tmp, tiny_path, recipe, log or (lambda line: None)),
        lambda: is_built(path, recipe),
    )
    return path


def _new_model(tiny_path: Path, vocab_size: int, recipe: WarmupRecipe):
    """The tiny model's shape with the base's vocabulary, freshly initialised by ``recipe``."""
    from transformers import GenerationConfig, Qwen2Config

    config = Qwen2Config.from_pretrained(tiny_path)
    config.vocab_size = vocab_size
    head_dim = config.hidden_size // config.num_attention_heads
    square = (
        config.num_key_value_heads == config.num_attention_heads
        and config.num_attention_heads * head_dim == config.hidden_size
    )
    if recipe.copy_init and not square:
        raise TinyBaseError(
            f"copy_init needs square value/output projections (kv heads = heads, heads x head_dim = hidden), "
            f"got hidden {config.hidden_size}, heads {config.num_attention_heads}, kv heads "
            f"{config.num_key_value_heads}; set copy_init=0 or change agents.tiny.model.ARCH"
        )
    model = new_model(config, seed=recipe.seed, std=recipe.init_std, copy_init=recipe.copy_init)
    model.generation_config = GenerationConfig.from_pretrained(tiny_path)
    return model


def _build(out: Path, tiny_path: Path, recipe: WarmupRecipe, log: Callable[[str], None]) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from transformers import AutoTokenizer

    write_base_tokenizer(out, tiny_path)
    tokenizer = AutoTokenizer.from_pretrained(out)
    threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)
    try:
        log(f"generating {recipe.puzzles} warm-up puzzles of tiny/{CPU_LEVEL.name}")
        examples = warmup_examples(tokenizer, recipe)
        model = _new_model(tiny_path, len(tokenizer), recipe)
        curve = warmup(model, tokenizer, examples, recipe, log)
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(out, safe_serialization=True)
    for extra in ("chat_template.jinja",):  # keep the template in tokenizer_config.json only, as the tiny model does
        (out / extra).unlink(missing_ok=True)
    (out / "warmup.json").write_text(
        json.dumps(
            {
                "recipe": asdict(recipe),
                "level": f"tiny/{CPU_LEVEL.name}",
                "curve": curve,
            },
            indent=2,
        )
        + "\n"
    )
    write_stamp(out, _STAMP, _recipe(recipe, tiny_path))
