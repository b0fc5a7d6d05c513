"""The ``clue`` command: generate, show, play, eval, report, audit and list. It parses
arguments and calls the library; errors are one line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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
    puzzle = _generate_one(args)
    return puzzle.task(), puzzle


def _generate_one(args: argparse.Namespace):
    """The puzzle named by --variant, --difficulty (or sizes) and --seed."""
    from clue_env.generate import generate_puzzle

    variant = _variant(args.variant)
    difficulty = _difficulty(args)
    try:
        return generate_puzzle(variant, difficulty, args.seed)
    except ValueError as err:
        raise CliError(str(err)) from None


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
    from plugins import agents

    agent_table = Table(title="Agents")
    agent_table.add_column("agent", style="bold")
    agent_table.add_column("plugin")
    agent_table.add_column("description")
    for name, entry in sorted(agents().items()):
        agent_table.add_row(name, entry.plugin, entry.spec.description)
    console.print(agent_table)
    for err in plugin_errors():
        console.print(f"[red]error:[/red] {err}", highlight=False)
    return 0


def _agent_config(args: argparse.Namespace):
    from agents import AgentConfig

    extra = {}
    for item in args.agent_arg or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--agent-arg wants KEY=VALUE, got {item!r}")
        extra[key] = value
    try:
        return AgentConfig(
            model=args.model,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            concurrency=args.concurrency,
            timeout_s=args.timeout,
            max_retries=args.retries,
            price_in_per_mtok=args.price_in,
            price_out_per_mtok=args.price_out,
            tensor_parallel_size=args.tensor_parallel_size,
            seed=args.seed,
            extra=extra,
        )
    except ValueError as err:
        raise CliError(str(err)) from None


def _make_agent(name: str, config):
    from plugins import get_agent

    try:
        spec = get_agent(name)
    except ValueError as err:
        raise CliError(str(err)) from None
    try:
        return spec.create(config)
    except (ValueError, FileNotFoundError, ImportError, OSError) as err:
        raise CliError(f"agent {name!r}: {err}") from None


def _eval_tasks(args: argparse.Namespace) -> tuple[list, dict]:
    from clue_env.dataset import DatasetError, load_tasks, task_from_record

    if args.dataset:
        if args.difficulty or any(getattr(args, k) is not None for k in ("suspects", "weapons", "rooms")):
            raise CliError("give either --dataset or --variant/--difficulty/sizes, not both")
        try:
            tasks = load_tasks(args.dataset)
        except DatasetError as err:
            raise CliError(str(err)) from None
        if args.n is not None:
            if args.n < 1:
                raise CliError(f"--n must be >= 1, got {args.n}")
            tasks = tasks[: args.n]
        return tasks, {"dataset": str(args.dataset)}
    from clue_env.batch import generate_records

    variant = _variant(args.variant)
    difficulty = _difficulty(args)
    try:
        level = variant.difficulty(difficulty)
    except ValueError as err:
        raise CliError(str(err)) from None
    n = args.n if args.n is not None else 10
    if n < 1:
        raise CliError(f"--n must be >= 1, got {n}")
    seeds = list(range(args.seed, args.seed + n))
    tasks = []
    with _progress() as bar:
        job = bar.add_task(f"generating {variant.name}/{level.name}", total=n)
        for record in generate_records(variant, difficulty, seeds, workers=args.workers):
            tasks.append(task_from_record(record))
            bar.advance(job)
    return tasks, {"variant": variant.name, "difficulty": level.name, "seed": args.seed}


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agents import SamplingConfig
    from agents.evaluate import EvalError, check_out_dir, evaluate

    if args.samples < 1:
        raise CliError(f"--samples must be >= 1, got {args.samples}")
    try:
        check_out_dir(args.out, args.resume)
    except EvalError as err:
        raise CliError(str(err)) from None
    try:
        sampling = SamplingConfig(
            temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=args.seed
        )
    except ValueError as err:
        raise CliError(str(err)) from None
    config = _agent_config(args)
    agent = _make_agent(args.agent, config)  # a bad agent setting fails before any work
    try:
        tasks, meta = _eval_tasks(args)
    except BaseException:
        agent.close()
        raise
    meta.update(
        {
            "agent": args.agent,
            "model": args.model,
            "samples": args.samples,
            "temperature": args.temperature,
            "max_tokens": args.max_tokens,
        }
    )
    console = Console(stderr=True)
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("acc {task.fields[acc]}"),
        TextColumn("tok {task.fields[tok]}"),
        TextColumn("${task.fields[cost]}"),
        TextColumn("err {task.fields[err]}"),
        TimeElapsedColumn(),
    ]
    try:
        with Progress(*columns, console=console) as bar:
            job = bar.add_task(
                f"eval {args.agent}", total=len(tasks) * args.samples, acc="-", tok=0, cost="0.00", err=0
            )

            def on_record(record, tally) -> None:
                bar.update(
                    job,
                    completed=tally.done,
                    acc=f"{100 * tally.mean:.1f}%±{100 * tally.stderr:.1f}",
                    tok=tally.prompt_tokens + tally.completion_tokens,
                    cost=f"{tally.cost_usd:.2f}",
                    err=tally.errors,
                )

            summary = evaluate(
                agent,
                tasks,
                args.out,
                sampling,
                samples=args.samples,
                concurrency=args.concurrency,
                resume=args.resume,
                meta=meta,
                on_record=on_record,
            )
    except EvalError as err:
        raise CliError(str(err)) from None
    finally:
        agent.close()
    print(
        f"{summary['n']} episodes: mean_reward {summary['mean_reward']:.4f} ± {summary['stderr']:.4f}, "
        f"{summary['errors']} errors, {summary['prompt_tokens'] + summary['completion_tokens']} tokens, "
        f"${summary['cost_usd']:.4f}; wrote {Path(args.out) / 'summary.json'}"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from agents.report import ReportError, label, load_summaries, plot_accuracy_vs_cost

    try:
        summaries = load_summaries(args.dirs)
    except ReportError as err:
        raise CliError(str(err)) from None
    table = Table(title="Leaderboard")
    for col in ("#", "run", "agent", "episodes", "accuracy", "solved", "tokens/puzzle", "$/puzzle", "errors"):
        table.add_column(col, justify="right" if col not in ("run", "agent") else "left")
    for i, s in enumerate(summaries, 1):
        table.add_row(
            str(i),
            s["run"],
            label(s),
            str(s.get("n", 0)),
            f"{100 * s['mean_reward']:.1f}% ± {100 * s.get('stderr', 0.0):.1f}",
            str(s.get("solved", 0)),
            f"{s.get('tokens_per_puzzle', 0):.0f}",
            f"{s.get('cost_per_puzzle_usd', 0.0):.4f}",
            str(s.get("errors", 0)),
        )
    Console().print(table)
    if args.plot:
        path = plot_accuracy_vs_cost(summaries, args.plot)
        print(f"wrote {path}")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from agents.human import play_puzzle

    result = play_puzzle(_generate_one(args))
    return 130 if result.reason == "interrupted" else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from clue_env.dataset import DatasetError, load_tasks
    from clue_env.solve import audit, audit_summary

    try:
        tasks = load_tasks(args.file)
    except DatasetError as err:
        raise CliError(str(err)) from None
    if args.n is not None:
        tasks = tasks[: max(0, args.n)]
    results = []
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    try:
        with _progress() as bar:
            job = bar.add_task(f"auditing ({args.reading} reading)", total=len(tasks))
            for task in tasks:
                try:
                    result = audit(task.prompt, task.solution, args.reading)
                except ValueError as err:
                    raise CliError(f"{task.id}: {err}") from None
                results.append((task, result))
                if out:
                    out.write(json.dumps({"id": task.id, **result.to_dict(nights=True)}) + "\n")
                    out.flush()
                bar.advance(job)
    finally:
        if out:
            out.close()
    table = Table(title=f"Puzzles without exactly one answer ({args.reading} reading)")
    for col in ("puzzle", "question", "file's answer", "also fits"):
        table.add_column(col)
    for task, result in results:
        data = result.to_dict()
        if not data["satisfiable"]:
            table.add_row(task.id, "-", "-", "no night fits the clues")
            continue
        for q in data["questions"]:
            if not q["unique"]:
                also = ", ".join(a for a in q["fits"] if a != q["expected"])
                table.add_row(task.id, f"{q['label']}. {q['question']}", str(q["expected"]), also)
    console = Console()
    console.print(table)
    summary = audit_summary([r for _, r in results])
    console.print(
        f"{summary['puzzles']} puzzles: {summary['unique']} with exactly one answer to every question, "
        f"{summary['ambiguous_main']} with a second answer to a main question, {summary['ambiguous_any']} to any question, "
        f"{summary['unsatisfiable']} contradictory, {summary['solution_does_not_fit']} whose stated solution does not fit"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clue", description="Temporal Clue puzzles: generate, show, play, evaluate agents, report, audit."
    )
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

    p = sub.add_parser("list", help="list variants and agents and the plugins they come from")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("play", help="play a puzzle yourself in the terminal")
    _add_size_flags(p)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("eval", help="evaluate an agent; writes DIR/results.jsonl and DIR/summary.json")
    _add_size_flags(p)
    p.add_argument("--agent", required=True, help="agent name (see `clue list`)")
    p.add_argument("--model", help="model name (api) or HF id / local path (vllm)")
    p.add_argument("--base-url", help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    p.add_argument("--dataset", help="evaluate on a puzzle file (.json or .jsonl) instead of generated puzzles")
    p.add_argument("--n", type=int, help="number of puzzles (default 10; all of --dataset)")
    p.add_argument("--seed", type=int, default=0, help="first puzzle seed, and the sampling seed")
    p.add_argument("--samples", type=int, default=1, help="samples per puzzle")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    p.add_argument("--max-tokens", type=int, default=4096)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    p.add_argument("--retries", type=int, default=4)
    p.add_argument("--price-in", type=float, help="USD per million prompt tokens")
    p.add_argument("--price-out", type=float, help="USD per million completion tokens")
    p.add_argument("--tensor-parallel-size", type=int, default=1)
    p.add_argument("--agent-arg", action="append", metavar="KEY=VALUE", help="agent-specific setting (repeatable)")
    p.add_argument("--workers", type=int, default=1, help="processes generating puzzles")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--resume", action="store_true", help="skip episodes already in DIR/results.jsonl")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("report", help="leaderboard across eval runs, and an accuracy-vs-cost chart")
    p.add_argument("dirs", nargs="+", help="folders written by `clue eval --out`")
    p.add_argument("--plot", default=None, help="write the chart to this PNG")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("audit", help="check each puzzle of a file has exactly one answer under a reading of its text")
    p.add_argument("file", help="a puzzle file (.json or .jsonl)")
    p.add_argument(
        "--reading", choices=["literal", "encoded"], default="literal", help="literal: 'or' is inclusive (default)"
    )
    p.add_argument("--n", type=int, default=None, help="only the first N puzzles")
    p.add_argument("--out", help="also write one JSON line per puzzle, with a second valid night as evidence")
    p.set_defaults(func=cmd_audit)
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
