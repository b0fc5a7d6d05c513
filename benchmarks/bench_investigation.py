"""The investigation game: ``python benchmarks/bench_investigation.py [--quick] [--full] [--solver-only]``.

Three tables, each from the code a user would run:

(1) generation (``clue_env.investigation.generate_case``, one process): cases per second per
    level, of which the one-shot puzzle's share (``generate_puzzle``, timed alone on the same
    seeds), the starting clues against all clues, the witness size (``optimal_questions``), how
    many are a proven minimum, and the budget;
(2) ``TemporalClueInvestigation-v0`` steps per second from a prefetched pool
    (``prefetch=POOL, workers=2``, filled first): each episode asks three questions (grammar
    text) and one reply that is no question, then answers; every step counted, resets apart;
(3) the solver agent playing whole episodes through ``SolverAgent.reply`` (the conversation
    as chat messages, as an evaluation would send it): questions asked against the witness,
    score, and seconds per case (the game's own time excluded).

``--quick`` is a smoke run; ``--full`` adds temporal/hard (and largest, generation only);
``--criterion answer-sets`` scores the solver's questions the other way (``agents.solver.CRITERIA``),
``--solver-only`` prints table (3) alone.
The tables go to stdout, progress to stderr. Wall clock: noisy when other work shares the CPUs.
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
import ortools
from _common import fill_pool, progress

import clue_env  # noqa: F401  (registers the environments)
from agents.solver import CRITERIA, SolverAgent
from clue_env.generate import generate_puzzle
from clue_env.investigation import Session, all_queries, generate_case
from clue_env.variant import get_variant

GENERATION = [
    ("tiny", "easy", 40),
    ("tiny", "medium", 20),
    ("classic", "easy", 30),
    ("classic", "medium", 15),
    ("classic", "hard", 4),
    ("temporal", "easy", 20),
    ("temporal", "medium", 8),
    ("temporal", "benchmark", 12),
]
GENERATION_FULL = [("temporal", "hard", 3), ("temporal", "largest", 1)]
SOLVER = [
    ("tiny", "easy", 30),
    ("tiny", "medium", 20),
    ("classic", "easy", 20),
    ("classic", "medium", 10),
    ("temporal", "easy", 20),
    ("temporal", "medium", 6),
    ("temporal", "benchmark", 10),
]
SOLVER_FULL = [("temporal", "hard", 3)]


def generation_rows(levels: list[tuple[str, str, int]]) -> list[str]:
    rows = []
    with progress() as bar:
        for variant_name, level, n in levels:
            variant = get_variant(variant_name)
            task = bar.add_task(f"generating {variant_name}/{level}", total=n)
            case_s, puzzle_s, cases = [], [], []
            for seed in range(n):
                start = time.perf_counter()
                generate_puzzle(variant, level, seed)
                puzzle_s.append(time.perf_counter() - start)
                start = time.perf_counter()
                cases.append(generate_case(variant, level, seed))
                case_s.append(time.perf_counter() - start)
                bar.update(task, completed=seed + 1)
            minimum = sum(c.optimal_kind == "minimum" for c in cases)
            murderer = sum(c.opens == "the murderer" for c in cases)
            rows.append(
                f"{variant_name + '/' + level:<20}{n:>4}{n / sum(case_s):>9.2f}{statistics.median(case_s):>9.2f}"
                f"{sum(puzzle_s) / sum(case_s):>8.0%}"
                f"{statistics.mean(len(c.start) for c in cases):>7.1f}/{statistics.mean(len(c.puzzle.clues) for c in cases):<5.1f}"
                f"{statistics.mean(c.optimal_questions for c in cases):>7.2f}"
                f"{min(c.optimal_questions for c in cases):>4}-{max(c.optimal_questions for c in cases):<3}"
                f"{minimum:>4}/{n:<4}{murderer:>4}/{n:<4}{statistics.mean(c.budget for c in cases):>7.1f}"
            )
    return rows


def env_rows(pool: int, episodes_cap: int) -> list[str]:
    rows = []
    for workers in (2,):
        env = gym.make("TemporalClueInvestigation-v0", variant="tiny", prefetch=pool, workers=workers)
        prefetcher = env.unwrapped.source.pool
        fill = fill_pool(env, f"filling the pool, {workers} workers", pool)
        episodes = min(episodes_cap, prefetcher.queued())
        steps = 0
        step_s = reset_s = 0.0
        reward = 0.0
        for i in range(episodes):
            case = env.unwrapped.case
            queries = all_queries(case.case)
            actions = [q.text(case.case) for q in queries[i % 3 :: 7][:3]]
            actions += ["Who did it, then?", "\n".join(f"{k}. {v}" for k, v in case.solution.items())]
            t0 = time.perf_counter()
            for action in actions:
                _, r, terminated, truncated, _ = env.step(action)
                steps += 1
                if terminated or truncated:
                    reward += r
                    break
            t1 = time.perf_counter()
            env.reset()
            t2 = time.perf_counter()
            step_s += t1 - t0
            reset_s += t2 - t1
        rows.append(
            f"tiny, prefetch={pool}, workers={workers}: {episodes} episodes, {steps} steps: "
            f"{steps / step_s:,.0f} steps/s ({1e6 * step_s / steps:,.0f} us/step), "
            f"{episodes / (step_s + reset_s):,.0f} episodes/s with resets; mean reward {reward / episodes:.3f}; "
            f"pool filled in {fill:.1f} s ({(pool + 1) / fill:.1f} cases/s, spawn start-up included)"
        )
        env.close()
    return rows


def solver_rows(levels: list[tuple[str, str, int]], criterion: str = "entropy") -> list[str]:
    rows = []
    agent = SolverAgent(criterion=criterion)
    with progress() as bar:
        for variant_name, level, n in levels:
            task = bar.add_task(f"solver on {variant_name}/{level}", total=n)
            asked, optimal, budgets, scores, seconds, ratios = [], [], [], [], [], []
            for seed in range(n):
                inv = generate_case(variant_name, level, seed)
                session = Session(inv)
                messages = [{"role": "user", "content": session.prompt}]
                spent = 0.0
                while not session.done:
                    start = time.perf_counter()
                    completion = agent.reply(messages)
                    spent += time.perf_counter() - start
                    if completion.error:
                        raise RuntimeError(f"{inv.id}: {completion.error}")
                    turn = session.step(completion.text)
                    messages += [
                        {"role": "assistant", "content": completion.text},
                        {"role": "user", "content": turn.observation},
                    ]
                assert session.grade is not None
                asked.append(session.questions_asked)
                optimal.append(inv.optimal_questions)
                budgets.append(inv.budget)
                scores.append(session.grade.reward)
                seconds.append(spent)
                ratios.append(session.questions_asked / max(1, inv.optimal_questions))
                bar.update(task, completed=seed + 1)
            rows.append(
                f"{variant_name + '/' + level:<20}{n:>4}{statistics.mean(asked):>8.2f}{statistics.mean(optimal):>8.2f}"
                f"{sum(asked) / sum(optimal):>8.2f}{max(ratios):>8.2f}{max(a - b for a, b in zip(asked, budgets)):>+10d}"
                f"{sum(s == 1.0 for s in scores):>5}/{n:<4}{statistics.mean(seconds):>9.2f}{max(seconds):>9.2f}"
            )
    agent.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (few cases per level)")
    parser.add_argument("--full", action="store_true", help="add temporal/hard (and largest for generation)")
    parser.add_argument("--pool", type=int, default=None, help="prefetch pool for (2) (default 400, quick 60)")
    parser.add_argument("--criterion", choices=CRITERIA, default="entropy", help="the solver's question score, (3)")
    parser.add_argument("--solver-only", action="store_true", help="only table (3)")
    args = parser.parse_args()
    shrink = (lambda levels: [(v, lvl, max(1, n // 5)) for v, lvl, n in levels]) if args.quick else (lambda x: x)
    generation = shrink(GENERATION + (GENERATION_FULL if args.full else []))
    solver = shrink(SOLVER + (SOLVER_FULL if args.full else []))
    pool = args.pool or (60 if args.quick else 400)
    facts = _common.machine_facts(f"ortools {ortools.__version__}, gymnasium {gym.__version__}")  # load at start

    started = time.perf_counter()
    gen = [] if args.solver_only else generation_rows(generation)
    env = [] if args.solver_only else env_rows(pool, pool)
    sol = solver_rows(solver, args.criterion)

    print("TemporalClueInvestigation-v0 (wall clock; other jobs on the machine make it noisy)")
    for line in facts:
        print(line)
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    if not args.solver_only:
        print_tables(gen, env)
    print()
    print(f"(3) the solver agent, whole episodes (criterion {args.criterion})")
    print(
        f"{'level':<20}{'n':>4}{'asked':>8}{'witness':>8}{'ratio':>8}{'max':>8}{'vs budget':>10}"
        f"{'solved':>10}{'mean s':>9}{'max s':>9}"
    )
    print("\n".join(sol))
    print("(asked/witness: mean questions per case; ratio: total asked / total witness; max: worst case's ratio;")
    print(" vs budget: most questions asked minus the budget over the cases (negative: under it); solved: score 1.0)")


def print_tables(gen: list[str], env: list[str]) -> None:
    print()
    print("(1) generation, one process")
    print(
        f"{'level':<20}{'n':>4}{'cases/s':>9}{'med s':>9}{'puzzle':>8}{'start/all clues':>16}"
        f"{'witness':>8}{'range':>7}{'minimum':>9}{'murderer open':>14}{'budget':>7}"
    )
    print("\n".join(gen))
    print("(puzzle: share of the time spent generating the one-shot puzzle itself; witness: optimal_questions)")
    print()
    print("(2) environment steps from a prefetched pool")
    print("\n".join(env))


if __name__ == "__main__":
    main()
