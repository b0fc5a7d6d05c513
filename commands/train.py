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
    if summary and os.environ.get("RANK", "0") == "0":  # under torchrun, the first rank reports
        # GRPO's last iteration reports its rewards; a supervised one (sft) its losses
        names = ("mean_reward", "val_reward") if "mean_reward" in summary else ("loss", "val_loss")
        figures = [f"{name} {summary[name]:.4f}" for name in names if isinstance(summary.get(name), int | float)]
        print(f"iteration {summary.get('iteration')}: {', '.join(figures)}; wrote {args.out}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from trainers.plot import plot_run

    for path in plot_run(args.dir):
        print(f"wrote {path}")
    return 0
