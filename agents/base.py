"""The Agent interface: a batch of prompts in, a batch of completions out.

Batched and asynchronous at heart (a trainer sends thousands of prompts, an evaluation
hundreds); ``generate`` is the plain synchronous call. Backends that sample tokens return
the exact token ids and their logprobs, so a trainer can train on exactly what was sampled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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


@runtime_checkable
class Agent(Protocol):
    """Anything that answers prompts. ``name`` identifies it in results."""

    name: str

    async def agenerate(self, prompts: Sequence[str], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` completions for each prompt, in prompt order."""
        ...

    def close(self) -> None:
        """Release engines, connections and processes."""
        ...


def generate(agent: Agent, prompts: Sequence[str], sampling: SamplingConfig | None = None) -> list[list[Completion]]:
    """The synchronous call: run ``agent.agenerate`` to completion."""
    return asyncio.run(agent.agenerate(list(prompts), sampling or SamplingConfig()))


def answer(agent: Agent, prompt: str, sampling: SamplingConfig | None = None) -> str:
    """One answer to one puzzle."""
    return generate(agent, [prompt], sampling)[0][0].text
