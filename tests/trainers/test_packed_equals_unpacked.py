"""The proof: the packed GRPO loss and its gradients equal the same loss computed one sample at a time,
unpacked, on a tiny torchtune Qwen2 (2 layers, head_dim 64, float64 weights) — for several groups per row,
a group split across rows, a multi-segment sample, a one-token prompt and padding at a row's end; for
micro-batch sizes 1, 2 and 4; and for 2 gloo ranks against 1.

torchtune computes RMSNorm and RoPE in float32 whatever the weights' dtype, so the two paths agree to
float32 rounding (~1e-7 relative), not to float64's; a wrong mask, position or target is off by far more.
"""

from __future__ import annotations

import pytest
import torch
import torch.multiprocessing as mp

from tests.trainers.tiny import (
    ROW_LEN,
    ddp_worker,
    grads,
    packed_loss,
    reference_loss,
    scenario,
    tiny_qwen2,
)
from trainers import GRPOConfig

pytestmark = pytest.mark.filterwarnings("ignore:Mismatch dtype between input and weight")


def assert_grads_close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys() and len(want) > 10
    for name, g in want.items():
        scale = float(g.abs().max())
        assert scale > 0, name
        torch.testing.assert_close(got[name], g, rtol=1e-5, atol=1e-6 * scale, msg=name)


def test_scenario_covers_every_packing_case():
    config = GRPOConfig()
    scored, batch = scenario(config, tiny_qwen2())
    assert batch.row_len == ROW_LEN and batch.num_rows == 3
    stems_per_row = []
    rows_of_prompt: dict[tuple, set] = {}
    for r in range(batch.num_rows):
        seq, parent = batch.seq_ids[r], batch.parent_ids[r]
        stems = {int(i) for i in seq[(seq == parent) & (seq >= 0)].unique()}
        stems_per_row.append(len(stems))
        for i in set(batch.sample_index[r][batch.sample_index[r] >= 0].tolist()):
            rows_of_prompt.setdefault(scored[[s.index for s in scored].index(i)].sample.prompt, set()).add(r)
    assert max(stems_per_row) >= 2, "several groups share a row"
    assert max(len(rows) for rows in rows_of_prompt.values()) >= 2, "a group splits across rows"
    assert (batch.seq_ids[:, -1] == -1).any(), "a row ends in padding"
    assert any(len(s.sample.segments) > 2 for s in scored), "a multi-segment sample is trained"
    assert any(len(s.sample.prompt) == 1 for s in scored), "a one-token prompt (no stem) is trained"
    assert len(batch.samples) == len(scored) and not batch.too_long


@pytest.mark.parametrize(
    "config",
    [
        GRPOConfig(),
        GRPOConfig(loss_normalization="sequence", epsilon_high=0.28, kl_coef=0.05),
        GRPOConfig(advantage_scaling="none", temperature=0.7, logprob_chunk=5),
    ],
    ids=["token", "sequence+kl", "no-std+temperature+chunks"],
)
def test_packed_loss_and_gradients_equal_unpacked(config):
    model = tiny_qwen2(seed=0)
    ref_model = tiny_qwen2(seed=1) if config.kl_coef > 0 else None
    scored, batch = scenario(config, model)
    norm = batch.normalizer(config.loss_normalization)
    assert norm == (
        len(scored) if config.loss_normalization == "sequence" else sum(s.sample.num_trained for s in scored)
    )

    model.zero_grad()
    loss, metrics = packed_loss(model, batch, config, norm, ref_model=ref_model)
    got = grads(model)

    if config.temperature != 1.0:
        # The reference has no temperature: fold it into the output layer's weights instead.
        ref = tiny_qwen2(seed=0)
        with torch.no_grad():
            ref.output.weight.div_(config.temperature)
        ref_loss = reference_loss(ref, scored, config, norm)
        ref_loss.backward()
        want = grads(ref)
        want["output.weight"] = want["output.weight"] / config.temperature
    else:
        model.zero_grad()
        ref_loss = reference_loss(model, scored, config, norm, ref_model=ref_model)
        ref_loss.backward()
        want = grads(model)

    assert loss == pytest.approx(ref_loss.item(), rel=1e-6, abs=1e-9)
    assert metrics.tokens == sum(s.sample.num_trained for s in scored)
    assert 0 < metrics.clipped < metrics.tokens, "the noise makes some tokens clip, not all"
    if config.kl_coef > 0:
        assert metrics.kl_sum > 0 and metrics.kl_loss > 0
    assert_grads_close(got, want)


def test_gradient_does_not_depend_on_micro_batch_size():
    config = GRPOConfig()
    model = tiny_qwen2()
    scored, batch = scenario(config, model, seeds=(0, 1))
    assert batch.num_rows == 6
    norm = batch.normalizer("token")
    model.zero_grad()
    reference_loss(model, scored, config, norm).backward()
    want = grads(model)
    losses = []
    for rows in (1, 2, 4):
        model.zero_grad()
        loss, metrics = packed_loss(model, batch, config, norm, rows_per_micro=rows)
        losses.append(loss)
        assert metrics.tokens == norm
        assert_grads_close(grads(model), want)
    assert losses == pytest.approx([losses[0]] * 3, rel=1e-6)


def test_ranks_scaled_by_world_size_match_one_process():
    """The factor without processes: two shards' losses x world_size, gradients averaged, equal one process."""
    config = GRPOConfig()
    model = tiny_qwen2()
    _, batch = scenario(config, model, seeds=(0, 1))
    norm = batch.normalizer("token")
    model.zero_grad()
    packed_loss(model, batch, config, norm)
    want = grads(model)
    summed = None
    for rank in range(2):
        model.zero_grad()
        packed_loss(model, batch.shard(rank, 2), config, norm, world_size=2)
        g = grads(model)
        summed = g if summed is None else {k: summed[k] + g[k] for k in g}
    assert_grads_close({k: v / 2 for k, v in summed.items()}, want)


@pytest.mark.slow
def test_two_gloo_ranks_equal_one_process(tmp_path):
    configs = [{"loss_normalization": "token"}, {"loss_normalization": "sequence", "epsilon_high": 0.28}]
    out = tmp_path / "rank0.pt"
    mp.spawn(ddp_worker, args=(2, str(tmp_path / "init"), str(out), configs), nprocs=2, join=True)
    results = torch.load(out)
    assert len(results) == len(configs)
    for kwargs, got in zip(configs, results):
        config = GRPOConfig(**kwargs)
        model = tiny_qwen2()
        _, batch = scenario(config, model, seeds=(0, 1))
        model.zero_grad()
        loss, metrics = packed_loss(model, batch, config, batch.normalizer(config.loss_normalization))
        assert got["rows"] == 3
        assert got["tokens"] == metrics.tokens
        assert got["loss"] == pytest.approx(loss, rel=1e-6)
        assert_grads_close(got["grads"], grads(model))
