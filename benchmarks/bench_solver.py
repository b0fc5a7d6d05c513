"""Speed of the solver agent on benchmark-size puzzles: ``python benchmarks/bench_solver.py [--quick]``.

Seconds per puzzle for ``agents.solver.SolverAgent`` answering from the prompt text alone
(parse + CP-SAT model + solve), cold: the prompt-parse and clue-parser caches are cleared
before every puzzle, and each puzzle is answered by a fresh agent. Two sets:

(a) our "temporal" variant, level "hard" (7-10 suspects, 5-8 weapons, 8-12 rooms, 6-9
    times, 2-4 shared motives: the benchmark's large puzzles), seeds 0..N-1, generated
    first (generation time not counted);
(b) the original benchmark's val.json puzzles with at least 7 suspects (read from
    ../shared/anchors/temporal-clue/val.json, skipped when absent).

For each: the agent's default (answers only) and ``check_unique=true`` (also proves every
answer forced: one more CP-SAT call per question); median, mean and max seconds, and the
fraction of puzzles answered right (graded with ``clue_env.grading.grade``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ortools

from agents.solver import SolverAgent
from clue_env.builtin_variants import TEMPORAL
from clue_env.clue_parse import parser_for
from clue_env.generate import generate_puzzle
from clue_env.grading import grade
from clue_env.prompt_parse import options_from_prompt, parse_prompt

VAL = ROOT.parent / "shared" / "anchors" / "temporal-clue" / "val.json"


def _time(prompts: list[tuple[str, dict, dict]], check_unique: bool) -> tuple[list[float], float]:
    seconds, right = [], 0.0
    for prompt, solution, options in prompts:
        parse_prompt.cache_clear()
        parser_for.cache_clear()
        agent = SolverAgent(check_unique=check_unique)
        start = time.perf_counter()
        completion = agent.answer(prompt)
        seconds.append(time.perf_counter() - start)
        if completion.error:
            print(f"  error: {completion.error}", file=sys.stderr)
        right += grade(completion.text, solution, options).reward == 1.0
        agent.close()
    return seconds, right / max(1, len(prompts))


def _row(name: str, prompts: list[tuple[str, dict, dict]]) -> None:
    for check in (False, True):
        secs, right = _time(prompts, check)
        mode = "check_unique" if check else "answers"
        print(
            f"{name:<34} {mode:<13} {len(secs):>4}  median {statistics.median(secs):7.3f} s  "
            f"mean {statistics.mean(secs):7.3f} s  max {max(secs):7.3f} s  all right {right:6.1%}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 generated puzzles instead of 20")
    ap.add_argument("--puzzles", type=int, default=None, help="generated puzzles of level hard (default 20)")
    args = ap.parse_args()
    n = args.puzzles or (5 if args.quick else 20)

    cpu = platform.processor() or "?"
    print(f"python {platform.python_version()}, ortools {ortools.__version__}, {platform.machine()}, {cpu}")
    print(
        f"command: python benchmarks/bench_solver.py{' --quick' if args.quick else ''}"
        f"{f' --puzzles {args.puzzles}' if args.puzzles else ''}"
    )
    print("seconds per puzzle, cold caches, one core:")

    t0 = time.perf_counter()
    ours = []
    for seed in range(n):
        p = generate_puzzle(TEMPORAL, "hard", seed)
        ours.append((p.render(), p.solution, p.options))
    print(f"(generated {n} temporal/hard puzzles in {time.perf_counter() - t0:.1f} s, not counted)", file=sys.stderr)
    _row(f"temporal/hard seeds 0..{n - 1}", ours)

    if VAL.exists():
        records = json.loads(VAL.read_text(encoding="utf-8"))
        large = []
        for r in records:
            suspects = parse_prompt(r["prompt"]).case.suspects
            if len(suspects) >= 7:
                large.append((r["prompt"], r["solution"], options_from_prompt(r["prompt"])))
        _row(f"val.json, >= 7 suspects ({len(large)}/{len(records)})", large)
    else:
        print(f"val.json not found at {VAL}: original puzzles skipped")


if __name__ == "__main__":
    main()
