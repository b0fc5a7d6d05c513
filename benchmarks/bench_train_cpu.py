"""Seconds per GRPO iteration on the CPU, split into phases: ``python benchmarks/bench_train_cpu.py [--iterations 60]``.

Runs ``clue train --agent tiny`` (the tiny preset: vLLM's CPU build in the trainer's process,
torchtune in float32, weights moved into the engine in place each iteration) for
``--iterations`` iterations in a fresh folder, exactly as a user would, and reads the run's own
``metrics.jsonl``: per phase (rollout, scoring, packing, training, weight sync, checkpoint, and
validation where it ran) the median and mean seconds, and the share of an iteration; plus the
start-up (the command's wall time minus the iterations' and the starting validation's), trained
tokens per second and the validation rewards. The engine-restart cost that the weight sync
replaces is ``benchmarks/bench_weight_sync.py``'s. Times are wall clock and noisy when other work
shares the CPUs; the table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import ERR, machine_facts  # noqa: E402

PHASES = ("rollout_s", "scoring_s", "packing_s", "training_s", "weight_sync_s", "checkpoint_s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=60, help="iterations to run (default %(default)s)")
    parser.add_argument("--set", action="append", default=[], help="a setting for clue train (FIELD=VALUE)")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be >= 1")
    import torch
    import vllm

    for line in machine_facts(f"torch {torch.__version__}, vllm {vllm.__version__}"):
        print(line)
    with tempfile.TemporaryDirectory(prefix="bench-train-") as scratch:
        out = Path(scratch) / "run"
        cmd = [sys.executable, "-m", "cli", "train", "--agent", "tiny", "--out", str(out)]
        cmd += ["--iterations", str(args.iterations)] + [x for s in args.set for x in ("--set", s)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        ERR.print(f"running {' '.join(cmd[1:])}")
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            return proc.returncode
        rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    start_val = sum(r.get("validation_s", 0.0) for r in rows if r["iteration"] == 0)
    its = [r for r in rows if r["iteration"] > 0]
    loop = sum(r["seconds"] + r.get("checkpoint_s", 0.0) for r in its)
    per_iteration = [r["seconds"] for r in its]
    print(
        f"\n{len(its)} iterations in {wall:.1f} s: start-up {wall - loop - start_val:.1f} s, starting validation "
        f"{start_val:.1f} s, iterations {loop:.1f} s"
    )
    print("\n| phase | median s | mean s | share of an iteration |")
    print("| --- | --- | --- | --- |")
    total = statistics.mean(r["seconds"] + r.get("checkpoint_s", 0.0) for r in its)
    for name in (*PHASES, "validation_s"):
        values = [r[name] for r in its if name in r]
        if not values:
            continue
        mean = statistics.mean(values) if name != "validation_s" else sum(values) / len(its)
        where = (
            ""
            if name != "validation_s"
            else f" (per validation: {statistics.median(values):.3f} s, {len(values)} runs)"
        )
        print(f"| {name[:-2]} | {statistics.median(values):.4f} | {mean:.4f} | {100 * mean / total:.1f}%{where} |")
    print(f"| whole iteration | {statistics.median(per_iteration):.3f} | {total:.3f} | 100% |")
    tokens = sum(r["tokens_trained"] for r in its)
    training = sum(r["training_s"] for r in its)
    print(f"\ntrained tokens: {tokens:,} ({tokens / training:,.0f} tokens/s in the training phase)")
    vals = [(r["iteration"], r["val_reward"]) for r in rows if "val_reward" in r]
    print("validation reward by iteration: " + ", ".join(f"{i}: {v:.3f}" for i, v in vals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
