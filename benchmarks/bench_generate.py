"""Puzzle generation speed and clue counts: ``python benchmarks/bench_generate.py [--quick]``.

(a) benchmark size: puzzles 0..N-1 of the "temporal" variant at level "hard" (7-10 suspects,
    5-8 weapons, 8-12 rooms, 6-9 times, 2-4 shared motives: the original benchmark's large
    puzzles) generated one after another in this process; seconds per puzzle, clues, CP-SAT
    solves, and the speed-up over the original generator's median of 310 s per puzzle
    (measured on a 2-core machine like this one, one core per run: 289-324 s).
(b) largest: "temporal" level "largest" (10 suspects, 8 weapons, 17 rooms, 12 times); the
    original needs about 47 minutes for this size.
(c) clue counts at the original's sizes: every puzzle of the original benchmark's val.json
    (read at run time from ../shared/anchors/temporal-clue/val.json) has its sizes recovered
    from its prompt; we generate puzzles of exactly those sizes (pin="night", as the original)
    and compare their clue counts with the original's num_clues.
(d) throughput: puzzles/s of every level of the built-in variants through
    ``clue_env.batch.generate_records`` with 1 and 2 worker processes.

Seeds are fixed, so the puzzles are the same on every run; the times are wall clock and
noisy when other work shares the CPUs. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


import _common
import numpy
import ortools
from _common import progress

from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.generate import generate_puzzle, generate_records
from clue_env.selection import SelectionStats
from clue_env.sizes import MAIN_QUESTIONS, Sizes

VAL = ROOT.parent / "shared" / "anchors" / "temporal-clue" / "val.json"
ORIGINAL_MEDIAN_S = 310.0
ORIGINAL_LARGEST_S = 47 * 60.0

# (variant, level, puzzles in the default run): about 10-25 s per level on one core.
THROUGHPUT_LEVELS = [
    (TEMPORAL, "easy", 200),
    (TEMPORAL, "medium", 40),
    (TEMPORAL, "hard", 8),
    (TEMPORAL, "benchmark", 16),
    (CLASSIC_GAME, "easy", 800),
    (CLASSIC_GAME, "medium", 300),
    (CLASSIC_GAME, "hard", 120),
    (TINY, "easy", 800),
    (TINY, "medium", 300),
]


def machine_facts() -> list[str]:
    return _common.machine_facts(f"ortools {ortools.__version__}, numpy {numpy.__version__}")


def cpu_seconds() -> float:
    """CPU time of this process and of its finished (reaped) children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 1]."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def timed_puzzle(variant, difficulty, seed: int) -> tuple[float, int, int, Sizes]:
    stats = SelectionStats()
    start = time.perf_counter()
    puzzle = generate_puzzle(variant, difficulty, seed, stats)
    return time.perf_counter() - start, len(puzzle.clues), stats.solves, puzzle.sizes


# ---------------------------------------------------------------- (a) and (b)


def bench_hard(count: int) -> list[str]:
    secs, clues, solves = [], [], []
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    with progress() as bar:
        task = bar.add_task("(a) temporal/hard", total=count)
        for seed in range(count):
            s, c, n, _ = timed_puzzle(TEMPORAL, "hard", seed)
            secs.append(s)
            clues.append(c)
            solves.append(n)
            bar.advance(task)
    share = (cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    med = statistics.median(secs)
    return [
        f"(a) benchmark size: temporal/hard, seeds 0..{count - 1}, one process",
        (
            f"{'puzzles':>8}{'median s':>10}{'p90 s':>8}{'max s':>8}{'mean s':>8}{'min s':>8}"
            f"{'med clues':>11}{'clue range':>12}{'med solves':>12}{'speed-up':>10}"
        ),
        (
            f"{count:>8}{med:>10.2f}{percentile(secs, 0.9):>8.2f}{max(secs):>8.2f}{statistics.mean(secs):>8.2f}"
            f"{min(secs):>8.2f}{statistics.median(clues):>11g}{f'{min(clues)}-{max(clues)}':>12}"
            f"{statistics.median(solves):>12g}{ORIGINAL_MEDIAN_S / med:>9.0f}x"
        ),
        f"    speed-up = {ORIGINAL_MEDIAN_S:.0f} s (original's median) / our median; goal >= 50x, aim 100x",
        f"    CPU time / wall time = {share:.2f} (1.00: the process had a core to itself throughout)",
    ]


def bench_largest(seeds: int) -> list[str]:
    lines = [
        "(b) largest: temporal/largest (10 suspects, 8 weapons, 17 rooms, 12 times), one process",
        f"{'seed':>8}{'seconds':>10}{'clues':>8}{'solves':>8}  sizes",
    ]
    secs = []
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    with progress() as bar:
        task = bar.add_task("(b) temporal/largest", total=seeds)
        for seed in range(seeds):
            s, c, n, sizes = timed_puzzle(TEMPORAL, "largest", seed)
            secs.append(s)
            lines.append(f"{seed:>8}{s:>10.2f}{c:>8}{n:>8}  {sizes.tag()}")
            bar.advance(task)
    share = (cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    lines.append(
        f"    max {max(secs):.1f} s (goal < 60 s; original about {ORIGINAL_LARGEST_S / 60:.0f} min, "
        f"{ORIGINAL_LARGEST_S / max(secs):.0f}x slower than our max); CPU time / wall time = {share:.2f}"
    )
    return lines


# ---------------------------------------------------------------- (c)


def original_sizes(prompt: str) -> dict:
    """The sizes of one of the original's puzzles, read from its prompt by the project's parser."""
    from clue_env.clock import parse_time_label
    from clue_env.prompt_parse import parse_prompt

    parsed = parse_prompt(prompt)
    case = parsed.case
    step = 60
    if len(case.times) > 1:
        a, b = parse_time_label(case.times[0]), parse_time_label(case.times[1])
        if a is not None and b is not None:
            step = (b - a) % (24 * 60)
    return {
        "suspects": len(case.suspects),
        "weapons": len(case.weapons),
        "rooms": len(case.rooms),
        "times": len(case.times),
        "motives": len(case.motives),
        "shared": bool(case.motives) and not case.unique_motives,
        "asked": [q.kind for q in parsed.questions if not q.bonus],
        "bonus": sum(q.bonus for q in parsed.questions),
        "step": step,
    }


def sizes_of(orig: dict) -> Sizes:
    # Sizes insists on "who"; one original puzzle does not ask it (clue counts do not depend
    # on the questions with pin="night": the whole night is pinned).
    ask = tuple(q for q in MAIN_QUESTIONS if q in orig["asked"] or q == "who")
    step = orig["step"] if orig["step"] in (5, 10, 15, 20, 30, 60) else 60
    return Sizes(
        orig["suspects"],
        orig["weapons"],
        orig["rooms"],
        orig["times"],
        orig["motives"],
        bonus_questions=orig["bonus"],
        ask=ask,
        pin="night",
        minutes_per_step=step,
    )


def bench_clue_counts(seeds: int) -> list[str]:
    if not VAL.exists():
        return [f"(c) skipped: {VAL} not found"]
    records = json.loads(VAL.read_text(encoding="utf-8"))
    rows = []
    with progress() as bar:
        task = bar.add_task("(c) original sizes", total=len(records) * seeds)
        for index, record in enumerate(records):
            orig = original_sizes(record["prompt"])
            sizes = sizes_of(orig)
            clues, secs = [], []
            for k in range(seeds):
                # Seeds depend on the index, so that two originals of equal sizes get different puzzles.
                s, c, _, _ = timed_puzzle(TEMPORAL, sizes, 1000 * index + k)
                clues.append(c)
                secs.append(s)
                bar.advance(task)
            rows.append((index, orig, sizes, int(record["num_clues"]), clues, secs))
    lines = [
        (
            f"(c) clue counts at the original's sizes: {len(rows)} puzzles of val.json, {seeds} seed(s) each "
            f"(seeds 1000*index + 0..{seeds - 1}), pin=night"
        ),
        (
            f"{'#':>3} {'sizes':<17}{'shared':>7}{'ask':>6}{'bonus':>6}{'orig':>6}{'ours(med)':>10}"
            f"{'ours(all)':>14}{'diff':>6}{'ours s(med)':>12}"
        ),
    ]
    larger = 0
    for index, orig, sizes, n_orig, clues, secs in rows:
        med = statistics.median(clues)
        larger += med > n_orig
        tag = f"s{sizes.suspects}w{sizes.weapons}r{sizes.rooms}t{sizes.times}m{sizes.motives}"
        lines.append(
            f"{index:>3} {tag:<17}{'yes' if orig['shared'] else '':>7}{len(orig['asked']):>6}{orig['bonus']:>6}"
            f"{n_orig:>6}{med:>10g}{','.join(map(str, clues)):>14}{med - n_orig:>+6g}{statistics.median(secs):>12.2f}"
        )
    orig_counts = [r[3] for r in rows]
    our_meds = [statistics.median(r[4]) for r in rows]
    all_ours = [c for r in rows for c in r[4]]
    ratios = [o / n for o, n in zip(our_meds, orig_counts) if n]
    lines += [
        (
            f"    total clues: original {sum(orig_counts)}, ours (sum of medians) {sum(our_meds):g} "
            f"({sum(our_meds) / sum(orig_counts):.2f}x); median per puzzle: original {statistics.median(orig_counts):g}, "
            f"ours {statistics.median(our_meds):g}; median ratio ours/original {statistics.median(ratios):.2f}"
        ),
        (
            f"    sizes where our median is larger than the original's count: {larger} of {len(rows)}; "
            f"single puzzles of ours larger: {sum(c > r[3] for r in rows for c in r[4])} of {len(all_ours)}"
        ),
        (
            f"    generation time over all {len(all_ours)} puzzles: {sum(s for r in rows for s in r[5]):.1f} s, "
            f"max {max(s for r in rows for s in r[5]):.2f} s"
        ),
    ]
    return lines


# ---------------------------------------------------------------- (d)


def bench_throughput(scale: float, worker_counts: list[int]) -> list[str]:
    lines = [
        (
            "(d) throughput via generate_records (spawned worker processes; 'overall' includes their start-up, "
            "'steady' is measured from the first record on; 'cores' is CPU time of the process and its workers / wall "
            "time, the cores the run actually got)"
        ),
        f"{'variant/level':<20}{'puzzles':>8}"
        + "".join(f"{f'{w}w overall/s':>15}{f'{w}w steady/s':>14}{f'{w}w cores':>10}" for w in worker_counts)
        + f"{'med clues':>11}",
    ]
    plan = [(v, lvl, max(2, round(n * scale))) for v, lvl, n in THROUGHPUT_LEVELS]
    with progress() as bar:
        task = bar.add_task("(d) throughput", total=sum(n for _, _, n in plan) * len(worker_counts))
        for variant, level, count in plan:
            cells, clues = [], []
            for workers in worker_counts:
                bar.update(task, description=f"(d) {variant.name}/{level}, {workers} worker(s)")
                start, cpu0 = time.perf_counter(), cpu_seconds()
                first = None
                clues = []
                for record in generate_records(variant, level, list(range(count)), workers=workers):
                    if first is None:
                        first = time.perf_counter()
                    clues.append(record["num_clues"])
                    bar.advance(task)
                end = time.perf_counter()
                cores = (cpu_seconds() - cpu0) / (end - start)  # the pool has been shut down: workers reaped
                overall = count / (end - start)
                steady = (count - 1) / (end - first) if count > 1 and end > first else float("nan")
                cells.append(f"{overall:>15.2f}{steady:>14.2f}{cores:>10.2f}")
            lines.append(
                f"{variant.name + '/' + level:<20}{count:>8}" + "".join(cells) + f"{statistics.median(clues):>11g}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: fewer puzzles everywhere")
    parser.add_argument("--puzzles", type=int, help="puzzles for (a) (default 20, quick 3)")
    parser.add_argument("--skip", default="", help="parts to skip, e.g. 'cd'")
    args = parser.parse_args()
    quick = args.quick
    sections: list[list[str]] = []
    started = time.perf_counter()
    facts = machine_facts()  # the load average before this run adds its own
    if "a" not in args.skip:
        sections.append(bench_hard(args.puzzles or (3 if quick else 20)))
    if "b" not in args.skip:
        sections.append(bench_largest(1 if quick else 3))
    if "c" not in args.skip:
        sections.append(bench_clue_counts(1 if quick else 3))
    if "d" not in args.skip:
        sections.append(bench_throughput(0.05 if quick else 1.0, [1, 2]))

    print("Puzzle generation benchmark (wall clock; other jobs on the machine make it noisy)")
    for line in facts:
        print(line)
    for section in sections:
        print()
        for line in section:
            print(line)
    print()
    print(f"whole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
