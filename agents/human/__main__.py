"""``python -m agents.human [--variant V] [--difficulty D] [--seed S] [--game G]``: play one puzzle
(``--game puzzle``, the default) or investigate one case (``--game investigation``)."""

from __future__ import annotations

import argparse
import random
import sys

from rich.console import Console


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agents.human", description="Play one Temporal Clue puzzle in the terminal."
    )
    parser.add_argument("--variant", default="tiny", help="puzzle variant (default: tiny)")
    parser.add_argument("--difficulty", default=None, help="difficulty level (default: the variant's default)")
    parser.add_argument("--seed", type=int, default=None, help="puzzle seed (default: a random one, shown on screen)")
    parser.add_argument(
        "--game",
        choices=("puzzle", "investigation"),
        default="puzzle",
        help="puzzle: read the clues and answer (default); investigation: ask the witness, then accuse",
    )
    args = parser.parse_args(argv)
    console = Console()
    try:
        from clue_env import generate_puzzle, get_variant
        from clue_env.investigation import generate_case

        from . import play_investigation, play_puzzle

        seed = args.seed if args.seed is not None else random.randrange(1_000_000)
        console.print(f"Setting up the case ({args.variant}, seed {seed})…", style="dim")
        variant = get_variant(args.variant)
        if args.game == "investigation":
            case = generate_case(variant, args.difficulty, seed)
        else:
            puzzle = generate_puzzle(variant, args.difficulty, seed)
    except KeyboardInterrupt:
        console.print("\nInterrupted. Goodbye.")
        return 130
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        return 2
    result = play_investigation(case, console) if args.game == "investigation" else play_puzzle(puzzle, console)
    return 130 if result.reason == "interrupted" else 0


if __name__ == "__main__":
    sys.exit(main())
