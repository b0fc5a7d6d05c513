"""Comparing evaluation runs: a leaderboard that fits 80 columns and an accuracy-versus-cost chart,
optionally beside the published study's results (:mod:`evaluation.reference`); for runs over
several difficulties (``by_difficulty`` in their summaries), accuracy per difficulty as a table
and an accuracy-versus-difficulty chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table

from .reference import Reference
from .runner import SUMMARY

PLOT_FORMATS = ("png", "pdf", "svg")


class ReportError(ValueError):
    pass


def load_summaries(dirs: list[str | Path]) -> list[dict[str, Any]]:
    """The summaries of ``clue eval`` folders, best first; each gets a short ``run`` name."""
    out = []
    for d in dirs:
        path = Path(d) / SUMMARY
        if not path.exists():
            raise ReportError(f"{path}: no summary (is {d} a `clue eval --out` folder, and did the run finish?)")
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as err:
            raise ReportError(f"{path}: not valid JSON: {err}") from None
        if not isinstance(summary, dict) or not isinstance(summary.get("mean_reward"), (int, float)):
            raise ReportError(f"{path}: not a summary (no mean_reward)")
        summary["path"] = str(d)
        out.append(summary)
    for s, name in zip(out, _short_names([Path(s["path"]) for s in out])):
        s["run"] = name
    return sorted(out, key=lambda s: -float(s["mean_reward"]))


def _short_names(paths: list[Path]) -> list[str]:
    """The fewest trailing path parts that tell the runs apart ("solver", or "a/solver" beside "b/solver")."""
    parts = [p.resolve().parts for p in paths]
    for k in range(1, max((len(p) for p in parts), default=1) + 1):
        names = ["/".join(p[-k:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return [str(p) for p in paths]


def label(summary: dict[str, Any]) -> str:
    """``agent`` or ``agent:model`` (a model path shown by its last part)."""
    model = summary.get("model")
    agent = summary.get("agent", "?")
    if not model:
        return str(agent)
    return f"{agent}:{Path(str(model)).name or model}"


def leaderboard(summaries: list[dict[str, Any]]) -> Table:
    """The runs as a table, best first; narrow enough for an 80-column terminal."""
    table = Table(title="Leaderboard", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("run", overflow="fold", ratio=3)
    table.add_column("agent", overflow="fold", ratio=3)
    for col in ("n", "accuracy", "solved", "tok/pz", "$/pz", "err"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in summaries:
        table.add_row(
            s["run"],
            label(s),
            str(s.get("n", 0)),
            f"{100 * s['mean_reward']:.1f}±{100 * s.get('stderr', 0.0):.1f}%",
            str(s.get("solved", 0)),
            f"{s.get('tokens_per_puzzle', 0):.0f}",
            f"{s.get('cost_per_puzzle_usd', 0.0):.4f}",
            str(s.get("errors", 0)),
        )
    return table


def difficulty_table(summaries: list[dict[str, Any]]) -> Table | None:
    """Accuracy per difficulty of the runs whose summaries have ``by_difficulty`` (easiest first),
    None when no run has it."""
    runs = [s for s in summaries if isinstance(s.get("by_difficulty"), dict) and s["by_difficulty"]]
    if not runs:
        return None
    table = Table(title="Accuracy by difficulty", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("run", overflow="fold", ratio=2)
    table.add_column("difficulty", overflow="fold", ratio=3)
    for col in ("rung", "n", "accuracy", "solved"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in runs:
        for name, g in s["by_difficulty"].items():
            place = g.get("rung")
            if place is None and isinstance(g.get("position"), (int, float)):
                place = f"≈{g['position']:.1f}"
            table.add_row(
                s["run"],
                str(name),
                "-" if place is None else str(place),
                str(g.get("n", 0)),
                f"{100 * float(g.get('mean_reward', 0.0)):.1f}±{100 * float(g.get('stderr', 0.0)):.1f}%",
                str(g.get("solved", 0)),
            )
    return table


def plot_path(path: str | Path, flag: str = "--plot") -> Path:
    """The file a chart named ``path`` is written to (``.png`` added when it has no extension);
    :class:`ReportError` (naming ``flag``) for an unknown extension or a missing folder."""
    out = Path(path)
    if not out.suffix:
        out = out.with_name(out.name + ".png")
    fmt = out.suffix[1:].lower()
    if fmt not in PLOT_FORMATS:
        raise ReportError(f"{flag} {path}: unknown image format {out.suffix!r}; use one of {', '.join(PLOT_FORMATS)}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ReportError(f"{flag} {path}: folder {parent} does not exist")
    return out


def plot_accuracy_vs_difficulty(summaries: list[dict[str, Any]], path: str | Path) -> Path:
    """Accuracy (mean reward ± stderr) against difficulty, one line per run that has
    ``by_difficulty``: x is each level's place on its variant's scale (its rung, or the fractional
    position of a level that is no rung; levels without one are placed after the others).
    :class:`ReportError` when no run has ``by_difficulty``. Returns the file written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = plot_path(path, "--plot-difficulty")
    runs = [s for s in summaries if isinstance(s.get("by_difficulty"), dict) and s["by_difficulty"]]
    if not runs:
        raise ReportError(
            "--plot-difficulty: no run spans several difficulties (evaluate with e.g. `clue eval --difficulty 0-4`)"
        )
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    ticks: dict[float, str] = {}
    for s in runs:
        groups = list(s["by_difficulty"].items())
        placed = [float(g["position"]) for _, g in groups if isinstance(g.get("position"), (int, float))]
        after = max(placed, default=-1.0) + 1.0
        xs, ys, errs = [], [], []
        for name, g in groups:
            x = g.get("position")
            if not isinstance(x, (int, float)):
                x, after = after, after + 1.0
            xs.append(float(x))
            ys.append(100 * float(g.get("mean_reward", 0.0)))
            errs.append(100 * float(g.get("stderr", 0.0)))
            ticks.setdefault(round(float(x), 2), str(g["rung"]) if g.get("rung") is not None else str(name))
        ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, label=f"{s['run']} ({label(s)})")
    if len(ticks) <= 30:
        ax.set_xticks(list(ticks), list(ticks.values()), fontsize=7, rotation=0 if len(ticks) <= 15 else 90)
    ax.set_xlabel("difficulty (rung of the variant's scale)")
    ax.set_ylabel("accuracy (% of questions right)")
    ax.set_ylim(-2, 102)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle("Temporal Clue: accuracy vs difficulty")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_accuracy_vs_cost(
    summaries: list[dict[str, Any]], path: str | Path, references: list[Reference] | None = None
) -> Path:
    """Accuracy (mean reward ± stderr) against cost per puzzle, like the study's chart.

    Costs run on a log axis; runs that cost nothing are drawn in a panel of their own at
    the left, labelled "free". ``references`` (e.g. the study's models) are drawn as labelled
    horizontal lines. Returns the file written (see :func:`plot_path`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = plot_path(path)
    free = [s for s in summaries if float(s.get("cost_per_puzzle_usd", 0.0)) <= 0]
    paid = [s for s in summaries if float(s.get("cost_per_puzzle_usd", 0.0)) > 0]
    fig, (ax_free, ax) = plt.subplots(
        1, 2, sharey=True, figsize=(8, 4.8), dpi=120, gridspec_kw={"width_ratios": [1, 5], "wspace": 0.05}
    )
    for i, s in enumerate(free):
        y = 100 * s["mean_reward"]
        ax_free.errorbar(0, y, yerr=100 * s.get("stderr", 0.0), fmt="o", capsize=3)
        ax_free.annotate(label(s), (0, y), textcoords="offset points", xytext=(5, 4 - 9 * (i % 2)), fontsize=7)
    ax_free.set_xlim(-0.5, 1.5)
    ax_free.set_xticks([0], ["free"])
    ax_free.set_ylabel("accuracy (% of questions right)")
    for s in paid:
        x, y = float(s["cost_per_puzzle_usd"]), 100 * s["mean_reward"]
        ax.errorbar(x, y, yerr=100 * s.get("stderr", 0.0), fmt="o", capsize=3)
        ax.annotate(label(s), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xscale("log")
    if not paid:
        ax.set_xlim(1e-4, 1.0)
    ax.set_xlabel("cost per puzzle (USD, log scale)")
    for a in (ax_free, ax):
        a.grid(True, which="both", alpha=0.3)
    if references:
        _draw_references(fig, (ax_free, ax), references)
    ax.set_ylim(0, 100)
    fig.suptitle("Temporal Clue: accuracy vs cost")
    fig.subplots_adjust(left=0.09, right=0.78 if references else 0.97, bottom=0.14, top=0.9)
    fig.savefig(out)
    plt.close(fig)
    return out


def _draw_references(fig, axes, references: list[Reference]) -> None:
    """Dashed lines at each reference accuracy, labelled in the right margin (labels kept apart)."""
    from matplotlib.transforms import blended_transform_factory

    ys = sorted((100 * r.accuracy, r) for r in references)
    label_ys: list[float] = []
    for y, _ in ys:  # no two labels closer than 2.6 points of accuracy
        label_ys.append(max(y, label_ys[-1] + 2.6) if label_ys else y)
    right = axes[-1]
    margin = blended_transform_factory(right.transAxes, right.transData)
    for (y, ref), label_y in zip(ys, label_ys):
        for a in axes:
            a.axhline(y, color="0.55", linestyle="--", linewidth=0.7, zorder=0)
        right.text(1.02, label_y, f"{ref.name} {y:.1f}%", transform=margin, fontsize=6.5, color="0.3", va="center")
    fig.text(0.01, 0.01, references[0].source_short, fontsize=6, color="0.4")
