"""An iteration's training as plain functions (trainers.steps): the split into optimizer steps, the
learning-rate schedule, one optimizer step against the unpacked formula, its refusals (nothing
applied), clipping, and an iteration's figures. A float64 tiny torchtune Qwen2: milliseconds."""

from __future__ import annotations

import math

import pytest
import torch

from tests.trainers.tiny import ROW_LEN, NaNPolicy, Policy, grads, reference_loss, scenario, tiny_qwen2
from trainers import GRPOConfig, Sample, Segment, compute_advantages
from trainers.steps import StepError, lr_factor, optimizer_step, split_steps, train_iteration


def sample(reward: float, n: int, group: str = "g") -> Sample:
    return Sample((Segment.context([1]), Segment.sampled(list(range(2, 2 + n)), [-1.0] * n)), reward, group)


def params(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_split_steps_deals_whole_groups_round_robin():
    samples = [sample(float(k % 2), 3, group=f"g{k // 2}") for k in range(8)]  # four groups of two
    scored = compute_advantages(samples, GRPOConfig()).scored
    steps = split_steps(scored, GRPOConfig(optimizer_steps_per_iteration=3, row_len=64))
    assert len(steps) == 3
    by_index = {x.index: x.sample.group for x in scored}
    groups = [sorted({by_index[int(i)] for i in b.sample_index.unique() if i >= 0}) for b in steps]
    assert groups == [["g0", "g3"], ["g1"], ["g2"]]
    assert len(split_steps(scored[:2], GRPOConfig(optimizer_steps_per_iteration=3, row_len=64))) == 1


@pytest.mark.parametrize(
    "kw, expect",
    [
        (dict(), [1.0, 1.0, 1.0]),
        (dict(lr_schedule="linear"), [1.0, 0.5, 0.0]),
        (dict(lr_schedule="cosine"), [1.0, 0.5, 0.0]),
        (dict(warmup_iterations=2, lr_schedule="linear", iterations=4), [0.5, 1.0, 0.5]),
    ],
)
def test_lr_factor(kw, expect):
    c = GRPOConfig(**{"iterations": 2, **kw})
    got = [lr_factor(c, i) for i in ((0, 1, 2) if "warmup_iterations" not in kw else (0, 1, 3))]
    assert got == pytest.approx(expect)
    assert all(math.isfinite(x) for x in got)


@pytest.mark.parametrize("rows", [1, 6])
def test_optimizer_step_applies_the_unpacked_formulas_gradient(rows):
    config = GRPOConfig(max_grad_norm=0.0, micro_batch_rows=rows, row_len=ROW_LEN)  # 0: not clipped
    model = tiny_qwen2()
    scored, batch = scenario(config, model, seeds=(0, 1))
    model.zero_grad()
    want_loss = reference_loss(model, scored, config, batch.normalizer("token"))
    want_loss.backward()
    want = grads(model)
    before = params(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = optimizer_step(Policy(model), optimizer, batch, config, device=torch.device("cpu"))
    assert result.metrics.loss == pytest.approx(want_loss.item(), rel=1e-6)
    assert result.metrics.tokens == batch.num_trained_tokens
    assert result.grad_norm == pytest.approx(math.sqrt(sum(float(g.pow(2).sum()) for g in want.values())), rel=1e-6)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), before[name] - 0.1 * want[name], rtol=1e-6, atol=1e-9)


def test_optimizer_step_clips_the_update_to_max_grad_norm():
    config = GRPOConfig(max_grad_norm=1e-3, row_len=ROW_LEN)
    model = tiny_qwen2()
    _, batch = scenario(config, model)
    before = params(model)
    result = optimizer_step(Policy(model), torch.optim.SGD(model.parameters(), lr=1.0), batch, config, device="cpu")
    assert result.grad_norm > 1e-3  # the norm before clipping is what is reported
    moved = math.sqrt(sum(float((p.detach() - before[n]).pow(2).sum()) for n, p in model.named_parameters()))
    assert moved == pytest.approx(1e-3, rel=1e-4)


def test_a_non_finite_loss_applies_nothing():
    config = GRPOConfig()
    model = tiny_qwen2()
    _, batch = scenario(config, model)
    before = params(model)
    with pytest.raises(StepError, match="nothing was applied"):
        optimizer_step(NaNPolicy(model), torch.optim.SGD(model.parameters(), lr=1.0), batch, config, device="cpu")
    for name, p in model.named_parameters():
        assert torch.equal(p.detach(), before[name])
        assert p.grad is None


def test_train_iteration_sets_the_schedules_rate_and_logs_its_figures():
    config = GRPOConfig(
        lr_schedule="linear", iterations=4, learning_rate=0.01, optimizer_steps_per_iteration=2, row_len=ROW_LEN
    )
    model = tiny_qwen2()
    scored, _ = scenario(config, model, seeds=(0, 1))
    steps = split_steps(scored, config)
    assert len(steps) == 2
    optimizer = torch.optim.SGD(model.parameters(), lr=123.0)
    out = train_iteration(Policy(model), optimizer, steps, config, 2, device="cpu")
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.005)  # linear: iteration 2 of 4
    assert set(out) == {"loss", "clip_fraction", "mean_ratio", "entropy", "kl", "grad_norm", "tokens_trained"} | {
        "logprob_mismatch",
        "logprob_mismatch_kl",
        "importance_weight",
        "importance_truncated_fraction",
    }
    assert out["tokens_trained"] == sum(s.num_trained_tokens for s in steps)
    assert 0 < out["clip_fraction"] < 1 and out["kl"] == 0.0 and out["entropy"] > 0
    assert math.isfinite(out["loss"]) and out["grad_norm"] > 0
    assert model.training
    empty = train_iteration(Policy(model), optimizer, [], config, 0, device="cpu")
    assert empty["grad_norm"] == 0.0 and empty["tokens_trained"] == 0
