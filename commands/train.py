"""``clue train`` (a trainer plugin on a run folder) and ``clue plot`` (a run's curves)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import CliError


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
