"""Group-relative advantages: each sample's reward against the other samples of the same task.

``A = (r - mean) / (std + epsilon)`` over the samples of one group (``GRPOConfig.advantage_scaling``:
``group`` divides by the group's std, ``batch`` by the std of every reward in the batch, ``none``
not at all, as in Dr. GRPO). The std is the population std (divisor n, not n - 1), so a group's
advantages have unit variance.

A group whose rewards do not vary has nothing to learn from: its advantages would be 0, or noise
divided by a tiny std. It is dropped when its rewards span no more than
``GRPOConfig.reward_tolerance`` (max - min), never by comparing a float std with 0: rewards like
``1/3 + 1/3`` and ``2/3`` differ in the last bit. How many groups were dropped is reported.

Truncated samples (cut off at ``max_tokens``) follow ``GRPOConfig.truncation``: ``keep`` (trained
like any other), ``penalize`` (their reward becomes ``truncation_reward`` before the statistics),
or ``mask`` (their reward still counts in the group's statistics, but they get no gradient and do
not count in the loss normaliser, as DAPO's overlong filtering).

``GRPOConfig.overlong_buffer`` adds DAPO's soft overlong punishment on top of any of those: an
answer of ``L`` sampled tokens, within ``buffer`` tokens of ``max_new_tokens``, loses
``overlong_penalty * (L - (max_new_tokens - buffer)) / buffer`` of its reward (the whole penalty at
``max_new_tokens``), so the group learns to finish before the cut instead of only learning that a
cut-off answer is bad. In a multi-turn sample the longest turn counts (each turn has its own limit).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from trainers.config import GRPOConfig
from trainers.samples import Sample


@dataclass(frozen=True)
class ScoredSample:
    """A sample to train on, its advantage and its index in the list given to :func:`compute_advantages`."""

    sample: Sample
    advantage: float
    index: int


@dataclass(frozen=True)
class Advantages:
    """What :func:`compute_advantages` found.

    ``scored``: the samples to train on (kept groups, not masked, with at least one trained
    token), in input order. ``advantages[i]``: sample i's advantage, or None if it is not trained.
    """

    scored: tuple[ScoredSample, ...]
    advantages: tuple[float | None, ...]
    groups: int
    """How many groups (tasks) the batch has."""
    dropped_groups: int
    """Groups dropped because their rewards did not vary (within the tolerance)."""
    truncated: int
    """Samples marked truncated."""
    masked_truncated: int
    """Truncated samples given no gradient (``truncation="mask"``)."""
    penalized_truncated: int
    """Truncated samples whose reward was replaced (``truncation="penalize"``)."""
    untrainable: int
    """Samples in kept groups with no trained token (no sampling logprobs), left out."""
    reward_mean: float
    """Mean reward over the batch (after any truncation penalty)."""


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / n
    return mean, math.sqrt(var)


def overlong_penalty(length: int, config: GRPOConfig) -> float:
    """DAPO's soft overlong punishment of an answer ``length`` tokens long (0 or negative; see the module docstring)."""
    buffer = config.overlong_buffer
    if buffer <= 0:
        return 0.0
    start = config.max_new_tokens - buffer
    if length <= start:
        return 0.0
    return -config.overlong_penalty * min(1.0, (length - start) / buffer)


def effective_reward(sample: Sample, config: GRPOConfig) -> float:
    """The reward the advantages are computed from: the truncation policy's, then the overlong penalty."""
    reward = config.truncation_reward if (sample.truncated and config.truncation == "penalize") else sample.reward
    if config.overlong_buffer:
        reward += overlong_penalty(sample.longest_turn, config)
    return reward


def has_signal(rewards: Sequence[float], config: GRPOConfig) -> bool:
    """Whether a group's rewards vary by more than ``reward_tolerance``: a group that does not is dropped."""
    return bool(rewards) and max(rewards) - min(rewards) > config.reward_tolerance


def compute_advantages(samples: Sequence[Sample], config: GRPOConfig) -> Advantages:
    """Advantages for a batch of samples, grouped by ``Sample.group``; see the module docstring."""
    samples = list(samples)
    if not samples:
        return Advantages((), (), 0, 0, 0, 0, 0, 0, 0.0)
    policy = config.truncation
    rewards = [effective_reward(s, config) for s in samples]
    groups: dict[Hashable, list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault(s.group, []).append(i)
    batch_std = _mean_std(rewards)[1]

    advantages: list[float | None] = [None] * len(samples)
    dropped = 0
    for members in groups.values():
        values = [rewards[i] for i in members]
        if not has_signal(values, config):
            dropped += 1
            continue
        mean, std = _mean_std(values)
        if config.advantage_scaling == "group":
            scale = std + config.advantage_epsilon
        elif config.advantage_scaling == "batch":
            scale = batch_std + config.advantage_epsilon
        else:
            scale = 1.0
        for i in members:
            advantages[i] = (rewards[i] - mean) / scale

    scored: list[ScoredSample] = []
    untrainable = 0
    for i, s in enumerate(samples):
        a = advantages[i]
        if a is None:
            continue
        if s.truncated and policy == "mask":
            advantages[i] = None
            continue
        if s.num_trained == 0:
            advantages[i] = None
            untrainable += 1
            continue
        scored.append(ScoredSample(s, a, i))
    truncated = sum(s.truncated for s in samples)
    return Advantages(
        scored=tuple(scored),
        advantages=tuple(advantages),
        groups=len(groups),
        dropped_groups=dropped,
        truncated=truncated,
        masked_truncated=truncated if policy == "mask" else 0,
        penalized_truncated=truncated if policy == "penalize" else 0,
        untrainable=untrainable,
        reward_mean=math.fsum(rewards) / len(rewards),
    )
