"""Episodes (reset + step) per second of TemporalClue-v0: ``python benchmarks/bench_env.py [--quick]``.

Three set-ups, each through ``gym.make("TemporalClue-v0", ...)`` as a user would build it:

(a) puzzles from a file (the original benchmark's val.json): pure environment overhead
    (prompt lookup, a new Grader per reset, grading the answer);
(b) generated puzzles of the "tiny" variant with ``prefetch=POOL, workers=K`` (K = 1, 2):
    the pool is filled first (until every queued puzzle of ``env.unwrapped.source.pool`` is ready),
    then every finished puzzle in it (POOL - 1 after the first reset) is played while the
    workers keep refilling it;
(c) generated "tiny" puzzles without prefetch, for comparison.

Every episode answers with realistic text: the solution lines ("A. Miss Scarlet", ...) on
even episodes, a wrong answer (another option for every question) on odd ones; the answer
is built from ``env.unwrapped.task`` inside the timed loop. Figures are wall-clock and
noisy when other work shares the CPUs. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _common
import gymnasium as gym
import numpy
import ortools
from _common import fill_pool, progress

import clue_env  # noqa: F401  (registers TemporalClue-v0)
from clue_env.env import TemporalClueEnv
from clue_env.puzzle import Task

VAL = ROOT.parent / "shared" / "anchors" / "temporal-clue" / "val.json"


def machine_facts() -> list[str]:
    return _common.machine_facts(
        f"ortools {ortools.__version__}, gymnasium {gym.__version__}, numpy {numpy.__version__}"
    )


def answer_for(task: Task, right: bool) -> str:
    """The solution lines, or for every question another of its options."""
    lines = []
    for label, value in task.solution.items():
        if not right:
            others = [o for o in (task.options or {}).get(label, []) if o != value]
            value = others[len(label) % len(others)] if others else "nobody"
        lines.append(f"{label}. {value}")
    return "\n".join(lines)


def play(env: gym.Env, episodes: int, desc: str, reset_kwargs=None, window: int = 0) -> dict:
    """Play ``episodes`` episodes; episodes/s overall and over windows of ``window`` episodes."""
    base = env.unwrapped
    reward = 0.0
    windows: list[float] = []
    with progress() as bar:
        task_id = bar.add_task(desc, total=episodes)
        start = mark = time.perf_counter()
        for i in range(episodes):
            env.reset(**(reset_kwargs(i) if reset_kwargs else {}))
            _, r, terminated, _, _ = env.step(answer_for(base.task, right=i % 2 == 0))
            assert terminated
            reward += r
            if window and (i + 1) % window == 0:
                now = time.perf_counter()
                windows.append(window / (now - mark))
                mark = now
            if i % 64 == 0:
                bar.update(task_id, completed=i + 1)
        elapsed = time.perf_counter() - start
    return {
        "episodes": episodes,
        "seconds": elapsed,
        "rate": episodes / elapsed,
        "reward": reward / episodes,
        "windows": windows,
    }


def fmt_row(name: str, res: dict, note: str = "") -> str:
    return (
        f"{name:<44}{res['episodes']:>9,}{res['seconds']:>9.2f}{res['rate']:>12,.0f}"
        f"{1e6 / res['rate']:>11,.0f}{res['reward']:>8.3f}  {note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (small pool, few episodes)")
    parser.add_argument("--pool", type=int, help="prefetch pool size for (b) (default 2000, quick 200)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts for (b) (default 1 2)")
    parser.add_argument("--variant", default="tiny", help="variant for (b) and (c) (default tiny)")
    parser.add_argument("--difficulty", default=None, help="level for (b) and (c) (default: the variant's default)")
    args = parser.parse_args()
    pool = args.pool or (200 if args.quick else 2000)
    file_episodes = 2_000 if args.quick else 20_000
    plain_episodes = 50 if args.quick else 500

    rows: list[str] = []
    notes: list[str] = []

    # (a) from the dataset file
    if VAL.exists():
        for label, make in (
            ("(a) val.json, gym.make", lambda: gym.make("TemporalClue-v0", dataset=str(VAL))),
            ("(a) val.json, bare TemporalClueEnv", lambda: TemporalClueEnv(dataset=str(VAL))),
        ):
            env = make()
            n = len(env.unwrapped.source.tasks)
            env.reset(seed=0, options={"index": 0})
            env.step("A. nobody")  # the env checker's first-call work stays out of the timing
            res = play(env, file_episodes, label, lambda i, n=n: {"options": {"index": i % n}})
            rows.append(fmt_row(label, res, f"{n} puzzles cycled"))
            env.close()
    else:
        rows.append(f"(a) skipped: {VAL} not found")

    # (b) prefetched pool
    for workers in args.workers:
        label = f"(b) {args.variant}, prefetch={pool}, workers={workers}"
        env = gym.make(
            "TemporalClue-v0", variant=args.variant, difficulty=args.difficulty, prefetch=pool, workers=workers
        )
        prefetcher = env.unwrapped.source.pool
        fill = fill_pool(env, f"filling pool, {workers} worker(s)", pool)  # seeds derived from 0
        env.step(answer_for(env.unwrapped.task, True))
        episodes = prefetcher.queued()  # every one of them finished: no reset waits on CP-SAT
        window = max(1, episodes // 8)
        res = play(env, episodes, label, window=window)
        w = res["windows"]
        spread = (
            f"windows of {window}: min {min(w):,.0f}/s, median {statistics.median(w):,.0f}/s, max {max(w):,.0f}/s"
            if w
            else ""
        )
        rows.append(fmt_row(label, res, spread))
        notes.append(
            f"(b) workers={workers}: pool of {pool} filled in {fill:.1f} s ({(pool + 1) / fill:.1f} puzzles/s "
            "generated, spawn start-up included)"
        )
        env.close()

    # (c) no prefetch
    label = f"(c) {args.variant}, no prefetch"
    env = gym.make("TemporalClue-v0", variant=args.variant, difficulty=args.difficulty)
    env.reset(seed=0)
    env.step(answer_for(env.unwrapped.task, True))
    res = play(env, plain_episodes, label)
    rows.append(fmt_row(label, res, "each reset generates its puzzle"))
    env.close()

    print("TemporalClue-v0 reset+step throughput (wall clock; other jobs on the machine make it noisy)")
    for line in machine_facts():
        print(line)
    print()
    print(f"{'set-up':<44}{'episodes':>9}{'seconds':>9}{'episodes/s':>12}{'us/ep':>11}{'reward':>8}  notes")
    for row in rows:
        print(row)
    for note in notes:
        print(note)
    print("goal: >= 1,000 episodes/s from a prefetched pool")


if __name__ == "__main__":
    main()
