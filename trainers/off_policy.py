"""Rollouts sampled by older weights (``max_off_policy_steps``): the correction and the mismatch, as tensor code.

Three policies meet in a training step. The *behaviour* policy sampled the tokens: the engine,
whose logprobs come with the rollouts (``sampling_logprobs``). The *proximal* policy is the
trainer's weights at the start of the iteration, its logprobs taken without gradient before the
iteration's first update. The *current* policy is the one being trained (with gradient).

Synchronous (``max_off_policy_steps = 0``): the engine sampled with the trainer's weights, so
behaviour and proximal are the same policy up to numerics; the loss is the plain clipped ratio
against the sampling logprobs (:func:`trainers.loss.grpo_loss` as ever) and nothing here changes it.

Pipelined (``max_off_policy_steps = 1``): iteration i's rollouts were sampled with the weights
of iteration i - 1 while iteration i - 1 trained. The loss is then the decoupled objective
(Hilton et al. 2021, "Batch size-invariance for policy optimization"; AReaL): the PPO ratio is
taken against the proximal policy, clipped as usual, and each token weighted by how much more
likely the proximal policy makes it than the engine did::

    ratio_t = exp(logprob_t - proximal_t)
    pg_t    = -w_t * min(ratio_t * A, clip(ratio_t, 1 - eps_low, 1 + eps_high) * A)

    token:     w_t = min(exp(proximal_t - sampling_t), cap)        truncated importance sampling
    sequence:  w_t = 1 if 1/cap <= exp(mean_s(proximal - sampling)) <= cap else 0, for every token
               of the sample s holding t (a sample the engine drifted too far on is masked)

(``off_policy_correction`` and ``importance_weight_cap``; TRL's ``vllm_importance_sampling_*``
and OpenRLHF's ``is_correction_type`` are the same two forms). The weights carry no gradient.

The *mismatch* between the engine and the trainer is logged every iteration, at either setting:
over trained tokens, the mean of ``|trainer - sampling|`` and the k3 estimate of
KL(behaviour || trainer), ``r - 1 - log r`` with ``r = exp(trainer - sampling)`` (0 when the two
agree). At 0 it is the numerical gap between vLLM's kernels and the trainer's on the same weights;
at 1 it adds one iteration's change of the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from trainers.config import OFF_POLICY_CORRECTIONS as CORRECTIONS


class CorrectionError(ValueError):
    """Tensors given to the correction do not fit together; the message says which and how."""


@dataclass(frozen=True)
class Mismatch:
    """Sums over trained tokens (add them over micro-batches and ranks, then divide by ``tokens``)."""

    tokens: int
    abs_sum: float
    """Sum of ``|trainer - sampling|``."""
    kl_sum: float
    """Sum of the k3 estimates of KL(behaviour || trainer)."""


def _check(name: str, t: torch.Tensor, like: torch.Tensor) -> None:
    if t.shape != like.shape:
        raise CorrectionError(f"{name} must be {list(like.shape)} like the loss mask, got {list(t.shape)}")


def logprob_mismatch(trainer: torch.Tensor, sampling: torch.Tensor, mask: torch.Tensor) -> Mismatch:
    """How far the trainer's logprobs of the trained tokens are from the engine's (no gradient)."""
    _check("trainer", trainer, mask)
    _check("sampling", sampling, mask)
    with torch.no_grad():
        d = (trainer.detach().to(torch.float64) - sampling.to(torch.float64))[mask]
        kl = torch.expm1(d) - d  # r - 1 - log r with log r = d: >= 0, 0 only at d = 0
        return Mismatch(tokens=int(mask.sum()), abs_sum=float(d.abs().sum()), kl_sum=float(kl.sum()))


def importance_weights(
    proximal: torch.Tensor,
    sampling: torch.Tensor,
    mask: torch.Tensor,
    sample_index: torch.Tensor,
    *,
    mode: str = "token",
    cap: float = 2.0,
) -> tuple[torch.Tensor, int]:
    """The per-token weights ``w`` of the module docstring (``[rows, seq]``, float64, 0 off ``mask``,
    no gradient) and how many trained tokens were truncated (``token``: ``w`` capped) or masked
    (``sequence``: their sample's ratio outside ``[1/cap, cap]``).

    ``proximal``/``sampling``: logprobs of the targets; ``mask``: trained targets (bool);
    ``sample_index``: the sample each position belongs to (``PackedBatch.sample_index``: a sample's
    tokens all lie in one row of a packed batch, so a micro-batch holds every token of its samples).
    """
    for name, t in (("proximal", proximal), ("sampling", sampling), ("sample_index", sample_index)):
        _check(name, t, mask)
    if mask.dtype != torch.bool:
        raise CorrectionError(f"mask must be bool, got {mask.dtype}")
    if mode not in CORRECTIONS:
        raise CorrectionError(f"mode must be one of {', '.join(CORRECTIONS)}, got {mode!r}")
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not cap > 1:
        raise CorrectionError(f"cap must be a number > 1, got {cap!r}")
    with torch.no_grad():
        d = torch.where(mask, proximal.detach().to(torch.float64) - sampling.to(torch.float64), 0.0)
        if mode == "token":
            raw = torch.exp(d)
            weights = torch.where(mask, raw.clamp(max=float(cap)), 0.0)
            return weights, int((mask & (raw > cap)).sum())
        ids = torch.where(mask, sample_index, -1).reshape(-1)
        trained = ids >= 0
        ids_t = ids[trained]
        uniq, slot = torch.unique(ids_t, return_inverse=True)
        total = torch.zeros(uniq.numel(), dtype=torch.float64, device=d.device).index_add_(
            0, slot, d.reshape(-1)[trained]
        )
        count = torch.zeros(uniq.numel(), dtype=torch.float64, device=d.device).index_add_(
            0, slot, torch.ones_like(ids_t, dtype=torch.float64)
        )
        log_ratio = total / count  # the log of the sample's geometric-mean ratio
        keep = (log_ratio.abs() <= torch.log(torch.tensor(float(cap), dtype=torch.float64))).to(torch.float64)
        flat = torch.zeros(ids.numel(), dtype=torch.float64, device=d.device)
        flat[trained] = keep[slot]
        weights = flat.view(mask.shape)
        return weights, int((mask & (weights == 0)).sum())
