"""Curriculum and dynamic sampling side by side: ``python benchmarks/bench_curriculum.py [--budget 90000]``.

Four ``clue train --agent tiny`` runs from the same shipped base, the same seed and the same
number of sampled rollout tokens (``rollout_token_budget``: each run stops after the iteration
that reaches it), differing only in where the training puzzles come from and which groups are
trained on:

- ``fixed``: every puzzle at the target level (``tiny/cpu``), every group kept (the advantages
  drop the ones whose rewards do not vary);
- ``adaptive``: ``curriculum=adaptive`` (the preset's target pass rate and band);
- ``dynamic``: the target level, ``dynamic_sampling=1`` (zero-variance groups replaced by fresh puzzles);
- ``adaptive+dynamic``: both.

Every run validates (greedy, 64 held-out puzzles) on the target level and on one harder level
(``--harder``, a rung of the tiny variant's scale) every ``--val-every`` iterations, so both
are read from its own ``metrics.jsonl``. The table gives the best and the final held-out reward
on each, the share of groups with zero reward variance, the share of sampled tokens that carry a
nonzero advantage (1 minus the zero-variance groups' share of the tokens), the iterations and
the seconds. Runs one after another (each uses both cores); other work on the machine slows the
seconds, not the rewards. The table goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import clue_train, machine_facts  # noqa: E402

RUNS = {
    "fixed": ["curriculum=fixed", "dynamic_sampling=0"],
    "adaptive": ["curriculum=adaptive", "dynamic_sampling=0"],
    "dynamic": ["curriculum=fixed", "dynamic_sampling=1"],
    "adaptive+dynamic": ["curriculum=adaptive", "dynamic_sampling=1"],
}


def run_one(name: str, settings: list[str], out: Path, args) -> dict:
    common = [
        f"rollout_token_budget={args.budget}",
        f"val_every={args.val_every}",
        f"val_ladder={args.harder}",
        f"seed={args.seed}",
    ]
    rows, wall = clue_train(name, out, ["--iterations", "100000"], [*common, *settings, *args.set])
    its = [r for r in rows if r["iteration"] > 0]
    vals = [r for r in rows if "val_reward_by_difficulty" in r]
    target = next(iter(vals[0]["val_reward_by_difficulty"]))
    harder = str(args.harder)
    tokens = sum(r["rollout_tokens"] for r in its)
    zero_tokens = sum(r["zero_variance_token_share"] * r["rollout_tokens"] for r in its)
    rolled = sum(r["groups_rolled"] for r in its)
    groups = sum(r["zero_variance_share"] * r["groups_rolled"] for r in its) / rolled if rolled else 0.0
    return {
        "name": name,
        "target": target,
        "base": vals[0]["val_reward_by_difficulty"][target],
        "base_harder": vals[0]["val_reward_by_difficulty"][harder],
        "best": max(r["val_reward_by_difficulty"][target] for r in vals[1:]),
        "final": vals[-1]["val_reward_by_difficulty"][target],
        "best_harder": max(r["val_reward_by_difficulty"][harder] for r in vals[1:]),
        "final_harder": vals[-1]["val_reward_by_difficulty"][harder],
        "zero_variance_share": groups,
        "signal_token_share": 1 - zero_tokens / tokens if tokens else 0.0,
        "tokens": tokens,
        "iterations": len(its),
        "difficulty": [r["difficulty"] for r in its],
        "seconds": wall,
        "train_seconds": sum(r["seconds"] for r in its),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=90_000, help="rollout tokens per run (default %(default)s)")
    parser.add_argument("--harder", default="4", help="the harder validation level, a rung (default %(default)s)")
    parser.add_argument("--val-every", type=int, default=10, help="iterations between validations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default=",".join(RUNS), help=f"which runs (default: {','.join(RUNS)})")
    parser.add_argument("--set", action="append", default=[], help="a setting for every run (FIELD=VALUE)")
    parser.add_argument("--keep", type=Path, help="keep the run folders under this folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.runs.split(",") if n.strip()]
    unknown = [n for n in names if n not in RUNS]
    if unknown or not names:
        parser.error(f"--runs: unknown {unknown}; choose from {', '.join(RUNS)}")
    import torch
    import vllm

    for line in machine_facts(f"torch {torch.__version__}, vllm {vllm.__version__}"):
        print(line)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-curriculum-") as scratch:
        base = args.keep or Path(scratch)
        for name in names:
            out = base / name.replace("+", "-")
            results.append(run_one(name, RUNS[name], out, args))
    r0 = results[0]
    print(
        f"\nbudget {args.budget:,} rollout tokens per run, seed {args.seed}; target level {r0['target']} "
        f"(base {r0['base']:.3f}), harder level {args.harder} (base {r0['base_harder']:.3f}); greedy, 64 puzzles each"
    )
    print(
        "\n| run | best / final held-out, target | best / final held-out, harder | zero-variance groups "
        "| tokens with nonzero advantage | iterations | difficulty (first → last, max) | seconds (training) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        d = r["difficulty"]
        print(
            f"| {r['name']} | {r['best']:.3f} / {r['final']:.3f} | {r['best_harder']:.3f} / {r['final_harder']:.3f} "
            f"| {r['zero_variance_share']:.3f} | {r['signal_token_share']:.3f} | {r['iterations']} "
            f"| {d[0]:g} → {d[-1]:g}, max {max(d):g} | {r['seconds']:.0f} ({r['train_seconds']:.0f}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
