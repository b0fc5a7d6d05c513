"""The attention mask of a packed batch: one definition, built two ways.

:func:`allowed` is the definition: query ``q`` may attend key ``k`` iff ``k <= q``, ``q`` is
not padding, and ``k`` belongs to ``q``'s own sequence (stem copy or sample span) or to the
stem ``q``'s span continues; in addition every token attends to itself, so a padding token
(which attends to nothing else) still gets a finite output. Nothing attends to padding.

* :func:`block_mask`: a FlexAttention ``BlockMask`` from :func:`mask_mod` (no dense
  ``seq x seq`` tensor, only per-block metadata); for CUDA, where torchtune's attention runs
  ``flex_attention`` when it is given a ``BlockMask``.
* :func:`dense_mask`: the ``[rows, seq, seq]`` boolean tensor (True = attend) that torchtune
  hands to SDPA; for the CPU, where FlexAttention has no backward (torch 2.13). At 16k tokens
  it is 256M entries per row: use it for CPU-sized rows.

Both evaluate the same :func:`allowed` on the same ``seq_ids``/``parent_ids`` (tested equal).
torchtune's ``TransformerDecoder.forward(tokens, mask=..., input_pos=batch.positions)`` takes
either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from trainers.packing import PackedBatch

if TYPE_CHECKING:
    from torch.nn.attention.flex_attention import BlockMask


class MaskError(ValueError):
    """Ids given to a mask builder are malformed; the message says how."""


def allowed(
    q_idx: torch.Tensor, kv_idx: torch.Tensor, seq_q: torch.Tensor, seq_kv: torch.Tensor, parent_q: torch.Tensor
) -> torch.Tensor:
    """The mask, elementwise (broadcasting): may the query at ``q_idx`` attend the key at ``kv_idx``?"""
    same = (seq_kv == seq_q) | (seq_kv == parent_q)
    return ((kv_idx <= q_idx) & (seq_q >= 0) & same) | (q_idx == kv_idx)


def mask_mod(seq_ids: torch.Tensor, parent_ids: torch.Tensor):
    """A FlexAttention ``mask_mod(b, h, q_idx, kv_idx)`` over ``[rows, seq]`` id tensors."""

    def fn(b, h, q_idx, kv_idx):
        return allowed(q_idx, kv_idx, seq_ids[b, q_idx], seq_ids[b, kv_idx], parent_ids[b, q_idx])

    return fn


def _check(seq_ids: torch.Tensor, parent_ids: torch.Tensor) -> None:
    if seq_ids.dim() != 2 or seq_ids.shape != parent_ids.shape:
        raise MaskError(
            f"seq_ids and parent_ids must both be [rows, seq]; got {tuple(seq_ids.shape)} and {tuple(parent_ids.shape)}"
        )
    if seq_ids.dtype.is_floating_point or parent_ids.dtype.is_floating_point:
        raise MaskError("seq_ids and parent_ids must be integer tensors")


def dense_mask(seq_ids: torch.Tensor, parent_ids: torch.Tensor, query_chunk: int = 1024) -> torch.Tensor:
    """The ``[rows, seq, seq]`` boolean mask (True = attend), on the ids' device.

    :func:`mask_mod` evaluated at every (query, key) pair, ``query_chunk`` queries at a time (so the
    temporaries are ``rows x query_chunk x seq``, not ``rows x seq x seq``).
    """
    _check(seq_ids, parent_ids)
    rows, seq = seq_ids.shape
    idx = torch.arange(seq, device=seq_ids.device)
    b = torch.arange(rows, device=seq_ids.device)[:, None, None]
    fn = mask_mod(seq_ids, parent_ids)
    out = torch.empty(rows, seq, seq, dtype=torch.bool, device=seq_ids.device)
    for start in range(0, seq, query_chunk):
        q = idx[start : start + query_chunk]
        out[:, start : start + query_chunk] = fn(b, None, q[None, :, None], idx[None, None, :])
    return out


def block_mask(seq_ids: torch.Tensor, parent_ids: torch.Tensor, block_size: int = 128) -> BlockMask:
    """A FlexAttention ``BlockMask`` on the ids' device (rows of a multiple of ``block_size`` tokens work best)."""
    from torch.nn.attention.flex_attention import create_block_mask

    _check(seq_ids, parent_ids)
    rows, seq = seq_ids.shape
    return create_block_mask(
        mask_mod(seq_ids, parent_ids), rows, None, seq, seq, device=seq_ids.device, BLOCK_SIZE=block_size
    )


def attention_mask(batch: PackedBatch, kind: str = "auto") -> torch.Tensor | BlockMask:
    """The mask for ``batch`` (on its device): ``block``, ``dense``, or ``auto`` (block on CUDA, else dense)."""
    if kind == "auto":
        kind = "block" if batch.seq_ids.is_cuda else "dense"
    if kind == "block":
        return block_mask(batch.seq_ids, batch.parent_ids)
    if kind == "dense":
        return dense_mask(batch.seq_ids, batch.parent_ids)
    raise MaskError(f"mask kind must be 'auto', 'block' or 'dense', got {kind!r}")
