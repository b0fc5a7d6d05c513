"""Rebuild the tiny model or its warmed-up base.

    python -m agents.tiny model [--path DIR] [--force]
    python -m agents.tiny base [--path DIR] [--force] [--steps N] [--seed N]

``base --path agents/tiny/assets/tiny-qwen2-base --force`` rebuilds the shipped base (about
7 minutes on one core); each command prints the directory it built or found up to date.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from . import base, model
from .recipe import RECIPE, TinyBaseError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.tiny", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    tiny = commands.add_parser("model", help="build (once) the tiny Qwen2-architecture test model")
    tiny.add_argument("--path", type=Path, default=None, help=f"where (default {model.default_path()})")
    tiny.add_argument("--force", action="store_true", help="rebuild even if up to date")
    warm = commands.add_parser("base", help="build (once) the tiny model's warmed-up base for CPU GRPO")
    warm.add_argument("--path", type=Path, default=None, help=f"where (default {base.default_path()})")
    warm.add_argument("--force", action="store_true", help="rebuild even if up to date")
    warm.add_argument("--steps", type=int, default=RECIPE.steps, help="warm-up steps (default %(default)s)")
    warm.add_argument("--seed", type=int, default=RECIPE.seed, help="warm-up seed (default %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "model":
        print(model.build_tiny_model(args.path, force=args.force))
        return 0
    try:
        recipe = replace(RECIPE, steps=args.steps, seed=args.seed)
    except TinyBaseError as err:
        warm.error(str(err))
    print(base.build_tiny_base(args.path, recipe=recipe, force=args.force, log=print))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
