"""Rejection sampling against GRPO at the same generated tokens: ``python benchmarks/bench_rejection_sampling.py``.

Issue 18, part 4, on the one-shot game, each step a ``clue`` command in a fresh process:

1. ``clue eval --agent tiny --samples 8`` on ``--puzzles`` tiny/cpu puzzles from ``--seed`` (below 10**9
   and off the tiny base's warm-up seeds, so never a validation puzzle), at GRPO's sampling temperature
   (1.0) and answer length (24 tokens): the samples, and the tokens they took (``completion_tokens``);
2. for each ``--min-rewards`` value: ``clue train --trainer sft --agent tiny --set data=... --set best_of=1``
   (the best sample of each puzzle; with ``min_reward``, only where it scores at least that), then
   ``clue eval --agent tiny --model DIR/best`` (and ``DIR/latest``) on the held-out puzzles (only
   ``latest`` where no held-out trace passed the filters: then no validation loss, no ``best``);
3. ``clue train --agent tiny --set rollout_token_budget=T``: GRPO from the same base, stopped once it
   has sampled as many tokens as step 1 did, validated on the same held-out puzzles.

The held-out puzzles are GRPO's own validation puzzles: 64 tiny/cpu puzzles from seed 10**9, greedy,
24 tokens. "best" is the SFT checkpoint of lowest validation loss (on its own held-out tenth of the
sampled puzzles) and GRPO's of highest validation reward (chosen on the held-out puzzles themselves, so
optimistic); "final" is the last of each. The table goes to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import clue, machine_facts  # noqa: E402

VAL_SEED = 1_000_000_000  # GRPOConfig.val_seed's default
VAL_TASKS = 64  # the tiny preset's val_tasks
WARMUP_SEEDS = range(1_000_000, 1_002_000)  # the tiny base's warm-up puzzles (README)


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def puzzle_ids(folder: Path) -> list[str]:
    return sorted(json.loads(line)["puzzle_id"] for line in (folder / "results.jsonl").read_text().splitlines() if line)


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puzzles", type=int, default=1000, help="sampled puzzles (8 samples each)")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=3_000_000, help="the first sampled puzzle's seed")
    parser.add_argument(
        "--min-rewards", default="none,1.0", help="one SFT run per value of min_reward (none: no floor), with best_of=1"
    )
    parser.add_argument("--sft", action="append", default=[], help="an SFT setting for every SFT run (FIELD=VALUE)")
    parser.add_argument("--grpo", action="append", default=[], help="a GRPO setting (FIELD=VALUE)")
    parser.add_argument("--val-every", type=int, default=15, help="GRPO's validation interval (the preset's 15)")
    parser.add_argument("--keep", type=Path, help="keep every folder under this folder")
    args = parser.parse_args(argv)

    from trainers.puzzle_source import TRAIN_SEED_RANGE

    seeds = range(args.seed, args.seed + args.puzzles)
    assert seeds.stop <= TRAIN_SEED_RANGE <= VAL_SEED, "sampled puzzles must lie below the validation seeds"
    assert not set(seeds) & set(WARMUP_SEEDS), "sampled puzzles overlap the tiny base's warm-up"
    floors = [None if v.strip().lower() == "none" else float(v) for v in args.min_rewards.split(",") if v.strip()]

    import torch
    import vllm

    for line in machine_facts(f"torch {torch.__version__}, vllm {vllm.__version__}"):
        print(line)
    level = ["--variant", "tiny", "--difficulty", "cpu"]
    held = [*level, "--n", str(VAL_TASKS), "--seed", str(VAL_SEED), "--temperature", "0", "--max-tokens", "24"]
    started = time.perf_counter()
    commands: list[tuple[str, list[str], float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-rs-") as scratch:
        base = args.keep or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)

        def run(name: str, cli: list[str]) -> float:
            _, wall = clue(name, cli)
            commands.append((name, cli, wall))
            return wall

        def sets(items: list[str]) -> list[str]:
            return [x for item in items for x in ("--set", item)]

        samples = base / "samples"
        sampling = ["--samples", str(args.samples), "--temperature", "1.0", "--max-tokens", "24"]
        puzzles = ["--n", str(args.puzzles), "--seed", str(args.seed)]
        sample_s = run("samples", ["eval", "--agent", "tiny", *level, *puzzles, *sampling, "--out", str(samples)])
        sampled = summary(samples)
        best_of = {}
        for line in (samples / "results.jsonl").read_text().splitlines():
            e = json.loads(line)
            best_of[e["puzzle_id"]] = max(best_of.get(e["puzzle_id"], 0.0), e["reward"])
        tokens = int(sampled["completion_tokens"])
        rows = []
        for k, floor in enumerate(floors):
            out = base / f"sft-{k}"
            settings = ["data=" + str(samples), "best_of=1", *([f"min_reward={floor}"] if floor is not None else [])]
            settings += args.sft
            train_s = run(
                f"sft {k}", ["train", "--trainer", "sft", "--agent", "tiny", "--out", str(out), *sets(settings)]
            )
            got = {}
            # no `best` when no held-out trace passed the filters (no validation loss): then only `latest`
            for which in ("best", "latest") if (out / "best").exists() else ("latest",):
                folder = base / f"eval-sft-{k}-{which}"
                run(
                    f"eval sft {k} {which}",
                    ["eval", "--agent", "tiny", "--model", str(out / which), *held, "--out", str(folder)],
                )
                got[which] = summary(folder)["mean_reward"]
                held_ids = puzzle_ids(folder)
            sft_rows = [r for r in metrics(out) if r["iteration"] > 0]
            kept = sum(r["samples"] for r in sft_rows[: next(i for i, r in enumerate(sft_rows) if r["epoch"] >= 1) + 1])
            floor_text = f", min_reward={floor:g}" if floor is not None else ""
            rows.append(
                {
                    "method": f"rejection sampling: best of {args.samples}{floor_text}, then SFT "
                    f"({kept} traces, {len(sft_rows)} steps)",
                    "tokens": tokens,
                    "best": got.get("best"),
                    "final": got["latest"],
                    "seconds": sample_s + train_s,
                }
            )
        grpo = base / "grpo"
        settings = [f"rollout_token_budget={tokens}", f"val_every={args.val_every}", *args.grpo]
        budget = ["--iterations", "100000"]  # the token budget stops it (the preset's lr is constant)
        grpo_s = run("grpo", ["train", "--agent", "tiny", "--out", str(grpo), *budget, *sets(settings)])
        grpo_rows = metrics(grpo)
        vals = [(r["iteration"], r["val_reward"]) for r in grpo_rows if r.get("val_reward") is not None]
        validated = puzzle_ids(grpo / "val" / f"iter-{vals[-1][0]:06d}")
        assert validated == held_ids, "GRPO validated on other puzzles than the SFT runs were evaluated on"
        best_at, best = max(vals[1:], key=lambda v: v[1])
        trained = [r for r in grpo_rows if r["iteration"] > 0]
        rows.insert(
            0,
            {
                "method": "tiny base (GRPO's iteration 0)",
                "tokens": 0,
                "best": None,
                "final": vals[0][1],
                "seconds": None,
            },
        )
        rows.append(
            {
                "method": f"GRPO (tiny preset, {len(trained)} iterations, stopped at the token budget)",
                "tokens": sum(r["rollout_tokens"] for r in trained),
                "best": best,
                "final": vals[-1][1],
                "seconds": grpo_s,
            }
        )
        total = time.perf_counter() - started

    print(
        f"\nsampled: {args.puzzles} tiny/cpu puzzles (seeds {seeds.start}-{seeds.stop - 1}) x {args.samples} samples, "
        f"temperature 1.0, 24 tokens: mean reward {sampled['mean_reward']:.3f}, {tokens} generated tokens; "
        f"the best of each puzzle's samples: mean {sum(best_of.values()) / len(best_of):.3f}, all right on "
        f"{sum(v >= 1.0 for v in best_of.values())} of {len(best_of)} puzzles"
    )
    print(
        f"held-out: {VAL_TASKS} tiny/cpu puzzles from seed {VAL_SEED}, greedy; the tiny base {vals[0][1]:.3f}; "
        f"GRPO's best at iteration {best_at} (the same {len(held_ids)} puzzle ids checked in its validation folder)"
    )
    print("\n| method | generated tokens | held-out reward, best | held-out reward, final | wall seconds |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        best_text = "—" if r["best"] is None else f"{r['best']:.3f}"
        seconds = "—" if r["seconds"] is None else f"{r['seconds']:.0f}"
        print(f"| {r['method']} | {r['tokens']:,} | {best_text} | {r['final']:.3f} | {seconds} |")
    print(
        f"\nwall: {total:.0f} s in all (wall seconds above: sampling + SFT, resp. the GRPO run; held-out evals apart)"
    )
    for name, cli, wall in commands:
        shown = " ".join(cli).replace(str(base), "DIR")
        print(f"- {name} ({wall:.0f} s): `clue {shown}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
