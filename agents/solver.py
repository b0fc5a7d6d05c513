"""The solver agent: answers every puzzle from its prompt text alone, with CP-SAT.

It reads the prompt (``clue_env.prompt_parse``: this project's wording or the original
benchmark's), solves it (``clue_env.solve``) and replies with one "A. answer" line per
question. It spends no tokens (counts are 0). A prompt it cannot read, or whose clues no
night fits, gets a completion with ``error`` set and empty text; it never raises.

Settings (``AgentConfig.extra``, from ``--agent-arg key=value``):
- ``check_unique=true``: also check that every answer is forced (one extra CP-SAT call per
  question) and report it in ``Completion.extra["unique"]``; off by default.
- ``reading=literal``: read the original's bare "or" inclusively (default ``encoded``).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from clue_env.solve import READINGS, solve_prompt

from .base import Completion, SamplingConfig
from .config import AgentConfig

__all__ = ["SolverAgent", "create_solver"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"solver agent: {name} must be true or false, got {value!r}")


class SolverAgent:
    """An Agent that solves puzzles exactly (see the module docstring)."""

    def __init__(
        self, check_unique: bool = False, reading: str = "encoded", name: str = "solver", cache_size: int = 1024
    ):
        if reading not in READINGS:
            raise ValueError(f"solver agent: reading must be one of {', '.join(READINGS)}, got {reading!r}")
        self.name = name
        self.check_unique = check_unique
        self.reading = reading
        self._cache: OrderedDict[str, Completion] = OrderedDict()
        self._cache_size = cache_size
        # One worker: solving is CPU-bound Python plus CP-SAT, and the clue parser's caches
        # are not meant to be shared between threads. The event loop stays free meanwhile.
        self._pool: ThreadPoolExecutor | None = None

    def answer(self, prompt: str) -> Completion:
        """The completion for one prompt (cached by prompt text). Never raises."""
        if isinstance(prompt, str) and prompt in self._cache:
            self._cache.move_to_end(prompt)
            return self._cache[prompt]
        start = time.perf_counter()
        try:
            result = solve_prompt(prompt, self.reading, check_unique=self.check_unique)
        except Exception as err:  # noqa: BLE001 -- an agent reports failures, it does not raise
            error = f"solver: {type(err).__name__}: {err}"
            completion = Completion("", error=error, extra={"seconds": time.perf_counter() - start})
        else:
            extra: dict = {"seconds": result.seconds, "solves": result.solves, "format": result.parsed.format}
            if self.check_unique:
                extra["unique"] = dict(result.unique)
                extra["alternatives"] = dict(result.alternatives)
            completion = Completion(
                result.text(), prompt_tokens=0, completion_tokens=0, finish_reason="stop", extra=extra
            )
        if isinstance(prompt, str):
            self._cache[prompt] = completion
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return completion

    async def agenerate(self, prompts: Sequence[str], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` copies of the solver's answer for each prompt (it is deterministic)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solver")
        loop = asyncio.get_running_loop()
        out: list[list[Completion]] = []
        for prompt in prompts:
            completion = await loop.run_in_executor(self._pool, self.answer, prompt)
            out.append([completion] * sampling.n)
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._cache.clear()


def create_solver(config: AgentConfig) -> SolverAgent:
    """The ``solver`` agent: ``--agent-arg check_unique=true`` / ``reading=literal`` tune it."""
    extra = dict(config.extra or {})
    unknown = set(extra) - {"check_unique", "reading"}
    if unknown:
        raise ValueError(f"solver agent: unknown settings {sorted(unknown)}; known: check_unique, reading")
    return SolverAgent(
        check_unique=_flag(extra.get("check_unique", "false"), "check_unique"),
        reading=extra.get("reading", "encoded"),
    )
