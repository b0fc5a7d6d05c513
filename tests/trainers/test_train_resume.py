"""`clue train --agent tiny` interrupted, then ``--resume``d: kill -9 in the middle of a run, SIGTERM
(a cluster's preemption: the run saves the iteration it finishes and exits 143), a non-finite loss,
the vLLM engine's process killed. No iteration twice in metrics.jsonl, and every iteration's reward,
loss and validation equal those of a run never interrupted (optimizer, RNG and sampling seeds restored).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.trainers.runs import ROOT, SHORT, kill_9_at, metrics, run_env, sigterm_at, start, train

pytestmark = pytest.mark.slow


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, reference):
    out = tmp_path / "run"
    done_before = kill_9_at(out, SHORT, 2)
    assert 2 <= done_before < 6
    train(out, "--resume", *SHORT)
    rows = metrics(out)
    assert [r["iteration"] for r in rows] == list(range(7)), "an iteration is missing or written twice"
    for got, want in zip(rows, reference):
        for key in ("mean_reward", "val_reward", "tokens_trained"):
            assert got.get(key) == pytest.approx(want.get(key), abs=1e-9), (got["iteration"], key)
        if "loss" in want:
            assert got["loss"] == pytest.approx(want["loss"], abs=1e-6), got["iteration"]
    assert (out / "latest").resolve().name == "iter-000006"


def test_resume_of_a_run_killed_before_its_first_checkpoint_starts_over(tmp_path, reference):
    out = tmp_path / "run"
    kill_9_at(out, (*SHORT, "--set", "save_every=5"), 1)  # the first checkpoint: iteration 3's validation
    train(out, "--resume", *SHORT, "--set", "save_every=5")
    rows = metrics(out)
    assert [r["iteration"] for r in rows] == list(range(7)), "iteration 0 (or another) written twice"
    for got, want in zip(rows, reference):
        assert got.get("val_reward") == pytest.approx(want.get("val_reward"), abs=1e-9), got["iteration"]
        assert got.get("mean_reward") == pytest.approx(want.get("mean_reward"), abs=1e-9), got["iteration"]


def test_the_synchronous_run_samples_with_the_weights_it_trains(reference):
    """max_off_policy_steps = 0 (the default): no rollout is older than the weights it trains, and the
    engine-vs-trainer logprob mismatch, logged every iteration, is vLLM's numerics only."""
    rows = [r for r in reference if r["iteration"] > 0]
    assert [r["staleness"] for r in rows] == [0] * 6
    assert all(0 <= r["logprob_mismatch"] < 1e-4 and r["importance_weight"] == 1.0 for r in rows)


def test_sigterm_stops_at_a_safe_point_with_143_and_resume_equals_an_uninterrupted_run(tmp_path, reference):
    """A cluster's preemption: SIGTERM mid-run; the run finishes its iteration, saves it (even between
    save_every checkpoints), exits 143 with one line, and --resume continues as if never stopped."""
    out = tmp_path / "run"
    log = (tmp_path / "stderr.txt").open("w")  # a file, not a pipe: a full pipe would stall the run
    proc = start(out, *SHORT, "--set", "save_every=5", stderr=log)
    err = sigterm_at(proc, out, 1, log)
    assert proc.returncode == 143, err[-3000:]
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("clue: stopped by SIGTERM: after iteration ") and "--resume" in last, last
    done_before = max(r["iteration"] for r in metrics(out))
    assert 1 <= done_before < 6
    assert (out / "latest").resolve().name == f"iter-{done_before:06d}", "the stopped iteration is saved"
    train(out, "--resume", *SHORT, "--set", "save_every=5")
    rows = metrics(out)
    assert [r["iteration"] for r in rows] == list(range(7)), "an iteration is missing or written twice"
    for got, want in zip(rows, reference):
        for key in ("mean_reward", "val_reward", "tokens_trained"):
            assert got.get(key) == pytest.approx(want.get(key), abs=1e-9), (got["iteration"], key)
        if "loss" in want:
            assert got["loss"] == pytest.approx(want["loss"], abs=1e-6), got["iteration"]


NAN_AFTER = """
import sys

import trainers.tune as tune

calls = [0]
forward = tune.Policy.forward


def forward_then_nan(self, tokens, mask, positions):  # the policy's logits turn NaN after N forwards
    out = forward(self, tokens, mask, positions)
    calls[0] += 1
    return out * float("nan") if calls[0] > int(sys.argv[1]) else out


tune.Policy.forward = forward_then_nan
import cli

sys.exit(cli.main(sys.argv[2:]))
"""


def test_a_non_finite_loss_stops_cleanly_and_the_run_resumes(tmp_path, reference):
    out = tmp_path / "run"
    # two forwards per iteration here (two optimizer steps, each one micro-batch): iteration 3's first is NaN
    cmd = [sys.executable, "-c", NAN_AFTER, "4", "train", "--agent", "tiny", "--out", str(out), *SHORT]
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 2  # the CLI's error exit
    message = proc.stderr.strip().splitlines()[-1]
    assert "not finite" in message and "nothing was applied" in message and "--resume" in message, message
    assert "Traceback" not in proc.stderr
    assert [r["iteration"] for r in metrics(out)] == [0, 1, 2]
    assert (out / "latest").resolve().name == "iter-000002"
    train(out, "--resume", *SHORT)
    rows = metrics(out)
    assert [r["iteration"] for r in rows] == list(range(7))
    for got, want in zip(rows, reference):
        assert got.get("mean_reward") == pytest.approx(want.get("mean_reward"), abs=1e-9)
        assert got.get("loss") == pytest.approx(want.get("loss"), abs=1e-6)


def test_a_crashed_vllm_engine_stops_cleanly_and_the_run_resumes(tmp_path):
    import psutil

    out = tmp_path / "run"
    # the engine in its own process (weights through /dev/shm), so that it can be killed alone
    args = ("--iterations", "4", "--set", "val_every=0", "--set", "agent_args=in_process:0")
    cmd = [sys.executable, "-m", "cli", "train", "--agent", "tiny", "--out", str(out), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=run_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None and not killed:
            if (out / "metrics.jsonl").is_file() and any(r["iteration"] >= 2 for r in metrics(out)):
                for child in psutil.Process(proc.pid).children(recursive=True):
                    if "EngineCore" in " ".join(child.cmdline()) or "EngineCore" in child.name():
                        child.kill()
                        killed = True
            time.sleep(0.05)
        assert killed, "no engine process found to kill"
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, stderr[-2000:]
    assert "Traceback" not in stderr
    message = stderr.strip().splitlines()[-1]
    assert "vLLM" in message or "rollout" in message, message
    assert "--resume" in message, message
    done = max(r["iteration"] for r in metrics(out))
    assert 2 <= done < 4 and (out / "latest").resolve().name == f"iter-{done:06d}"
    train(out, "--resume", *args)
    assert [r["iteration"] for r in metrics(out)] == [1, 2, 3, 4]
