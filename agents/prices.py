"""Built-in list prices of well-known hosted models, and matching a served model's name against them."""

from __future__ import annotations

import re

#: Approximate public list prices (USD per million input / output tokens, standard tier,
#: no caching or batch discounts, short contexts) as of October 2025. Check your provider's
#: price page before trusting cost figures; override with --price-in/--price-out.
PRICES_AS_OF = "2025-10"
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    # Anthropic (through OpenAI-compatible endpoints such as Anthropic's own or OpenRouter)
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    # DeepSeek (cache-miss input prices)
    "deepseek-chat": (0.28, 0.42),
    "deepseek-reasoner": (0.28, 0.42),
    # Google
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-pro": (1.25, 10.00),
}

_REASONING = re.compile(r"^(o\d|gpt-5)(-|$)")


def normalize_model_name(model: str) -> str:
    """'openai/GPT-4.1-mini-2025-04-14' -> 'gpt-4-1-mini-2025-04-14': lower case, provider prefix dropped,
    separators made dashes."""
    return re.sub(r"[._:@\s]+", "-", model.strip().lower().rsplit("/", 1)[-1])


_NORM_PRICES = sorted(((normalize_model_name(k), v) for k, v in PRICES_PER_MTOK.items()), key=lambda kv: -len(kv[0]))


def known_price(model: str) -> tuple[float, float] | None:
    """The built-in (input, output) USD per million tokens for ``model``, or None.

    Matches the longest table name that appears in the model name as whole dash-separated
    parts, so dated, provider-prefixed and Bedrock-style names work
    (``gpt-4o-mini-2024-07-18``, ``openai/gpt-4.1``, ``anthropic.claude-3-5-sonnet-...-v1:0``).
    """
    name = f"-{normalize_model_name(model)}-"
    for key, price in _NORM_PRICES:
        if f"-{key}-" in name:
            return price
    return None


def is_reasoning_model(model: str) -> bool:
    """OpenAI's reasoning models (o1, o3, o4-mini, gpt-5, ...): they want ``max_completion_tokens`` and no top_p."""
    return bool(_REASONING.match(normalize_model_name(model)))
