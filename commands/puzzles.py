"""``clue generate``, ``show``, ``list``, ``play`` and ``audit``: puzzles made, shown, played and checked."""

from __future__ import annotations

import argparse
import json
import sys

from .common import CliError, level_arg, nowhere, progress_bar, workers_arg


def cmd_generate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from clue_env.generate import generate_records
    from clue_env.outputs import is_stdout, output_file, partial_path

    variant, levels = level_arg(args, several=True)
    workers = workers_arg(args)
    seeds = list(range(args.seed, args.seed + args.n))
    if args.format == "hf":
        if len(levels) > 1:
            raise CliError("--format hf writes one level; give one --difficulty")
        return _generate_hf(args, variant, levels[0], seeds, workers)
    to_stdout = is_stdout(args.out)  # then the bar and the last line go to stderr, out of the data's way
    written = 0
    try:
        with (
            output_file(args.out, force=args.force) as fh,
            progress_bar(Console(stderr=True) if to_stdout else None) as bar,
        ):
            job = bar.add_task(f"generating {variant.name}", total=len(seeds) * len(levels))
            for difficulty in levels:  # --difficulty 0-4: --n puzzles of each level, level after level
                for record in generate_records(variant, difficulty, seeds, workers):
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                    fh.flush()
                    written += 1
                    bar.advance(job)
    except KeyboardInterrupt:
        print(f"clue: interrupted: {written} puzzles kept in {partial_path(args.out)}", file=sys.stderr)
        raise
    print(f"wrote {written} puzzles to {args.out}", file=sys.stderr if to_stdout else sys.stdout)
    return 0


def _generate_hf(args: argparse.Namespace, variant, difficulty, seeds: list[int], workers: int) -> int:
    """`clue generate --format hf`: the puzzles as a Hugging Face dataset folder (``Dataset.save_to_disk``)."""
    from integrations.hf_datasets import check_save_target, save_generated

    check_save_target(args.out, force=args.force)  # before the bar starts
    with progress_bar() as bar:
        job = bar.add_task(f"generating {variant.name}", total=len(seeds))
        out = save_generated(
            variant, difficulty, seeds, args.out, workers, force=args.force, on_row=lambda _row: bar.advance(job)
        )
    print(f"wrote {len(seeds)} puzzles to {out} (read it with datasets.load_from_disk)")
    return 0


def _load_one(args: argparse.Namespace):
    """(Task, Puzzle or None) for `clue show`: from a file, or generated."""
    from clue_env.dataset import load_tasks
    from clue_env.generate import generate_puzzle
    from clue_env.puzzle import Puzzle

    if not args.file:
        variant, difficulty = level_arg(args)
        puzzle = generate_puzzle(variant, difficulty, args.seed)
        return puzzle.task(), puzzle
    tasks = load_tasks(args.file)
    if not 0 <= args.index < len(tasks):
        raise CliError(f"--index must be in [0, {len(tasks)}), got {args.index}")
    task = tasks[args.index]
    puzzle = None
    if task.record.get("format") is not None:
        try:
            puzzle = Puzzle.from_record(task.record)
        except (KeyError, ValueError, TypeError):
            puzzle = None  # shown from its prompt text alone
    return task, puzzle


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

    from agents.spec import agents, agents_table
    from clue_env import variants
    from clue_env.show import variants_table
    from plugins import plugin_errors
    from trainers.spec import trainers, trainers_table

    console = Console()
    console.print(variants_table(variants()))
    console.print(agents_table(agents()))
    console.print(trainers_table(trainers()))
    for err in plugin_errors():
        console.print(f"[red]error:[/red] {err}", highlight=False)
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from agents.human import play_investigation, play_puzzle
    from clue_env.generate import generate_puzzle
    from clue_env.investigation import generate_case

    variant, difficulty = level_arg(args)
    if args.game == "investigation":
        result = play_investigation(generate_case(variant, difficulty, args.seed))
    else:
        result = play_puzzle(generate_puzzle(variant, difficulty, args.seed))
    return 130 if result.reason == "interrupted" else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from rich.console import Console

    from clue_env.dataset import load_tasks
    from clue_env.outputs import check_output_file, output_file, partial_path
    from clue_env.show import audit_table
    from clue_env.solve import audit, audit_summary

    if args.out:
        check_output_file(args.out, force=args.force, inputs=[args.file])
    tasks = load_tasks(args.file)
    if args.n is not None:
        tasks = tasks[: args.n]
    results = []
    with output_file(args.out, force=args.force, inputs=[args.file]) if args.out else nowhere() as out:
        try:
            with progress_bar() as bar:
                job = bar.add_task(f"auditing ({args.reading} reading)", total=len(tasks))
                for task in tasks:
                    try:
                        result = audit(task.prompt, task.solution, args.reading)
                    except ValueError as err:
                        raise CliError(f"{task.id}: {err}") from None
                    results.append((task, result))
                    if out is not None:
                        out.write(json.dumps({"id": task.id, **result.to_dict(nights=True)}) + "\n")
                        out.flush()
                    bar.advance(job)
        except KeyboardInterrupt:
            if args.out:
                print(f"clue: interrupted: {len(results)} audits kept in {partial_path(args.out)}", file=sys.stderr)
            raise
    console = Console()
    console.print(audit_table(results, args.reading))
    summary = audit_summary([r for _, r in results])
    console.print(
        f"{summary['puzzles']} puzzles: {summary['unique']} with exactly one answer to every question, "
        f"{summary['ambiguous_main']} with a second answer to a main question, {summary['ambiguous_any']} to any "
        f"question, {summary['unsatisfiable']} contradictory, {summary['solution_does_not_fit']} whose stated "
        "solution does not fit"
    )
    return 0
