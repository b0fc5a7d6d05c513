"""Temporal Clue from the RL stacks people already run, one import away.

One module per stack, each importing its library only when imported itself, so this
package costs nothing until one is used:

- :mod:`integrations.hf_datasets`: puzzles as a Hugging Face ``datasets.Dataset`` (generated
  or loaded from a file), an ``IterableDataset`` that generates on the fly, and
  ``save_generated`` behind ``clue generate --format hf``.
- :mod:`integrations.trl`: ``clue_reward``, a reward function with TRL's ``GRPOTrainer``
  signature that grades with ``clue_env.grade``.
- :mod:`integrations.verifiers_env`: ``load_environment(...)``, a single-turn verifiers
  environment whose rubric is the same grader, or (``game="investigation"``) the multi-turn
  investigation game as a ``vf.MultiTurnEnv``.
- :mod:`integrations.rewards`: the reward they share, ``clue_env.grade`` of a completion
  (plain text or chat messages) against a row's puzzle, which never raises.

Install the library with the extra of its stack (``pip install temporal-clue-gym[trl]``,
``[verifiers]``, ``[hf]``); the core install stays light.
"""

from importlib import import_module
from types import ModuleType

__all__ = ["MissingLibraryError", "require"]


class MissingLibraryError(ValueError):
    """The library of a stack is not installed; the message says which extra to install."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingLibraryError` naming the extra that installs it."""
    try:
        return import_module(module)
    except ImportError as err:
        raise MissingLibraryError(
            f"{module!r} is not installed ({err}): pip install 'temporal-clue-gym[{extra}]'"
        ) from None
