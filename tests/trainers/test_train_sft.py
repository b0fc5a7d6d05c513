"""`clue train --trainer sft --agent tiny` on a small `clue eval` folder of the solver's games (one-shot
and investigation), end to end in fresh processes:

- the validation loss on the held-out puzzles falls below the starting model's, every metrics field is
  there, `clue plot` draws the run, and `clue eval --agent vllm --model DIR/best` plays the checkpoint;
- kill -9 in the middle of a run (mid-epoch), then `--resume`: every iteration's loss, validation loss,
  gradient norm, learning rate and data position equal those of the run never interrupted;
- `torchrun --nproc-per-node 2` (gloo, FSDP2, each rank its share of the rows) equals one process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trainers.runs import ROOT, free_port, kill_9_at, metrics, run_env, train

pytestmark = pytest.mark.slow

#: 48 one-shot puzzles and 12 investigations of tiny/cpu: ~54 traces trained (16 per step: 4 steps per
#: epoch), ~6 puzzles held out; 3 epochs (the default), the loss validated every 3 iterations.
SETTINGS = ("--set", "val_every=3", "--set", "save_every=3")
FIELDS = (
    "iteration",
    "epoch",
    "loss",
    "tokens_trained",
    "samples",
    "grad_norm",
    "lr",
    "seconds",
    "trained_tokens_per_s",
)


def clue(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    return proc


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    """The solver's games: a one-shot folder and an investigation folder, as `clue eval` writes them."""
    root = tmp_path_factory.mktemp("sft-data")
    level = ("--variant", "tiny", "--difficulty", "cpu")
    clue("eval", "--agent", "solver", *level, "--n", "48", "--out", str(root / "one"))
    clue("eval", "--agent", "solver", "--game", "investigation", *level, "--n", "12", "--out", str(root / "inv"))
    return f"{root / 'one'},{root / 'inv' / 'results.jsonl'}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data) -> tuple[Path, list[dict]]:
    """An SFT run in one go: what the interrupted one must equal."""
    out = tmp_path_factory.mktemp("sft-reference") / "run"
    proc = train(out, "--set", f"data={data}", *SETTINGS, trainer="sft")
    assert "val_loss" in proc.stdout and f"wrote {out}" in proc.stdout
    return out, metrics(out)


def test_sft_lowers_the_validation_loss_and_the_checkpoint_plays(tmp_path, reference):
    out, rows = reference
    assert [r["iteration"] for r in rows] == list(range(len(rows)))
    start, trained = rows[0], rows[1:]
    assert set(start) == {"iteration", "val_loss", "validation_s"}
    assert len(trained) == 12, "3 epochs of 4 steps"
    for r in trained:
        assert set(FIELDS) <= set(r), set(FIELDS) - set(r)
        assert r["samples"] >= 1 and r["tokens_trained"] > 0 and r["grad_norm"] > 0
    assert [r["epoch"] for r in trained][3::4] == [1.0, 2.0, 3.0]
    assert sum(r["samples"] for r in trained) == 3 * sum(r["samples"] for r in trained[:4])
    validated = [r["val_loss"] for r in rows if "val_loss" in r]
    assert len(validated) == 5 and min(validated[1:]) < validated[0], validated
    best = min(validated)
    best_at = next(r["iteration"] for r in rows if r.get("val_loss") == best)
    assert (out / "best").resolve().name == f"iter-{best_at:06d}"
    assert (out / "latest").resolve().name == "iter-000012"
    assert (out / "loss.png").stat().st_size > 0

    clue("plot", str(out))
    played = tmp_path / "eval"
    level = ("--variant", "tiny", "--difficulty", "cpu", "--n", "4", "--seed", "7")
    clue("eval", "--agent", "vllm", "--model", str(out / "best"), *level, "--temperature", "0", "--out", str(played))
    results = [json.loads(line) for line in (played / "results.jsonl").read_text().splitlines()]
    assert len(results) == 4 and all(r.get("error") is None for r in results)
    assert all(r["text"].strip() for r in results)  # the fine-tuned model answers


def test_kill_9_then_resume_equals_an_uninterrupted_sft_run(tmp_path, data, reference):
    _, want = reference
    out = tmp_path / "run"
    args = ("--set", f"data={data}", *SETTINGS)
    done_before = kill_9_at(out, args, 7, trainer="sft")  # past the checkpoint of iteration 6: mid-epoch 2
    assert 7 <= done_before < 12
    train(out, "--resume", *args, trainer="sft")
    got = metrics(out)
    assert [r["iteration"] for r in got] == list(range(13)), "an iteration is missing or written twice"
    for g, w in zip(got, want):
        for key in ("epoch", "samples", "tokens_trained", "lr"):
            assert g.get(key) == w.get(key), (g["iteration"], key)
        for key in ("loss", "val_loss", "grad_norm"):
            assert g.get(key) == pytest.approx(w.get(key), abs=1e-6), (g["iteration"], key)
    assert (out / "latest").resolve().name == "iter-000012"


def test_torchrun_two_processes_equal_one_process(tmp_path, data, reference):
    _, want = reference
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(free_port())]
    cmd += ["-m", "cli", "train", "--trainer", "sft", "--agent", "tiny", "--out", str(out), "--set", f"data={data}"]
    proc = subprocess.run([*cmd, *SETTINGS], cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    assert proc.stdout.count("wrote") == 1, "only the first rank reports"
    got = metrics(out)
    assert [r["iteration"] for r in got] == [r["iteration"] for r in want]
    for g, w in zip(got, want):
        assert (g.get("tokens_trained"), g.get("samples"), g.get("epoch")) == (
            w.get("tokens_trained"),
            w.get("samples"),
            w.get("epoch"),
        )
        for key in ("loss", "val_loss", "grad_norm"):  # the ranks' sums meet in another order: float tolerance
            assert g.get(key) == pytest.approx(w.get(key), rel=1e-4, abs=1e-5), (g["iteration"], key)
