"""Agent factories as plugins offer them through the ``clue_agents`` hook, and the table of them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from plugins import Entry, Registry, registry_table

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


AGENTS: Registry[AgentSpec] = Registry("clue_agents", "agent", AgentSpec, builtin=("builtin-agents", "agents.builtin"))
"""Every agent on offer: the built-ins (``agents.builtin``) and the plugins'."""


def agents() -> dict[str, Entry[AgentSpec]]:
    """Every agent on offer, by name, with the plugin that offers it."""
    return AGENTS.table()


def get_agent(name: str) -> AgentSpec:
    """The agent called ``name``; a clear error (a ``ValueError``) listing the known ones otherwise."""
    return AGENTS.get(name)


def agents_table(entries: dict[str, Entry[AgentSpec]]):
    """The agents on offer (``clue list``): name, plugin, description."""
    return registry_table("Agents", "agent", entries)
