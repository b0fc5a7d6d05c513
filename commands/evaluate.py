"""``clue eval`` (an agent on puzzles or investigations, into a run folder) and ``clue report``
(leaderboard, accuracy per difficulty, charts)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import CliError, difficulty_arg, progress_bar, workers_arg


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
        difficulty=None if args.dataset else difficulty_arg(args),
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
        with progress_bar(console) as bar:
            job = bar.add_task("generating puzzles", total=(args.n or 0) * len(source.levels))
            tasks, where = load_source(
                source,
                workers=workers_arg(args),
                on_task=lambda done, total: bar.update(job, completed=done, total=total),
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
