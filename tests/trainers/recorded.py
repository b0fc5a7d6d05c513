"""Recorded rollouts of a real ``clue train --agent tiny`` run, for the recipe test with exact losses.

``python -m tests.trainers.recorded`` runs the recipe itself (vLLM's CPU build sampling from the
shipped tiny base, torchtune training) for :data:`ITERATIONS` iterations with :data:`OVERRIDES`
and writes :data:`DATA`: the settings, each iteration's scored samples exactly as the recipe
trained on them (token ids, sampling logprobs, rewards, groups, truncation), and each iteration's
training figures as the recipe logged them in ``metrics.jsonl``. The test replays the samples
through the training functions, with no vLLM and so no sampling nondeterminism, and must get the
same figures. Rerun it only when a change is meant to change the training step's numbers (say so
in the commit), never to make a failing test pass.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "tiny_rollouts.json.gz"
ITERATIONS = 3
#: On top of the tiny preset: a smaller batch (a smaller file), two optimizer steps per iteration and
#: a KL term (so the step's every part is recorded), the learning rate that moves the weights visibly.
OVERRIDES = (
    "tasks_per_iteration=4",
    "samples_per_task=8",
    "optimizer_steps_per_iteration=2",
    "kl_coef=0.05",
    "val_every=0",
    "seed=7",
)
#: The training figures of metrics.jsonl the replay must reproduce.
FIGURES = ("loss", "grad_norm", "clip_fraction", "mean_ratio", "entropy", "kl", "tokens_trained", "lr")


def sample_to_json(sample) -> dict[str, Any]:
    return {
        "segments": [[list(s.token_ids), None if s.logprobs is None else list(s.logprobs)] for s in sample.segments],
        "reward": sample.reward,
        "group": sample.group,
        "truncated": sample.truncated,
    }


def sample_from_json(item: dict[str, Any]):
    from trainers.samples import Sample, Segment

    segments = tuple(Segment(tuple(ids), None if lps is None else tuple(lps)) for ids, lps in item["segments"])
    return Sample(segments, reward=item["reward"], group=item["group"], truncated=item["truncated"])


def load() -> dict[str, Any]:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        data = json.load(f)
    data["iterations"] = [{**it, "samples": [sample_from_json(s) for s in it["samples"]]} for it in data["iterations"]]
    return data


def record(path: Path = DATA) -> None:
    from trainers import grpo
    from trainers.spec import TrainRequest

    batches: list[list] = []
    collect = grpo.GRPORecipe._collect

    def recording(self, iteration):
        batch, timing = collect(self, iteration)
        batches.append([sample_to_json(s) for s in batch.samples])
        return batch, timing

    grpo.GRPORecipe._collect = recording
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        request = TrainRequest("tiny", out, overrides=(f"iterations={ITERATIONS}", *OVERRIDES))
        grpo.run(request)
        records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    records = [r for r in records if r.get("loss") is not None]
    assert len(records) == len(batches) == ITERATIONS, (len(records), len(batches))
    data = {
        "overrides": list(OVERRIDES),
        "iterations": [
            {"samples": samples, "figures": {k: r[k] for k in FIGURES}} for samples, r in zip(batches, records)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(json.dumps(data, separators=(",", ":")).encode())
    print(f"wrote {path} ({path.stat().st_size:,} bytes)", file=sys.stderr)


if __name__ == "__main__":
    record()
