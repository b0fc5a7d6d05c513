"""The pieces of a training step that need no model: the learning-rate schedule and the split of an
iteration's samples into optimizer steps. Plain functions, used by the recipe and the benchmarks."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

from trainers.advantages import ScoredSample
from trainers.config import GRPOConfig
from trainers.packing import PackedBatch, pack


def lr_factor(config: GRPOConfig, iteration: int) -> float:
    """The share of ``learning_rate`` that iteration ``iteration`` (0-based) trains with: linear
    warm-up over ``warmup_iterations``, then ``lr_schedule`` (constant, linear or cosine to 0 at
    ``iterations``)."""
    c = config
    if c.warmup_iterations and iteration < c.warmup_iterations:
        return (iteration + 1) / c.warmup_iterations
    span = max(1, c.iterations - c.warmup_iterations)
    progress = min(1.0, max(0, iteration - c.warmup_iterations) / span)
    if c.lr_schedule == "linear":
        return 1.0 - progress
    if c.lr_schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0


def split_steps(scored: Sequence[ScoredSample], config: GRPOConfig) -> list[PackedBatch]:
    """The iteration's samples split into ``optimizer_steps_per_iteration`` packed batches: whole
    groups dealt round-robin in the order they first appear, each share packed into rows of
    ``row_len``; a share left empty (fewer groups than steps) is no step."""
    steps = config.optimizer_steps_per_iteration
    groups: dict[Hashable, list[ScoredSample]] = {}
    for item in scored:
        groups.setdefault(item.sample.group, []).append(item)
    shares: list[list[ScoredSample]] = [[] for _ in range(steps)]
    for k, members in enumerate(groups.values()):
        shares[k % steps].extend(members)
    return [pack(share, config.row_len) for share in shares if share]
