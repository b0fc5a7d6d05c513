"""Packing: the layout (one stem per group per row, contiguous spans, continued positions, aligned targets),
too-long samples reported, determinism, row selection, micro-batches and shards, and bad input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

from trainers import GRPOConfig, PackingError, Sample, ScoredSample, Segment, compute_advantages, pack


def sample(prompt, *answers, reward=0.0, group=0, lp=-0.5):
    segs = [Segment.context(prompt)]
    for a in answers:
        segs.append(Segment.sampled(a, [lp] * len(a)) if isinstance(a, list) else a)
    return Sample(tuple(segs), reward=reward, group=group)


def scored(samples, advantages=None):
    return [ScoredSample(s, 1.0 if advantages is None else advantages[i], i) for i, s in enumerate(samples)]


def spans(batch, r):
    """(seq id, start, end) of each run of equal seq ids in row r, padding left out."""
    seq = batch.seq_ids[r].tolist()
    out, start = [], 0
    for i in range(1, len(seq) + 1):
        if i == len(seq) or seq[i] != seq[start]:
            if seq[start] >= 0:
                out.append((seq[start], start, i))
            start = i
    return out


def test_a_group_shares_one_stem_and_each_sample_keeps_its_own_last_prompt_token():
    p = [5, 6, 7, 8]
    items = scored([sample(p, [1, 2, 3]), sample(p, [4, 4]), sample(p, [9])])
    b = pack(items, 32)
    assert b.num_rows == 1 and b.prompt_copies == 1
    row = b.tokens[0].tolist()
    # longest first: stem 5 6 7, then 8 1 2 3, 8 4 4, 8 9
    assert row[:13] == [5, 6, 7, 8, 1, 2, 3, 8, 4, 4, 8, 9] + [0]
    assert b.positions[0, :12].tolist() == [0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 3, 4]
    assert b.seq_ids[0, :12].tolist() == [0] * 3 + [1] * 4 + [2] * 3 + [3] * 2
    assert b.parent_ids[0, :12].tolist() == [0] * 12
    assert (b.seq_ids[0, 12:] == -1).all() and (b.parent_ids[0, 12:] == -1).all()
    assert b.sample_index[0, :12].tolist() == [-1] * 3 + [0] * 4 + [1] * 3 + [2] * 2
    # targets: the next token of the same span, trained where it was sampled
    assert b.target_tokens[0, :12].tolist() == [0, 0, 0, 1, 2, 3, 0, 4, 4, 0, 9, 0]
    assert b.loss_mask[0, :12].tolist() == [False] * 3 + [True] * 3 + [False, True, True, False, True, False]
    assert b.num_trained_tokens == 6 and b.num_samples == 3 and b.num_tokens == 12
    assert b.samples == (0, 1, 2) and b.too_long == ()


def test_untrained_tokens_are_context_not_targets():
    reply = Segment.context([70, 71])
    s = sample([1, 2], [3, 4], reply, Segment.sampled([5, 6], [-0.1, None]))
    b = pack(scored([s]), 16)
    assert b.tokens[0, :9].tolist() == [1, 2, 3, 4, 70, 71, 5, 6, 0]
    assert b.loss_mask[0, :8].tolist() == [False, True, True, False, False, True, False, False]
    assert b.sampling_logprobs[0, :8].tolist() == [0, -0.5, -0.5, 0, 0, -0.1, 0, 0]
    assert b.num_trained_tokens == s.num_trained == 3
    assert b.sample_tokens[0, 1:8].tolist() == [3] * 7


def unpack(batch, items):
    """Rebuild every packed sample's tokens, trained mask and logprobs from the rows alone."""
    out = {}
    for r in range(batch.num_rows):
        runs = spans(batch, r)
        stems = {sid: (a, e) for sid, a, e in runs if batch.sample_index[r, a] < 0}
        for sid, a, e in runs:
            i = int(batch.sample_index[r, a])
            if i < 0:
                continue
            parent = int(batch.parent_ids[r, a])
            stem = batch.tokens[r, stems[parent][0] : stems[parent][1]].tolist() if parent != sid else []
            toks = stem + batch.tokens[r, a:e].tolist()
            trained = [False] * (len(stem) + 1) + batch.loss_mask[r, a : e - 1].tolist()
            lps = [0.0] * (len(stem) + 1) + batch.sampling_logprobs[r, a : e - 1].tolist()
            assert batch.positions[r, a:e].tolist() == list(range(len(stem), len(toks)))
            assert (batch.advantages[r, a:e] == items[i].advantage).all()
            assert i not in out, "a sample is packed once"
            out[i] = (toks, trained, lps)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_the_rows_hold_every_sample_exactly(seed):
    rng = random.Random(seed)
    samples = []
    for g in range(6):
        prompt = [rng.randrange(100) for _ in range(rng.randint(1, 20))]
        for _ in range(rng.randint(1, 6)):
            n = rng.randint(1, 30)
            lps = [rng.choice([None, -rng.random()]) if rng.random() < 0.2 else -rng.random() for _ in range(n)]
            samples.append(
                Sample((Segment.context(prompt), Segment.sampled([rng.randrange(100) for _ in range(n)], lps)), 0.0, g)
            )
    items = [ScoredSample(s, rng.uniform(-2, 2), i) for i, s in enumerate(samples)]
    b = pack(items, 48)
    got = unpack(b, items)
    assert sorted(got) == sorted(b.samples) == list(range(len(items)))
    for i, (toks, trained, lps) in got.items():
        s = items[i].sample
        assert toks == list(s.token_ids)
        assert trained == list(s.trained_mask())
        assert lps == list(s.sampling_logprobs())
    assert b.num_trained_tokens == sum(s.num_trained for s in samples)
    # one stem per group per row it appears in, and no more
    assert b.prompt_copies == sum(
        len(
            {
                int(b.parent_ids[r, a])
                for _, a, _ in spans(b, r)
                if b.sample_index[r, a] >= 0 and b.parent_ids[r, a] != b.seq_ids[r, a]
            }
        )
        for r in range(b.num_rows)
    )


def test_a_group_too_big_for_a_row_splits_with_its_prompt_repeated():
    p = list(range(10))
    items = scored([sample(p, [1] * 12, group=0) for _ in range(3)])
    b = pack(items, 36)  # stem 9 + two spans of 13 = 35: two fit a row, the third needs another
    assert b.num_rows == 2 and b.prompt_copies == 2
    for r in range(2):
        assert b.tokens[r, :9].tolist() == p[:-1]
        assert b.positions[r, :9].tolist() == list(range(9))


def test_samples_with_the_same_prompt_ids_share_a_stem_across_groups():
    p = [3, 3, 3]
    b = pack(scored([sample(p, [1], group="a"), sample(p, [2], group="b"), sample([4, 4], [2], group="c")]), 32)
    assert b.prompt_copies == 2  # [3, 3] once for a and b; [4] for c


def test_a_sample_longer_than_a_row_is_reported_not_truncated():
    items = scored([sample([1, 2, 3], [4] * 10), sample([1, 2, 3], [5] * 3), sample([7], [8] * 11)])
    b = pack(items, 12)  # 2 + 11 > 12 for the first; the third is 0 + 12: exactly a row
    assert b.too_long == (0,)
    assert b.samples == (2, 1)
    assert b.num_trained_tokens == 3 + 11
    assert (b.sample_index != 0).all()


def test_packing_is_deterministic():
    rng = np.random.default_rng(0)
    samples = [
        sample(list(range(int(rng.integers(5, 30)))), rng.integers(0, 50, int(rng.integers(1, 60))).tolist(), group=g)
        for g in range(10)
        for _ in range(5)
    ]
    a, b = pack(scored(samples), 64), pack(scored(samples), 64)
    for name in (
        "tokens",
        "positions",
        "seq_ids",
        "parent_ids",
        "sample_index",
        "target_tokens",
        "loss_mask",
        "sampling_logprobs",
        "advantages",
        "sample_tokens",
    ):
        assert getattr(a, name).numpy().tobytes() == getattr(b, name).numpy().tobytes(), name
    assert a.samples == b.samples


def test_packing_comes_close_to_the_one_stem_per_row_bound():
    """On a seeded profile (prompts 100-140, answers log-uniform 50-800, rows of 2048), the packer needs at most
    3% more rows than the lower bound that gives each group ceil(its tokens / room after its stem) stems."""
    rng = np.random.default_rng(1)
    row, samples, need = 2048, [], 0
    for g in range(16):
        p = int(rng.integers(100, 141))
        answers = np.exp(rng.uniform(math.log(50), math.log(800), 20)).astype(int)
        samples += [sample(list(range(p)), [1] * int(a), group=g) for a in answers]
        span = int((answers + 1).sum())
        need += span + math.ceil(span / (row - p + 1)) * (p - 1)
    b = pack(scored(samples), row)
    bound = math.ceil(need / row)
    assert bound <= b.num_rows <= math.ceil(bound * 1.03)


def test_select_rows_micro_batches_and_shards():
    items = scored([sample([1, 2], [3] * 9, group=g) for g in range(5)])
    b = pack(items, 12)
    assert b.num_rows == 5
    assert [m.num_rows for m in b.micro_batches(2)] == [2, 2, 1]
    assert sum(m.num_trained_tokens for m in b.micro_batches(2)) == b.num_trained_tokens
    assert torch.equal(torch.cat([m.tokens for m in b.micro_batches(2)]), b.tokens)
    shards = [b.shard(r, 2) for r in range(2)]
    assert [s.num_rows for s in shards] == [3, 3]
    assert (shards[1].seq_ids[-1] == -1).all() and (shards[1].sample_index[-1] == -1).all()
    assert sorted(shards[0].samples + shards[1].samples) == sorted(b.samples)
    assert shards[0].num_trained_tokens + shards[1].num_trained_tokens == b.num_trained_tokens
    assert b.select_rows([]).num_rows == 0
    moved = b.to("cpu")
    assert torch.equal(moved.tokens, b.tokens)


def test_normalizers():
    items = scored([sample([1, 2], [3, 4, 5]), sample([1, 2], [6, 7])])
    b = pack(items, 16)
    assert b.normalizer("token") == 5 and b.normalizer("sequence") == 2
    with pytest.raises(PackingError, match="'token' or 'sequence'"):
        b.normalizer("tokens")


def test_bad_input_is_rejected_with_a_clear_error():
    items = scored([sample([1], [2])])
    with pytest.raises(PackingError, match="row_len must be an integer >= 2"):
        pack(items, 1)
    with pytest.raises(PackingError, match="pack takes ScoredSamples"):
        pack([items[0].sample], 8)
    b = pack(items, 8)
    with pytest.raises(PackingError, match=r"row indices must be in 0..0"):
        b.select_rows([1])
    with pytest.raises(PackingError, match="rows_per_batch"):
        b.micro_batches(0)
    with pytest.raises(PackingError, match="rank must be in 0..1"):
        b.shard(2, 2)
    with pytest.raises(PackingError, match="world_size"):
        b.shard(0, 0)


def test_from_advantages_only_trained_samples_are_packed():
    s = [sample([1, 2], [3], reward=r, group=0) for r in (0.0, 1.0)] + [sample([4], [5], reward=1.0, group=1)]
    adv = compute_advantages(s, GRPOConfig())
    b = pack(adv.scored, 16)
    assert b.samples == (0, 1) and adv.dropped_groups == 1


def test_selected_rows_count_their_own_prompt_copies():
    p = list(range(10))
    b = pack(scored([sample(p, [1] * 12) for _ in range(3)] + [sample([4, 4, 4], [2] * 5, group=1)]), 36)
    assert b.prompt_copies == 3
    assert sum(b.select_rows([r]).prompt_copies for r in range(b.num_rows)) == 3
    assert b.select_rows([-1]).prompt_copies == 0
