"""`clue train --agent tiny --set max_off_policy_steps=1`: the next iteration's rollouts sampled while
this one trains. The staleness never exceeds the setting, the engine-vs-trainer mismatch shows the
lag (and only the lag: numerics at staleness 0), and kill -9 + ``--resume`` equals the uninterrupted
pipelined run (the checkpoint holds the rollouts already sampled for the next iteration)."""

from __future__ import annotations

import pytest

from tests.trainers.runs import SHORT, kill_9_at, metrics, train

pytestmark = pytest.mark.slow

PIPELINED = (*SHORT, "--set", "max_off_policy_steps=1")


@pytest.fixture(scope="module")
def pipelined(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("pipelined") / "run"
    train(out, *PIPELINED)
    return metrics(out)


def test_rollouts_are_at_most_one_iteration_old_and_the_mismatch_shows_it(pipelined):
    rows = [r for r in pipelined if r["iteration"] > 0]
    assert [r["staleness"] for r in rows] == [0, 1, 1, 1, 1, 1]  # the first is sampled before anything trains
    first, later = rows[0], rows[1:]
    assert first["logprob_mismatch"] < 1e-4  # the same weights in vLLM and the trainer: numerics only
    assert all(r["logprob_mismatch"] > 100 * first["logprob_mismatch"] for r in later)
    assert all(r["logprob_mismatch_kl"] >= 0 and 0 <= r["importance_truncated_fraction"] < 0.5 for r in later)
    assert all(r["rollout_wait_s"] >= 0 for r in later) and "rollout_wait_s" not in first
    vals = [r["val_reward"] for r in pipelined if "val_reward" in r]
    assert len(vals) == 3 and all(0 <= v <= 1 for v in vals)


def test_the_first_iteration_is_the_synchronous_ones(pipelined, reference):
    """Iteration 1 samples before anything trains (the same rollouts as the synchronous run) and its
    correction is the identity up to vLLM's numerics: the same reward, the same loss within 1e-5."""
    got, want = pipelined[1], reference[1]
    assert got["mean_reward"] == pytest.approx(want["mean_reward"], abs=1e-9)
    assert got["tokens_trained"] == want["tokens_trained"]
    assert got["loss"] == pytest.approx(want["loss"], abs=1e-5)
    assert pipelined[0]["val_reward"] == pytest.approx(reference[0]["val_reward"], abs=1e-9)


def test_kill_9_then_resume_equals_the_uninterrupted_pipelined_run(tmp_path, pipelined):
    out = tmp_path / "run"
    done_before = kill_9_at(out, PIPELINED, 2)
    assert 2 <= done_before < 6
    train(out, "--resume", *PIPELINED)
    rows = metrics(out)
    assert [r["iteration"] for r in rows] == list(range(7)), "an iteration is missing or written twice"
    for got, want in zip(rows, pipelined):
        for key in ("mean_reward", "val_reward", "tokens_trained", "staleness"):
            assert got.get(key) == pytest.approx(want.get(key), abs=1e-9), (got["iteration"], key)
        for key in ("loss", "logprob_mismatch"):
            if key in want:
                assert got[key] == pytest.approx(want[key], rel=1e-6, abs=1e-7), (got["iteration"], key)
