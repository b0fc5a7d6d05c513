"""Rollouts sampled by older weights (trainers.off_policy): the truncated importance weight and the
sequence mask as tensor code, the engine-vs-trainer mismatch, and the decoupled loss through the
packed optimizer step against the same formula written out one unpacked sample at a time."""

from __future__ import annotations

import math

import pytest
import torch

from tests.trainers.tiny import ROW_LEN, Policy, grads, per_sample_logprobs, scenario, tiny_qwen2
from trainers import GRPOConfig
from trainers.off_policy import CorrectionError, importance_weights, logprob_mismatch
from trainers.steps import optimizer_step, proximal_logprobs, split_steps, train_iteration


def _rows():
    """Two rows: samples 0 and 1 in row 0, sample 2 in row 1; the last position of each row untrained."""
    mask = torch.tensor([[True, True, True, True, False], [True, True, True, False, False]])
    index = torch.tensor([[0, 0, 1, 1, -1], [2, 2, 2, -1, -1]])
    sampling = torch.full((2, 5), -1.0, dtype=torch.float64)
    d = torch.tensor([[0.1, 1.5, -0.2, -0.4, 9.0], [1.0, 1.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
    return mask, index, sampling, sampling + d, d


def test_token_weights_are_the_ratio_truncated_at_the_cap():
    mask, index, sampling, proximal, d = _rows()
    w, truncated = importance_weights(proximal, sampling, mask, index, mode="token", cap=2.0)
    torch.testing.assert_close(w, torch.where(mask, torch.exp(d).clamp(max=2.0), 0.0))
    assert w.dtype == torch.float64
    assert truncated == 4  # exp(1.5) = 4.48 in row 0 and exp(1.0) = 2.72 three times in row 1; position 4 is untrained
    _, truncated = importance_weights(proximal, sampling, mask, index, mode="token", cap=3.0)
    assert truncated == 1


def test_sequence_mask_drops_whole_samples_whose_mean_ratio_leaves_the_band():
    mask, index, sampling, proximal, _ = _rows()
    # sample 0: mean log ratio 0.8 -> exp 2.23; sample 1: -0.3 -> 0.74; sample 2: 1.0 -> 2.72
    w, masked = importance_weights(proximal, sampling, mask, index, mode="sequence", cap=2.5)
    assert w.tolist() == [[1.0, 1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    assert masked == 3
    w, masked = importance_weights(proximal, sampling, mask, index, mode="sequence", cap=2.0)
    assert w.tolist() == [[0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]] and masked == 5
    w, masked = importance_weights(proximal, sampling, mask, index, mode="sequence", cap=1.3)  # 1/1.3 > 0.74
    assert w.sum() == 0 and masked == 7


def test_equal_policies_give_weight_one_and_no_mismatch():
    mask, index, sampling, _, _ = _rows()
    for mode in ("token", "sequence"):
        w, n = importance_weights(sampling.clone(), sampling, mask, index, mode=mode)
        assert torch.equal(w, mask.to(torch.float64)) and n == 0
    m = logprob_mismatch(sampling.clone(), sampling, mask)
    assert (m.tokens, m.abs_sum, m.kl_sum) == (7, 0.0, 0.0)


def test_mismatch_is_the_mean_gap_and_the_k3_kl_estimate():
    mask, _, sampling, proximal, d = _rows()
    m = logprob_mismatch(proximal, sampling, mask)
    kept = d[mask]
    assert m.tokens == 7
    assert m.abs_sum == pytest.approx(float(kept.abs().sum()))
    assert m.kl_sum == pytest.approx(sum(math.exp(x) - 1 - x for x in kept.tolist()))
    assert m.kl_sum > 0


def test_the_weights_carry_no_gradient():
    mask, index, sampling, proximal, _ = _rows()
    proximal = proximal.clone().requires_grad_(True)
    w, _ = importance_weights(proximal, sampling, mask, index)
    assert not w.requires_grad


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(mode="bogus"), "mode must be one of token, sequence"),
        (dict(cap=1.0), "cap must be a number > 1"),
        (dict(cap=True), "cap must be a number > 1"),
    ],
)
def test_bad_arguments_are_one_line_errors(kw, message):
    mask, index, sampling, proximal, _ = _rows()
    with pytest.raises(CorrectionError, match=message):
        importance_weights(proximal, sampling, mask, index, **kw)
    with pytest.raises(CorrectionError, match=r"sampling must be \[2, 5\]"):
        importance_weights(proximal, sampling[:1], mask, index)
    with pytest.raises(CorrectionError, match="mask must be bool"):
        importance_weights(proximal, sampling, mask.long(), index)


def _decoupled_reference(model, proximal_model, scored, config, normalizer) -> torch.Tensor:
    """The off-policy loss one unpacked sample at a time, from the module docstring's formula."""
    total = torch.zeros((), dtype=torch.float64)
    for item in scored:
        s = item.sample
        trained = torch.tensor(s.trained_mask())
        sampling = torch.tensor(s.sampling_logprobs(), dtype=torch.float64)[trained]
        with torch.no_grad():
            prox = per_sample_logprobs(proximal_model, s)[trained]
        lp = per_sample_logprobs(model, s)[trained]
        ratio = torch.exp(lp - prox)
        a = item.advantage
        pg = -torch.minimum(ratio * a, torch.clamp(ratio, 1 - config.epsilon_low, 1 + config.epsilon_high) * a)
        if config.off_policy_correction == "token":
            w = torch.exp(prox - sampling).clamp(max=config.importance_weight_cap)
        else:
            inside = abs(float((prox - sampling).mean())) <= math.log(config.importance_weight_cap)
            w = torch.full_like(prox, 1.0 if inside else 0.0)
        total = total + (pg * w).sum()
    return total / normalizer


@pytest.mark.parametrize("correction", ["token", "sequence"])
@pytest.mark.parametrize("rows", [1, 6])
def test_the_packed_off_policy_step_has_the_unpacked_formulas_gradient(correction, rows):
    config = GRPOConfig(
        max_grad_norm=0.0,
        micro_batch_rows=rows,
        row_len=ROW_LEN,
        max_off_policy_steps=1,
        off_policy_correction=correction,
        importance_weight_cap=1.5 if correction == "token" else 1.05,  # binding on some tokens (samples)
    )
    model = tiny_qwen2()
    scored, batch = scenario(config, model, seeds=(0, 1))  # sampling logprobs: the model's + noise (an older policy)
    proximal_model = tiny_qwen2()
    with torch.no_grad():  # the trainer's weights at the start of the iteration: not the current ones
        for p, q in zip(proximal_model.parameters(), model.parameters()):
            p.copy_(q + 0.01 * torch.randn_like(q))
    prox = proximal_logprobs(Policy(proximal_model), batch, config, device="cpu")
    model.zero_grad()
    want_loss = _decoupled_reference(model, proximal_model, scored, config, batch.normalizer("token"))
    want_loss.backward()
    want = grads(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    result = optimizer_step(
        Policy(model), optimizer, batch, config, device="cpu", proximal=prox, off_policy=True, measure_mismatch=True
    )
    assert result.metrics.loss == pytest.approx(want_loss.item(), rel=1e-6)
    for name, p in model.named_parameters():
        # torchtune's RMSNorm computes in float32 even in a float64 model: packed and unpacked logprobs agree
        # to ~4e-7, and the weights exp(proximal - sampling) carry that gap into the gradient
        torch.testing.assert_close(p.grad, want[name], rtol=1e-5, atol=1e-7)
    m = result.metrics
    assert m.mismatch_tokens == m.tokens == batch.num_trained_tokens
    assert 0 < m.weight_truncated < m.tokens  # the cap binds on some tokens, not on all


def test_off_policy_rollouts_of_the_trainers_own_weights_train_as_on_policy_ones():
    """Zero staleness: the correction is the identity, the loss and the gradient are the synchronous ones."""
    on = GRPOConfig(max_grad_norm=0.0, row_len=ROW_LEN)
    off = on.replace(max_off_policy_steps=1)
    model = tiny_qwen2()
    _, batch = scenario(on, model, seeds=(0,))
    exact = proximal_logprobs(Policy(model), batch, on, device="cpu")
    from dataclasses import replace

    batch = replace(batch, sampling_logprobs=exact)  # the engine sampled with exactly these weights
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    a = optimizer_step(Policy(model), optimizer, batch, on, device="cpu", measure_mismatch=True)
    grads_on = grads(model)
    b = optimizer_step(
        Policy(model), optimizer, batch, off, device="cpu", proximal=exact, off_policy=True, measure_mismatch=True
    )
    assert b.metrics.loss == pytest.approx(a.metrics.loss, rel=1e-12)
    for name, g in grads(model).items():
        torch.testing.assert_close(g, grads_on[name], rtol=1e-12, atol=1e-15)
    assert b.metrics.weight_sum == b.metrics.tokens and b.metrics.weight_truncated == 0
    assert a.metrics.mismatch_abs_sum == pytest.approx(0.0, abs=1e-9) == b.metrics.mismatch_abs_sum


def test_an_off_policy_iteration_takes_every_steps_proximal_logprobs_before_the_first_update():
    config = GRPOConfig(row_len=ROW_LEN, optimizer_steps_per_iteration=2, learning_rate=0.05, max_grad_norm=0.0)
    on_model, off_model = tiny_qwen2(), tiny_qwen2()
    scored, _ = scenario(config, on_model, seeds=(0, 1))
    steps = split_steps(scored, config)
    before = [proximal_logprobs(Policy(off_model), s, config, device="cpu") for s in steps]
    on = train_iteration(
        Policy(on_model), torch.optim.SGD(on_model.parameters(), lr=1.0), steps, config, 0, device="cpu"
    )
    off_config = config.replace(max_off_policy_steps=1, importance_weight_cap=1e6)
    off = train_iteration(
        Policy(off_model), torch.optim.SGD(off_model.parameters(), lr=1.0), steps, off_config, 0, device="cpu"
    )
    # the mismatch: on-policy over the first step's tokens, off-policy over every step's (before any update)
    first = steps[0].loss_mask
    gap = lambda k: (before[k] - steps[k].sampling_logprobs).abs()[steps[k].loss_mask]  # noqa: E731
    assert on["logprob_mismatch"] == pytest.approx(float(gap(0).mean()), rel=1e-6)
    both = torch.cat([gap(0), gap(1)])
    assert off["logprob_mismatch"] == pytest.approx(float(both.mean()), rel=1e-6)
    assert int(first.sum()) < on["tokens_trained"] == off["tokens_trained"]
    assert on["importance_weight"] == 1.0 and on["importance_truncated_fraction"] == 0.0
    assert off["importance_weight"] != 1.0


def test_a_step_on_the_iterations_starting_weights_is_its_own_proximal_pass():
    """The first step of an iteration needs no pass of its own: its forward's logprobs, detached, are the
    proximal ones; the loss and the gradient equal those against a separate pass without gradient."""
    config = GRPOConfig(max_grad_norm=0.0, row_len=ROW_LEN, max_off_policy_steps=1, importance_weight_cap=1.5)
    model = tiny_qwen2()
    _, batch = scenario(config, model, seeds=(0, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    prox = proximal_logprobs(Policy(model), batch, config, device="cpu")
    a = optimizer_step(Policy(model), optimizer, batch, config, device="cpu", proximal=prox, off_policy=True)
    want = grads(model)
    b = optimizer_step(Policy(model), optimizer, batch, config, device="cpu", off_policy=True)
    assert b.metrics.loss == pytest.approx(a.metrics.loss, rel=1e-9)
    assert b.metrics.weight_truncated == a.metrics.weight_truncated > 0
    for name, g in grads(model).items():
        torch.testing.assert_close(g, want[name], rtol=1e-7, atol=1e-12)
