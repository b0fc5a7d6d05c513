"""The live display of ``clue train``: a bar over the iterations with the phase, the reward, the
validation reward, training tokens/s and the time, and one printed line per finished iteration
(:class:`TrainDisplay`; :class:`SFTDisplay` shows the training and validation loss instead)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RunDisplay:
    """Rank 0's view of a run, started at the first update and stopped by :meth:`close`: a bar over the
    iterations with the phase, :attr:`METRIC` (the run's own figure), the validation figure, trained
    tokens/s and the time. Subclasses say how a metrics line fills the bar (:meth:`_fields`) and how it
    is printed (:meth:`iteration_done`)."""

    METRIC = "reward"

    def __init__(self, iterations: int | None = None, console: Console | None = None):
        self.iterations = iterations
        self.console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._task = None

    def _start(self, done: int) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn(f"{self.METRIC} {{task.fields[{self.METRIC}]}}"),
            TextColumn("val {task.fields[val]}"),
            TextColumn("{task.fields[tps]} tok/s"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._progress.start()
        fields = {self.METRIC: "-", "val": "-", "tps": "-"}
        self._task = self._progress.add_task("starting", total=self.iterations, completed=done, **fields)

    def _started(self, done: int) -> None:
        if self._progress is None:
            self._start(done)

    def phase(self, iteration: int, phase: str, history: list[dict[str, Any]]) -> None:
        if self._progress is None:
            self._start(max(0, iteration))
            for record in history:
                self._fields(record)
        where = "start" if iteration < 0 else f"iteration {iteration + 1}"
        self._progress.update(self._task, description=f"{where}: {phase}")

    def _fields(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def iteration_done(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def note(self, text: str) -> None:
        """A line of its own in the log (the curriculum meeting the end of its scale, what the data gave, ...)."""
        self._started(0)
        self._progress.console.print(text, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class TrainDisplay(RunDisplay):
    """A GRPO run: the mean reward and the validation reward."""

    def _fields(self, record: dict[str, Any]) -> None:
        if record.get("mean_reward") is None:  # iteration 0: the starting model's validation only
            self._progress.update(self._task, val=f"{record['val_reward']:.3f}")
            return
        tps = record.get("trained_tokens_per_s") or 0.0
        val = record.get("val_reward")
        changes = {"reward": f"{record['mean_reward']:.3f}", "tps": f"{tps:,.0f}"}
        if val is not None:
            changes["val"] = f"{val:.3f}"
        self._progress.update(self._task, completed=record["iteration"], **changes)

    def iteration_done(self, record: dict[str, Any]) -> None:
        self._started(max(0, record["iteration"] - 1))
        self._fields(record)
        if record.get("mean_reward") is None:
            self._progress.console.print(f"start: val {record['val_reward']:.3f}", highlight=False)
            return
        val = f" val {record['val_reward']:.3f}" if record.get("val_reward") is not None else ""
        level = f" difficulty {record['difficulty']:g}" if record.get("difficulty") is not None else ""
        rounds = f" rounds {record['rollout_rounds']}" if record.get("rollout_rounds", 1) > 1 else ""
        rates = f", {record.get('rollout_tokens_per_s') or 0:,.0f} sampled + {record.get('trained_tokens_per_s') or 0:,.0f} trained tok/s"
        if record.get("mfu") is not None:
            rates += f", MFU {100 * record['mfu']:.1f}%"
        self._progress.console.print(
            f"iteration {record['iteration']}:{level} reward {record['mean_reward']:.3f}{val}{rounds} "
            f"loss {record['loss']:+.4f} "
            f"{record['tokens_trained']} tok {record['seconds']:.1f}s (rollout {record['rollout_s']:.1f}s, "
            f"train {record['training_s']:.1f}s, sync {record['weight_sync_s']:.2f}s{rates})",
            highlight=False,
            soft_wrap=True,
        )


class SFTDisplay(RunDisplay):
    """A ``clue train --trainer sft`` run: the training loss and the validation loss. ``iterations`` may be
    set after construction (the recipe knows it once the data are read)."""

    METRIC = "loss"

    def _fields(self, record: dict[str, Any]) -> None:
        changes: dict[str, Any] = {}
        if record.get("val_loss") is not None:
            changes["val"] = f"{record['val_loss']:.4f}"
        if record.get("loss") is not None:  # iteration 0: the starting model's validation only
            changes.update(
                completed=record["iteration"],
                loss=f"{record['loss']:.4f}",
                tps=f"{record.get('trained_tokens_per_s') or 0.0:,.0f}",
            )
        self._progress.update(self._task, **changes)

    def iteration_done(self, record: dict[str, Any]) -> None:
        self._started(max(0, record["iteration"] - 1))
        self._fields(record)
        if record.get("loss") is None:
            self._progress.console.print(f"start: val_loss {record['val_loss']:.4f}", highlight=False)
            return
        val = f" val_loss {record['val_loss']:.4f}" if record.get("val_loss") is not None else ""
        self._progress.console.print(
            f"iteration {record['iteration']} (epoch {record['epoch']:.2f}): loss {record['loss']:.4f}{val} "
            f"{record['samples']} traces {record['tokens_trained']} tok, grad norm {record['grad_norm']:.3f}, "
            f"lr {record['lr']:.2e}, {record['seconds']:.1f}s ({record.get('trained_tokens_per_s') or 0:,.0f} tok/s)",
            highlight=False,
            soft_wrap=True,
        )
