"""Synchronous vs pipelined GRPO iterations on the CPU: ``python benchmarks/bench_pipeline.py [--iterations 150]``.

Runs ``clue train --agent tiny`` twice from the same seed, side by side in one run: with
``max_off_policy_steps=0`` (rollouts, then training, then the weight sync) and ``=1`` (the next
iteration's rollouts sampled while this one trains; :mod:`trainers.pipeline`). Both give the engine
and the trainer cores of their own, the only way overlap can pay on a small machine: the engine in
its own processes (``agent_args=in_process:0``) with vLLM's worker threads bound to
``--engine-cpus`` (``VLLM_CPU_OMP_THREADS_BIND``), the trainer with one torch thread per core of
``--trainer-cpus``; with ``--pin-trainer`` its whole process (its Python threads too: the rollout
thread, the engine's client) is pinned there as well, otherwise the OS places those. Prints per
variant the median seconds of an iteration (validation left out), of its phases, the rollouts'
staleness and logprob mismatch, and the held-out rewards; then the ratio of the medians (the
issue's goal: <= 0.75) and the best held-out rewards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import ERR, clue_train, machine_facts  # noqa: E402

VARIANTS = {"synchronous (max_off_policy_steps=0)": 0, "pipelined (max_off_policy_steps=1)": 1}


def _cpus(text: str) -> set[int]:
    return {int(x) for x in text.split(",") if x.strip()}


def _iteration_s(row: dict) -> float:
    return row["seconds"] - row.get("validation_s", 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=150, help="iterations per run (default: the preset's 150)")
    parser.add_argument("--engine-cpus", default="0", help="cores of vLLM's worker (default %(default)s)")
    parser.add_argument("--trainer-cpus", default="1", help="cores of the trainer's process (default %(default)s)")
    parser.add_argument("--pin-trainer", action="store_true", help="pin the trainer's whole process to its cores")
    parser.add_argument("--set", action="append", default=[], help="a setting for both runs (FIELD=VALUE)")
    args = parser.parse_args(argv)
    engine, trainer = _cpus(args.engine_cpus), _cpus(args.trainer_cpus)
    if engine & trainer:
        parser.error("--engine-cpus and --trainer-cpus must not share a core")
    import torch
    import vllm

    for line in machine_facts(f"torch {torch.__version__}, vllm {vllm.__version__}"):
        print(line)
    where = "its process pinned there" if args.pin_trainer else "its Python threads placed by the OS"
    print(f"vLLM's worker on cores {sorted(engine)}; the trainer's torch threads on cores {sorted(trainer)}, {where}")
    env = {"VLLM_CPU_OMP_THREADS_BIND": ",".join(map(str, sorted(engine))), "OMP_NUM_THREADS": str(len(trainer))}
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as scratch:
        for name, steps in VARIANTS.items():
            settings = ["agent_args=in_process:0", f"max_off_policy_steps={steps}", *args.set]
            out = Path(scratch) / f"run-{steps}"
            results[name] = clue_train(
                name,
                out,
                ["--iterations", str(args.iterations)],
                settings,
                env=env,
                cpus=trainer if args.pin_trainer else None,
            )
    print(
        "\n| run | iteration s (median) | rollout s | training s | weight sync s | waited for rollouts s "
        "| staleness | logprob mismatch | best held-out (iteration) | final held-out | wall s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    medians, best = {}, {}
    for name, (rows, wall) in results.items():
        its = [r for r in rows if r["iteration"] > 1]  # the first samples before anything overlaps
        vals = [(r["iteration"], r["val_reward"]) for r in rows if "val_reward" in r]
        medians[name] = statistics.median(_iteration_s(r) for r in its)
        top = max(vals, key=lambda v: (v[1], -v[0]))
        best[name] = top[1]

        def med(key: str, its: list[dict] = its) -> str:
            values = [r[key] for r in its if r.get(key) is not None]
            return f"{statistics.median(values):.3g}" if values else "-"

        print(
            f"| {name} | {medians[name]:.3f} | {med('rollout_s')} | {med('training_s')} | {med('weight_sync_s')} "
            f"| {med('rollout_wait_s')} | {max(r['staleness'] for r in its)} | {med('logprob_mismatch')} "
            f"| {top[1]:.3f} ({top[0]}) | {vals[-1][1]:.3f} | {wall:.0f} |"
        )
    sync, piped = list(VARIANTS)
    print(f"\npipelined / synchronous iteration time: {medians[piped] / medians[sync]:.2f} (goal <= 0.75)")
    print(f"best held-out reward: pipelined {best[piped]:.3f}, synchronous {best[sync]:.3f}")
    vals = {name: [r["val_reward"] for r in rows if "val_reward" in r] for name, (rows, _) in results.items()}
    print("held-out reward by validation: ")
    for name, values in vals.items():
        print(f"  {name}: " + ", ".join(f"{v:.3f}" for v in values))
    ERR.print("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
