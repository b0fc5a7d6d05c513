"""The tiny model's warmed-up base: a checkpoint GRPO visibly improves on a 2-core CPU in minutes.

A random tiny model cannot start RL: it names suspects, weapons and rooms from the whole
game's vocabulary instead of this puzzle's options, so almost every sample scores 0 and GRPO
has nothing to compare. This module builds, once and deterministically, a base that has
learned the *format* and to *copy options* -- and nothing about which option is right:

* **Level** -- :data:`CPU_LEVEL`, ``tiny/cpu``: 3 suspects, 3 weapons, 3 rooms,
  one moment, no motives, only who/what/where asked, no bonus questions, and clues chosen
  only until the three answers are pinned (``pin="answers"``). Prompts are ~290 tokens,
  answers ~13. Chance (a random valid option per question) is 1/3; the clues mention the
  answers more often than the other options, so there is reward to be found by reading them.
* **Tokenizer** -- the tiny model's byte-level BPE (:mod:`tiny_model`, unchanged) plus
  every name of the classic theme (10 suspects, 8 weapons, 17 rooms) as one added,
  non-special, whole-word token, so naming an option is copying one token.
* **Model** -- the tiny model's Qwen2 shape (:data:`tiny_model.ARCH`: hidden 128, 2 layers,
  2 heads of 64; ~0.44M parameters, 1.8 MB in float32), with a seeded random init in which
  each layer's value and output projections start as identity plus noise (``copy_init``), so
  attention starts by copying the tokens it reads (without it the warm-up needs thousands of
  steps to learn to copy at all).
* **Warm-up** -- supervised training on :data:`WarmupRecipe.puzzles` puzzles of the level
  with seeds from :data:`WarmupRecipe.seed_start` (disjoint from the small seeds evaluation
  uses), each answer line a *uniformly random valid option* (never the solution on purpose),
  loss on the answer tokens plus ``lm_weight`` times the language-model loss on the prompt.
  The base's expected reward is therefore chance: whatever GRPO adds above it comes from the
  reward, not from the warm-up.

The result is an ordinary Hugging Face checkpoint directory (``config.json``,
``generation_config.json``, ``model.safetensors``, ``tokenizer.json``,
``tokenizer_config.json`` with the tiny model's Qwen chat template, and ``warmup.json``: the
recipe and the loss curve) that loads with ``transformers`` and vLLM.

    from testing.tiny_base import tiny_base_path
    path = tiny_base_path()        # the shipped copy (testing/assets/tiny-qwen2-base), if current
    python -m testing.tiny_base --path DIR --force   # rebuild it (about 7 minutes on one core)

The build is cached like the tiny model's: redone only when the directory is missing or
incomplete, or the recipe (or the tiny model it starts from) changed. It is deterministic for
a recipe: the same bytes on the same machine every time (the build fixes torch's thread count
to :attr:`WarmupRecipe.threads`; a machine with another CPU kernel set may differ in the last
bits of the weights).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from clue_env import generate_puzzle
from clue_env.builtin_variants import TINY
from testing import tiny_model

#: Bump when anything below changes what is built; a cached base with another stamp is rebuilt.
VERSION = 1

#: The level the base is warmed up on and GRPO trains on: ``tiny/cpu``.
CPU_LEVEL = TINY.difficulty("cpu")

_STAMP = "tiny-base.json"
_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "warmup.json",
)


class TinyBaseError(ValueError):
    """A bad warm-up recipe or model shape, with what was wrong and what to do."""


@dataclass(frozen=True)
class WarmupRecipe:
    """Everything that decides the base, bytes included.

    Attributes:
        puzzles: how many warm-up puzzles (generated once per build, ~15 ms each).
        seed_start: the first warm-up puzzle seed; seeds ``seed_start .. seed_start+puzzles-1``.
            Keep evaluation and GRPO seeds outside that range.
        steps: optimizer steps.
        batch: sequences per step.
        lr: peak AdamW learning rate (linear warm-up over ``warmup_steps``, then cosine down
            to ``min_lr_frac * lr``).
        warmup_steps: steps of linear learning-rate warm-up.
        min_lr_frac: the final learning rate as a fraction of ``lr``.
        lm_weight: weight of the language-model loss on the prompt tokens, beside the answer loss.
        copy_init: the identity added to every layer's value and output projections at init.
        init_std: standard deviation of the random normal init of every other matrix.
        grad_clip: gradient-norm clip.
        seed: seeds the weights, the batch order and the random answers.
        threads: torch threads during the build (fixed, so the build is reproducible).
    """

    puzzles: int = 2000
    seed_start: int = 1_000_000
    steps: int = 600
    batch: int = 16
    lr: float = 3e-3
    warmup_steps: int = 20
    min_lr_frac: float = 0.1
    lm_weight: float = 0.5
    copy_init: float = 3.0
    init_std: float = 0.02
    grad_clip: float = 1.0
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise TinyBaseError(f"bad warm-up recipe: {what}")

        for name in ("puzzles", "steps", "batch", "threads"):
            value = getattr(self, name)
            need(
                isinstance(value, int) and value >= 1,
                f"{name} must be an integer >= 1, got {value!r}",
            )
        for name in ("seed_start", "warmup_steps", "seed"):
            value = getattr(self, name)
            need(
                isinstance(value, int) and value >= 0,
                f"{name} must be an integer >= 0, got {value!r}",
            )
        for name in ("lr", "init_std", "grad_clip"):
            value = getattr(self, name)
            need(
                isinstance(value, (int, float)) and value > 0,
                f"{name} must be a number > 0, got {value!r}",
            )
        for name in ("lm_weight", "copy_init"):
            value = getattr(self, name)
            need(
                isinstance(value, (int, float)) and value >= 0,
                f"{name} must be a number >= 0, got {value!r}",
            )
        need(
            isinstance(self.min_lr_frac, (int, float)) and 0 <= self.min_lr_frac <= 1,
            f"min_lr_frac must be in [0, 1], got {self.min_lr_frac!r}",
        )

    def lr_at(self, step: int) -> float:
        """The learning rate of optimizer step ``step`` (1-based)."""
        ramp = min(1.0, step / self.warmup_steps) if self.warmup_steps else 1.0
        cosine = 0.5 * (1 + math.cos(math.pi * step / self.steps))
        return self.lr * ramp * (self.min_lr_frac + (1 - self.min_lr_frac) * cosine)


RECIPE = WarmupRecipe()


def theme_names() -> list[str]:
    """The names that become single tokens: the tiny variant's theme's suspects, weapons, rooms."""
    theme = TINY.theme
    return [*theme.suspects, *theme.weapons, *(room.name for room in theme.rooms)]


def _level_dict() -> dict:
    return {f.name: getattr(CPU_LEVEL, f.name) for f in fields(CPU_LEVEL) if f.name != "tiers"}


#: The tiny model's files the base is made from; their hash is part of the base's stamp.
_TINY_INPUTS = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


def _content(path: Path) -> bytes:
    """A tiny-model file's content as the stamp sees it: JSON canonicalised (sorted keys, no
    whitespace) without ``transformers_version``, so that another patch release of transformers
    or tokenizers writing the same model does not make the shipped base look stale."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data.pop("transformers_version", None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _recipe(recipe: WarmupRecipe, tiny_path: Path) -> dict:
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
    return tiny_model.cache_root() / "tiny-qwen2-base"


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
    try:
        stamp = json.loads((path / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    tiny_path = tiny_model.default_path()
    if not tiny_model.is_built(tiny_path):
        return False
    try:
        current = _recipe(recipe, tiny_path)
    except OSError:
        return False
    return stamp.get("recipe") == current and all((path / f).is_file() for f in _FILES)


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
    tiny_model.build_in_place(
        path,
        lambda tmp: _build(tmp, tiny_path, recipe, log or (lambda line: None)),
        lambda: is_built(path, recipe),
    )
    return path


# -- the build -----------------------------------------------------------------------------


def _write_tokenizer(out: Path, tiny_path: Path) -> None:
    """The tiny model's tokenizer with every theme name added as one whole-word token."""
    from tokenizers import AddedToken, Tokenizer

    raw = Tokenizer.from_file(str(tiny_path / "tokenizer.json"))
    names = theme_names()
    raw.add_tokens([AddedToken(n, single_word=True, normalized=False, special=False) for n in names])
    raw.save(str(out / "tokenizer.json"), pretty=True)
    config = json.loads((tiny_path / "tokenizer_config.json").read_text())
    for n in names:
        config["added_tokens_decoder"][str(raw.token_to_id(n))] = {
            "content": n,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": True,
            "special": False,
        }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def _new_model(tiny_path: Path, vocab_size: int, recipe: WarmupRecipe):
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

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
            f"{config.num_key_value_heads}; set copy_init=0 or change tiny_model.ARCH"
        )
    torch.manual_seed(recipe.seed)
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(recipe.seed)
        for name, p in sorted(model.named_parameters()):
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * recipe.init_std)
        if recipe.copy_init:
            eye = torch.eye(config.hidden_size)
            for layer in model.model.layers:
                layer.self_attn.v_proj.weight.add_(eye)
                layer.self_attn.o_proj.weight.add_(recipe.copy_init * eye)
    model.generation_config = GenerationConfig.from_pretrained(tiny_path)
    return model


@dataclass(frozen=True)
class WarmupExample:
    """One warm-up puzzle: its chat-formatted prompt tokens and each question's options."""

    prompt_ids: list[int]
    options: dict[str, list[str]]


def warmup_examples(tokenizer, recipe: WarmupRecipe = RECIPE) -> list[WarmupExample]:
    """The warm-up puzzles' chat-formatted prompt tokens and answer options."""
    out = []
    for seed in range(recipe.seed_start, recipe.seed_start + recipe.puzzles):
        task = generate_puzzle(TINY, CPU_LEVEL, seed).task()
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": task.prompt}],
            add_generation_prompt=True,
            tokenize=True,
        )
        ids = list(ids["input_ids"] if not isinstance(ids, list) else ids)
        out.append(WarmupExample(ids, {k: list(v) for k, v in task.options.items()}))
    return out


def answer_text(answers: dict[str, str]) -> str:
    """Answer lines in the prompt's format: ``A. Miss Scarlet`` etc., one per label."""
    return "\n".join(f"{label}. {value}" for label, value in answers.items())


def _warmup(model, tokenizer, examples: Sequence[WarmupExample], recipe: WarmupRecipe, log) -> list[dict]:
    import torch

    rng = random.Random(recipe.seed)
    im_end = tokenizer.convert_tokens_to_ids(tiny_model.IM_END)
    pad = tokenizer.convert_tokens_to_ids(tiny_model.ENDOFTEXT)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, betas=(0.9, 0.95), weight_decay=0.0)
    model.train()
    order: list[int] = []
    curve: list[dict] = []
    answer_losses: list[float] = []
    for step in range(1, recipe.steps + 1):
        seqs, starts = [], []
        for _ in range(recipe.batch):
            if not order:
                order = list(range(len(examples)))
                rng.shuffle(order)
            ex = examples[order.pop()]
            answers = {label: rng.choice(opts) for label, opts in ex.options.items()}
            ans_ids = tokenizer(answer_text(answers), add_special_tokens=False)["input_ids"] + [im_end]
            seqs.append(ex.prompt_ids + ans_ids)
            starts.append(len(ex.prompt_ids))
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        is_answer = torch.zeros((len(seqs), width - 1))
        for i, (s, start) in enumerate(zip(seqs, starts)):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
            is_answer[i, start - 1 : len(s) - 1] = 1.0  # positions that predict an answer token
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        logp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        real = mask[:, 1:].float()
        is_prompt = real * (1 - is_answer)
        answer_loss = -(logp * is_answer).sum() / is_answer.sum()
        loss = answer_loss
        if recipe.lm_weight:
            loss = loss - recipe.lm_weight * (logp * is_prompt).sum() / is_prompt.sum()
        for group in opt.param_groups:
            group["lr"] = recipe.lr_at(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        opt.step()
        answer_losses.append(answer_loss.item())
        if step % 50 == 0 or step == recipe.steps:
            mean = sum(answer_losses) / len(answer_losses)
            curve.append({"step": step, "answer_loss": round(mean, 4), "lr": recipe.lr_at(step)})
            log(f"warm-up step {step}/{recipe.steps}: answer loss {mean:.3f}")
            answer_losses = []
    model.eval()
    return curve


def _build(out: Path, tiny_path: Path, recipe: WarmupRecipe, log: Callable[[str], None]) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from transformers import AutoTokenizer

    _write_tokenizer(out, tiny_path)
    tokenizer = AutoTokenizer.from_pretrained(out)
    threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)
    try:
        log(f"generating {recipe.puzzles} warm-up puzzles of tiny/{CPU_LEVEL.name}")
        examples = warmup_examples(tokenizer, recipe)
        model = _new_model(tiny_path, len(tokenizer), recipe)
        curve = _warmup(model, tokenizer, examples, recipe, log)
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
    (out / _STAMP).write_text(json.dumps({"recipe": _recipe(recipe, tiny_path)}, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Build (once) the tiny model's warmed-up base for CPU GRPO.")
    parser.add_argument("--path", type=Path, default=None, help=f"where (default {default_path()})")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--steps",
        type=int,
        default=RECIPE.steps,
        help="warm-up steps (default %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=RECIPE.seed,
        help="warm-up seed (default %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        recipe = replace(RECIPE, steps=args.steps, seed=args.seed)
    except TinyBaseError as err:
        parser.error(str(err))
    print(build_tiny_base(args.path, recipe=recipe, force=args.force, log=print))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
