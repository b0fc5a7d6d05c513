"""Hook specifications of the ``clue`` project: the contract between the project and its plugins.

Each hook returns a list of items of one kind; the package that defines the kind owns its
table (a :class:`plugins.Registry`) and checks what plugins return. Implementations are
called with keyword arguments only and may omit arguments they do not use. This module
knows no concrete type: the item types are named in the docstrings.
"""

from __future__ import annotations

import pluggy

PROJECT = "clue"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def clue_variants() -> list[object]:
    """Return the puzzle variants this plugin offers.

    Each item must be a ``clue_env.Variant``: a unique lower-case name, a one-line
    description, a ``clue_env.Theme`` (victim, suspects, weapons, rooms, motives, intro)
    and ``clue_env.Levels`` (named ``clue_env.Difficulty`` levels and the default one).
    Variant names must be unique across all plugins; a clash is reported as an error of
    the later plugin and its variant is skipped.
    """


@hookspec
def clue_agents() -> list[object]:
    """Return the agents this plugin offers.

    Each item must be an ``agents.AgentSpec``: a unique lower-case name, a one-line
    description and ``create(config: agents.AgentConfig) -> Agent``. ``create`` is only
    called when the agent is used, so heavy imports (vLLM, HTTP clients) belong inside it.
    """


@hookspec
def clue_trainers() -> list[object]:
    """Return the trainers this plugin offers.

    Each item must be a ``trainers.TrainerSpec``: a unique lower-case name, a one-line
    description, ``run(request: trainers.TrainRequest) -> dict`` and ``describe() -> str``.
    The request carries what ``clue train`` was asked (the agent, ``out_dir``, ``resume``, a
    config file and ``FIELD=VALUE`` overrides, ``verbose``); the trainer reads its own settings
    from them and returns a summary (what its last iteration logged). ``describe`` lists those
    settings for ``clue train --help-config``. ``run`` is only called when the trainer is used,
    so heavy imports (torch, torchtune, vLLM) belong inside it.
    """
