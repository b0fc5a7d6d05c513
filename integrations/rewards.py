"""The one reward every adapter gives: ``clue_env.grade`` of a completion against its row's puzzle.

A completion is plain text, or a list of chat messages (dicts, or message objects with
``role`` and ``content`` attributes, as verifiers passes them), whose assistant messages'
text is graded (:func:`completion_text`). :func:`row_reward` never raises: a completion it
cannot read grades as an empty reply, and a row without a usable solution gets 0.0 with a
warning naming the problem (logged once per problem), so one bad row cannot take a
training run down.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from clue_env.grading import Grade, grade

from .hf_datasets import RowError, decode_options, decode_solution

__all__ = ["completion_text", "row_grade", "row_reward"]

logger = logging.getLogger(__name__)
_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Log ``message`` as a warning the first time it comes up in this process."""
    if message not in _warned:
        _warned.add(message)
        logger.warning("Temporal Clue reward: %s; those completions get reward 0.0", message)


def _field(item: object, name: str) -> object:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def _content_text(content: object) -> str:
    """A message's content as text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        parts = [part if isinstance(part, str) else _field(part, "text") for part in content]
        return "".join(part for part in parts if isinstance(part, str))
    return ""


def completion_text(completion: object) -> str:
    """The text of one completion as graded: a string as is; a list of chat messages as the
    text of its assistant messages (a message without a role counts as the assistant's),
    joined by newlines; a single message as that list of one; anything else as "" (an empty reply)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping) or (
        _field(completion, "content") is not None and not isinstance(completion, Sequence)
    ):
        completion = [completion]
    if not isinstance(completion, Sequence) or isinstance(completion, (bytes, bytearray)):
        return ""
    texts = []
    for message in completion:
        if isinstance(message, str):
            texts.append(message)
        elif _field(message, "role") in (None, "assistant"):
            texts.append(_content_text(_field(message, "content")))
    return "\n".join(text for text in texts if text)


def row_grade(completion: object, solution: object, options: object = None) -> Grade | None:
    """``clue_env.grade`` of ``completion`` against a row's ``solution`` and ``options`` columns
    (JSON strings or dicts); None, with a warning, when they are no usable puzzle. Never raises."""
    try:
        text = completion_text(completion)
    except Exception:  # noqa: BLE001 - an unreadable completion is an empty reply
        text = ""
    try:
        return grade(text, decode_solution(solution), decode_options(options))
    except RowError as err:
        warn_once(f"bad dataset row: {err}")
    except Exception as err:  # noqa: BLE001 - grade raises only for a malformed solution or options
        warn_once(f"bad dataset row: the grader rejected its solution or options: {err}")
    return None


def row_reward(completion: object, solution: object, options: object = None) -> float:
    """The reward of one completion: the fraction of its puzzle's questions answered right
    (``clue_env.grade(...).reward``), 0.0 for a row that is no usable puzzle. Never raises."""
    result = row_grade(completion, solution, options)
    return float(result.reward) if result is not None else 0.0
