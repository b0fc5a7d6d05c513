"""Throughput of clue_env.grading on realistic replies: ``python benchmarks/bench_grading.py``.

Builds ~1,000 replies to one fixed 8-question puzzle (right, wrong, markdown, tables,
inline, hedged, and ~2,000-character chain of thought followed by final answers) and
grades them for a few seconds in each mode, printing replies (answer texts) graded per
second.
Standard library only.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clue_env.grading import Grader, grade

SUSPECTS = [
    "Miss Scarlet",
    "Mr. Green",
    "Mrs. White",
    "Mrs. Peacock",
    "Colonel Mustard",
    "Professor Plum",
    "Miss Peach",
    "Sgt. Gray",
    "Monsieur Brunette",
    "Madame Rose",
]
WEAPONS = ["Candlestick", "Knife", "Lead Pipe", "Revolver", "Rope", "Wrench", "Horseshoe", "Poison"]
ROOMS = [
    "Hall",
    "Lounge",
    "Dining Room",
    "Kitchen",
    "Ballroom",
    "Conservatory",
    "Billiard Room",
    "Library",
    "Study",
    "Carriage House",
    "Cloak Room",
    "Trophy Room",
    "Drawing Room",
    "Gazebo",
    "Courtyard",
    "Fountain",
    "Studio",
]
TIMES = [
    f"{h:02d}:{m:02d} {ap}"
    for h, ap in [(9, "PM"), (10, "PM"), (11, "PM"), (12, "AM"), (1, "AM"), (2, "AM")]
    for m in (0, 30)
]
MOTIVES = ["Revenge", "Jealousy", "Greed", "Power", "Hatred", "Anger", "Fear", "Ambition", "Betrayal", "Pride"]

OPTIONS = {
    "A": SUSPECTS,
    "B": WEAPONS,
    "C": ROOMS,
    "D": TIMES,
    "E": MOTIVES,
    "F": ROOMS,
    "G": MOTIVES,
    "H": SUSPECTS,
}
SOLUTION = {
    "A": "Mrs. Peacock",
    "B": "Lead Pipe",
    "C": "Billiard Room",
    "D": "12:30 AM",
    "E": "Jealousy",
    "F": "Hall",
    "G": "Greed",
    "H": "Colonel Mustard",
}
TIME_FORMS = [
    lambda t: t,
    lambda t: t.lower(),
    lambda t: t.replace(" ", ""),
    lambda t: t.replace(":00", ""),
    lambda t: t.replace("AM", "a.m.").replace("PM", "p.m."),
]
FILLER = (
    "Clue {n} says {s} was in the {r} at {t}, so {s2} cannot have used the {w}. "
    "If the murder happened in the {r2}, then the motive must be {m}. "
)


def _answer(rng: random.Random, label: str, right: float) -> str:
    value = SOLUTION[label] if rng.random() < right else rng.choice(OPTIONS[label])
    if label == "D":
        value = rng.choice(TIME_FORMS)(value)
    roll = rng.random()
    if roll < 0.1:
        value = value.lower()
    elif roll < 0.15:
        value = f"The {value}."
    elif roll < 0.2:
        value = f"{value} or {rng.choice(OPTIONS[label])}"
    elif roll < 0.3:
        value = f"{value} (because of clue {rng.randint(1, 20)} and {rng.choice(OPTIONS[label])}'s alibi)"
    return value


def _answer_block(rng: random.Random, right: float) -> str:
    style = rng.randrange(5)
    pairs = [(label, _answer(rng, label, right)) for label in SOLUTION]
    if style == 0:
        return "\n".join(f"{label}. {value}" for label, value in pairs)
    if style == 1:
        return "\n".join(f"**{label}.** {value}" for label, value in pairs)
    if style == 2:
        return "\n".join(f"- {label}: *{value}*" for label, value in pairs)
    if style == 3:
        rows = "\n".join(f"| {label} | {value} |" for label, value in pairs)
        return f"| Question | Answer |\n|---|---|\n{rows}"
    return " ".join(f"{label}) {value}" for label, value in pairs)


def _chain_of_thought(rng: random.Random, chars: int) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < chars:
        parts.append(
            FILLER.format(
                n=rng.randint(1, 30),
                s=rng.choice(SUSPECTS),
                s2=rng.choice(SUSPECTS),
                r=rng.choice(ROOMS),
                r2=rng.choice(ROOMS),
                t=rng.choice(TIMES),
                w=rng.choice(WEAPONS),
                m=rng.choice(MOTIVES),
            )
        )
        if rng.random() < 0.3:
            parts.append("\n\n")
    return "".join(parts)


def make_replies(count: int, seed: int = 0) -> list[str]:
    """``count`` replies: a third short, a third with CoT and a draft, a third CoT only."""
    rng = random.Random(seed)
    replies: list[str] = []
    for i in range(count):
        right = rng.choice([0.3, 0.7, 1.0])
        kind = i % 3
        if kind == 0:
            replies.append(_answer_block(rng, right))
        elif kind == 1:
            draft = _answer_block(rng, 0.3)
            replies.append(
                f"Let me work through the clues.\n\n{_chain_of_thought(rng, 1000)}\n\nDraft:\n{draft}\n\n"
                f"{_chain_of_thought(rng, 1000)}\n\n## Final answers\n{_answer_block(rng, right)}\n"
            )
        else:
            replies.append(f"{_chain_of_thought(rng, 2000)}\n\nAnswers:\n{_answer_block(rng, right)}")
    return replies


def _rate(grade_one: Callable[[str], object], replies: list[str], seconds: float) -> float:
    """Replies graded per second, looping over ``replies`` for at least ``seconds``."""
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for reply in replies:
            grade_one(reply)
        done += len(replies)
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=1000, help="replies to build (default 1000)")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per mode (default 3)")
    args = parser.parse_args()

    replies = make_replies(args.replies)
    grader = Grader(SOLUTION, OPTIONS)

    def cold(reply: str) -> object:
        grader._verdicts.clear()  # measure parsing and matching, not the verdict cache
        return grader(reply)

    modes: list[tuple[str, Callable[[str], object]]] = [
        ("reused Grader", grader),
        ("reused Grader, cold verdict cache", cold),
        ("grade() (cached Graders)", lambda reply: grade(reply, SOLUTION, OPTIONS)),
        ("new Grader per reply", lambda reply: Grader(SOLUTION, OPTIONS)(reply)),
    ]
    mean_chars = sum(map(len, replies)) / len(replies)
    mean_reward = sum(grader(r).reward for r in replies) / len(replies)
    print(f"{len(replies)} replies, {mean_chars:.0f} chars on average, 8 questions, mean reward {mean_reward:.3f}")
    print(f"{'mode':<36}{'replies/s':>12}{'us/reply':>12}")
    for name, grade_one in modes:
        rate = _rate(grade_one, replies, args.seconds)
        print(f"{name:<36}{rate:>12,.0f}{1e6 / rate:>12.1f}")


if __name__ == "__main__":
    main()
