"""Supervised fine-tuning's math and start-up (trainers.sft_steps, trainers.sft), fast:

- the packed token-level cross-entropy and its gradients equal the cross-entropy written out one
  sample at a time, unpacked, on a float64 tiny torchtune Qwen2 (several prompts per row, a prompt
  split across rows, a multi-segment sample, a one-token prompt, padding), for micro-batches of 1, 2
  and 3 rows and for 2 ranks' shards against one process; one optimizer step and the validation loss
  report it; a non-finite loss applies nothing;
- the data order: each epoch a permutation fixed by the seed and the epoch, steps cut from it;
- every start that cannot work (no data, a missing path, a folder without results, nothing left after
  the filters, every trace longer than a row, a bad model) is one line and writes no run folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import cli
from tests.trainers.tiny import ROW_LEN, NaNPolicy, Policy, grads, per_sample_logprobs, scenario_samples, tiny_qwen2
from trainers import Sample, Segment
from trainers.config import ConfigError
from trainers.run_dir import RunDirError
from trainers.sft import SFTRecipe
from trainers.sft_config import SFTConfig
from trainers.sft_steps import (
    data_position,
    epoch_order,
    fingerprint,
    mean_token_loss,
    pack_samples,
    sft_loss,
    sft_step,
    step_indices,
    steps_per_epoch,
    total_iterations,
)
from trainers.steps import StepError
from trainers.traces import TraceError

pytestmark = pytest.mark.filterwarnings("ignore:Mismatch dtype between input and weight")


def sft_samples_of_scenario() -> list[Sample]:
    """The packing scenario of tests/trainers/tiny.py as SFT samples: every sampled token's logprob 0.0
    (one stays None: not trained), each sample its own (the prompts are shared within a task)."""
    out = []
    for s in scenario_samples(0):
        segs = [
            Segment.sampled(seg.token_ids, [None if lp is None else 0.0 for lp in seg.logprobs])
            if seg.is_sampled
            else seg
            for seg in s.segments
        ]
        out.append(Sample(tuple(segs), reward=s.reward, group=s.group))
    return out


def reference_ce(model, samples: list[Sample]) -> torch.Tensor:
    """The mean token cross-entropy over every trained token, one unpacked sample at a time."""
    total, tokens = torch.zeros((), dtype=torch.float64), 0
    for s in samples:
        trained = torch.tensor(s.trained_mask())
        total = total - per_sample_logprobs(model, s)[trained].sum()
        tokens += int(trained.sum())
    return total / tokens


def assert_grads_close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys() and len(want) > 10
    for name, g in want.items():
        scale = float(g.abs().max())
        torch.testing.assert_close(got[name], g, rtol=1e-5, atol=1e-6 * scale, msg=name)


def packed_ce(model, batch, rows: int, world_size: int = 1) -> float:
    """Each rank's shard, micro-batch by micro-batch, backward on each (gradients averaged over the ranks as
    DDP/FSDP do: each rank's loss / world_size); the loss summed the same way."""
    total = 0.0
    for rank in range(world_size):
        for mb in batch.shard(rank, world_size).micro_batches(rows):
            logits = model(mb.tokens, mask=_mask(mb), input_pos=mb.positions)
            loss, _, _ = sft_loss(logits, mb, normalizer=batch.num_trained_tokens, world_size=world_size)
            (loss / world_size).backward()
            total += float(loss.detach()) / world_size
    return total


def _mask(mb):
    from trainers.masks import attention_mask

    return attention_mask(mb, "dense")


def test_the_scenario_packs_every_case():
    samples = sft_samples_of_scenario()
    batch = pack_samples(samples, range(len(samples)), ROW_LEN)
    assert batch.num_rows == 3 and not batch.too_long and len(batch.samples) == len(samples)
    assert batch.num_trained_tokens == sum(s.num_trained for s in samples)
    assert batch.prompt_copies < len(samples), "a prompt shared by several samples is stored once per row"
    assert (batch.seq_ids[:, -1] == -1).any() and any(len(s.segments) > 2 for s in samples)


@pytest.mark.parametrize("rows, world_size", [(1, 1), (2, 1), (3, 1), (1, 2)])
def test_the_packed_loss_and_gradients_equal_the_unpacked_cross_entropy(rows, world_size):
    samples = sft_samples_of_scenario()
    model = tiny_qwen2()
    want = reference_ce(model, samples)
    want.backward()
    want_grads = grads(model)
    model.zero_grad(set_to_none=True)
    batch = pack_samples(samples, range(len(samples)), ROW_LEN)
    got = packed_ce(model, batch, rows, world_size)
    assert got == pytest.approx(float(want.detach()), rel=1e-6)
    assert_grads_close(grads(model), want_grads)


def test_one_step_reports_its_loss_and_the_validation_loss_equals_the_formula():
    samples = sft_samples_of_scenario()
    model = tiny_qwen2()
    policy = Policy(model)
    batch = pack_samples(samples, range(len(samples)), ROW_LEN)
    with torch.no_grad():
        want = float(reference_ce(model, samples))
    val = mean_token_loss(policy, batch, micro_batch_rows=2, device="cpu")
    assert val == pytest.approx(want, rel=1e-6) and not any(p.grad is not None for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    result = sft_step(policy, optimizer, batch, lr=1e-2, max_grad_norm=1.0, micro_batch_rows=1, device="cpu")
    assert result.loss == pytest.approx(want, rel=1e-6) and result.tokens == batch.num_trained_tokens
    assert result.grad_norm > 0 and optimizer.param_groups[0]["lr"] == 1e-2
    after = mean_token_loss(policy, batch, micro_batch_rows=3, device="cpu")
    assert after < val  # one step down the gradient of this very loss


def test_a_non_finite_loss_applies_nothing():
    samples = sft_samples_of_scenario()
    model = tiny_qwen2()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    batch = pack_samples(samples, range(len(samples)), ROW_LEN)
    with pytest.raises(StepError, match="not finite.*nothing was applied"):
        sft_step(NaNPolicy(model), optimizer, batch, lr=1e-2, max_grad_norm=1.0, micro_batch_rows=1, device="cpu")
    assert all(torch.equal(p, before[n]) for n, p in model.named_parameters())
    assert not optimizer.state


def test_each_epoch_is_a_permutation_fixed_by_the_seed_and_the_epoch():
    assert epoch_order(10, 0, 0) == [8, 7, 9, 4, 6, 1, 5, 0, 2, 3]  # the same on any machine (no salted hash)
    assert sorted(epoch_order(10, 0, 1)) == list(range(10)) and epoch_order(10, 0, 1) != epoch_order(10, 0, 0)
    assert epoch_order(10, 1, 0) != epoch_order(10, 0, 0)
    # 10 samples, 4 per step: 3 steps per epoch, the last one of 2
    assert steps_per_epoch(10, 4) == 3 and data_position(4, 10, 4) == (1, 1)
    steps = [step_indices(i, 10, 4, 0) for i in range(6)]
    assert [len(s) for s in steps] == [4, 4, 2, 4, 4, 2]
    assert sum(steps[:3], []) == epoch_order(10, 0, 0) and sum(steps[3:], []) == epoch_order(10, 0, 1)
    assert total_iterations(SFTConfig(epochs=2, samples_per_step=4), 10) == 6
    assert total_iterations(SFTConfig(iterations=7, samples_per_step=4), 10) == 7


def test_the_fingerprint_follows_the_tokens():
    samples = sft_samples_of_scenario()
    assert fingerprint(samples) == fingerprint(list(samples))
    assert fingerprint(samples) != fingerprint(samples[:-1]) != fingerprint(samples[::-1])


# -- start-ups that cannot work: one line, no run folder -----------------------------------------------


def episode(puzzle: str, sample: int, reward: float, replies=("A. x",)) -> str:
    """A results.jsonl line of an investigation-style record (its whole conversation: nothing to make again)."""
    turns = [{"role": "user", "content": f"the case of {puzzle}"}]
    for k, reply in enumerate(replies):
        turns.append({"role": "assistant", "content": reply})
        if k < len(replies) - 1:
            turns.append({"role": "user", "content": f"answer {k}"})
    record = {
        "episode": f"{puzzle}#{sample}",
        "puzzle_id": puzzle,
        "sample": sample,
        "reward": reward,
        "correct": {"A": reward == 1.0},
        "answers": {"A": "x"},
        "solution": {"A": "x"},
        "text": replies[-1],
        "agent": "model",
        "questions": len(replies) - 1,
        "turns": turns,
    }
    return json.dumps(record) + "\n"


@pytest.fixture
def results(tmp_path) -> Path:
    path = tmp_path / "eval" / "results.jsonl"
    path.parent.mkdir()
    path.write_text("".join(episode(f"case/{k}", 0, 0.5, ("Who?", "A. x")) for k in range(6)))
    return path


def refuse(tmp_path: Path, capsys, *settings: str, agent: str = "tiny") -> str:
    out = tmp_path / "run"
    args = ["train", "--trainer", "sft", "--agent", agent, "--out", str(out)]
    for item in settings:
        args += ["--set", item]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert not out.exists(), "a start that cannot work wrote the run folder"
    assert len(err.splitlines()) == 1 and err.startswith("clue: error: "), err
    return err


def test_no_data_a_missing_path_or_a_folder_without_results_is_one_line(tmp_path, capsys):
    assert "data names no `clue eval` output" in refuse(tmp_path, capsys)
    assert f"{tmp_path / 'nowhere'}: no such file or folder" in refuse(tmp_path, capsys, f"data={tmp_path / 'nowhere'}")
    (tmp_path / "empty").mkdir()
    assert "no results.jsonl in this folder" in refuse(tmp_path, capsys, f"data={tmp_path / 'empty'}")
    (tmp_path / "empty" / "results.jsonl").write_text("")
    assert "holds no episodes" in refuse(tmp_path, capsys, f"data={tmp_path / 'empty'}")


def test_filters_leaving_nothing_or_rows_too_short_are_one_line(tmp_path, capsys, results):
    err = refuse(tmp_path, capsys, f"data={results.parent}", "min_reward=0.9")
    assert "no trace is left to train on" in err and "min_reward 6" in err
    err = refuse(tmp_path, capsys, f"data={results}", "row_len=8")
    assert "every training trace is longer than row_len=8" in err


def test_a_bad_model_is_one_line(tmp_path, capsys, results):
    assert "needs model=PATH" in refuse(tmp_path, capsys, f"data={results}", agent="vllm")
    assert "cannot be trained" in refuse(tmp_path, capsys, f"data={results}", agent="solver")
    other = tmp_path / "other-model"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (other / "model.safetensors").write_bytes(b"")
    err = refuse(tmp_path, capsys, f"data={results}", f"model={other}", agent="vllm")
    assert "model_type 'llama'" in err
    assert "row_len=8192 is longer than the model's context (4096)" in refuse(
        tmp_path, capsys, f"data={results}", "row_len=8192"
    )


def test_the_recipe_reads_and_renders_the_data_before_the_folder(tmp_path, results):
    """setup() up to the data, without a model loaded: what the display is told about them."""
    config = SFTConfig(data=str(results), row_len=1024, val_puzzles=2, dtype="float32")
    recipe = SFTRecipe(config, tmp_path / "run")
    with pytest.raises(RunDirError, match="already holds a run"):
        (tmp_path / "run").mkdir()
        (tmp_path / "run" / "something").write_text("x")
        recipe.setup()
    recipe.cleanup()
    data = recipe.data
    assert len(data.train) == 4 and len(data.val) == 2 and data.val_puzzles == 2 and data.traces == 6
    assert recipe.iterations == 3  # three epochs (the default) of one step (32 traces per step)
    assert "training on 4 traces, validating on 2 of 2 held-out puzzles" in data.summary()
    with pytest.raises(TraceError):
        SFTRecipe(SFTConfig(data=str(results.parent / "missing.jsonl"), row_len=1024), tmp_path / "other").setup()
    assert not (tmp_path / "other").exists()


def test_clue_plot_draws_an_sft_run_and_a_grpo_run_as_before(tmp_path, capsys):
    sft, grpo = tmp_path / "sft", tmp_path / "grpo"
    for path, lines in (
        (sft, [{"iteration": 0, "val_loss": 2.0}] + [{"iteration": i, "loss": 2.0 - i / 10} for i in (1, 2, 3)]),
        (grpo, [{"iteration": 0, "val_reward": 0.4}, {"iteration": 1, "mean_reward": 0.5, "loss": 0.1}]),
    ):
        path.mkdir()
        (path / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in lines))
    with (sft / "metrics.jsonl").open("a") as f:
        f.write(json.dumps({"iteration": 4, "loss": 1.5, "val_loss": 1.7}) + "\n")
    assert cli.main(["plot", str(sft)]) == 0
    assert capsys.readouterr().out.split() == ["wrote", str(sft / "loss.png")]
    assert cli.main(["plot", str(grpo)]) == 0
    assert capsys.readouterr().out.split() == [
        "wrote",
        str(grpo / "reward.png"),
        "wrote",
        str(grpo / "answer_length.png"),
    ]


def test_a_resume_on_other_data_is_refused(tmp_path, results):
    """One real iteration on the tiny base (a checkpoint with the data's fingerprint), then the data change."""
    from trainers.sft import run
    from trainers.spec import TrainRequest

    class Quiet:
        iterations = None

        def phase(self, *args):
            pass

        def iteration_done(self, record):
            self.last = record

    out = tmp_path / "run"
    settings = (f"data={results}", "val_puzzles=2", "iterations=1")
    summary = run(TrainRequest("tiny", out, overrides=settings), console=Quiet())
    assert summary["iteration"] == 1 and (out / "latest").resolve().name == "iter-000001"
    with results.open("a") as f:  # `clue eval --resume` added an episode since
        f.write(episode("case/9", 0, 1.0, ("A. y",)))
    with pytest.raises(ConfigError, match="--resume: the data differ from those .* trained on"):
        run(TrainRequest("tiny", out, resume=True, overrides=settings), console=Quiet())
