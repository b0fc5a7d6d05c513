"""Named vLLM models (``qwen14b``, ``qwen32b``, ``tiny``) and their default settings.

Weights are never downloaded here (see :mod:`agents.weights`): a preset's model is
``--model`` when given, else its Hugging Face id from the local cache, or for ``tiny`` the
tiny model's warmed-up base (:mod:`agents.tiny`: the tiny Qwen2 shape trained to write
answer lines that copy the puzzle's options, on random answers; shipped with the project).

Preset defaults (``config.extra``-style settings, see :mod:`agents.vllm.settings`) apply unless
the user's ``--agent-arg key=value`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .config import AgentConfig
from .vllm import VllmAgent
from .weights import ModelWeightsNotFound, resolve_model

__all__ = [
    "PRESETS",
    "ModelWeightsNotFound",
    "Preset",
    "get_preset",
    "preset_factory",
    "preset_model_path",
    "resolve_model",
]


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    #: Hugging Face id; None for the tiny model's shipped base.
    repo: str | None
    #: Default agent settings (strings, as ``--agent-arg`` gives them); the user's override them.
    defaults: dict[str, str] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "qwen14b": Preset("qwen14b", "Qwen2.5-14B-Instruct", "Qwen/Qwen2.5-14B-Instruct"),
    "qwen32b": Preset("qwen32b", "Qwen2.5-32B-Instruct", "Qwen/Qwen2.5-32B-Instruct"),
    # float32: the tiny model is saved in float32 and vLLM's CPU build would otherwise cast it
    # to bfloat16; 256 MiB of KV cache is room for ~100 full-length sequences of it; eager:
    # torch.compile adds ~10 s to every engine start and makes this model's steps no faster.
    "tiny": Preset(
        "tiny",
        "tiny Qwen2-architecture model (0.44M parameters) warmed up on tiny/cpu, shipped",
        None,
        {"dtype": "float32", "kv_cache_gb": "0.25", "enforce_eager": "1"},
    ),
}


def preset_model_path(name: str, config: AgentConfig | None = None, *, flag: str = "--model ") -> Path:
    """The weights directory for agent ``name``, a preset or ``vllm`` (the one path the presets'
    agents and ``clue train`` take): ``config.model`` when given, else the preset's Hugging Face
    id from the cache (``tiny``: the tiny model's warmed-up base); ``vllm`` has no weights of its
    own and needs ``config.model``. Never downloads; ``flag`` is the option the hints name."""
    preset = None if name == "vllm" else get_preset(name)
    explicit = config.model if config is not None and config.model else None
    if explicit or preset is None:
        return resolve_model(explicit or "", flag=flag)
    if preset.repo is None:
        from .tiny import tiny_base_path

        return tiny_base_path()
    return resolve_model(preset.repo, flag=flag)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown vLLM preset {name!r}; known: {', '.join(PRESETS)}") from None


def preset_factory(name: str) -> Callable[[AgentConfig], VllmAgent]:
    """``create(config)`` for preset ``name``: resolves the weights at once (a clear error if
    they are missing) and returns a :class:`~agents.vllm.VllmAgent`; the engine itself
    starts at the first ``agenerate``."""
    preset = get_preset(name)

    def create(config: AgentConfig) -> VllmAgent:
        path = preset_model_path(name, config)
        extra = {**preset.defaults, **dict(config.extra or {})}
        extra.setdefault("name", preset.name)
        return VllmAgent(config, model_path=path, extra=extra)

    create.__name__ = f"create_{name}"
    create.__doc__ = f"Build the {name} agent ({preset.description}) on vLLM."
    return create
