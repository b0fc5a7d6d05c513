"""The recipe test with exact losses, torchtune-style: a real ``clue train --agent tiny`` run's
rollouts (recorded by :mod:`tests.trainers.recorded`: vLLM sampling, torchtune training) replayed
through the training functions the recipe calls, from the same shipped base, with no vLLM and so
no sampling nondeterminism: each iteration's loss, gradient norm, clip fraction, ratio, entropy,
KL, trained tokens and learning rate equal what the recipe logged. A change to the loss, the
advantages, the packing, the optimizer step or the schedule that moves any number fails here."""

from __future__ import annotations

import pytest
import torch

from tests.trainers.recorded import ITERATIONS, load
from trainers.advantages import compute_advantages
from trainers.grpo import resolve_config
from trainers.spec import TrainRequest
from trainers.steps import split_steps, train_iteration


def test_replayed_rollouts_give_the_recipes_own_losses(tmp_path):
    from agents.presets import preset_model_path
    from trainers.tune import load_policy

    data = load()
    c = resolve_config(
        TrainRequest("tiny", tmp_path / "run", overrides=(f"iterations={ITERATIONS}", *data["overrides"]))
    )
    assert c.kl_coef > 0 and c.optimizer_steps_per_iteration == 2  # every part of the step is recorded
    base = preset_model_path("tiny")
    cpu = torch.device("cpu")
    torch.manual_seed(c.seed)
    policy = load_policy(base, max_seq_len=c.row_len, device=cpu, dtype=torch.float32)
    reference = load_policy(base, max_seq_len=c.row_len, device=cpu, dtype=torch.float32)
    reference.model.eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(
        policy.trainable_parameters(),
        lr=c.learning_rate,
        betas=(c.adam_beta1, c.adam_beta2),
        weight_decay=c.weight_decay,
    )
    for i, recorded in enumerate(data["iterations"]):
        steps = split_steps(compute_advantages(recorded["samples"], c).scored, c)
        got = train_iteration(policy, optimizer, steps, c, i, device=cpu, reference=reference)
        got["lr"] = optimizer.param_groups[0]["lr"]
        want = recorded["figures"]
        assert got["tokens_trained"] == want["tokens_trained"] > 0
        for name in ("loss", "grad_norm", "clip_fraction", "mean_ratio", "entropy", "kl", "lr"):
            # bit-equal on the machine that recorded it; a CPU with other kernels may differ in the last bits
            assert got[name] == pytest.approx(want[name], rel=1e-5, abs=1e-8), f"iteration {i + 1} {name}"
    assert any(it["figures"]["clip_fraction"] > 0 for it in data["iterations"][1:]), "later iterations are off-policy"
