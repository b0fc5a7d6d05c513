"""The tiny preset's settings side by side: ``python benchmarks/bench_tiny_preset.py [--runs a,b]``.

Each run is ``clue train --agent tiny`` from the shipped base with the same seed, the preset's
settings plus one change (:data:`RUNS`); runs go one after another (each uses both cores). The
table gives the held-out reward (greedy, 64 ``tiny/cpu`` puzzles, every ``--val-every``
iterations): the base, the best (and at which iteration) and the final; the training reward of
the first and last ten iterations; and the seconds (the whole command, and its iterations). What
the preset ships is the run named ``preset``; the others are what it was chosen against.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import clue_train, machine_facts  # noqa: E402

#: name -> settings on top of the preset's (``--set FIELD=VALUE``).
RUNS = {
    "preset": [],
    "steps=1": ["optimizer_steps_per_iteration=1"],
    "steps=4": ["optimizer_steps_per_iteration=4"],
    "steps=1+clip-higher": ["optimizer_steps_per_iteration=1", "epsilon_high=0.28"],
    "steps=1+lr1e-3-cosine": [
        "optimizer_steps_per_iteration=1",
        "learning_rate=1e-3",
        "warmup_iterations=15",
        "lr_schedule=cosine",
    ],
    "steps=1+16x4": ["optimizer_steps_per_iteration=1", "samples_per_task=16", "tasks_per_iteration=4"],
    "iterations=250": ["iterations=250"],
}


def most_mentioned_baseline(n: int = 64, seed: int = 1_000_000_000) -> float:
    """What reading the clues can give without learning: each answer the option the prompt names most
    often, graded on the held-out puzzles every run validates on (``val_tasks``, ``val_seed``)."""
    from clue_env.grading import Grader
    from evaluation.tasks import TaskSource, load_source

    tasks = load_source(TaskSource(variant="tiny", difficulty="cpu", n=n, seed=seed))[0]
    total = 0.0
    for task in tasks:
        answers = {k: max(options, key=task.prompt.count) for k, options in task.options.items()}
        total += Grader(task.solution, task.options)("\n".join(f"{k}. {v}" for k, v in answers.items())).reward
    return total / len(tasks)


def run_one(name: str, settings: list[str], out: Path, args) -> dict:
    settings = [f"val_every={args.val_every}", f"seed={args.seed}", *settings, *args.set]
    rows, wall = clue_train(name, out, [], settings)
    its = [r for r in rows if r["iteration"] > 0]
    vals = [(r["iteration"], r["val_reward"]) for r in rows if r.get("val_reward") is not None]
    best_at, best = max(vals[1:], key=lambda v: v[1])
    rewards = [r["mean_reward"] for r in its]
    return {
        "name": name,
        "base": vals[0][1],
        "best": best,
        "best_at": best_at,
        "final": vals[-1][1],
        "first": sum(rewards[:10]) / len(rewards[:10]),
        "last": sum(rewards[-10:]) / len(rewards[-10:]),
        "iterations": len(its),
        "seconds": wall,
        "train_seconds": sum(r["seconds"] for r in its),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--val-every", type=int, default=15, help="iterations between validations (default 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default=",".join(RUNS), help="which runs, comma-separated (default: all)")
    parser.add_argument("--set", action="append", default=[], help="a setting for every run (FIELD=VALUE)")
    parser.add_argument("--keep", type=Path, help="keep the run folders under this folder")
    parser.add_argument("--baseline", action="store_true", help="print only the most-mentioned-option baseline")
    args = parser.parse_args(argv)
    baseline = f"most-mentioned-option baseline on the same held-out puzzles: {most_mentioned_baseline():.3f}"
    if args.baseline:
        print(baseline)
        return 0
    names = [n.strip() for n in args.runs.split(",") if n.strip()]
    unknown = [n for n in names if n not in RUNS]
    if unknown or not names:
        parser.error(f"--runs: unknown {unknown}; choose from {', '.join(RUNS)}")
    import torch
    import vllm

    for line in machine_facts(f"torch {torch.__version__}, vllm {vllm.__version__}"):
        print(line)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-tiny-preset-") as scratch:
        base = args.keep or Path(scratch)
        for k, name in enumerate(names):
            results.append(run_one(name, RUNS[name], base / f"run{k}", args))
    print(f"\n{baseline}")
    print(f"seed {args.seed}; held-out: greedy, 64 tiny/cpu puzzles (base {results[0]['base']:.3f}, chance 0.333)")
    print(
        "\n| run | best held-out (iteration) | final held-out | training reward, first → last ten | iterations | seconds (iterations) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['name']} | {r['best']:.3f} ({r['best_at']}) | {r['final']:.3f} | {r['first']:.2f} → {r['last']:.2f} "
            f"| {r['iterations']} | {r['seconds']:.0f} ({r['train_seconds']:.0f}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
