"""Supervised fine-tuning's data and training step, as plain functions (the ``sft`` recipe's, testable alone).

* :func:`prepare_data` -- the traces of ``SFTConfig.data`` read, filtered, split by puzzle and rendered
  once into samples (:func:`trainers.sft_data.sft_samples`), too-long ones left out: :class:`SFTData`;
* :func:`epoch_order` / :func:`step_indices` -- which training samples step ``i`` takes: each epoch a
  permutation fixed by the seed and the epoch's number (never by Python's salted ``hash``), cut into
  steps of ``samples_per_step`` (the last one takes what is left), so the data position of a run is
  a function of its iteration and a resumed run takes the same samples;
* :func:`pack_samples` -- samples packed into rows (:func:`trainers.packing.pack`: each prompt stored
  once per row; every sample its own span, trained on its replies);
* :func:`sft_loss` -- the token-level cross-entropy of one micro-batch, normalised over the whole
  step's trained tokens (counted before micro-batching and over every rank's rows) and multiplied by
  ``world_size`` (DDP/FSDP average gradients over ranks; see :mod:`trainers.loss`), so the gradient is
  that of the step's mean token loss whatever the micro-batch size and the number of ranks;
* :func:`sft_step` -- one optimizer step: micro-batches, backward, clipping, the update; a non-finite
  loss or gradient, or running out of memory, raises :class:`~trainers.steps.StepError` before anything
  is applied;
* :func:`mean_token_loss` -- the mean token loss of a batch without gradient (the validation loss).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from trainers.advantages import ScoredSample
from trainers.config import ConfigError
from trainers.loss import token_logprobs
from trainers.masks import attention_mask
from trainers.packing import PackedBatch, pack
from trainers.samples import Sample
from trainers.sft_data import sft_samples
from trainers.steps import StepError
from trainers.traces import read_traces, select

#: Positions per chunk of the fp32 log-softmax (as ``GRPOConfig.logprob_chunk``).
LOGPROB_CHUNK = 1024


@dataclass(frozen=True)
class SFTData:
    """The rendered samples of a run: ``train`` and ``val`` (held-out puzzles), in the order read.

    ``traces``: episodes read; ``failed``: left out because their request failed; ``dropped``: per
    filter, how many traces it left out; ``too_long``: samples longer than a row, left out;
    ``val_puzzles``: puzzles held out; ``fingerprint``: SHA-256 of every sample's tokens and trained
    mask (a resumed run must train on the same data)."""

    train: tuple[Sample, ...]
    val: tuple[Sample, ...]
    traces: int
    failed: int
    dropped: dict[str, int]
    too_long: int
    val_puzzles: int
    fingerprint: str

    def summary(self) -> str:
        """One line: what was read and what is trained on."""
        dropped = ", ".join(f"{k} {v}" for k, v in self.dropped.items() if v and k != "failed")
        more = f"; dropped: {dropped}" if dropped else ""
        failed = f" ({self.failed} failed, left out)" if self.failed else ""
        long = f"; {self.too_long} longer than a row, left out" if self.too_long else ""
        return (
            f"data: {self.traces} episodes read{failed}; training on {len(self.train)} traces, "
            f"validating on {len(self.val)} of {self.val_puzzles} held-out puzzles{more}{long}"
        )


def fingerprint(samples: Sequence[Sample]) -> str:
    """SHA-256 of the samples' token ids and trained masks, in order."""
    h = hashlib.sha256()
    for s in samples:
        ids, trained, _ = s.arrays()
        h.update(len(ids).to_bytes(8, "little"))
        h.update(ids.astype("<i8").tobytes())
        h.update(trained.astype("u1").tobytes())
    return h.hexdigest()


def prepare_data(config, tokenizer, workers: int = 1) -> SFTData:
    """``config``'s traces (an :class:`~trainers.sft_config.SFTConfig`) read, filtered, split and rendered
    with ``tokenizer``; samples longer than ``row_len`` left out. :class:`~trainers.traces.TraceError`
    for a bad or empty source or nothing left to train on, :class:`~trainers.config.ConfigError` for
    ``data`` naming nothing or every trace longer than a row."""
    sources = config.sources
    if not sources:
        raise ConfigError(
            "settings: data names no `clue eval` output; give --set data=DIR[,DIR...] (folders or results.jsonl files)"
        )
    read = read_traces(sources, workers=workers)
    split = select(read, config.trace_filter())
    train = sft_samples(split.train, tokenizer)
    val = sft_samples(split.val, tokenizer)
    fits = [s for s in train if len(s) <= config.row_len]
    val_fits = [s for s in val if len(s) <= config.row_len]
    if not fits:
        longest = max(len(s) for s in train)
        raise ConfigError(
            f"settings: every training trace is longer than row_len={config.row_len} tokens (the shortest has "
            f"{min(len(s) for s in train)}, the longest {longest}); raise row_len"
        )
    return SFTData(
        train=tuple(fits),
        val=tuple(val_fits),
        traces=len(read.traces),
        failed=read.failed,
        dropped=dict(split.dropped),
        too_long=len(train) - len(fits) + len(val) - len(val_fits),
        val_puzzles=len(split.val_ids),
        fingerprint=fingerprint([*fits, *val_fits]),
    )


# --------------------------------------------------------------------------- the order of the data


def steps_per_epoch(samples: int, samples_per_step: int) -> int:
    """Optimizer steps in one pass over ``samples`` training samples."""
    return -(-samples // samples_per_step)


def total_iterations(config, samples: int) -> int:
    """The run's optimizer steps: ``iterations``, or ``epochs`` passes over ``samples`` (with ``iterations`` 0)."""
    return config.iterations or config.epochs * steps_per_epoch(samples, config.samples_per_step)


def epoch_order(samples: int, seed: int, epoch: int) -> list[int]:
    """Epoch ``epoch``'s order of the ``samples`` training samples: a permutation fixed by the seed and the
    epoch alone (``random.Random`` seeded with a string is seeded through SHA-512: the same everywhere)."""
    order = list(range(samples))
    random.Random(f"clue-sft\x1f{seed}\x1f{epoch}").shuffle(order)
    return order


def data_position(iteration: int, samples: int, samples_per_step: int) -> tuple[int, int]:
    """``(epoch, step)`` (both from 0) of iteration ``iteration`` (from 0)."""
    return divmod(iteration, steps_per_epoch(samples, samples_per_step))


def step_indices(iteration: int, samples: int, samples_per_step: int, seed: int) -> list[int]:
    """The training samples iteration ``iteration`` (from 0) trains on, by index."""
    epoch, step = data_position(iteration, samples, samples_per_step)
    return epoch_order(samples, seed, epoch)[step * samples_per_step : (step + 1) * samples_per_step]


def pack_samples(samples: Sequence[Sample], indices: Sequence[int], row_len: int) -> PackedBatch:
    """``samples[i]`` for each of ``indices`` packed into rows of ``row_len`` (each one's index its own)."""
    return pack([ScoredSample(samples[i], 1.0, i) for i in indices], row_len)


# --------------------------------------------------------------------------- the loss and the step


@dataclass(frozen=True)
class SFTStepResult:
    """One optimizer step: ``loss``, the mean token loss over every rank's trained tokens (before the
    update); ``tokens``: those tokens; ``grad_norm``: the gradient norm before clipping."""

    loss: float
    tokens: int
    grad_norm: float


def sft_loss(
    logits: torch.Tensor, batch: PackedBatch, *, normalizer: int, world_size: int = 1
) -> tuple[torch.Tensor, float, int]:
    """The cross-entropy of ``batch``'s trained targets (the loss mask) under ``logits``: the micro-batch's
    summed token loss times ``world_size / normalizer`` (``normalizer``: the step's trained tokens over
    every rank, counted before micro-batching), with the plain sum (float) and its token count."""
    if isinstance(normalizer, bool) or not isinstance(normalizer, int | float) or not normalizer > 0:
        raise ValueError(f"normalizer must be > 0 (the step's trained tokens), got {normalizer!r}")
    mask = batch.loss_mask.to(logits.device)
    logprobs = token_logprobs(logits, batch.target_tokens.to(logits.device), mask=mask, chunk_size=LOGPROB_CHUNK)
    total = -(logprobs * mask).sum()
    value = float(total.detach())
    if not math.isfinite(value):
        raise ValueError(f"the loss is not finite ({value}); check the logits")
    return total * (world_size / float(normalizer)), value, int(mask.sum())


def _all_reduce_sums(values: list[float], world_size: int, device: Any) -> list[float]:
    if world_size == 1:
        return values
    import torch.distributed as dist

    on = device if getattr(device, "type", "cpu") == "cuda" else None
    t = torch.tensor(values, dtype=torch.float64, device=on)
    dist.all_reduce(t)
    return t.tolist()


def sft_step(
    policy,
    optimizer,
    batch: PackedBatch,
    *,
    lr: float,
    max_grad_norm: float,
    micro_batch_rows: int,
    device: Any,
    rank: int = 0,
    world_size: int = 1,
) -> SFTStepResult:
    """One optimizer step at ``lr`` over ``batch`` (every rank calls it with the whole batch and trains its
    :meth:`PackedBatch.shard`): :func:`sft_loss` per micro-batch of ``micro_batch_rows``, backward, the
    gradient clipped to ``max_grad_norm`` (0: not clipped), then ``optimizer.step()``."""
    normalizer = batch.num_trained_tokens
    if normalizer == 0:
        raise StepError("the step has no trained token (every reply empty?); nothing was applied")
    for group in optimizer.param_groups:
        group["lr"] = lr
    policy.model.train()
    shard = batch.shard(rank, world_size)
    optimizer.zero_grad(set_to_none=True)
    nll, tokens = 0.0, 0
    try:
        for mb in shard.micro_batches(micro_batch_rows):
            mb = mb.to(device)
            logits = policy.forward(mb.tokens, attention_mask(mb), mb.positions)
            loss, value, n = sft_loss(logits, mb, normalizer=normalizer, world_size=world_size)
            loss.backward()
            nll, tokens = nll + value, tokens + n
            del logits, loss
    except torch.OutOfMemoryError:
        optimizer.zero_grad(set_to_none=True)
        raise StepError(
            f"out of memory in the training step (micro_batch_rows={micro_batch_rows}, row_len={batch.row_len}); "
            "lower them or turn on activation_checkpointing"
        ) from None
    except ValueError as err:  # a non-finite loss
        optimizer.zero_grad(set_to_none=True)
        raise StepError(f"{err}; nothing was applied") from None
    norm = torch.nn.utils.clip_grad_norm_(
        policy.trainable_parameters(), max_grad_norm if max_grad_norm > 0 else math.inf
    )
    norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)
    if not math.isfinite(norm):
        optimizer.zero_grad(set_to_none=True)
        raise StepError(f"the gradient norm is {norm}; nothing was applied")
    optimizer.step()
    nll, tokens = _all_reduce_sums([nll, float(tokens)], world_size, device)
    return SFTStepResult(nll / max(tokens, 1), int(round(tokens)), norm)


def mean_token_loss(
    policy, batch: PackedBatch, *, micro_batch_rows: int, device: Any, rank: int = 0, world_size: int = 1
) -> float:
    """The mean token loss of ``batch``'s trained targets, without gradient (every rank calls it with the
    whole batch and runs its shard; FSDP gathers collectively)."""
    policy.model.eval()
    nll, tokens = 0.0, 0
    with torch.no_grad():
        for mb in batch.shard(rank, world_size).micro_batches(micro_batch_rows):
            mb = mb.to(device)
            logits = policy.forward(mb.tokens, attention_mask(mb), mb.positions)
            _, value, n = sft_loss(logits, mb, normalizer=1)
            nll, tokens = nll + value, tokens + n
            del logits
    policy.model.train()
    nll, tokens = _all_reduce_sums([nll, float(tokens)], world_size, device)
    return nll / max(tokens, 1)


__all__ = [
    "SFTData",
    "SFTStepResult",
    "data_position",
    "epoch_order",
    "fingerprint",
    "mean_token_loss",
    "pack_samples",
    "prepare_data",
    "sft_loss",
    "sft_step",
    "step_indices",
    "steps_per_epoch",
    "total_iterations",
]
