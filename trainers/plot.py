"""The curves of a training run (``clue plot DIR``, and the end of every run), as PNGs beside
``metrics.jsonl``: reward and validation reward over iterations (``reward.png``), the mean answer
length (``answer_length.png``), and where the puzzles came from on the difficulty scale beside the
pass rate and the share of groups with nothing to learn from (``difficulty.png``). A supervised run
(``clue train --trainer sft``: a ``loss`` and no ``mean_reward``) gets its training and validation
loss over iterations instead (``loss.png``)."""

from __future__ import annotations

from pathlib import Path

from trainers.run_dir import RunDir, RunDirError


def plot_run(out_dir: str | Path) -> list[Path]:
    """Write ``reward.png``, ``answer_length.png`` and (generated puzzles) ``difficulty.png`` into
    ``out_dir``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = RunDir(out_dir, resume=True, writer=False)
    metrics = run.read_metrics()
    if not metrics:
        raise RunDirError(f"{run.metrics_file}: no iterations recorded yet (is {out_dir} a `clue train --out` folder?)")
    trained = [m for m in metrics if m.get("mean_reward") is not None]  # iteration 0: validation only
    if not trained and any(m.get("loss") is not None for m in metrics):
        return [_plot_loss(metrics, Path(out_dir), plt)]
    it = [m["iteration"] for m in trained]
    written = []

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot(it, [m["mean_reward"] for m in trained], label="training reward (mean over samples)", color="tab:blue")
    val = [(m["iteration"], m["val_reward"]) for m in metrics if m.get("val_reward") is not None]
    if val:
        ax.plot(*zip(*val), "o-", label="validation reward (held-out puzzles)", color="tab:orange")
    ax.set_xlabel("iteration")
    ax.set_ylabel("reward (fraction of questions right)")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(f"clue train: {Path(out_dir).name}")
    fig.tight_layout()
    path = Path(out_dir) / "reward.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(7, 3), dpi=120)
    ax.plot(it, [m.get("answer_tokens", 0) for m in trained], color="tab:green")
    ax.set_xlabel("iteration")
    ax.set_ylabel("mean answer length (tokens)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    path = Path(out_dir) / "answer_length.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)

    placed = [m for m in trained if m.get("difficulty") is not None]
    if placed:
        fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
        x = [m["iteration"] for m in placed]
        ax.step(x, [m["difficulty"] for m in placed], where="post", color="tab:purple", label="difficulty (scale)")
        ax.set_xlabel("iteration")
        ax.set_ylabel("difficulty (position on the variant's scale)")
        ax.grid(True, alpha=0.3)
        rates = ax.twinx()
        rates.plot(x, [m.get("pass_rate", m["mean_reward"]) for m in placed], color="tab:blue", label="pass rate")
        rates.plot(
            x,
            [m.get("zero_variance_share", 0.0) for m in placed],
            color="tab:gray",
            alpha=0.7,
            label="zero-variance share",
        )
        rates.set_ylim(0, 1)
        rates.set_ylabel("share")
        lines = ax.get_legend_handles_labels()
        more = rates.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left")
        ax.set_title(f"clue train: {Path(out_dir).name}: curriculum")
        fig.tight_layout()
        path = Path(out_dir) / "difficulty.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def _plot_loss(metrics: list[dict], out_dir: Path, plt) -> Path:
    """``loss.png``: a supervised run's training loss per iteration and its validation loss."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    trained = [(m["iteration"], m["loss"]) for m in metrics if m.get("loss") is not None]
    ax.plot(*zip(*trained), label="training loss (mean per trained token)", color="tab:blue")
    val = [(m["iteration"], m["val_loss"]) for m in metrics if m.get("val_loss") is not None]
    if val:
        ax.plot(*zip(*val), "o-", label="validation loss (held-out puzzles)", color="tab:orange")
    ax.set_xlabel("iteration (optimizer step)")
    ax.set_ylabel("cross-entropy (nats per token)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    ax.set_title(f"clue train --trainer sft: {out_dir.name}")
    fig.tight_layout()
    path = out_dir / "loss.png"
    fig.savefig(path)
    plt.close(fig)
    return path
