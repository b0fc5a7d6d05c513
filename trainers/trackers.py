"""Experiment trackers: every ``metrics.jsonl`` field, the run's settings and samples of each
validation sent to TensorBoard and/or Weights & Biases (``report_to = "tensorboard,wandb"``; none
by default), through the libraries themselves (the ``trackers`` extra installs them).

* ``tensorboard``: event files under ``DIR/tensorboard/`` (``tensorboard --logdir DIR``): one
  scalar per numeric field (nested ones as ``field/key``), the settings as text, each
  validation's first answers as a text table. A resumed run drops the steps it redoes.
* ``wandb``: a run in ``DIR/wandb/`` with the settings as its config; offline (``wandb sync``
  uploads it later) unless ``WANDB_API_KEY`` is set or ``WANDB_MODE`` says otherwise. A resumed
  run continues the same W&B run (its id is kept in ``DIR/wandb-run-id``).

Rank 0 reports; a tracker's library that is missing is refused at start-up in one line.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainers.config import ConfigError

#: Validation answers shown per validation.
SAMPLES_SHOWN = 8


def tracker_names(report_to: str) -> list[str]:
    """The trackers ``report_to`` names (comma-separated; "" or "none": none), each known (ConfigError if not)."""
    names = [n.strip() for n in report_to.split(",") if n.strip() and n.strip() != "none"]
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        raise ConfigError(f"settings: report_to: unknown tracker {unknown[0]!r}; known: {', '.join(TRACKERS)}")
    return list(dict.fromkeys(names))


def scalars(record: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numeric fields of a metrics record, nested mappings flattened as ``field/key`` (booleans and
    non-finite numbers left out)."""
    out: dict[str, float] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(scalars(value, f"{name}/"))
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out


def validation_samples(folder: Path, n: int = SAMPLES_SHOWN) -> list[dict[str, Any]]:
    """The first ``n`` episodes of a validation's ``results.jsonl``: puzzle, reward, the answer text."""
    rows = []
    try:
        with (folder / "results.jsonl").open(encoding="utf-8") as f:
            for line in f:
                if len(rows) >= n:
                    break
                e = json.loads(line)
                rows.append({"puzzle": e.get("puzzle_id"), "reward": e.get("reward"), "answer": e.get("text") or ""})
    except (OSError, ValueError):
        return []
    return rows


class TensorBoardTracker:
    def __init__(self, out_dir: Path, settings_toml: str, first_step: int) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(out_dir / "tensorboard"), purge_step=first_step or None)
        if not first_step:
            self.writer.add_text("settings", "```\n" + settings_toml + "\n```", 0)

    def log(self, record: Mapping[str, Any], samples: Sequence[dict[str, Any]]) -> None:
        step = int(record["iteration"])
        for name, value in scalars(record).items():
            if name != "iteration":
                self.writer.add_scalar(name, value, step)
        if samples:
            table = "| puzzle | reward | answer |\n| --- | --- | --- |\n" + "\n".join(
                f"| {s['puzzle']} | {s['reward']:.3f} | {s['answer'].replace(chr(10), ' / ')} |" for s in samples
            )
            self.writer.add_text("validation/samples", table, step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class WandbTracker:
    def __init__(self, out_dir: Path, settings: Mapping[str, Any], first_step: int) -> None:
        import wandb

        id_file = out_dir / "wandb-run-id"
        run_id = id_file.read_text().strip() if id_file.exists() else secrets.token_hex(4)
        id_file.write_text(run_id + "\n")
        mode = os.environ.get("WANDB_MODE") or ("online" if os.environ.get("WANDB_API_KEY") else "offline")
        self.wandb = wandb
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "temporal-clue"),
            name=out_dir.name,
            id=run_id,
            dir=str(out_dir),
            config=dict(settings),
            mode=mode,
            resume="allow",
            settings=wandb.Settings(silent=True, console="off"),
        )

    def log(self, record: Mapping[str, Any], samples: Sequence[dict[str, Any]]) -> None:
        data: dict[str, Any] = {k: v for k, v in scalars(record).items() if k != "iteration"}
        if samples:
            data["validation/samples"] = self.wandb.Table(
                columns=["puzzle", "reward", "answer"], data=[[s["puzzle"], s["reward"], s["answer"]] for s in samples]
            )
        self.run.log(data, step=int(record["iteration"]))

    def close(self) -> None:
        self.run.finish()
        # finish() hands the last records to W&B's service process, which writes the offline run file
        # on its own time; teardown waits for it, so the file is complete (for `wandb sync`) on return.
        self.wandb.teardown()


#: Each tracker and the package it needs (of the same name).
TRACKERS = {"tensorboard": TensorBoardTracker, "wandb": WandbTracker}


def check_trackers(report_to: str) -> list[str]:
    """The trackers named, each known and its library importable (ConfigError naming the extra if not)."""
    import importlib.util

    names = tracker_names(report_to)
    for name in names:
        if importlib.util.find_spec(name) is None:
            raise ConfigError(
                f"settings: report_to={name} needs the {name} package: pip install 'temporal-clue-gym[trackers]'"
            )
    return names


class Trackers:
    """The run's trackers: ``log`` each metrics record (with the validation it names, if any), ``close``."""

    def __init__(self, names: Sequence[str], out_dir: Path, settings: Mapping[str, Any], toml: str, first_step: int):
        self.out_dir = Path(out_dir)
        self.items = []
        for name in names:
            if name == "tensorboard":
                self.items.append(TensorBoardTracker(self.out_dir, toml, first_step))
            else:
                self.items.append(WandbTracker(self.out_dir, settings, first_step))

    def log(self, record: Mapping[str, Any]) -> None:
        if not self.items:
            return
        samples = []
        if record.get("val_reward") is not None:
            samples = validation_samples(self.out_dir / "val" / f"iter-{int(record['iteration']):06d}")
        for tracker in self.items:
            tracker.log(record, samples)

    def close(self) -> None:
        for tracker in self.items:
            tracker.close()
        self.items = []
