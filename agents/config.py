"""What a user can say about an agent on the command line, as one typed record."""

from __future__ import annotations

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
        if self.timeout_s <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout_s}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.tensor_parallel_size < 1:
            raise ValueError(f"tensor_parallel_size must be >= 1, got {self.tensor_parallel_size}")
