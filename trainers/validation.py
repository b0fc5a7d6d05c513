"""Validation during training: held-out puzzles answered by the engine being trained.

* :func:`check_ladder` -- the ``val_ladder`` levels, each checked against the variant before the
  run's folder is written;
* :func:`load_validation` -- the held-out tasks: ``val_tasks`` puzzles of the target level
  (``val_difficulty``, else the training ``difficulty``; or ``val_dataset``) from ``val_seed``,
  and as many of each ladder level;
* :func:`validate` -- one validation: the tasks answered with ``val_temperature`` (greedy by
  default) through :func:`evaluation.evaluate`, written to ``DIR/val/iter-N/`` (and
  ``difficulty-D/`` per ladder level), the mean rewards returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agents.base import SamplingConfig
from clue_env.ladder import parse_difficulties
from clue_env.variant import get_variant
from evaluation.runner import RunFolder, evaluate
from evaluation.tasks import TaskSource, load_source
from trainers.config import ConfigError, GRPOConfig


@dataclass(frozen=True)
class Validation:
    """The held-out tasks: ``tasks`` at the target level, ``ladder`` per extra level (none: empty)."""

    tasks: list = field(default_factory=list)
    ladder: dict[str, list] = field(default_factory=dict)


def target_level(config: GRPOConfig):
    return config.val_difficulty if config.val_difficulty is not None else config.difficulty


def check_ladder(config: GRPOConfig) -> list[str]:
    """The extra validation difficulties of ``val_ladder``, each a level of the variant (ConfigError if not)."""
    c = config
    if not c.val_ladder or not c.val_every:
        return []
    variant = get_variant(c.val_variant or c.variant)
    try:
        levels = list(parse_difficulties(c.val_ladder))
        for level in levels:
            variant.difficulty(level)
    except ValueError as err:
        raise ConfigError(f"settings: val_ladder={c.val_ladder!r}: {err}") from None
    return levels


def load_validation(config: GRPOConfig, ladder: list[str]) -> Validation:
    """The run's held-out tasks (none when ``val_every`` is 0)."""
    c = config
    if not c.val_every:
        return Validation()

    def tasks(difficulty) -> list:
        source = TaskSource(
            dataset=c.val_dataset,
            variant=c.val_variant or c.variant,
            difficulty=difficulty,
            n=c.val_tasks,
            seed=c.val_seed,
            game=c.game,
        )
        return load_source(source)[0]

    return Validation(tasks(target_level(c)), {level: tasks(level) for level in ladder})


def _evaluate(agent, tasks: list, folder: Path, config: GRPOConfig, iteration: int) -> float:
    c = config
    sampling = SamplingConfig(temperature=c.val_temperature, max_tokens=c.max_new_tokens, seed=c.seed)
    meta = {"agent": c.agent, "model": f"train@{iteration}", "temperature": c.val_temperature, "game": c.game}
    with RunFolder(folder, resume=True, meta=meta) as run:
        summary = evaluate(agent, tasks, run, sampling, concurrency=c.rollout_concurrency)
    return float(summary["mean_reward"])


def validate(
    agent, validation: Validation, out_dir: Path, config: GRPOConfig, iteration: int
) -> tuple[float, dict[str, float]]:
    """The held-out reward on the target level after ``iteration`` iterations, and by difficulty (the
    target's first) when there is a ladder (else an empty dict)."""
    folder = Path(out_dir) / "val" / f"iter-{iteration:06d}"
    reward = _evaluate(agent, validation.tasks, folder, config, iteration)
    by_level = {
        level: _evaluate(agent, tasks, folder / f"difficulty-{level}", config, iteration)
        for level, tasks in validation.ladder.items()
    }
    return reward, ({str(target_level(config)): reward, **by_level} if by_level else {})
