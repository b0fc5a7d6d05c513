"""The variants that ship with the project, offered through the plugin hook like any other."""

from __future__ import annotations

from plugins import hookimpl

from .sizes import Difficulty, Levels
from .theme import CLASSIC
from .variant import Variant

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
            # testing/tiny_base.py): short prompts (~290 tokens), answers of ~13 tokens, chance 1/3.
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
)


@hookimpl
def clue_variants() -> list[Variant]:
    return [TEMPORAL, CLASSIC_GAME, TINY]
