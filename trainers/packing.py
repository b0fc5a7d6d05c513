"""Packing samples into fixed-length rows, each group's shared prompt stored once per row.

Layout. Samples whose prompts are the same token ids (the samples of one task) form a *unit*.
In every row that holds some of a unit's samples, the unit's prompt minus its last token (the
*stem*, positions ``0 .. P-2``) is stored once, followed by each of those samples as one
contiguous *span*: its own copy of the prompt's last token (position ``P-1``), then all its
later tokens (positions ``P, P+1, ...``, as if the prompt were repeated before each sample).
So every sampled token has its own predicting position (the logits at a span position predict
the next token of the same span), at the cost of one token per sample. A row may hold several
units (each with its stem); a unit that does not fit one row splits across rows, its stem
repeated in each. Padding fills the end of a row.

Ids. Each stem copy and each span gets an id (``seq_ids``), unique in the batch; ``parent_ids``
is, for a span token, the id of the stem it continues (for a stem token, its own id; for a
one-token prompt there is no stem, and a span is its own parent). Padding is ``-1`` in both.
:mod:`trainers.masks` turns these into the attention mask: a token sees the earlier tokens of
its own span or stem and of its parent stem, nothing else.

Targets. Per row position: ``target_tokens`` (the next token of the same span), ``loss_mask``
(that target is trained), its ``sampling_logprobs``, the sample's ``advantages``, and
``sample_tokens`` (the sample's trained-token count, for sequence-level normalisation).

Placement: units in order of decreasing size, each unit's samples longest first; a sample goes
into the fullest row that already holds its unit's stem and has room (best fit), else into the
fullest row with room for the stem and the sample, else into a new row. A sample longer than a
row (stem included) is never truncated: it is left out and listed in ``PackedBatch.too_long``.
Deterministic: the same samples in the same order give the same rows, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import torch

from trainers.advantages import ScoredSample


class PackingError(ValueError):
    """Bad input to :func:`pack` or to a batch's row selection; the message says what and how to fix it."""


@dataclass(frozen=True)
class PackedBatch:
    """Rows of packed samples. Every tensor is ``[rows, row_len]`` on the CPU; ``.to(device)`` moves them."""

    tokens: torch.Tensor
    """Input token ids (int64; 0 on padding)."""
    positions: torch.Tensor
    """Position ids for RoPE (int64; a span continues from the end of its prompt; 0 on padding)."""
    seq_ids: torch.Tensor
    """Id of the stem copy or sample span each token belongs to (int64, unique in the batch; -1 = padding)."""
    parent_ids: torch.Tensor
    """Id of the stem a span continues; a stem's own id for stem tokens (int64; -1 = padding)."""
    sample_index: torch.Tensor
    """``ScoredSample.index`` of the sample a span token belongs to (int64; -1 on stems and padding)."""
    target_tokens: torch.Tensor
    """The token the logits at this position predict (int64; 0 where nothing is predicted)."""
    loss_mask: torch.Tensor
    """True where the target is a trained token (bool)."""
    sampling_logprobs: torch.Tensor
    """The target's logprob under the sampling policy (float64; 0 where not trained)."""
    advantages: torch.Tensor
    """The sample's advantage at each of its span positions (float64; 0 elsewhere)."""
    sample_tokens: torch.Tensor
    """The sample's trained-token count at each of its span positions (int64; 0 elsewhere)."""
    samples: tuple[int, ...]
    """``ScoredSample.index`` of each sample packed here, in placement order."""
    too_long: tuple[int, ...]
    """``ScoredSample.index`` of each sample of the whole :func:`pack` call that did not fit a row (left out,
    not truncated); :meth:`select_rows` keeps it as is."""
    prompt_copies: int
    """How many stems these rows store (one per unit per row it appears in)."""
    proximal_logprobs: torch.Tensor | None = None
    """The target's logprob under the trainer's weights at the start of the iteration (float64, no gradient;
    0 where not trained), set only when rollouts may be off-policy (``max_off_policy_steps`` > 0):
    see :mod:`trainers.off_policy`. None: the sampling policy is the trainer's own."""

    @property
    def num_rows(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def row_len(self) -> int:
        return int(self.tokens.shape[1])

    @property
    def num_trained_tokens(self) -> int:
        """Trained tokens in these rows (the token-level normaliser, over a whole iteration's batch)."""
        return int(self.loss_mask.sum())

    @property
    def num_samples(self) -> int:
        """Samples with trained tokens in these rows (the sequence-level normaliser)."""
        return int(torch.unique(self.sample_index[self.loss_mask]).numel())

    @property
    def num_tokens(self) -> int:
        """Non-padding tokens in these rows."""
        return int((self.seq_ids >= 0).sum())

    def normalizer(self, mode: str) -> int:
        """The loss normaliser of this batch: trained tokens (``token``) or trained samples (``sequence``)."""
        if mode == "token":
            return self.num_trained_tokens
        if mode == "sequence":
            return self.num_samples
        raise PackingError(f"normalizer mode must be 'token' or 'sequence', got {mode!r}")

    def _tensor_fields(self) -> list[str]:
        return [f.name for f in fields(self) if isinstance(getattr(self, f.name), torch.Tensor)]

    def to(self, device: torch.device | str) -> PackedBatch:
        """The same batch with every tensor on ``device``."""
        return replace(self, **{name: getattr(self, name).to(device) for name in self._tensor_fields()})

    def select_rows(self, rows: Sequence[int]) -> PackedBatch:
        """A batch of the given rows (in that order); an index of ``-1`` adds an all-padding row."""
        rows = list(rows)
        bad = [r for r in rows if isinstance(r, bool) or not isinstance(r, int) or not -1 <= r < self.num_rows]
        if bad:
            raise PackingError(f"row indices must be in 0..{self.num_rows - 1} (or -1 for padding), got {bad[:5]}")
        out = {}
        for name in self._tensor_fields():
            t = getattr(self, name)
            empty = torch.full((1, self.row_len), -1 if name in ("seq_ids", "parent_ids", "sample_index") else 0)
            empty = empty.to(t.dtype)
            out[name] = torch.cat([t[r : r + 1] if r >= 0 else empty for r in rows]) if rows else t[:0]
        present = set(out["sample_index"][out["sample_index"] >= 0].tolist())
        stem = (out["sample_index"] < 0) & (out["seq_ids"] >= 0)
        copies = int(torch.unique(out["seq_ids"][stem]).numel())
        return replace(self, **out, samples=tuple(i for i in self.samples if i in present), prompt_copies=copies)

    def micro_batches(self, rows_per_batch: int) -> list[PackedBatch]:
        """Consecutive slices of ``rows_per_batch`` rows (the last may be shorter)."""
        if isinstance(rows_per_batch, bool) or not isinstance(rows_per_batch, int) or rows_per_batch < 1:
            raise PackingError(f"rows_per_batch must be an integer >= 1, got {rows_per_batch!r}")
        return [
            self.select_rows(range(i, min(i + rows_per_batch, self.num_rows)))
            for i in range(0, self.num_rows, rows_per_batch)
        ]

    def shard(self, rank: int, world_size: int) -> PackedBatch:
        """Rank ``rank``'s rows (``rank, rank + world_size, ...``), padded with empty rows so every rank
        gets the same number (DDP/FSDP ranks must run the same number of forward passes)."""
        if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
            raise PackingError(f"world_size must be an integer >= 1, got {world_size!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
            raise PackingError(f"rank must be in 0..{world_size - 1}, got {rank!r}")
        per_rank = -(-self.num_rows // world_size)
        rows = [r if r < self.num_rows else -1 for r in range(rank, per_rank * world_size, world_size)]
        return self.select_rows(rows)


@dataclass
class _Unit:
    prompt: tuple[int, ...]
    members: list[int]  # positions in the scored list
    rows: list[int]


def _place(spans: list[int], units: list[_Unit], row_len: int) -> list[list[tuple[int, list[int]]]]:
    """Row contents: per row, (unit, [member positions]) in placement order."""
    free = np.zeros(0, dtype=np.int64)
    contents: list[dict[int, list[int]]] = []

    def size(u: int) -> int:
        return len(units[u].prompt) - 1 + sum(spans[i] for i in units[u].members)

    order = sorted(range(len(units)), key=lambda u: (-size(u), u))
    for u in order:
        unit = units[u]
        stem = len(unit.prompt) - 1
        for i in sorted(unit.members, key=lambda i: (-spans[i], i)):
            need = spans[i]
            best = -1
            for r in unit.rows:
                if free[r] >= need and (best < 0 or free[r] < free[best]):
                    best = r
            if best < 0:
                fits = free >= stem + need
                if fits.any():
                    best = int(np.where(fits, free, np.iinfo(np.int64).max).argmin())
                else:
                    free = np.append(free, row_len)
                    contents.append({})
                    best = len(free) - 1
                free[best] -= stem
                unit.rows.append(best)
                contents[best][u] = []
            free[best] -= need
            contents[best][u].append(i)
    return [list(c.items()) for c in contents]


def pack(scored: Sequence[ScoredSample], row_len: int) -> PackedBatch:
    """Pack samples (with their advantages) into rows of ``row_len`` tokens; see the module docstring."""
    if isinstance(row_len, bool) or not isinstance(row_len, int) or row_len < 2:
        raise PackingError(f"row_len must be an integer >= 2, got {row_len!r}")
    scored = list(scored)
    for k, item in enumerate(scored):
        if not isinstance(item, ScoredSample):
            raise PackingError(f"item {k} is a {type(item).__name__}; pack takes ScoredSamples (compute_advantages)")
    units: list[_Unit] = []
    unit_by_prompt: dict[tuple[int, ...], int] = {}
    spans: list[int] = []
    too_long: list[int] = []
    for k, item in enumerate(scored):
        prompt = item.sample.prompt
        span = len(item.sample) - len(prompt) + 1
        spans.append(span)
        if len(prompt) - 1 + span > row_len:
            too_long.append(item.index)
            continue
        u = unit_by_prompt.setdefault(prompt, len(units))
        if u == len(units):
            units.append(_Unit(prompt, [], []))
        units[u].members.append(k)
    layout = _place(spans, units, row_len)

    n_rows = len(layout)
    shape = (n_rows, row_len)
    tokens = np.zeros(shape, np.int64)
    positions = np.zeros(shape, np.int64)
    seq_ids = np.full(shape, -1, np.int64)
    parent_ids = np.full(shape, -1, np.int64)
    sample_index = np.full(shape, -1, np.int64)
    target_tokens = np.zeros(shape, np.int64)
    loss_mask = np.zeros(shape, np.bool_)
    sampling_logprobs = np.zeros(shape, np.float64)
    advantages = np.zeros(shape, np.float64)
    sample_tokens = np.zeros(shape, np.int64)
    next_id = 0
    placed: list[int] = []
    copies = 0
    for r, row in enumerate(layout):
        at = 0
        for u, members in row:
            prompt = units[u].prompt
            stem = len(prompt) - 1
            parent = -1
            if stem:
                parent = next_id
                next_id += 1
                copies += 1
                tokens[r, at : at + stem] = prompt[:-1]
                positions[r, at : at + stem] = np.arange(stem)
                seq_ids[r, at : at + stem] = parent
                parent_ids[r, at : at + stem] = parent
                at += stem
            for k in members:
                item = scored[k]
                s = item.sample
                ids, trained, lps = (a[stem:] for a in s.arrays())
                n = len(ids)
                sl = slice(at, at + n)
                tokens[r, sl] = ids
                positions[r, sl] = np.arange(stem, stem + n)
                seq_ids[r, sl] = next_id
                parent_ids[r, sl] = parent if stem else next_id
                next_id += 1
                sample_index[r, sl] = item.index
                tgt = slice(at, at + n - 1)
                target_tokens[r, tgt] = ids[1:]
                loss_mask[r, tgt] = trained[1:]
                sampling_logprobs[r, tgt] = lps[1:]
                advantages[r, sl] = item.advantage
                sample_tokens[r, sl] = s.num_trained
                placed.append(item.index)
                at += n
    as_t = torch.from_numpy
    return PackedBatch(
        tokens=as_t(tokens),
        positions=as_t(positions),
        seq_ids=as_t(seq_ids),
        parent_ids=as_t(parent_ids),
        sample_index=as_t(sample_index),
        target_tokens=as_t(target_tokens),
        loss_mask=as_t(loss_mask),
        sampling_logprobs=as_t(sampling_logprobs),
        advantages=as_t(advantages),
        sample_tokens=as_t(sample_tokens),
        samples=tuple(placed),
        too_long=tuple(too_long),
        prompt_copies=copies,
    )
