"""The variants that ship with the project, offered through the plugin hook like any other."""

from __future__ import annotations

from plugins import hookimpl

from .sizes import MAIN_QUESTIONS, Difficulty, Levels, Sizes
from .theme import CLASSIC
from .variant import Variant


def _rungs(pin: str, *rows: tuple[int, int, int, int, int, int, tuple[str, ...]]) -> tuple[Sizes, ...]:
    """Ladder rungs from rows of (suspects, weapons, rooms, times, motives, bonus questions, ask)."""
    return tuple(Sizes(s, w, r, t, m, b, ask=ask, pin=pin) for s, w, r, t, m, b, ask in rows)  # type: ignore[arg-type]


_ALL = MAIN_QUESTIONS
_WWW = ("who", "what", "where")
_WWWW = ("who", "what", "where", "when")

# The ladders (``Variant.ladder``): each row a rung, easiest first, strictly increasing in
# ``ladder.size_score`` (the comment: that score, log2 of the ways to answer every question).
# A rung's number names its puzzles for good: append rungs, never change or insert one.
TEMPORAL_LADDER = _rungs(
    "night",
    (2, 2, 2, 2, 2, 2, _ALL),  # 7.00
    (3, 2, 2, 2, 3, 2, _ALL),  # 8.17
    (3, 3, 2, 3, 3, 2, _ALL),  # 9.34
    (3, 3, 3, 3, 3, 2, _ALL),  # 11.09
    (3, 3, 4, 3, 3, 2, _ALL),  # 12.34
    (4, 3, 4, 3, 4, 2, _ALL),  # 13.17  (like easy)
    (4, 4, 5, 3, 4, 2, _ALL),  # 14.55
    (5, 4, 5, 4, 5, 2, _ALL),  # 15.61
    (5, 5, 6, 4, 5, 2, _ALL),  # 16.72  (like medium)
    (5, 5, 6, 4, 5, 3, _ALL),  # 19.30
    (6, 5, 6, 5, 6, 3, _ALL),  # 20.15
    (6, 6, 7, 5, 6, 3, _ALL),  # 21.30
    (7, 6, 8, 6, 7, 3, _ALL),  # 22.78  (like hard)
    (7, 7, 9, 6, 7, 3, _ALL),  # 23.69
    (8, 7, 10, 7, 8, 3, _ALL),  # 24.91
    (8, 8, 11, 8, 8, 3, _ALL),  # 25.84
    (9, 8, 12, 9, 9, 3, _ALL),  # 26.84
    (9, 8, 14, 10, 9, 3, _ALL),  # 27.89
    (10, 8, 15, 11, 10, 3, _ALL),  # 28.73
    (10, 8, 17, 12, 10, 3, _ALL),  # 29.58  largest
)

CLASSIC_LADDER = _rungs(
    "night",
    (2, 2, 2, 1, 0, 1, _ALL),  # 4.00
    (2, 2, 3, 1, 0, 1, _ALL),  # 5.17
    (3, 3, 3, 1, 0, 1, _ALL),  # 6.34
    (3, 3, 4, 1, 0, 1, _ALL),  # 7.17  easy
    (4, 4, 4, 1, 0, 1, _ALL),  # 8.00
    (4, 4, 4, 1, 0, 2, _ALL),  # 10.00
    (5, 4, 5, 1, 0, 2, _ALL),  # 11.29
    (5, 5, 6, 1, 0, 2, _ALL),  # 12.40
    (6, 5, 7, 1, 0, 2, _ALL),  # 13.33
    (6, 6, 9, 1, 0, 2, _ALL),  # 14.68  medium
    (6, 6, 9, 1, 0, 3, _ALL),  # 17.85
    (7, 6, 10, 1, 0, 3, _ALL),  # 18.68
    (8, 7, 11, 1, 0, 3, _ALL),  # 19.65
    (8, 7, 13, 1, 0, 3, _ALL),  # 20.61
    (9, 8, 15, 1, 0, 3, _ALL),  # 21.80
    (10, 8, 17, 1, 0, 3, _ALL),  # 22.67  hard
)

# Below cpu, then cpu's questions and pin on larger maps, then times (when), a bonus question,
# motives (why: two shared, four shared, then one each), a second bonus question, up to every
# suspect, weapon and room of the theme and 12 times. Pin "answers" throughout (short prompts).
TINY_LADDER = _rungs(
    "answers",
    (2, 2, 2, 1, 0, 0, _WWW),  # 3.00
    (2, 3, 3, 1, 0, 0, _WWW),  # 4.17
    (3, 3, 3, 1, 0, 0, _WWW),  # 4.75  cpu
    (3, 3, 4, 1, 0, 0, _WWW),  # 5.17
    (4, 4, 4, 1, 0, 0, _WWW),  # 6.00
    (4, 4, 5, 1, 0, 0, _WWW),  # 6.32
    (5, 5, 5, 1, 0, 0, _WWW),  # 6.97
    (5, 5, 6, 1, 0, 0, _WWW),  # 7.23
    (6, 6, 6, 1, 0, 0, _WWW),  # 7.75
    (6, 6, 6, 2, 0, 0, _WWWW),  # 8.75
    (6, 6, 6, 3, 0, 0, _WWWW),  # 9.34
    (7, 6, 7, 3, 0, 0, _WWWW),  # 9.78
    (7, 7, 8, 4, 0, 0, _WWWW),  # 10.61
    (7, 7, 8, 4, 0, 1, _WWWW),  # 13.61
    (7, 7, 8, 4, 2, 1, _ALL),  # 14.61
    (7, 7, 8, 5, 4, 1, _ALL),  # 15.94
    (7, 7, 9, 5, 7, 1, _ALL),  # 17.08
    (8, 7, 9, 6, 8, 1, _ALL),  # 17.73
    (8, 7, 9, 6, 8, 2, _ALL),  # 20.90
    (8, 8, 10, 7, 8, 2, _ALL),  # 21.77
    (9, 8, 11, 8, 9, 2, _ALL),  # 22.72
    (9, 8, 12, 9, 9, 2, _ALL),  # 23.26
    (10, 8, 13, 10, 10, 2, _ALL),  # 24.07
    (10, 8, 15, 11, 10, 2, _ALL),  # 24.82
    (10, 8, 17, 12, 10, 2, _ALL),  # 25.49
)

TEMPORAL = Variant(
    name="temporal",
    description="The full Temporal Clue game: who, what, where, when and why, plus bonus questions",
    theme=CLASSIC,
    levels=Levels(
        (
            Difficulty(
                "easy",
                "3-4 suspects, 4-6 rooms, 2-3 times",
                (3, 4),
                (3, 3),
                (4, 6),
                (2, 3),
                "unique",
                bonus_questions=(2, 2),
            ),
            Difficulty(
                "medium",
                "5-6 suspects, 6-9 rooms, 3-5 times",
                (5, 6),
                (4, 5),
                (6, 9),
                (3, 5),
                "any",
                bonus_questions=(2, 3),
            ),
            Difficulty(
                "hard",
                "the benchmark's large puzzles: 7-10 suspects, 5-8 weapons, 8-12 rooms, 6-9 times, 2-4 shared motives",
                (7, 10),
                (5, 8),
                (8, 12),
                (6, 9),
                "shared",
                shared_motives=(2, 4),
                bonus_questions=(2, 4),
            ),
            Difficulty(
                "benchmark",
                "the size profile of the original 64-puzzle validation set: 2-10 suspects, 2-16 rooms, 1-9 times, ~24 clues",
                (2, 10),
                (2, 8),
                (2, 16),
                (1, 9),
                "any",
                bonus_questions=(2, 3),
                tiers=(
                    (
                        0.28,
                        Difficulty(
                            "b-small",
                            "",
                            (2, 2),
                            (2, 2),
                            (2, 2),
                            (1, 4),
                            "unique",
                            motive_chance=0.5,
                            bonus_questions=(2, 3),
                            ask_chance=0.5,
                        ),
                    ),
                    (
                        0.2,
                        Difficulty(
                            "b-mid",
                            "",
                            (3, 6),
                            (2, 6),
                            (3, 9),
                            (1, 5),
                            "any",
                            motive_chance=0.9,
                            bonus_questions=(2, 3),
                            ask_chance=0.7,
                            minutes_per_step=(60, 60, 30),
                            spread=0.4,
                        ),
                    ),
                    (
                        0.25,
                        Difficulty(
                            "b-large",
                            "",
                            (7, 8),
                            (4, 8),
                            (9, 14),
                            (1, 6),
                            "any",
                            motive_chance=0.75,
                            bonus_questions=(2, 3),
                            ask_chance=0.7,
                            minutes_per_step=(60, 60, 30),
                            spread=0.5,
                        ),
                    ),
                    (
                        0.27,
                        Difficulty(
                            "b-xl",
                            "",
                            (9, 10),
                            (5, 8),
                            (10, 16),
                            (1, 9),
                            "any",
                            motive_chance=0.85,
                            bonus_questions=(2, 3),
                            ask_chance=0.7,
                            minutes_per_step=(60, 60, 15),
                            spread=0.5,
                        ),
                    ),
                ),
            ),
            Difficulty(
                "largest",
                "every name in the theme: 10 suspects, 8 weapons, 17 rooms, 12 times",
                (10, 10),
                (8, 8),
                (17, 17),
                (12, 12),
                "unique",
                bonus_questions=(3, 3),
            ),
        ),
        default="medium",
    ),
    ladder_sizes=TEMPORAL_LADDER,
)

CLASSIC_GAME = Variant(
    name="classic",
    description="The board game's question: who, with what, where -- one moment, no motives",
    theme=CLASSIC,
    levels=Levels(
        (
            Difficulty("easy", "3 suspects, 3 weapons, 4 rooms", (3, 3), (3, 3), (4, 4), bonus_questions=(1, 1)),
            Difficulty("medium", "6 suspects, 6 weapons, 9 rooms", (6, 6), (6, 6), (9, 9), bonus_questions=(2, 2)),
            Difficulty("hard", "10 suspects, 8 weapons, 17 rooms", (10, 10), (8, 8), (17, 17), bonus_questions=(3, 3)),
        ),
        default="medium",
    ),
    clue_weights={
        "at": 0.3,
        "same_room": 0.2,
        "beside": 0.2,
        "murder": 0.05,
        "or": 0.08,
        "xor": 0.07,
        "iff": 0.05,
        "not": 0.05,
    },
    ladder_sizes=CLASSIC_LADDER,
)

TINY = Variant(
    name="tiny",
    description="Small puzzles with short prompts, for quick play and training small models on a CPU",
    theme=CLASSIC,
    levels=Levels(
        (
            Difficulty(
                "easy", "2-3 suspects, 2-3 rooms, 1-2 times", (2, 3), (2, 2), (2, 3), (1, 2), bonus_questions=(1, 2)
            ),
            Difficulty(
                "medium",
                "3 suspects, 3 weapons, 4 rooms, 2-3 times",
                (3, 3),
                (3, 3),
                (4, 4),
                (2, 3),
                "unique",
                motive_chance=0.5,
                bonus_questions=(1, 2),
            ),
            # The level the tiny model trains on with GRPO on a CPU (``clue train --agent tiny``,
            # agents/tiny/): short prompts (~290 tokens), answers of ~13 tokens, chance 1/3.
            Difficulty(
                "cpu",
                "3 suspects, 3 weapons, 3 rooms, one moment; who, what, where; clues pin only the answers",
                (3, 3),
                (3, 3),
                (3, 3),
                (1, 1),
                bonus_questions=(0, 0),
                ask=("who", "what", "where"),
                pin="answers",
            ),
        ),
        default="easy",
    ),
    ladder_sizes=TINY_LADDER,
)


@hookimpl
def clue_variants() -> list[Variant]:
    return [TEMPORAL, CLASSIC_GAME, TINY]
