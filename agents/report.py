"""Comparing evaluation runs: a leaderboard and an accuracy-versus-cost chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .evaluate import SUMMARY


class ReportError(ValueError):
    pass


def load_summaries(dirs: list[str | Path]) -> list[dict[str, Any]]:
    out = []
    for d in dirs:
        path = Path(d) / SUMMARY
        if not path.exists():
            raise ReportError(f"{path}: no summary (is {d} a `clue eval --out` folder, and did the run finish?)")
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ReportError(f"{path}: not valid JSON: {err}") from None
        if not isinstance(summary, dict) or "mean_reward" not in summary:
            raise ReportError(f"{path}: not a summary (no mean_reward)")
        summary["run"] = str(d)
        out.append(summary)
    return sorted(out, key=lambda s: -float(s["mean_reward"]))


def label(summary: dict[str, Any]) -> str:
    model = summary.get("model")
    agent = summary.get("agent", "?")
    return f"{agent}:{model}" if model else str(agent)


def plot_accuracy_vs_cost(summaries: list[dict[str, Any]], path: str | Path) -> Path:
    """Accuracy (mean reward ± stderr) against cost per puzzle, like the study's chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    costs = [float(s.get("cost_per_puzzle_usd", 0.0)) for s in summaries]
    positive = [c for c in costs if c > 0]
    floor = min(positive) / 10 if positive else 1e-4
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for s, cost in zip(summaries, costs):
        x = cost if cost > 0 else floor
        ax.errorbar(x, 100 * s["mean_reward"], yerr=100 * s.get("stderr", 0.0), fmt="o", capsize=3)
        ax.annotate(label(s), (x, 100 * s["mean_reward"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("cost per puzzle (USD, log scale; free runs drawn at the left edge)")
    ax.set_ylabel("accuracy (% of questions right)")
    ax.set_title("Temporal Clue: accuracy vs cost")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
