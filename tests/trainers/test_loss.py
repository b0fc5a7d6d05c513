"""Chunked token logprobs (values, gradients, entropy) and the clipped GRPO loss, checked by hand."""

from __future__ import annotations

import math

import pytest
import torch

from trainers import (
    GRPOConfig,
    LossInputError,
    LossMetrics,
    Sample,
    ScoredSample,
    Segment,
    compute_advantages,
    grpo_loss,
    pack,
    token_logprobs,
    token_logprobs_and_entropy,
)


def logits_and_targets(rows=2, seq=5, vocab=7, seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(rows, seq, vocab, dtype=torch.float64, generator=gen)
    targets = torch.randint(0, vocab, (rows, seq), generator=gen)
    return logits, targets


@pytest.mark.parametrize("chunk", [1, 3, 4096])
@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_token_logprobs_equal_log_softmax_and_their_gradient_is_exact(chunk, temperature):
    logits, targets = logits_and_targets()
    logits.requires_grad_(True)
    want = torch.log_softmax(logits / temperature, -1).gather(2, targets[..., None]).squeeze(2)
    got = token_logprobs(logits, targets, temperature=temperature, chunk_size=chunk)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    assert torch.autograd.gradcheck(
        lambda x: token_logprobs(x, targets, temperature=temperature, chunk_size=chunk), (logits,)
    )


def test_only_masked_positions_are_computed_and_get_gradient():
    logits, targets = logits_and_targets()
    mask = torch.zeros_like(targets, dtype=torch.bool)
    mask[0, 1] = mask[1, 3] = mask[1, 4] = True
    logits.requires_grad_(True)
    got = token_logprobs(logits, targets, mask=mask, chunk_size=2)
    want = torch.log_softmax(logits, -1).gather(2, targets[..., None]).squeeze(2)
    torch.testing.assert_close(got[mask], want[mask])
    assert (got[~mask] == 0).all()
    got.sum().backward()
    assert (logits.grad[~mask] == 0).all() and (logits.grad[mask] != 0).all()


def test_a_list_of_sequence_chunks_gives_the_same_as_one_tensor():
    logits, targets = logits_and_targets(seq=9)
    whole = token_logprobs(logits, targets)
    parts = token_logprobs(list(logits.split([4, 3, 2], dim=1)), targets)
    torch.testing.assert_close(parts, whole, rtol=0, atol=0)


def test_entropy_from_the_same_pass():
    logits, targets = logits_and_targets()
    lp, ent = token_logprobs_and_entropy(logits, targets, temperature=0.8, chunk_size=3)
    p = torch.softmax(logits / 0.8, -1)
    torch.testing.assert_close(ent, -(p * p.log()).sum(-1))
    torch.testing.assert_close(lp, token_logprobs(logits, targets, temperature=0.8))


def test_bf16_logits_give_fp32_logprobs_and_bf16_gradients():
    logits, targets = logits_and_targets()
    x = logits.to(torch.bfloat16).requires_grad_(True)
    lp = token_logprobs(x, targets)
    assert lp.dtype == torch.float32
    lp.sum().backward()
    assert x.grad.dtype == torch.bfloat16


def one_row_batch(advantages, old_lps):
    """One sample per advantage, each a one-token prompt and one trained token with the given sampling logprob."""
    samples = [
        ScoredSample(Sample((Segment.context([i + 1]), Segment.sampled([0], [lp])), 0.0, group=i), a, i)
        for i, (a, lp) in enumerate(zip(advantages, old_lps))
    ]
    b = pack(samples, 2 * len(samples))
    return b


def current(batch, values):
    """A leaf [rows, seq] tensor of current logprobs: ``values`` at the trained positions."""
    lp = torch.zeros(batch.loss_mask.shape, dtype=torch.float64)
    lp[batch.loss_mask] = torch.tensor(values, dtype=torch.float64)
    return lp.requires_grad_(True)


def test_clipped_loss_value_gradient_and_metrics_by_hand():
    adv = [1.0, 1.0, -1.0, -1.0, 2.0]
    ratios = [1.1, 1.5, 0.9, 0.5, 1.0]  # 1.5 clips above (A > 0), 0.5 clips below (A < 0)
    old = [-1.0, -2.0, -0.5, -1.5, -0.7]
    b = one_row_batch(adv, old)
    lp = current(b, [o + math.log(r) for o, r in zip(old, ratios)])
    config = GRPOConfig()
    loss, m = grpo_loss(lp, b, config, normalizer=5)
    clipped = [min(r, 1.2) if a > 0 else max(r, 0.8) for a, r in zip(adv, ratios)]
    want = sum(-min(r * a, c * a) for a, r, c in zip(adv, ratios, clipped)) / 5
    assert loss.item() == pytest.approx(want)
    loss.backward()
    # d/dlp of -ratio * A is -ratio * A where the ratio is not clipped, 0 where it is
    want_grad = [0.0 if i in (1, 3) else -r * a / 5 for i, (a, r) in enumerate(zip(adv, ratios))]
    assert lp.grad[b.loss_mask].tolist() == pytest.approx(want_grad)
    assert (lp.grad[~b.loss_mask] == 0).all()
    assert m.tokens == 5 and m.clipped == 2
    means = m.means()
    assert means["clip_fraction"] == 0.4 and means["ratio"] == pytest.approx(sum(ratios) / 5)
    assert not m.entropy_exact and means["entropy"] == pytest.approx(
        -sum(o + math.log(r) for o, r in zip(old, ratios)) / 5
    )
    assert means["loss"] == pytest.approx(want) and means["kl"] == 0.0


def test_clip_higher_widens_only_the_upper_bound():
    b = one_row_batch([1.0, -1.0], [-1.0, -1.0])
    lp = current(b, [-1.0 + math.log(1.25), -1.0 + math.log(0.75)])
    _, m = grpo_loss(lp, b, GRPOConfig(epsilon_high=0.28), normalizer=2)
    assert m.clipped == 1  # 1.25 < 1.28 is not clipped; 0.75 < 0.8 is
    _, m = grpo_loss(lp, b, GRPOConfig(epsilon_low=0.3, epsilon_high=0.28), normalizer=2)
    assert m.clipped == 0


def test_k3_kl_term():
    b = one_row_batch([0.0, 0.0], [-1.0, -1.0])
    lp = current(b, [-1.0, -2.0])
    ref = torch.zeros_like(lp)
    ref[b.loss_mask] = torch.tensor([-1.5, -1.0], dtype=torch.float64)
    loss, m = grpo_loss(lp, b, GRPOConfig(kl_coef=0.1), normalizer=2, ref_logprobs=ref)
    k3 = [math.exp(d) - d - 1 for d in (-0.5, 1.0)]
    assert m.kl_sum == pytest.approx(sum(k3))
    assert loss.item() == pytest.approx(0.1 * sum(k3) / 2) and m.kl_loss == pytest.approx(loss.item())
    with pytest.raises(LossInputError, match="kl_coef > 0 needs ref_logprobs"):
        grpo_loss(lp, b, GRPOConfig(kl_coef=0.1), normalizer=2)
    _, m0 = grpo_loss(lp, b, GRPOConfig(), normalizer=2, ref_logprobs=ref)
    assert m0.kl_sum == pytest.approx(sum(k3)) and m0.kl_loss == 0.0, "KL is logged even at coefficient 0"


def test_pitfall_untrained_tokens_are_not_counted_in_the_normalizer():
    """Context (prompts, environment replies), tokens without a logprob and padding change neither the
    normaliser nor the loss: the same trained tokens with more untrained ones around them give the same."""
    plain = [
        Sample((Segment.context([1, 2]), Segment.sampled([3, 4], [-1.0, -1.0])), 1.0),
        Sample((Segment.context([1, 2]), Segment.sampled([5], [-1.0])), 0.0),
    ]
    padded = [
        Sample(
            (
                Segment.context([1, 2]),
                Segment.sampled([3, 4, 9], [-1.0, -1.0, None]),
                Segment.context([7] * 6),
            ),
            1.0,
        ),
        Sample((Segment.context([1, 2]), Segment.sampled([5, 9, 9], [-1.0, math.nan, None])), 0.0),
    ]
    results = []
    for samples, row in ((plain, 16), (padded, 40)):
        b = pack(compute_advantages(samples, GRPOConfig()).scored, row)
        n = b.normalizer("token")
        lp = torch.where(b.loss_mask, b.sampling_logprobs - 0.1, 0.0).requires_grad_(True)
        loss, m = grpo_loss(lp, b, GRPOConfig(), normalizer=n)
        results.append((n, loss.item(), m.tokens))
    assert results[0][0] == 3 and results[0] == pytest.approx(results[1])
    naive = int((b.seq_ids >= 0).sum() - b.num_samples)  # every non-padding target position
    assert naive > results[1][0], "a normaliser over every position would be larger"


def test_pitfall_a_truncated_sample_is_weighted_by_the_tokens_it_has():
    cut = Sample((Segment.context([1]), Segment.sampled([2] * 6, [-1.0] * 6)), 0.0, truncated=True)
    done = Sample((Segment.context([1]), Segment.sampled([3, 4], [-1.0] * 2)), 1.0)
    for policy, want_norm in (("keep", 2), ("mask", 1)):
        config = GRPOConfig(loss_normalization="sequence", truncation=policy, advantage_epsilon=0.0)
        adv = compute_advantages([cut, done], config)
        b = pack(adv.scored, 16)
        assert b.normalizer("sequence") == want_norm
        lp = torch.where(b.loss_mask, b.sampling_logprobs, 0.0).requires_grad_(True)  # ratio 1
        loss, _ = grpo_loss(lp, b, config, normalizer=b.normalizer("sequence"))
        # each kept sample's tokens average to its -advantage, whatever its length; the masked one is gone
        want = -sum(x.advantage for x in adv.scored) / want_norm
        assert loss.item() == pytest.approx(want)
        loss.backward()
        per_token = lp.grad[b.loss_mask]
        if policy == "keep":
            assert per_token[:6].tolist() == pytest.approx([1 / 6 / 2] * 6)  # A = -1 over its 6 tokens, 2 samples
            assert per_token[6:].tolist() == pytest.approx([-1 / 2 / 2] * 2)
        else:
            assert b.num_trained_tokens == 2 and adv.advantages[1] == 1.0


def test_world_size_scales_the_loss_not_the_logged_loss():
    b = one_row_batch([1.0, -1.0], [-1.0, -1.0])
    lp = current(b, [-0.9, -1.2])
    one, m1 = grpo_loss(lp, b, GRPOConfig(), normalizer=2)
    four, m4 = grpo_loss(lp, b, GRPOConfig(), normalizer=2, world_size=4)
    assert four.item() == pytest.approx(4 * one.item()) and m4.loss == pytest.approx(m1.loss)


def test_metrics_add_up():
    a = LossMetrics(loss=1.0, tokens=2, clipped=1, ratio_sum=2.0, entropy_sum=1.0)
    b = LossMetrics(loss=0.5, tokens=2, clipped=0, ratio_sum=2.2, entropy_sum=3.0, entropy_exact=False)
    s = (a + b).means()
    assert s["loss"] == 1.5 and s["clip_fraction"] == 0.25 and s["ratio"] == pytest.approx(1.05)
    assert s["entropy"] == 1.0 and not (a + b).entropy_exact
    assert LossMetrics().means()["clip_fraction"] == 0.0


def test_bad_loss_input_raises_clear_errors():
    b = one_row_batch([1.0], [-1.0])
    lp = current(b, [-1.0])
    with pytest.raises(LossInputError, match="logprobs must be"):
        grpo_loss(lp[:, :1], b, GRPOConfig(), normalizer=1)
    with pytest.raises(LossInputError, match="normalizer must be > 0"):
        grpo_loss(lp, b, GRPOConfig(), normalizer=0)
    with pytest.raises(LossInputError, match="world_size"):
        grpo_loss(lp, b, GRPOConfig(), normalizer=1, world_size=0)
    with pytest.raises(LossInputError, match="entropy must have"):
        grpo_loss(lp, b, GRPOConfig(), normalizer=1, entropy=torch.zeros(3))
    with pytest.raises(LossInputError, match="not finite"):
        grpo_loss(torch.full_like(lp, math.nan), b, GRPOConfig(), normalizer=1)
    logits, targets = logits_and_targets()
    with pytest.raises(LossInputError, match="targets must be"):
        token_logprobs(logits, targets[:, :2])
    with pytest.raises(LossInputError, match="mask must have"):
        token_logprobs(logits, targets, mask=torch.ones(2, dtype=torch.bool))
    with pytest.raises(LossInputError, match="chunk_size"):
        token_logprobs(logits, targets, chunk_size=0)
    with pytest.raises(LossInputError, match=r"\[rows, seq, vocab\]"):
        token_logprobs(logits[0], targets)
