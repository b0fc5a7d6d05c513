"""The warm-up recipe: everything that decides the tiny model's base, and the level it trains on."""

from __future__ import annotations

import math
from dataclasses import dataclass

from clue_env.builtin_variants import TINY

#: The level the base is warmed up on and GRPO trains on: ``tiny/cpu``.
CPU_LEVEL = TINY.difficulty("cpu")


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
