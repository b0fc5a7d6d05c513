"""A reward function for TRL's ``GRPOTrainer`` that grades with ``clue_env.grade``.

::

    from trl import GRPOConfig, GRPOTrainer
    from integrations.hf_datasets import generated_dataset
    from integrations.trl import clue_reward

    trainer = GRPOTrainer(model=..., reward_funcs=clue_reward, train_dataset=generated_dataset("tiny", "easy", range(512)),
                          args=GRPOConfig(...))

TRL calls a reward function with ``prompts``, ``completions`` and ``completion_ids`` and every
other dataset column as keyword arguments, one list entry per completion; :func:`clue_reward`
reads the ``solution`` and ``options`` columns of :mod:`integrations.hf_datasets`'s rows
(JSON strings, or dicts) and returns one float per completion: the fraction of questions
answered right, exactly ``clue_env.grade(text, solution, options).reward``. A completion is
plain text, or (conversational prompts) a list of messages, whose assistant messages' text
is graded. It never raises: a completion it cannot read grades as an empty reply, and a row
without a usable solution gets 0.0 with a warning naming the problem (logged once per
problem), so a bad row cannot take a training run down.

Importing this module does not import ``trl``: the function only follows TRL's calling convention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .rewards import completion_text, row_reward, warn_once

__all__ = ["clue_reward", "completion_text"]


def clue_reward(
    completions: Sequence[Any],
    solution: Sequence[Any] | None = None,
    options: Sequence[Any] | None = None,
    **kwargs: Any,
) -> list[float]:
    """One reward per completion: the fraction of its puzzle's questions it answers right.

    ``solution[i]`` and ``options[i]`` (the dataset's columns, as TRL passes them) belong to
    ``completions[i]``; ``options`` may be absent (then answers are matched exactly, as
    ``clue_env.grade`` does without options). Other keyword arguments (``prompts``,
    ``completion_ids``, ``trainer_state``, further columns) are accepted and ignored.
    """
    try:
        count = len(completions)
    except TypeError:
        warn_once(f"completions must be a list, got {type(completions).__name__}")
        return []
    if solution is None or isinstance(solution, (str, Mapping)) or not isinstance(solution, Sequence):
        warn_once("no 'solution' column: build the dataset with integrations.hf_datasets")
        return [0.0] * count
    if options is not None and (isinstance(options, (str, Mapping)) or not isinstance(options, Sequence)):
        warn_once("the 'options' column must hold one value per completion")
        options = None
    rewards = []
    for i, completion in enumerate(completions):
        if i >= len(solution) or (options is not None and i >= len(options)):
            warn_once("fewer solutions (or options) than completions; give one dataset row per completion")
            rewards.append(0.0)
            continue
        rewards.append(row_reward(completion, solution[i], options[i] if options is not None else None))
    return rewards
