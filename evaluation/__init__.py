"""The evaluation harness: run an agent on puzzles, record every episode, summarise, compare runs.

    from evaluation import TaskSource, load_source, evaluate
    tasks, where = load_source(TaskSource(variant="tiny", n=20))
    summary = evaluate(agent, tasks, "runs/x", SamplingConfig(), meta={"agent": "solver", **where})

The trainer's validation uses the same pieces.
"""

from .episode import Episode, EpisodeError
from .reference import Reference, load_reference, reference_names
from .report import (
    ReportError,
    difficulty_table,
    leaderboard,
    load_summaries,
    plot_accuracy_vs_cost,
    plot_accuracy_vs_difficulty,
)
from .runner import (
    RESULTS,
    RUN,
    SUMMARY,
    EvalError,
    RunFolder,
    Tally,
    by_difficulty,
    check_out_dir,
    evaluate,
    read_results,
    sampling_meta,
    summarize,
)
from .tasks import TaskSource, load_source

__all__ = [
    "RESULTS",
    "RUN",
    "SUMMARY",
    "Episode",
    "EpisodeError",
    "EvalError",
    "Reference",
    "ReportError",
    "RunFolder",
    "Tally",
    "TaskSource",
    "by_difficulty",
    "check_out_dir",
    "difficulty_table",
    "evaluate",
    "leaderboard",
    "load_reference",
    "load_source",
    "load_summaries",
    "plot_accuracy_vs_cost",
    "plot_accuracy_vs_difficulty",
    "read_results",
    "reference_names",
    "sampling_meta",
    "summarize",
]
