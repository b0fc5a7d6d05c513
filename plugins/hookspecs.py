"""Hook specifications of the ``clue`` project. Implementations are called with keyword
arguments only and may omit arguments they do not use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from agents.spec import AgentSpec
    from clue_env.variant import Variant

PROJECT = "clue"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def clue_variants() -> list[Variant]:
    """Return the puzzle variants this plugin offers.

    Each item must be a ``clue_env.Variant``: a unique lower-case name, a one-line
    description, a ``clue_env.Theme`` (victim, suspects, weapons, rooms, motives, intro)
    and ``clue_env.Levels`` (named ``clue_env.Difficulty`` levels and the default one).
    Variant names must be unique across all plugins; a clash is reported as an error of
    the later plugin and its variant is skipped.
    """


@hookspec
def clue_agents() -> list[AgentSpec]:
    """Return the agents this plugin offers.

    Each item must be an ``agents.AgentSpec``: a unique lower-case name, a one-line
    description and ``create(config: agents.AgentConfig) -> Agent``. ``create`` is only
    called when the agent is used, so heavy imports (vLLM, HTTP clients) belong inside it.
    """
