"""``python -m agents.human [--variant V] [--difficulty D] [--seed S]``: play one puzzle."""

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
    args = parser.parse_args(argv)
    console = Console()
    try:
        from clue_env import generate_puzzle, get_variant

        from . import play_puzzle

        seed = args.seed if args.seed is not None else random.randrange(1_000_000)
        console.print(f"Setting up the case ({args.variant}, seed {seed})…", style="dim")
        puzzle = generate_puzzle(get_variant(args.variant), args.difficulty, seed)
    except KeyboardInterrupt:
        console.print("\nInterrupted. Goodbye.")
        return 130
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        return 2
    result = play_puzzle(puzzle, console)
    return 130 if result.reason == "interrupted" else 0


if __name__ == "__main__":
    sys.exit(main())
