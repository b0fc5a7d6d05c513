"""Token logprobs from logits (chunked) and the clipped GRPO policy-gradient loss, with its metrics.

Logprobs. :func:`token_logprobs` gives ``log softmax(logits / T)[target]`` per position with
its own autograd function: the forward pass converts ``chunk_size`` positions at a time to
fp32 (fp64 for fp64 logits), keeps only each position's log-sum-exp, and the backward pass
recomputes the softmax chunk by chunk. So a 150k vocabulary x 16k tokens never holds an fp32
log-softmax (9.8 GB) at once, and nothing but the logits themselves (already in memory) is
saved for backward. With ``mask``, only the masked positions are computed (their gradient is
0 elsewhere), which skips stems and padding. ``logits`` may also be the list of sequence chunks
that torchtune's ``TransformerDecoder`` returns after ``set_num_output_chunks``.

Loss, per trained token ``t`` of a sample with advantage ``A``::

    ratio  = exp(logprob - sampling_logprob)
    pg     = -min(ratio * A, clip(ratio, 1 - epsilon_low, 1 + epsilon_high) * A)
    kl     = exp(ref - logprob) - (ref - logprob) - 1          (k3 estimator; only if kl_coef > 0)
    loss_t = pg + kl_coef * kl

With pipelined rollouts (``max_off_policy_steps`` > 0, ``PackedBatch.proximal_logprobs`` set)
the ratio is taken against the trainer's logprobs at the start of the iteration instead, and
``pg`` is weighted by the truncated importance weight of :mod:`trainers.off_policy`;

summed with weight 1 (``loss_normalization="token"``) or ``1 / n_s``, the sample's trained-token
count (``"sequence"``), and divided by ``normalizer``: the trained tokens (or samples) of the
whole iteration, counted before micro-batching (``PackedBatch.normalizer`` on the full batch).
Summing the micro-batches' losses (gradient accumulation) then gives the same gradient
whatever the micro-batch size. Across ranks: DDP and FSDP *average* gradients over the
``world_size`` ranks, so each rank's loss is multiplied by ``world_size`` (and ``normalizer``
is the count over all ranks' rows): the average of the ranks' gradients is then the gradient of
the sum over every rank's tokens divided by the global count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch

from trainers.config import GRPOConfig
from trainers.off_policy import importance_weights, logprob_mismatch
from trainers.packing import PackedBatch

#: LossMetrics fields that count tokens (integers after a sum over ranks).
_COUNTS = ("tokens", "clipped", "weight_truncated", "mismatch_tokens")


class LossInputError(ValueError):
    """Tensors given to the loss do not fit together; the message says which and how."""


def _acc_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


class _TokenLogprobs(torch.autograd.Function):
    """logits [N, V], targets [N], index [M] (positions to compute) -> logprobs [N], entropy [N]."""

    @staticmethod
    def forward(ctx, logits, targets, index, temperature, chunk_size, want_entropy):
        acc = _acc_dtype(logits.dtype)
        n = logits.shape[0]
        out = torch.zeros(n, dtype=acc, device=logits.device)
        ent = torch.zeros(n if want_entropy else 0, dtype=acc, device=logits.device)
        lse_all = torch.zeros(index.numel(), dtype=acc, device=logits.device)
        for start in range(0, index.numel(), chunk_size):
            idx = index[start : start + chunk_size]
            z = logits.index_select(0, idx).to(acc)
            if temperature != 1.0:
                z = z / temperature
            lse = torch.logsumexp(z, dim=-1)
            lse_all[start : start + idx.numel()] = lse
            out[idx] = z.gather(1, targets[idx, None]).squeeze(1) - lse
            if want_entropy:
                p = torch.exp(z - lse[:, None])
                ent[idx] = lse - (p * z).sum(-1)
        ctx.save_for_backward(logits, targets, index, lse_all)
        ctx.temperature = temperature
        ctx.chunk_size = chunk_size
        ctx.mark_non_differentiable(ent)
        return out, ent

    @staticmethod
    def backward(ctx, grad_out, _grad_ent):
        logits, targets, index, lse_all = ctx.saved_tensors
        acc = _acc_dtype(logits.dtype)
        t = ctx.temperature
        grad = torch.zeros_like(logits)
        for start in range(0, index.numel(), ctx.chunk_size):
            idx = index[start : start + ctx.chunk_size]
            z = logits.index_select(0, idx).to(acc)
            if t != 1.0:
                z = z / t
            g = grad_out[idx].to(acc)
            # d logprob[target] / d z = onehot(target) - softmax(z)
            gz = torch.exp(z - lse_all[start : start + idx.numel(), None]) * (-g[:, None])
            gz.scatter_add_(1, targets[idx, None], g[:, None])
            if t != 1.0:
                gz = gz / t
            grad.index_copy_(0, idx, gz.to(logits.dtype))
        return grad, None, None, None, None, None


def _token_logprobs(logits, targets, mask, temperature, chunk_size, want_entropy):
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise LossInputError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    if not temperature > 0:
        raise LossInputError(f"temperature must be > 0, got {temperature!r}")
    chunks = [logits] if isinstance(logits, torch.Tensor) else list(logits)
    if not chunks or any(c.dim() != 3 for c in chunks):
        raise LossInputError("logits must be a [rows, seq, vocab] tensor or a list of such chunks along seq")
    seq = sum(c.shape[1] for c in chunks)
    if targets.dim() != 2 or targets.shape != (chunks[0].shape[0], seq):
        raise LossInputError(
            f"targets must be [rows, seq] = {[chunks[0].shape[0], seq]} to match the logits, got {list(targets.shape)}"
        )
    if mask is not None and mask.shape != targets.shape:
        raise LossInputError(f"mask must have the targets' shape {list(targets.shape)}, got {list(mask.shape)}")
    lps, ents, at = [], [], 0
    for c in chunks:
        s = c.shape[1]
        flat = c.reshape(-1, c.shape[-1])
        tgt = targets[:, at : at + s].reshape(-1).to(torch.int64)
        if mask is None:
            index = torch.arange(flat.shape[0], device=flat.device)
        else:
            index = mask[:, at : at + s].reshape(-1).nonzero().squeeze(1)
        lp, ent = _TokenLogprobs.apply(flat, tgt, index, float(temperature), chunk_size, want_entropy)
        lps.append(lp.view(c.shape[0], s))
        if want_entropy:
            ents.append(ent.view(c.shape[0], s))
        at += s
    lp = torch.cat(lps, dim=1) if len(lps) > 1 else lps[0]
    ent = (torch.cat(ents, dim=1) if len(ents) > 1 else ents[0]) if want_entropy else None
    return lp, ent


def token_logprobs(
    logits: torch.Tensor | Sequence[torch.Tensor],
    targets: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    temperature: float = 1.0,
    chunk_size: int = 4096,
) -> torch.Tensor:
    """``[rows, seq]`` logprobs of ``targets`` under ``softmax(logits / temperature)`` (0 outside ``mask``)."""
    return _token_logprobs(logits, targets, mask, temperature, chunk_size, False)[0]


def token_logprobs_and_entropy(
    logits: torch.Tensor | Sequence[torch.Tensor],
    targets: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    temperature: float = 1.0,
    chunk_size: int = 4096,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`token_logprobs` and each position's entropy (no gradient) from the same chunked pass."""
    lp, ent = _token_logprobs(logits, targets, mask, temperature, chunk_size, True)
    return lp, ent


def batch_logprobs(
    logits: torch.Tensor | Sequence[torch.Tensor], batch: PackedBatch, config: GRPOConfig, *, entropy: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logprobs (and entropies, if asked) of ``batch``'s trained targets, with the config's temperature/chunk."""
    return _token_logprobs(
        logits, batch.target_tokens, batch.loss_mask, config.temperature, config.logprob_chunk, entropy
    )


@dataclass
class LossMetrics:
    """Sums over one micro-batch's trained tokens; add them up over micro-batches and ranks, then :meth:`means`."""

    loss: float = 0.0
    """This micro-batch's share of the iteration loss (the world-size factor taken out)."""
    policy_loss: float = 0.0
    """The policy-gradient part of ``loss``."""
    kl_loss: float = 0.0
    """The ``kl_coef * kl`` part of ``loss``."""
    tokens: int = 0
    """Trained tokens."""
    clipped: int = 0
    """Trained tokens whose clipped term was chosen (no gradient through the ratio)."""
    ratio_sum: float = 0.0
    """Sum of importance ratios."""
    entropy_sum: float = 0.0
    """Sum of entropies (exact from logits when given, else the estimate -logprob of the sampled token)."""
    entropy_exact: bool = True
    """False when any part used the -logprob estimate."""
    kl_sum: float = 0.0
    """Sum of k3 KL estimates (0 without reference logprobs)."""
    weight_sum: float = 0.0
    """Sum of the off-policy importance weights (1 per token when rollouts are on-policy)."""
    weight_truncated: int = 0
    """Trained tokens whose importance weight was capped or masked (:mod:`trainers.off_policy`)."""
    mismatch_tokens: int = 0
    """Trained tokens the engine-vs-trainer logprob mismatch was measured on."""
    mismatch_abs_sum: float = 0.0
    """Sum of ``|trainer logprob - sampling logprob|`` over them."""
    mismatch_kl_sum: float = 0.0
    """Sum of the k3 estimates of KL(engine || trainer) over them."""

    def __add__(self, other: LossMetrics) -> LossMetrics:
        out = LossMetrics()
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            setattr(out, f.name, (a and b) if f.name == "entropy_exact" else a + b)
        return out

    def all_reduce(self, group=None) -> LossMetrics:
        """The sum over every rank of ``torch.distributed`` (call on all ranks; on the GPU under NCCL)."""
        import torch.distributed as dist

        names = [f.name for f in fields(self) if f.name != "entropy_exact"]
        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend(group) == "nccl" else None
        values = [float(getattr(self, n)) for n in names] + [float(not self.entropy_exact)]
        t = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(t, group=group)
        out = LossMetrics(**{n: (int(round(v)) if n in _COUNTS else v) for n, v in zip(names, t.tolist())})
        out.entropy_exact = t[-1].item() == 0
        return out

    def means(self) -> dict[str, float | None]:
        """The figures to log: loss, policy_loss, kl_loss, clip_fraction, ratio, entropy, kl, tokens,
        importance_weight, importance_truncated_fraction, and logprob_mismatch(_kl) (None if not measured)."""
        n = max(self.tokens, 1)
        m = self.mismatch_tokens
        return {
            "importance_weight": self.weight_sum / n,
            "importance_truncated_fraction": self.weight_truncated / n,
            "logprob_mismatch": self.mismatch_abs_sum / m if m else None,
            "logprob_mismatch_kl": self.mismatch_kl_sum / m if m else None,
            "loss": self.loss,
            "policy_loss": self.policy_loss,
            "kl_loss": self.kl_loss,
            "clip_fraction": self.clipped / n,
            "ratio": self.ratio_sum / n,
            "entropy": self.entropy_sum / n,
            "kl": self.kl_sum / n,
            "tokens": float(self.tokens),
        }


def grpo_loss(
    logprobs: torch.Tensor,
    batch: PackedBatch,
    config: GRPOConfig,
    *,
    normalizer: int | float,
    world_size: int = 1,
    ref_logprobs: torch.Tensor | None = None,
    entropy: torch.Tensor | None = None,
    measure_mismatch: bool = False,
) -> tuple[torch.Tensor, LossMetrics]:
    """The clipped GRPO loss of one micro-batch and its metrics; see the module docstring.

    ``logprobs`` (with gradient) and ``ref_logprobs``/``entropy`` (without) are ``[rows, seq]``
    over ``batch``'s targets (:func:`batch_logprobs`). Call ``backward`` on each micro-batch's
    loss; do not average them. With ``batch.proximal_logprobs`` (off-policy rollouts), the ratio is
    taken against them and each token weighted as :func:`trainers.off_policy.importance_weights`
    says. ``measure_mismatch``: also measure the engine-vs-trainer mismatch, with the proximal
    logprobs or, without them, ``logprobs`` (right only before the iteration's first update).
    """
    if logprobs.shape != batch.loss_mask.shape:
        raise LossInputError(
            f"logprobs must be {list(batch.loss_mask.shape)} like the batch, got {list(logprobs.shape)}"
        )
    if isinstance(normalizer, bool) or not isinstance(normalizer, int | float) or not normalizer > 0:
        raise LossInputError(
            f"normalizer must be > 0 (the iteration's trained tokens or samples, before micro-batching), got {normalizer!r}"
        )
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise LossInputError(f"world_size must be an integer >= 1, got {world_size!r}")
    if config.kl_coef > 0 and ref_logprobs is None:
        raise LossInputError("kl_coef > 0 needs ref_logprobs (the reference model's batch_logprobs, without gradient)")
    for name, t in (("ref_logprobs", ref_logprobs), ("entropy", entropy)):
        if t is not None and t.shape != logprobs.shape:
            raise LossInputError(f"{name} must have the logprobs' shape {list(logprobs.shape)}, got {list(t.shape)}")
    dtype = torch.promote_types(logprobs.dtype, torch.float32)
    device = logprobs.device
    mask = batch.loss_mask.to(device)
    sampling = batch.sampling_logprobs.to(device, dtype)
    proximal = batch.proximal_logprobs
    old = sampling if proximal is None else proximal.to(device, dtype)
    adv = batch.advantages.to(device, dtype)
    lp = torch.where(mask, logprobs.to(dtype), old)  # ratio 1 off the mask: no inf * 0 there
    ratio = torch.exp(lp - old)
    clipped_ratio = ratio.clamp(1.0 - config.epsilon_low, 1.0 + config.epsilon_high)
    pg = -torch.minimum(ratio * adv, clipped_ratio * adv)
    truncated = 0
    if proximal is not None:  # rollouts of older weights: the decoupled objective (trainers.off_policy)
        is_weight, truncated = importance_weights(
            old,
            sampling,
            mask,
            batch.sample_index.to(device),
            mode=config.off_policy_correction,
            cap=config.importance_weight_cap,
        )
        pg = pg * is_weight.to(dtype)
    if config.loss_normalization == "token":
        weights = mask.to(dtype)
    else:
        weights = mask.to(dtype) / batch.sample_tokens.to(device, dtype).clamp(min=1)
    scale = world_size / float(normalizer)
    policy_loss = (pg * weights).sum() * scale
    kl = None
    if ref_logprobs is not None:
        d = torch.where(mask, ref_logprobs.to(device, dtype) - lp, torch.zeros((), dtype=dtype, device=device))
        kl = torch.exp(d) - d - 1.0
    kl_loss = (kl * weights).sum() * (config.kl_coef * scale) if (kl is not None and config.kl_coef > 0) else None
    loss = policy_loss if kl_loss is None else policy_loss + kl_loss

    with torch.no_grad():
        tokens = int(mask.sum())
        is_clipped = ((adv > 0) & (ratio > 1.0 + config.epsilon_high)) | (
            (adv < 0) & (ratio < 1.0 - config.epsilon_low)
        )
        ent = entropy.to(device, dtype) if entropy is not None else -lp
        weight_sum = float(is_weight[mask].sum()) if proximal is not None else float(tokens)
        mismatch = logprob_mismatch(old if proximal is not None else lp, sampling, mask) if measure_mismatch else None
        metrics = LossMetrics(
            loss=float(loss) / world_size,
            policy_loss=float(policy_loss) / world_size,
            kl_loss=0.0 if kl_loss is None else float(kl_loss) / world_size,
            tokens=tokens,
            clipped=int((is_clipped & mask).sum()),
            ratio_sum=float(ratio[mask].sum()),
            entropy_sum=float(ent[mask].sum()),
            entropy_exact=entropy is not None or tokens == 0,
            kl_sum=0.0 if kl is None else float(kl[mask].sum()),
            weight_sum=weight_sum,
            weight_truncated=truncated,
            mismatch_tokens=mismatch.tokens if mismatch else 0,
            mismatch_abs_sum=mismatch.abs_sum if mismatch else 0.0,
            mismatch_kl_sum=mismatch.kl_sum if mismatch else 0.0,
        )
    if not math.isfinite(metrics.loss):
        raise LossInputError(f"the loss is not finite ({metrics.loss}); check the logits and sampling logprobs")
    return loss, metrics
