"""An iteration's training, as plain functions used by the recipe and the benchmarks.

* :func:`lr_factor` -- the learning-rate schedule;
* :func:`split_steps` -- the iteration's scored samples split into packed optimizer steps;
* :func:`proximal_logprobs` -- with off-policy rollouts, a rank's logprobs of a step's targets under
  the weights at the start of the iteration (no gradient; :mod:`trainers.off_policy`);
* :func:`optimizer_step` -- one optimizer step over a packed batch: micro-batches, the GRPO loss,
  backward, gradient clipping, the update; a non-finite loss or gradient, or running out of
  memory, raises :class:`StepError` before anything is applied;
* :func:`train_iteration` -- an iteration's steps at its learning rate, and the figures it logs.

The policy is anything with ``forward(tokens, mask, positions) -> logits``,
``trainable_parameters()`` and ``model`` (:class:`trainers.tune.Policy`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from trainers.advantages import ScoredSample
from trainers.config import GRPOConfig
from trainers.loss import LossMetrics, batch_logprobs, grpo_loss
from trainers.masks import attention_mask
from trainers.packing import PackedBatch, pack


class StepError(ValueError):
    """An optimizer step that could not be applied (non-finite loss or gradient, out of memory);
    the model and the optimizer are as they were before the step's update."""


@dataclass(frozen=True)
class StepResult:
    """One optimizer step on this rank: the loss figures summed over its micro-batches (not yet over
    ranks) and the gradient norm before clipping (over every rank's gradients)."""

    metrics: LossMetrics
    grad_norm: float


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


def proximal_logprobs(
    policy, batch: PackedBatch, config: GRPOConfig, *, device: Any, rank: int = 0, world_size: int = 1
) -> torch.Tensor:
    """``[rows, row_len]`` logprobs of the targets of this rank's :meth:`PackedBatch.shard` of ``batch``
    under the policy's weights now (no gradient; on the CPU, float64 like ``sampling_logprobs``), micro-batch
    by micro-batch as :func:`optimizer_step` runs them (every rank calls it: FSDP gathers collectively)."""
    shard = batch.shard(rank, world_size)
    parts = []
    with torch.no_grad():
        for mb in shard.micro_batches(config.micro_batch_rows):
            mb = mb.to(device)
            logits = policy.forward(mb.tokens, attention_mask(mb), mb.positions)
            parts.append(batch_logprobs(logits, mb, config)[0].to("cpu", torch.float64))
            del logits
    return torch.cat(parts) if parts else torch.zeros(0, batch.row_len, dtype=torch.float64)


def optimizer_step(
    policy,
    optimizer,
    batch: PackedBatch,
    config: GRPOConfig,
    *,
    device: Any,
    rank: int = 0,
    world_size: int = 1,
    reference=None,
    proximal: torch.Tensor | None = None,
    off_policy: bool = False,
    measure_mismatch: bool = False,
) -> StepResult:
    """One optimizer step over ``batch`` (every rank calls it with the whole batch; each trains its
    :meth:`PackedBatch.shard`): the GRPO loss normalised over the whole batch, backward per
    micro-batch of ``micro_batch_rows``, the gradient clipped to ``max_grad_norm`` (0: not clipped),
    then ``optimizer.step()``. ``reference``: the frozen policy of the KL term, or None.
    ``off_policy``: the rollouts may be older than the weights (the decoupled loss of
    :mod:`trainers.off_policy`), against ``proximal`` (this rank's :func:`proximal_logprobs` of the
    batch) or, when it is None, against this step's own forward pass (detached: right for a step that
    runs on the weights the iteration starts from, and free). ``measure_mismatch``: measure the
    engine-vs-trainer logprob mismatch (see :func:`trainers.loss.grpo_loss`)."""
    c = config
    normalizer = batch.normalizer(c.loss_normalization)
    shard = batch.shard(rank, world_size)
    if proximal is not None:
        shard = replace(shard, proximal_logprobs=proximal)
    optimizer.zero_grad(set_to_none=True)
    total = LossMetrics()
    try:
        for mb in shard.micro_batches(c.micro_batch_rows):
            mb = mb.to(device)
            mask = attention_mask(mb)
            ref = None
            if reference is not None:
                with torch.no_grad():
                    ref = batch_logprobs(reference.forward(mb.tokens, mask, mb.positions), mb, c)[0]
            logits = policy.forward(mb.tokens, mask, mb.positions)
            logprobs, entropy = batch_logprobs(logits, mb, c, entropy=True)
            if off_policy and proximal is None:
                mb = replace(mb, proximal_logprobs=logprobs.detach())
            loss, metrics = grpo_loss(
                logprobs,
                mb,
                c,
                normalizer=normalizer,
                world_size=world_size,
                ref_logprobs=ref,
                entropy=entropy,
                measure_mismatch=measure_mismatch,
            )
            loss.backward()
            total = total + metrics
            del logits, logprobs, entropy, loss, ref
    except torch.OutOfMemoryError:
        optimizer.zero_grad(set_to_none=True)
        raise StepError(
            f"out of memory in the training step (micro_batch_rows={c.micro_batch_rows}, row_len={c.row_len}); "
            "lower them or turn on activation_checkpointing"
        ) from None
    except ValueError as err:  # a non-finite loss (trainers.loss.LossInputError)
        optimizer.zero_grad(set_to_none=True)
        raise StepError(f"{err}; nothing was applied") from None
    params = policy.trainable_parameters()
    norm = torch.nn.utils.clip_grad_norm_(params, c.max_grad_norm if c.max_grad_norm > 0 else math.inf)
    norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)
    if not math.isfinite(norm):
        optimizer.zero_grad(set_to_none=True)
        raise StepError(f"the gradient norm is {norm}; nothing was applied")
    optimizer.step()
    return StepResult(total, norm)


def train_iteration(
    policy,
    optimizer,
    steps: Sequence[PackedBatch],
    config: GRPOConfig,
    iteration: int,
    *,
    device: Any,
    rank: int = 0,
    world_size: int = 1,
    reference=None,
) -> dict[str, Any]:
    """Iteration ``iteration``'s optimizer steps at ``learning_rate * lr_factor`` (the schedule is a
    function of the iteration: nothing of it to save), and the figures ``metrics.jsonl`` logs:
    ``loss``, ``clip_fraction``, ``mean_ratio``, ``entropy``, ``kl`` (means over every rank's trained
    tokens), ``grad_norm`` (the largest of the steps), ``tokens_trained``, and the engine-vs-trainer
    figures ``logprob_mismatch``/``logprob_mismatch_kl`` (:mod:`trainers.off_policy`: on-policy, over
    the first step's tokens, whose forward pass runs before any update; off-policy, over every token,
    from the proximal pass), ``importance_weight`` and ``importance_truncated_fraction``.

    Off-policy rollouts (``max_off_policy_steps`` > 0): the proximal logprobs are those of the weights the
    iteration starts from: the first step's come from its own forward pass, every later step's from a
    pass without gradient taken before the first update."""
    for group in optimizer.param_groups:
        group["lr"] = config.learning_rate * lr_factor(config, iteration)
    policy.model.train()
    off_policy = config.max_off_policy_steps > 0
    proximal = [
        proximal_logprobs(policy, batch, config, device=device, rank=rank, world_size=world_size)
        if off_policy and k > 0
        else None
        for k, batch in enumerate(steps)
    ]
    total = LossMetrics()
    grad_norms = []
    for k, batch in enumerate(steps):
        result = optimizer_step(
            policy,
            optimizer,
            batch,
            config,
            device=device,
            rank=rank,
            world_size=world_size,
            reference=reference,
            proximal=proximal[k],
            off_policy=off_policy,
            measure_mismatch=off_policy or k == 0,
        )
        total = total + result.metrics
        grad_norms.append(result.grad_norm)
    if world_size > 1:
        total = total.all_reduce()
    means = total.means()
    return {
        "loss": means["loss"],
        "clip_fraction": means["clip_fraction"],
        "mean_ratio": means["ratio"],
        "entropy": means["entropy"],
        "kl": means["kl"],
        "grad_norm": max(grad_norms) if grad_norms else 0.0,
        "tokens_trained": int(total.tokens),
        "logprob_mismatch": means["logprob_mismatch"],
        "logprob_mismatch_kl": means["logprob_mismatch_kl"],
        "importance_weight": means["importance_weight"],
        "importance_truncated_fraction": means["importance_truncated_fraction"],
    }
