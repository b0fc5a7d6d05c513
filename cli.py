"""The ``clue`` command: generate, show, list, play, eval, report, audit, train and plot.

It parses arguments and calls the library. Errors have one path: a user error is a
``ValueError`` (or an ``OSError`` from a file) raised anywhere below a command, printed as
one line ``clue: error: ...`` with exit status 2; ``CLUE_DEBUG=1`` shows the traceback
instead. Ctrl-C and SIGTERM end any command the same way (what was written is kept, a
``.partial`` file named), with exit status 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from commands.common import CliError, finite_float, int_at_least, quiet_third_party
from commands.evaluate import cmd_eval, cmd_report
from commands.puzzles import cmd_audit, cmd_generate, cmd_list, cmd_play, cmd_show
from commands.train import cmd_plot, cmd_train

EXIT_USAGE = 2

__all__ = ["EXIT_USAGE", "CliError", "Interrupted", "build_parser", "main"]


class Interrupted(KeyboardInterrupt):
    """A signal asked the command to stop (Ctrl-C is SIGINT, ``kill`` is SIGTERM)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


class _Parser(argparse.ArgumentParser):
    """argparse, with a command's argument errors on one line like every other error (a bare
    ``clue`` with no command still prints the usage)."""

    def error(self, message: str):  # type: ignore[override]
        if " " not in self.prog:  # the top-level parser: no or unknown command
            super().error(message)
        message = message.split(": ", 1)[1] if message.startswith("argument ") and ": --" in message else message
        raise CliError(f"{message} (see `{self.prog} --help`)")


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
        type=int_at_least(1, "--workers"),
        default=1,
        help=f"processes {what} (default 1; at most the CPUs)",
    )
    p.add_argument("--oversubscribe", action="store_true", help="allow more --workers than CPUs")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true", help="show third-party logs (vLLM, tqdm)")
    seed = int_at_least(0, "--seed")
    parser = _Parser(
        prog="clue",
        description="Temporal Clue puzzles: generate, show, play, evaluate agents, report, audit.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("generate", help="generate puzzles into a JSONL file", parents=[common])
    _add_size_flags(p)
    p.add_argument("--n", type=int_at_least(1, "--n"), default=10, help="number of puzzles (default 10)")
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
    p.add_argument("--n", type=int_at_least(1, "--n"), help="number of puzzles (default 10; all of --dataset)")
    p.add_argument("--seed", type=seed, default=0, help="first puzzle seed, and the sampling seed")
    p.add_argument("--samples", type=int_at_least(1, "--samples"), default=1, help="samples per puzzle")
    p.add_argument("--concurrency", type=int_at_least(1, "--concurrency"), default=8, help="requests in flight")
    p.add_argument("--max-tokens", type=int_at_least(1, "--max-tokens"), default=4096)
    p.add_argument("--temperature", type=finite_float("--temperature"), default=0.0)
    p.add_argument("--top-p", type=finite_float("--top-p"), default=1.0)
    p.add_argument(
        "--timeout", type=finite_float("--timeout", positive=True), default=120.0, help="seconds per request"
    )
    p.add_argument("--retries", type=int_at_least(0, "--retries"), default=4)
    p.add_argument("--price-in", type=finite_float("--price-in"), help="USD per million prompt tokens")
    p.add_argument("--price-out", type=finite_float("--price-out"), help="USD per million completion tokens")
    p.add_argument("--tensor-parallel-size", type=int_at_least(1, "--tensor-parallel-size"), default=1)
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
    p.add_argument("--n", type=int_at_least(1, "--n"), default=None, help="only the first N puzzles")
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
    p.add_argument("--iterations", type=int_at_least(1, "--iterations"), help="iterations to run (in all)")
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
        quiet_third_party(args.verbose)
        return int(args.func(args) or 0)
    except KeyboardInterrupt as err:
        signum = getattr(err, "signum", None)  # Interrupted, or a trainer's StopRequested (a message)
        if signum is None:
            print("clue: interrupted", file=sys.stderr)
            return 128 + signal.SIGINT
        said = "" if isinstance(err, Interrupted) or not str(err) else f": {_one_line(err)}"
        print(f"clue: stopped by {signal.Signals(signum).name}{said}", file=sys.stderr)
        return 128 + signum
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
