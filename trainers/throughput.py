"""Throughput figures of a training iteration: tokens per second and MFU (model FLOPs utilisation).

Model FLOPs count what the model must compute, not what an implementation does: 6 FLOPs per
trainable matmul parameter per token (forward 2, backward 4), 4 per frozen one (LoRA's base: no
weight gradient), plus attention's QK^T and PV over the (query, key) pairs the packed mask allows
(:func:`attention_pairs`). MFU divides them by the seconds and the devices' dense bf16 peak, looked
up by device name (:data:`PEAK_BF16_TFLOPS`) or given (``peak_tflops``); a CPU has none, so its MFU
is None unless a peak is given. ``clue train`` logs ``rollout_tokens_per_s``,
``trained_tokens_per_s`` and ``mfu`` every iteration; ``benchmarks/bench_train_gpu.py`` prints the
same figures from the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

#: Dense bf16 tensor-core peaks (TFLOP/s, no sparsity), by a substring of the device name; first match wins.
PEAK_BF16_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),
    ("H200", 989.0),
    ("A100", 312.0),
)


@dataclass(frozen=True)
class ModelCount:
    """Parameters of the model and the model FLOPs of one token's dense part (training)."""

    total: int
    trainable: int
    matmul_trainable: int
    matmul_frozen: int

    @property
    def dense_flops_per_token(self) -> int:
        return 6 * self.matmul_trainable + 4 * self.matmul_frozen


def count_model(model: torch.nn.Module, config: dict[str, Any]) -> ModelCount:
    """Counts over unique parameters; matmul weights are the 2-D ones except the embedding table, plus the
    LM head (a separate weight, or the embedding table again when tied)."""
    total = trainable = mm_train = mm_frozen = 0
    embedding_trains = False
    for name, p in model.named_parameters():
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
        if name.endswith("tok_embeddings.weight"):
            embedding_trains = p.requires_grad
            continue
        if p.dim() == 2:
            if p.requires_grad:
                mm_train += p.numel()
            else:
                mm_frozen += p.numel()
    if config.get("tie_word_embeddings"):
        head = config["vocab_size"] * config["hidden_size"]
        mm_train, mm_frozen = (mm_train + head, mm_frozen) if embedding_trains else (mm_train, mm_frozen + head)
    return ModelCount(total, trainable, mm_train, mm_frozen)


def attention_flops_per_pair(config: dict[str, Any]) -> int:
    """QK^T and PV (2 x 2 x head_dim per head) forward, twice that backward, in every layer."""
    return 12 * config["num_hidden_layers"] * config["hidden_size"]


def peak_tflops(device: torch.device, given: float = 0.0) -> tuple[float | None, str]:
    if given > 0:
        return given, "--peak-tflops"
    if device.type != "cuda":
        return None, "no bf16 peak known for a CPU; pass --peak-tflops"
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_BF16_TFLOPS:
        if key in name:
            return value, f"{key} dense bf16"
    return None, f"no bf16 peak known for {name!r}; pass --peak-tflops"


def attention_pairs(seq_ids: torch.Tensor, parent_ids: torch.Tensor) -> int:
    """(query, key) pairs that :func:`trainers.masks.allowed` allows, over non-padding queries.

    A sequence (stem copy or span) of ``n`` tokens attends causally to itself (``n(n+1)/2``
    pairs); a span also sees every token of its parent stem, which lies before it in the row."""
    real = seq_ids >= 0
    ids = seq_ids[real].to(torch.int64)
    if ids.numel() == 0:
        return 0
    lengths = torch.bincount(ids)
    parent_of = torch.full_like(lengths, -1)
    parent_of[ids] = parent_ids[real].to(torch.int64)
    present = (lengths > 0).nonzero().squeeze(1)
    n = lengths[present]
    parents = parent_of[present]
    span = parents != present
    pairs = int((n * (n + 1) // 2).sum()) + int((n[span] * lengths[parents[span]]).sum())
    return pairs


@dataclass(frozen=True)
class FlopModel:
    """Model FLOPs of training: per token of the dense part, per attended (query, key) pair."""

    per_token: int
    per_pair: int

    @classmethod
    def of(cls, model: torch.nn.Module, config: dict[str, Any]) -> FlopModel:
        """From the model's parameters and its Hugging Face ``config.json`` values."""
        return cls(count_model(model, config).dense_flops_per_token, attention_flops_per_pair(config))

    def flops(self, batches) -> int:
        """The model FLOPs of training on ``batches`` (packed batches: their non-padding tokens and pairs)."""
        return sum(
            self.per_token * b.num_tokens + self.per_pair * attention_pairs(b.seq_ids, b.parent_ids) for b in batches
        )


def per_second(amount: float, seconds: float) -> float | None:
    return round(amount / seconds, 3) if seconds > 0 else None


def mfu(flops: float, seconds: float, peak: float | None, devices: int = 1) -> float | None:
    """``flops`` over ``seconds`` as a share of ``devices`` x ``peak`` TFLOP/s (None without a peak)."""
    if not peak or seconds <= 0:
        return None
    return round(flops / seconds / (peak * 1e12 * devices), 6)
