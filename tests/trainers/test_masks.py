"""The packed attention mask: hand-built cases checked exhaustively, the semantic check that each token sees
exactly its own unpacked prefix, and the FlexAttention BlockMask checked against the dense mask."""

from __future__ import annotations

import random
import warnings

import pytest
import torch

from trainers import (
    GRPOConfig,
    MaskError,
    Sample,
    Segment,
    allowed,
    attention_mask,
    block_mask,
    compute_advantages,
    dense_mask,
    pack,
)

T = torch.tensor


def test_one_group_stem_two_spans_and_padding_by_hand():
    seq = T([[0, 0, 1, 1, 2, 2, -1]])
    parent = T([[0, 0, 0, 0, 0, 0, -1]])
    want = T(
        [
            [1, 0, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0],
            [1, 1, 1, 0, 0, 0, 0],
            [1, 1, 1, 1, 0, 0, 0],
            [1, 1, 0, 0, 1, 0, 0],
            [1, 1, 0, 0, 1, 1, 0],
            [0, 0, 0, 0, 0, 0, 1],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(dense_mask(seq, parent)[0], want)


def test_two_groups_and_a_one_token_prompt_by_hand():
    # stem 3 + its span 4; span 5 of a one-token prompt (its own parent); stem 6 + its span 7
    seq = T([[3, 4, 4, 5, 6, 6, 7]])
    parent = T([[3, 3, 3, 5, 6, 6, 6]])
    want = T(
        [
            [1, 0, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0],
            [1, 1, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 0],
            [0, 0, 0, 0, 1, 1, 0],
            [0, 0, 0, 0, 1, 1, 1],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(dense_mask(seq, parent)[0], want)


def test_a_fully_padded_row_attends_only_to_itself():
    seq = torch.full((2, 5), -1)
    seq[0, :2] = 0
    m = dense_mask(seq, seq.clone())
    assert torch.equal(m[1], torch.eye(5, dtype=torch.bool))
    assert torch.equal(m[0, 2:], torch.eye(5, dtype=torch.bool)[2:])


def test_allowed_is_elementwise_and_broadcasts():
    q, k = T([2, 2, 1]), T([1, 2, 2])
    got = allowed(q, k, T([7, 7, 7]), T([7, -1, 7]), T([7, 7, 7]))
    assert got.tolist() == [True, True, False]  # a key after the query is masked; the diagonal always allowed


def random_batch(seed: int, row_len: int, groups: int = 5):
    rng = random.Random(seed)
    samples = []
    for g in range(groups):
        prompt = [rng.randrange(50) for _ in range(rng.randint(1, row_len // 3))]
        for i in range(rng.randint(1, 4)):
            segs = [Segment.context(prompt)]
            for turn in range(rng.randint(1, 3)):
                if turn:
                    segs.append(Segment.context([rng.randrange(50) for _ in range(rng.randint(0, 3))]))
                n = rng.randint(1, row_len // 4)
                segs.append(Segment.sampled([rng.randrange(50) for _ in range(n)], [-1.0] * n))
            samples.append(Sample(tuple(segs), reward=float(i), group=g))
    scored = compute_advantages(samples, GRPOConfig()).scored
    return scored, pack(scored, row_len)


@pytest.mark.parametrize("seed", range(6))
def test_every_token_sees_exactly_its_unpacked_prefix(seed):
    scored, batch = random_batch(seed, row_len=40)
    by_index = {s.index: s.sample for s in scored}
    mask = dense_mask(batch.seq_ids, batch.parent_ids)
    checked = 0
    for r in range(batch.num_rows):
        for q in range(batch.row_len):
            keys = mask[r, q].nonzero().squeeze(1).tolist()
            if batch.seq_ids[r, q] < 0:
                assert keys == [q]
                continue
            i = int(batch.sample_index[r, q])
            p = int(batch.positions[r, q])
            if i >= 0:
                full = by_index[i].token_ids
            else:  # a stem token: its prompt, known from any span that continues this stem
                child = (batch.parent_ids[r] == batch.seq_ids[r, q]) & (batch.sample_index[r] >= 0)
                full = by_index[int(batch.sample_index[r][child][0])].token_ids
            assert batch.positions[r, keys].tolist() == list(range(p + 1))
            assert batch.tokens[r, keys].tolist() == list(full[: p + 1])
            checked += 1
    assert checked == batch.num_tokens


def block_structure(bm, full: bool) -> torch.Tensor:
    """[rows, q_blocks, kv_blocks] booleans: the blocks the BlockMask lists (partial ones, or full ones)."""
    num = bm.full_kv_num_blocks if full else bm.kv_num_blocks
    idx = bm.full_kv_indices if full else bm.kv_indices
    rows, _, qb = num.shape
    out = torch.zeros(rows, qb, idx.shape[-1], dtype=torch.bool)
    for b in range(rows):
        for i in range(qb):
            out[b, i, idx[b, 0, i, : num[b, 0, i]]] = True
    return out


@pytest.mark.parametrize(("seed", "block"), [(0, 8), (1, 8), (2, 16), (3, 16)])
def test_block_mask_agrees_with_the_dense_mask(seed, block):
    _, batch = random_batch(seed, row_len=64, groups=4)
    batch = batch.select_rows([*range(batch.num_rows), -1])  # and a padding row
    dense = dense_mask(batch.seq_ids, batch.parent_ids)
    bm = block_mask(batch.seq_ids, batch.parent_ids, block_size=block)
    rows, n = batch.num_rows, 64 // block
    blocks = dense.view(rows, n, block, n, block).permute(0, 1, 3, 2, 4).reshape(rows, n, n, -1)
    any_, all_ = blocks.any(-1), blocks.all(-1)
    partial, full = block_structure(bm, False), block_structure(bm, True)
    assert torch.equal(partial | full, any_)
    assert torch.equal(full, all_)
    assert full.any(), "the case has full blocks"
    assert torch.equal(bm.to_dense()[:, 0].bool(), any_)

    from torch.nn.attention.flex_attention import flex_attention

    gen = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(rows, 2, 64, 16, dtype=torch.float64, generator=gen) for _ in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flex_attention without torch.compile (CPU): the unfused reference path
        flex = flex_attention(q, k, v, block_mask=bm)
    sdpa = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=dense[:, None])
    assert torch.isfinite(flex).all()
    torch.testing.assert_close(flex, sdpa, rtol=1e-10, atol=1e-12)


def test_attention_mask_picks_dense_on_cpu_and_rejects_unknown_kinds():
    _, batch = random_batch(0, row_len=32)
    assert torch.equal(attention_mask(batch), dense_mask(batch.seq_ids, batch.parent_ids))
    assert attention_mask(batch, "block").shape == (batch.num_rows, 1, 32, 32)
    with pytest.raises(MaskError, match="'auto', 'block' or 'dense'"):
        attention_mask(batch, "sparse")


@pytest.mark.parametrize(
    ("seq", "parent", "match"),
    [
        (torch.zeros(4, dtype=torch.long), torch.zeros(4, dtype=torch.long), r"\[rows, seq\]"),
        (torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 5, dtype=torch.long), r"\[rows, seq\]"),
        (torch.zeros(1, 4), torch.zeros(1, 4), "integer"),
    ],
)
def test_malformed_ids_are_rejected(seq, parent, match):
    with pytest.raises(MaskError, match=match):
        dense_mask(seq, parent)
