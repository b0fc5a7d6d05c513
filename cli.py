"""The ``clue`` command: generate, show, list, play, eval, report, audit, train and plot.

It parses arguments and calls the library. Errors have one path: a user error is a
``ValueError`` (or an ``OSError`` from a file) raised anywhere below a command, printed as
one line ``clue: error: ...`` with exit status 2; ``CLUE_DEBUG=1`` shows the traceback
instead. Ctrl-C and SIGTERM end any command the same way (what was written is kept, a
``.partial`` file named), with exit status 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2


class CliError(ValueError):
    """A user error found by the command line itself."""


class Interrupted(KeyboardInterrupt):
    """A signal asked the command to stop (Ctrl-C is SIGINT, ``kill`` is SIGTERM)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


# --------------------------------------------------------------------------- argument types


def _int_at_least(low: int, flag: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{flag} must be >= {low}, got {value}")
        return value

    return parse


def _finite_float(flag: str, positive: bool = False):
    def parse(text: str) -> float:
        import math

        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a number, got {text!r}") from None
        if not math.isfinite(value) or (positive and value <= 0):
            raise argparse.ArgumentTypeError(f"{flag} must be a finite number{' > 0' if positive else ''}, got {text}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse, with a command's argument errors on one line like every other error (a bare
    ``clue`` with no command still prints the usage)."""

    def error(self, message: str):  # type: ignore[override]
        if " " not in self.prog:  # the top-level parser: no or unknown command
            super().error(message)
        message = message.split(": ", 1)[1] if message.startswith("argument ") and ": --" in message else message
        raise CliError(f"{message} (see `{self.prog} --help`)")


# --------------------------------------------------------------------------- shared pieces


def _difficulty(args: argparse.Namespace):
    """A level name or rung number, a tuple of them (``--difficulty 1,3`` or ``0-4``), or explicit
    sizes when any size flag is given."""
    from clue_env.ladder import is_difficulty_list, parse_difficulties
    from clue_env.sizes import MAIN_QUESTIONS, Sizes

    explicit = [args.suspects, args.weapons, args.rooms]
    extra = [args.times, args.motives, args.bonus, args.pin, args.ask]
    if all(v is None for v in explicit + extra):
        if args.difficulty is not None and is_difficulty_list(args.difficulty):
            return parse_difficulties(args.difficulty)
        return args.difficulty
    if any(v is None for v in explicit):
        raise CliError("explicit sizes need at least --suspects, --weapons and --rooms")
    if args.difficulty is not None:
        raise CliError("give either --difficulty or explicit sizes (--suspects ...), not both")
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


def _level(args: argparse.Namespace, several: bool = False):
    """(variant, difficulty) of --variant and --difficulty/sizes, checked; with ``several``, the
    difficulty is a tuple of levels (one or more)."""
    from clue_env import get_variant

    variant = get_variant(args.variant)
    difficulty = _difficulty(args)
    if isinstance(difficulty, tuple) and not several:
        raise CliError(f"--difficulty {args.difficulty}: `clue {args.command}` takes one level")
    levels = difficulty if isinstance(difficulty, tuple) else (difficulty,)
    variant.difficulties(levels)
    return variant, (levels if several else difficulty)


def _workers(args: argparse.Namespace) -> int:
    """--workers, capped at the CPUs this process may use unless --oversubscribe."""
    from clue_env.workers import default_workers

    cpus = default_workers()
    if args.workers > cpus and not args.oversubscribe:
        print(
            f"clue: note: --workers {args.workers} capped at the {cpus} CPUs here (--oversubscribe to keep it)",
            file=sys.stderr,
        )
        return cpus
    return args.workers


def _progress(console=None):
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
        console=console,
    )


def _quiet_third_party(verbose: bool) -> None:
    """Third-party logs and bars (vLLM, tqdm, transformers) stay off unless --verbose; set before
    they are imported, so their worker processes inherit it too."""
    if verbose:
        os.environ["CLUE_VERBOSE"] = "1"  # agents that start third-party engines read it (see agents.vllm.settings)
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "INFO")
        return
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")  # torch's C++ warnings (NUMA binding on the CPU)
    # Engine processes vLLM spawns start with fresh warning filters: they read this one.
    # (and the resource tracker's note on the shared memory of an engine process that died)
    os.environ.setdefault(
        "PYTHONWARNINGS",
        "ignore::FutureWarning,ignore::DeprecationWarning,ignore::UserWarning:multiprocessing.resource_tracker",
    )
    import logging

    # vLLM warns on import, before it configures its logger (to Python's last-resort handler).
    logging.getLogger("vllm").setLevel(logging.ERROR)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import warnings

    for module in ("vllm", "torch", "transformers", "torchtune", "torchao"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)


# --------------------------------------------------------------------------- commands


def cmd_generate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from clue_env.generate import generate_records
    from clue_env.outputs import is_stdout, output_file, partial_path

    variant, levels = _level(args, several=True)
    workers = _workers(args)
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
            _progress(Console(stderr=True) if to_stdout else None) as bar,
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
    with _progress() as bar:
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
        variant, difficulty = _level(args)
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


def _agent_config(args: argparse.Namespace):
    from agents import AgentConfig
    from agents.config import parse_agent_args

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
        extra=parse_agent_args(args.agent_arg),
    )


def _make_agent(name: str, config):
    from agents import get_agent

    spec = get_agent(name)
    try:
        return spec.create(config)
    except (ValueError, OSError, ImportError) as err:
        raise CliError(f"agent {name!r}: {err}") from None


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agents import SamplingConfig
    from evaluation.runner import RunFolder, evaluate, sampling_meta
    from evaluation.tasks import TaskSource, load_source

    if args.dataset and (
        args.difficulty or any(getattr(args, k) is not None for k in ("suspects", "weapons", "rooms"))
    ):
        raise CliError("give either --dataset or --variant/--difficulty/sizes, not both")
    source = TaskSource(
        dataset=args.dataset,
        variant=args.variant,
        difficulty=None if args.dataset else _difficulty(args),
        n=args.n,
        seed=args.seed,
        game=args.game,
    )
    sampling = SamplingConfig(
        temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=args.seed
    )
    meta = {
        "agent": args.agent,
        "model": args.model,
        "game": args.game,
        "samples": args.samples,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "max_tokens": args.max_tokens,
        "dataset": str(args.dataset) if args.dataset else None,
    }
    if not args.dataset:
        meta.update({"variant": source.resolve()[0].name, "difficulty": source.difficulty_names()})
    # The folder first (checked and locked), then the agent: a bad folder or setting costs nothing.
    folder = RunFolder(args.out, args.resume, sampling_meta(sampling, meta))
    try:
        agent = _make_agent(args.agent, _agent_config(args))
    except BaseException:
        folder.close()
        raise
    console = Console(stderr=True)
    try:
        with _progress(console) as bar:
            job = bar.add_task("generating puzzles", total=(args.n or 0) * len(source.levels))
            tasks, where = load_source(
                source, workers=_workers(args), on_task=lambda done, total: bar.update(job, completed=done, total=total)
            )
            bar.remove_task(job)
        meta.update({k: v for k, v in where.items() if k != "seed"})
        meta["seed"] = args.seed
        columns = [
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("reward {task.fields[acc]}"),
            TextColumn("tok {task.fields[tok]}"),
            TextColumn("${task.fields[cost]}"),
            TextColumn("err {task.fields[err]}"),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=console) as bar:
            total = len(tasks) * args.samples
            job = bar.add_task(f"eval {args.agent}", total=total, acc="-", tok=0, cost="0.00", err=0)

            def on_record(_episode, tally) -> None:
                bar.update(
                    job,
                    completed=tally.done,
                    acc=f"{tally.mean:.3f}±{tally.stderr:.3f}",
                    tok=tally.prompt_tokens + tally.completion_tokens,
                    cost=f"{tally.cost_usd:.2f}",
                    err=tally.errors,
                )

            folder.meta.update(meta)
            summary = evaluate(
                agent, tasks, folder, sampling, samples=args.samples, concurrency=args.concurrency, on_record=on_record
            )
    finally:
        agent.close()
        folder.close()
    questions = f", {summary['mean_questions']:.2f} questions" if "mean_questions" in summary else ""
    print(
        f"{summary['n']} episodes: mean_reward {summary['mean_reward']:.4f} ± {summary['stderr']:.4f}{questions}, "
        f"{summary['errors']} errors, {summary['prompt_tokens'] + summary['completion_tokens']} tokens, "
        f"${summary['cost_usd']:.4f}; wrote {Path(args.out) / 'summary.json'}"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from evaluation.reference import load_reference
    from evaluation.report import (
        difficulty_table,
        leaderboard,
        load_summaries,
        plot_accuracy_vs_cost,
        plot_accuracy_vs_difficulty,
        plot_path,
    )

    references = list(load_reference(args.reference)) if args.reference else None
    if args.plot:
        plot_path(args.plot)  # a bad --plot fails before anything is printed
    if args.plot_difficulty:
        plot_path(args.plot_difficulty, "--plot-difficulty")
    summaries = load_summaries(args.dirs)
    console = Console()
    console.print(leaderboard(summaries))
    per_level = difficulty_table(summaries)
    if per_level is not None:
        console.print(per_level)
    if args.plot:
        print(f"wrote {plot_accuracy_vs_cost(summaries, args.plot, references)}")
    if args.plot_difficulty:
        print(f"wrote {plot_accuracy_vs_difficulty(summaries, args.plot_difficulty)}")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from agents.human import play_investigation, play_puzzle
    from clue_env.generate import generate_puzzle
    from clue_env.investigation import generate_case

    variant, difficulty = _level(args)
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
    with output_file(args.out, force=args.force, inputs=[args.file]) if args.out else _nowhere() as out:
        try:
            with _progress() as bar:
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


def cmd_train(args: argparse.Namespace) -> int:
    from trainers.spec import TrainRequest, get_trainer

    trainer = get_trainer(args.trainer)
    if args.help_config:
        print(trainer.describe())
        return 0
    if not args.agent or not args.out:
        raise CliError("clue train needs --agent and --out (see `clue train --help`)")
    overrides = list(args.set or [])
    if args.iterations is not None:
        overrides.append(f"iterations={args.iterations}")
    request = TrainRequest(
        agent=args.agent,
        out_dir=Path(args.out),
        resume=args.resume,
        config_file=Path(args.config) if args.config else None,
        overrides=tuple(overrides),
        verbose=args.verbose,
    )
    summary = trainer.run(request)
    val = f", val_reward {summary['val_reward']:.4f}" if summary.get("val_reward") is not None else ""
    if summary and os.environ.get("RANK", "0") == "0":  # under torchrun, the first rank reports
        print(f"iteration {summary['iteration']}: mean_reward {summary['mean_reward']:.4f}{val}; wrote {args.out}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from trainers.plot import plot_run

    for path in plot_run(args.dir):
        print(f"wrote {path}")
    return 0


class _nowhere:
    def __enter__(self):
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# --------------------------------------------------------------------------- the parser


def _add_size_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", default="temporal", help="puzzle variant (see `clue list`); default: temporal")
    p.add_argument(
        "--difficulty",
        help="named level of the variant, or a rung of its scale (0..N, see `clue list`); "
        "generate/eval also take a list of them: 1,3 or 0-4 (--n puzzles each) (default: the variant's default)",
    )
    g = p.add_argument_group("explicit sizes (instead of --difficulty)")
    g.add_argument("--suspects", type=int)
    g.add_argument("--weapons", type=int)
    g.add_argument("--rooms", type=int)
    g.add_argument("--times", type=int)
    g.add_argument("--motives", type=int, help="0: none; = suspects: one each; fewer: shared")
    g.add_argument("--bonus", type=int, help="number of bonus questions")
    g.add_argument("--ask", help="main questions, comma-separated from who,what,where,when,why")
    g.add_argument("--pin", choices=["night", "answers"], help="pin the whole night or only the answers")


def _add_workers_flags(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--workers",
        type=_int_at_least(1, "--workers"),
        default=1,
        help=f"processes {what} (default 1; at most the CPUs)",
    )
    p.add_argument("--oversubscribe", action="store_true", help="allow more --workers than CPUs")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true", help="show third-party logs (vLLM, tqdm)")
    seed = _int_at_least(0, "--seed")
    parser = _Parser(
        prog="clue",
        description="Temporal Clue puzzles: generate, show, play, evaluate agents, report, audit.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("generate", help="generate puzzles into a JSONL file", parents=[common])
    _add_size_flags(p)
    p.add_argument("--n", type=_int_at_least(1, "--n"), default=10, help="number of puzzles (default 10)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the first puzzle; the others follow (default 0)")
    p.add_argument("--out", required=True, help="output .jsonl file (a folder with --format hf)")
    p.add_argument(
        "--format",
        choices=("jsonl", "hf"),
        default="jsonl",
        help="jsonl: one JSON record per line (default); hf: a Hugging Face dataset folder "
        "(datasets.load_from_disk reads it; needs the hf extra)",
    )
    _add_workers_flags(p, "generating puzzles")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("show", help="show one puzzle, generated or from a file", parents=[common])
    _add_size_flags(p)
    p.add_argument("file", nargs="?", help="a puzzle file (.json or .jsonl) instead of generating")
    p.add_argument("--index", type=int, default=0, help="which puzzle of the file (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--solution", action="store_true", help="also show the answers")
    p.add_argument("--plain", action="store_true", help="print the raw prompt text")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("list", help="list variants and agents and the plugins they come from", parents=[common])
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("play", help="play a puzzle yourself in the terminal", parents=[common])
    _add_size_flags(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--game",
        choices=("puzzle", "investigation"),
        default="puzzle",
        help="puzzle: read the clues and answer (default); investigation: ask the witness questions, then accuse",
    )
    p.set_defaults(func=cmd_play)

    p = sub.add_parser(
        "eval", help="evaluate an agent; writes DIR/results.jsonl and DIR/summary.json", parents=[common]
    )
    _add_size_flags(p)
    p.add_argument("--agent", required=True, help="agent name (see `clue list`)")
    p.add_argument("--model", help="model name (api) or HF id / local path (vllm)")
    p.add_argument("--base-url", help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    p.add_argument("--dataset", help="evaluate on a puzzle file (.json or .jsonl) instead of generated puzzles")
    p.add_argument(
        "--game",
        choices=("puzzle", "investigation"),
        default="puzzle",
        help="puzzle: one prompt, one answer (default); investigation: ask questions, then accuse",
    )
    p.add_argument("--n", type=_int_at_least(1, "--n"), help="number of puzzles (default 10; all of --dataset)")
    p.add_argument("--seed", type=seed, default=0, help="first puzzle seed, and the sampling seed")
    p.add_argument("--samples", type=_int_at_least(1, "--samples"), default=1, help="samples per puzzle")
    p.add_argument("--concurrency", type=_int_at_least(1, "--concurrency"), default=8, help="requests in flight")
    p.add_argument("--max-tokens", type=_int_at_least(1, "--max-tokens"), default=4096)
    p.add_argument("--temperature", type=_finite_float("--temperature"), default=0.0)
    p.add_argument("--top-p", type=_finite_float("--top-p"), default=1.0)
    p.add_argument(
        "--timeout", type=_finite_float("--timeout", positive=True), default=120.0, help="seconds per request"
    )
    p.add_argument("--retries", type=_int_at_least(0, "--retries"), default=4)
    p.add_argument("--price-in", type=_finite_float("--price-in"), help="USD per million prompt tokens")
    p.add_argument("--price-out", type=_finite_float("--price-out"), help="USD per million completion tokens")
    p.add_argument("--tensor-parallel-size", type=_int_at_least(1, "--tensor-parallel-size"), default=1)
    p.add_argument("--agent-arg", action="append", metavar="KEY=VALUE", help="agent-specific setting (repeatable)")
    _add_workers_flags(p, "generating puzzles")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--resume", action="store_true", help="skip episodes already in DIR/results.jsonl")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("report", help="leaderboard across eval runs, and an accuracy-vs-cost chart", parents=[common])
    p.add_argument("dirs", nargs="+", help="folders written by `clue eval --out`")
    p.add_argument("--plot", default=None, help="write the chart to this file (.png, .pdf or .svg)")
    p.add_argument(
        "--plot-difficulty",
        default=None,
        metavar="FILE",
        help="write an accuracy-vs-difficulty chart of the runs over several difficulties (.png, .pdf or .svg)",
    )
    p.add_argument("--reference", choices=["study"], help="draw the published study's results as reference lines")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "audit", help="check each puzzle of a file has exactly one answer under a reading of its text", parents=[common]
    )
    p.add_argument("file", help="a puzzle file (.json or .jsonl)")
    p.add_argument(
        "--reading", choices=["literal", "encoded"], default="literal", help="literal: 'or' is inclusive (default)"
    )
    p.add_argument("--n", type=_int_at_least(1, "--n"), default=None, help="only the first N puzzles")
    p.add_argument("--out", help="also write one JSON line per puzzle, with a second valid night as evidence")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "train", help="train an agent's model with GRPO; writes DIR/metrics.jsonl and checkpoints", parents=[common]
    )
    p.add_argument("--agent", help="the agent (preset) to train: tiny, qwen14b, qwen32b, or vllm with --set model=")
    p.add_argument("--trainer", default="grpo", help="trainer (see `clue list`); default: grpo")
    p.add_argument("--config", help="settings file (.toml or .yaml), on top of the agent's preset")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", help="a setting on top of --config (repeatable)")
    p.add_argument("--iterations", type=_int_at_least(1, "--iterations"), help="iterations to run (in all)")
    p.add_argument("--out", help="the run's folder")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--help-config", action="store_true", help="list every setting with its default, and exit")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "plot", help="draw a training run's curves (reward, validation, answer length)", parents=[common]
    )
    p.add_argument("dir", help="a folder written by `clue train --out`")
    p.set_defaults(func=cmd_plot)
    return parser


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, OSError) and err.filename and str(err.filename) not in text:
        text = f"{err.filename}: {text}"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    previous = signal.signal(signal.SIGTERM, _on_signal) if _main_thread() else None
    try:
        args = parser.parse_args(argv)
        _quiet_third_party(args.verbose)
        return int(args.func(args) or 0)
    except Interrupted as err:
        print(f"clue: stopped by {signal.Signals(err.signum).name}", file=sys.stderr)
        return 128 + err.signum
    except KeyboardInterrupt:
        print("clue: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except BrokenPipeError:
        return 0
    except (ValueError, OSError) as err:
        if os.environ.get("CLUE_DEBUG"):
            raise
        print(f"clue: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
