"""The random agent: a baseline that answers each question with a valid option at random.

The options come from the prompt itself, read by the one prompt reader
(``clue_env.prompt_parse.options_from_prompt``: the lists of suspects, weapons, rooms,
times and motives, and the answer-format block, in its lenient mode, so a prompt whose
clues cannot be read still gets answers), on this project's prompts and the original
benchmark's alike. Its picks are drawn
from one ``random.Random(AgentConfig.seed)``: the same seed and the same calls give the
same answers. A prompt whose options cannot be read gets a completion with ``error`` set.

In a conversation (the investigation game) it reads the options from the first user message,
the case, and accuses at once with random answers: the chance baseline of that game too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from clue_env.prompt_parse import options_from_prompt

from .base import Completion, Prompt, SamplingConfig, messages_of
from .config import AgentConfig

__all__ = ["RandomAgent", "create_random"]


class RandomAgent:
    """An Agent that guesses (see the module docstring). Spends no tokens."""

    def __init__(self, seed: int = 0, name: str = "random"):
        self.name = name
        self.seed = seed
        self._rng = random.Random(seed)

    def answer(self, prompt: Prompt) -> Completion:
        """One random reply to ``prompt`` (a text, or a conversation: its first user message). Never raises."""
        try:
            if not isinstance(prompt, str):
                prompt = next(m["content"] for m in messages_of(prompt) if m["role"] == "user")
            options = options_from_prompt(prompt) if isinstance(prompt, str) else None
        except Exception as err:  # noqa: BLE001 -- an agent reports failures, it does not raise
            return Completion("", error=f"random: cannot read the prompt: {type(err).__name__}: {err}")
        if not options or any(not opts for opts in options.values()):
            return Completion("", error="random: cannot read the answer options from the prompt")
        text = "\n".join(f"{label}. {self._rng.choice(opts)}" for label, opts in options.items())
        return Completion(text, prompt_tokens=0, completion_tokens=0, finish_reason="stop")

    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` independent random replies per prompt."""
        return [[self.answer(p) for _ in range(sampling.n)] for p in prompts]

    def close(self) -> None:
        pass


def create_random(config: AgentConfig) -> RandomAgent:
    """The ``random`` agent, seeded by ``config.seed``."""
    return RandomAgent(seed=config.seed)
