"""Agent factories as plugins offer them through the ``clue_agents`` hook."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .base import Agent
from .config import AgentConfig

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class AgentSpec:
    """A named way to build an agent. ``create(config)`` returns a ready ``Agent``."""

    name: str
    description: str
    create: Callable[[AgentConfig], Agent]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"bad agent name {self.name!r}: use 1-40 lower-case letters, digits, '-' or '_'")
        if not callable(self.create):
            raise TypeError(f"agent {self.name!r}: create must be callable")
