"""The ``clue`` command: generate, show and list puzzles (play, eval and train come with
their packages). It parses arguments and calls the library; errors are one line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

EXIT_USAGE = 2


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _variant(name: str):
    from plugins import get_variant

    try:
        return get_variant(name)
    except ValueError as err:
        raise CliError(str(err)) from None


def _difficulty(args: argparse.Namespace):
    """A level name, or explicit sizes when any size flag is given."""
    from clue_env.sizes import MAIN_QUESTIONS, Sizes

    explicit = [args.suspects, args.weapons, args.rooms]
    extra = [args.times, args.motives, args.bonus, args.pin, args.ask]
    if all(v is None for v in explicit + extra):
        return args.difficulty
    if any(v is None for v in explicit):
        raise CliError("explicit sizes need at least --suspects, --weapons and --rooms")
    if args.difficulty is not None:
        raise CliError("give either --difficulty or explicit sizes (--suspects ...), not both")
    try:
        return Sizes(
            suspects=args.suspects,
            weapons=args.weapons,
            rooms=args.rooms,
            times=args.times if args.times is not None else 1,
            motives=args.motives if args.motives is not None else 0,
            bonus_questions=args.bonus if args.bonus is not None else 2,
            ask=tuple(args.ask.split(",")) if args.ask else MAIN_QUESTIONS,
            pin=args.pin or "night",
        )
    except ValueError as err:
        raise CliError(str(err)) from None


def _add_size_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", default="temporal", help="puzzle variant (see `clue list`); default: temporal")
    p.add_argument("--difficulty", help="named level of the variant (default: the variant's default)")
    g = p.add_argument_group("explicit sizes (instead of --difficulty)")
    g.add_argument("--suspects", type=int)
    g.add_argument("--weapons", type=int)
    g.add_argument("--rooms", type=int)
    g.add_argument("--times", type=int)
    g.add_argument("--motives", type=int, help="0: none; = suspects: one each; fewer: shared")
    g.add_argument("--bonus", type=int, help="number of bonus questions")
    g.add_argument("--ask", help="main questions, comma-separated from who,what,where,when,why")
    g.add_argument("--pin", choices=["night", "answers"], help="pin the whole night or only the answers")


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from clue_env.batch import generate_records

    variant = _variant(args.variant)
    difficulty = _difficulty(args)
    try:
        variant.difficulty(difficulty)
    except ValueError as err:
        raise CliError(str(err)) from None
    if args.n < 1:
        raise CliError(f"--n must be >= 1, got {args.n}")
    if args.seed < 0:
        raise CliError(f"--seed must be >= 0, got {args.seed}")
    if args.workers < 1:
        raise CliError(f"--workers must be >= 1, got {args.workers}")
    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; pass --force to overwrite it")
    if out.parent and not out.parent.exists():
        raise CliError(f"folder {out.parent} does not exist")
    seeds = list(range(args.seed, args.seed + args.n))
    partial = out.with_name(out.name + ".partial")
    written = 0
    try:
        with partial.open("w", encoding="utf-8") as fh, _progress() as bar:
            job = bar.add_task(f"generating {variant.name}", total=len(seeds))
            for record in generate_records(variant, difficulty, seeds, args.workers):
                fh.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
                fh.flush()
                written += 1
                bar.advance(job)
    except KeyboardInterrupt:
        raise CliError(f"interrupted: {written} puzzles kept in {partial}") from None
    os.replace(partial, out)
    print(f"wrote {written} puzzles to {out}")
    return 0


def _load_one(args: argparse.Namespace) -> tuple[Any, Any]:
    """(Task, Puzzle or None) for `clue show`."""
    from clue_env.dataset import DatasetError, load_tasks
    from clue_env.generate import generate_puzzle
    from clue_env.puzzle import Puzzle

    if args.file:
        try:
            tasks = load_tasks(args.file)
        except DatasetError as err:
            raise CliError(str(err)) from None
        if not 0 <= args.index < len(tasks):
            raise CliError(f"--index must be in [0, {len(tasks)}), got {args.index}")
        task = tasks[args.index]
        puzzle = None
        if task.record.get("format") is not None:
            try:
                puzzle = Puzzle.from_record(task.record)
            except (KeyError, ValueError, TypeError):
                puzzle = None
        return task, puzzle
    variant = _variant(args.variant)
    difficulty = _difficulty(args)
    try:
        puzzle = generate_puzzle(variant, difficulty, args.seed)
    except ValueError as err:
        raise CliError(str(err)) from None
    return puzzle.task(), puzzle


def cmd_show(args: argparse.Namespace) -> int:
    from rich.console import Console

    from clue_env.show import render_rich

    task, puzzle = _load_one(args)
    if args.plain:
        print(task.prompt)
        if args.solution:
            print("\n" + "\n".join(f"{k}. {v}" for k, v in task.solution.items()))
        return 0
    Console().print(render_rich(task, puzzle, show_solution=args.solution))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from plugins import plugin_errors, variants

    table = Table(title="Puzzle variants")
    table.add_column("variant", style="bold")
    table.add_column("plugin")
    table.add_column("difficulties (default first)")
    table.add_column("description")
    for name, entry in sorted(variants().items()):
        levels = entry.variant.levels
        default = levels.get(None).name
        names = [default] + [n for n in levels.names if n != default]
        table.add_row(name, entry.plugin, ", ".join(names), entry.variant.description)
    console = Console()
    console.print(table)
    for err in plugin_errors():
        console.print(f"[red]error:[/red] {err}", highlight=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clue", description="Temporal Clue puzzles: generate, show, list.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", help="generate puzzles into a JSONL file")
    _add_size_flags(p)
    p.add_argument("--n", type=int, default=10, help="number of puzzles (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first puzzle; the others follow (default 0)")
    p.add_argument("--out", required=True, help="output .jsonl file")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("show", help="show one puzzle, generated or from a file")
    _add_size_flags(p)
    p.add_argument("file", nargs="?", help="a puzzle file (.json or .jsonl) instead of generating")
    p.add_argument("--index", type=int, default=0, help="which puzzle of the file (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--solution", action="store_true", help="also show the answers")
    p.add_argument("--plain", action="store_true", help="print the raw prompt text")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("list", help="list variants and the plugins they come from")
    p.set_defaults(func=cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as err:
        print(f"clue: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("clue: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
