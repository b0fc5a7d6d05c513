"""Trainers as plugins offer them through the ``clue_trainers`` hook, and the table of them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins import Entry, Registry, registry_table

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class TrainRequest:
    """What ``clue train`` asks of a trainer: where to write, whether to resume, and the settings.

    Attributes:
        agent: the agent (preset) to train, e.g. ``tiny`` or ``qwen14b``.
        out_dir: the run's folder (checkpoints, ``metrics.jsonl``, plots).
        resume: continue the run in ``out_dir`` from its last complete iteration.
        config_file: a TOML/YAML file of settings, or None.
        overrides: ``FIELD=VALUE`` settings on top of the file (``--set``, ``--iterations``).
        verbose: show third-party logs.
    """

    agent: str
    out_dir: Path
    resume: bool = False
    config_file: Path | None = None
    overrides: tuple[str, ...] = ()
    verbose: bool = False


@dataclass(frozen=True)
class TrainerSpec:
    """A named trainer. ``run(request)`` trains and returns a summary (what the last iteration logged);
    ``describe()`` lists its settings for ``clue train --help-config``. ``run`` is only called when the
    trainer is used, so heavy imports (torch, torchtune, vLLM) belong inside it."""

    name: str
    description: str
    run: Callable[[TrainRequest], dict[str, Any]]
    describe: Callable[[], str]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"bad trainer name {self.name!r}: use 1-40 lower-case letters, digits, '-' or '_'")
        if not callable(self.run) or not callable(self.describe):
            raise TypeError(f"trainer {self.name!r}: run and describe must be callable")


TRAINERS: Registry[TrainerSpec] = Registry(
    "clue_trainers", "trainer", TrainerSpec, builtin=("builtin-trainers", "trainers.builtin")
)
"""Every trainer on offer: the built-in ``grpo`` (``trainers.builtin``) and the plugins'."""


def trainers() -> dict[str, Entry[TrainerSpec]]:
    """Every trainer on offer, by name, with the plugin that offers it."""
    return TRAINERS.table()


def get_trainer(name: str) -> TrainerSpec:
    """The trainer called ``name``; a clear error (a ``ValueError``) listing the known ones otherwise."""
    return TRAINERS.get(name)


def trainers_table(entries: dict[str, Entry[TrainerSpec]]):
    """The trainers on offer (``clue list``): name, plugin, description."""
    return registry_table("Trainers", "trainer", entries)
