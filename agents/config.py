"""What a user can say about an agent on the command line, as one typed record."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AgentConfig:
    """Settings shared by agent factories; each agent reads the fields it needs.

    Attributes:
        model: model name or local path (api: the served model's name; vllm: HF id or path).
        base_url: an OpenAI-compatible server's URL (api agent), e.g. http://127.0.0.1:8000/v1.
        api_key_env: name of the environment variable holding the API key (never the key).
        concurrency: requests in flight at once (api agent).
        timeout_s: per-request timeout in seconds.
        max_retries: retries on 429/5xx/timeouts/broken bodies, with exponential backoff.
        price_in_per_mtok / price_out_per_mtok: USD per million prompt/completion tokens;
            None: the built-in price for known models, else 0.
        tensor_parallel_size: GPUs per vLLM engine.
        seed: seed for agents that draw at random.
        extra: agent-specific settings (key=value from ``--agent-arg``).
    """

    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout_s: float = 120.0
    max_retries: int = 4
    price_in_per_mtok: float | None = None
    price_out_per_mtok: float | None = None
    tensor_parallel_size: int = 1
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {self.timeout_s}")
        for name in ("price_in_per_mtok", "price_out_per_mtok"):
            price = getattr(self, name)
            if price is not None and not (math.isfinite(price) and price >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {price}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.tensor_parallel_size < 1:
            raise ValueError(f"tensor_parallel_size must be >= 1, got {self.tensor_parallel_size}")


class AgentSettingError(ValueError):
    """A bad agent-specific setting (``--agent-arg``); the message names the agent, the key and the value."""


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_agent_args(items: Sequence[str] | None) -> dict[str, str]:
    """``--agent-arg KEY=VALUE`` items as a dict (the value may contain '='); a key given twice is an error."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise AgentSettingError(f"--agent-arg wants KEY=VALUE, got {item!r}")
        if key in out:
            raise AgentSettingError(f"--agent-arg {key} is given twice ({out[key]!r} and {value!r})")
        out[key] = value
    return out


class Settings:
    """An agent's own settings (``AgentConfig.extra``), read with types and bounds, one error format for all.

    ``Settings("vllm", config.extra, known=("dtype", ...))`` refuses unknown keys at once;
    ``text``/``choice``/``flag``/``number`` read one key (None or ``default`` when absent).
    """

    def __init__(self, agent: str, values: Mapping[str, str] | None, known: Sequence[str]):
        self.agent = agent
        self.values = {str(k): str(v) for k, v in (values or {}).items()}
        unknown = sorted(set(self.values) - set(known))
        if unknown:
            raise AgentSettingError(
                f"{agent} agent: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known) or 'none'}"
            )

    def _bad(self, key: str, want: str) -> AgentSettingError:
        return AgentSettingError(f"{self.agent} agent: {key} must be {want}, got {self.values[key]!r}")

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def text(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def choice(self, key: str, choices: Sequence[str], default: str | None = None) -> str | None:
        if key not in self.values:
            return default
        value = self.values[key].strip()
        if value not in choices:
            raise self._bad(key, f"one of {', '.join(choices)}")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool | None:
        if key not in self.values:
            return default
        value = self.values[key].strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise self._bad(key, "0 or 1")

    def number(
        self,
        key: str,
        kind: type[int] | type[float] = float,
        low: float | None = None,
        high: float | None = None,
        default: float | None = None,
    ) -> float | int | None:
        if key not in self.values:
            return default
        try:
            value = kind(self.values[key].strip())
        except ValueError:
            raise self._bad(key, "an integer" if kind is int else "a number") from None
        if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
            what = "an integer" if kind is int else "a number"
            bounds = [b for b in (low is not None and f">= {low}", high is not None and f"<= {high}") if b]
            raise self._bad(key, f"{what} {' and '.join(bounds)}" if bounds else f"a finite {what[2:].lstrip()}")
        return value
