"""The Agent interface: a batch of prompts in, a batch of completions out.

Batched and asynchronous at heart (a trainer sends thousands of prompts, an evaluation
hundreds); ``generate`` is the plain synchronous call. Backends that sample tokens return
the exact token ids and their logprobs, so a trainer can train on exactly what was sampled.

A prompt is a text (sent as one user message) or a conversation: a list of chat messages
``{"role": "system"|"user"|"assistant", "content": text}``, for multi-turn games such as the
investigation. An assistant message may carry the :class:`Completion` that produced it under
the key ``"completion"``: a backend that samples tokens then continues from that turn's exact
token ids instead of tokenizing its text again (see :func:`messages_of`), which is what lets a
trainer train on every turn it sampled with the environment's replies as context between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample. ``n`` completions per prompt."""

    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 4096
    n: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")


@dataclass(frozen=True)
class Completion:
    """One answer to one prompt.

    ``token_ids``/``logprobs`` are the sampled completion tokens where the backend gives
    them. ``error`` is set (and ``text`` empty) when the request finally failed; such an
    episode is recorded with reward 0, never dropped.
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    token_ids: tuple[int, ...] | None = None
    logprobs: tuple[float, ...] | None = None
    prompt_token_ids: tuple[int, ...] | None = None
    cost_usd: float = 0.0
    finish_reason: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


Message = Mapping[str, Any]
"""One chat message: ``role`` and ``content`` (text), optionally ``completion`` (assistant turns)."""
Prompt = str | Sequence[Message]
"""What an agent answers: a text, or a conversation of chat messages."""
ROLES = ("system", "user", "assistant")


class PromptError(ValueError):
    """A prompt that is neither a text nor a list of chat messages; the message says which part."""


def messages_of(prompt: Prompt) -> list[dict[str, Any]]:
    """The prompt as chat messages (a text is one user message), checked: each has a role of
    :data:`ROLES` and text content; an assistant message may keep its ``completion``."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if not isinstance(prompt, Sequence) or not prompt:
        raise PromptError(f"a prompt must be a text or a non-empty list of chat messages, got {type(prompt).__name__}")
    out = []
    for k, message in enumerate(prompt):
        if not isinstance(message, Mapping):
            raise PromptError(f"message {k} is a {type(message).__name__}, not a {{role, content}} mapping")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise PromptError(f"message {k} needs a role of {', '.join(ROLES)} and text content, got {role!r}")
        item: dict[str, Any] = {"role": role, "content": content}
        if role == "assistant" and isinstance(message.get("completion"), Completion):
            item["completion"] = message["completion"]
        out.append(item)
    return out


def plain_messages(prompt: Prompt) -> list[dict[str, str]]:
    """The chat messages with only role and content (what goes to a server or into a results file)."""
    return [{"role": m["role"], "content": m["content"]} for m in messages_of(prompt)]


def last_user_text(prompt: Prompt) -> str:
    """The text an agent that reads one puzzle at a time answers: the prompt, or the last user message."""
    if isinstance(prompt, str):
        return prompt
    users = [m["content"] for m in messages_of(prompt) if m["role"] == "user"]
    return users[-1] if users else ""


@runtime_checkable
class Agent(Protocol):
    """Anything that answers prompts. ``name`` identifies it in results."""

    name: str

    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` completions for each prompt (a text or a conversation), in prompt order."""
        ...

    def close(self) -> None:
        """Release engines, connections and processes."""
        ...


def generate(agent: Agent, prompts: Sequence[Prompt], sampling: SamplingConfig | None = None) -> list[list[Completion]]:
    """The synchronous call: run ``agent.agenerate`` to completion."""
    return asyncio.run(agent.agenerate(list(prompts), sampling or SamplingConfig()))


def answer(agent: Agent, prompt: Prompt, sampling: SamplingConfig | None = None) -> str:
    """One answer to one puzzle."""
    return generate(agent, [prompt], sampling)[0][0].text
