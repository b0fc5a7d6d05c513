"""What several ``clue`` commands share: the user-error type, argument types, reading the level
flags (``--variant``, ``--difficulty`` or explicit sizes) and ``--workers``, the progress bar, and
keeping third-party logs quiet."""

from __future__ import annotations

import argparse
import os
import sys


class CliError(ValueError):
    """A user error found by the command line itself."""


def int_at_least(low: int, flag: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{flag} must be >= {low}, got {value}")
        return value

    return parse


def finite_float(flag: str, positive: bool = False):
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


def difficulty_arg(args: argparse.Namespace):
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


def level_arg(args: argparse.Namespace, several: bool = False):
    """(variant, difficulty) of --variant and --difficulty/sizes, checked; with ``several``, the
    difficulty is a tuple of levels (one or more)."""
    from clue_env import get_variant

    variant = get_variant(args.variant)
    difficulty = difficulty_arg(args)
    if isinstance(difficulty, tuple) and not several:
        raise CliError(f"--difficulty {args.difficulty}: `clue {args.command}` takes one level")
    levels = difficulty if isinstance(difficulty, tuple) else (difficulty,)
    variant.difficulties(levels)
    return variant, (levels if several else difficulty)


def workers_arg(args: argparse.Namespace) -> int:
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


def progress_bar(console=None):
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


def quiet_third_party(verbose: bool) -> None:
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


class nowhere:
    def __enter__(self):
        return None

    def __exit__(self, *exc: object) -> None:
        return None
