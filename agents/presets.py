"""Named vLLM models (``qwen14b``, ``qwen32b``, ``tiny``) and where their weights come from.

Weights are never downloaded here. A model is either

* an explicit local directory (``--model /path/to/Qwen2.5-32B-Instruct``), or
* a Hugging Face id already in the local Hugging Face cache (``$HF_HUB_CACHE``, by default
  ``~/.cache/huggingface/hub``), found with ``huggingface_hub``'s offline look-ups, or
* for ``tiny``, the tiny test model built on first use (:mod:`agents.tiny_model`).

Anything else raises :class:`ModelWeightsNotFound`, whose message says how to fetch the
weights (``huggingface-cli download Qwen/Qwen2.5-32B-Instruct``) or to pass ``--model /path``.

Preset defaults (``config.extra``-style settings, see :mod:`agents.vllm_agent`) apply unless
the user's ``--agent-arg key=value`` says otherwise.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import AgentConfig

if TYPE_CHECKING:
    from .vllm_agent import VllmAgent


class ModelWeightsNotFound(FileNotFoundError):
    """A model's weights are neither at the given path nor in the Hugging Face cache."""


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    #: Hugging Face id; None for the locally built tiny model.
    repo: str | None
    #: Default agent settings (strings, as ``--agent-arg`` gives them); the user's override them.
    defaults: dict[str, str] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "qwen14b": Preset("qwen14b", "Qwen2.5-14B-Instruct", "Qwen/Qwen2.5-14B-Instruct"),
    "qwen32b": Preset("qwen32b", "Qwen2.5-32B-Instruct", "Qwen/Qwen2.5-32B-Instruct"),
    # float32: the tiny model is saved in float32 and vLLM's CPU build would otherwise cast it
    # to bfloat16; 256 MiB of KV cache is room for ~100 full-length sequences of it.
    "tiny": Preset(
        "tiny",
        "tiny random Qwen2-architecture test model, built locally",
        None,
        {"dtype": "float32", "kv_cache_gb": "0.25"},
    ),
}

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


def _fetch_hint(repo: str | None) -> str:
    repo = repo or "ORG/MODEL"
    return (
        f"fetch it with `huggingface-cli download {repo}` (or `hf download {repo}`) on a machine "
        f"with internet access, or pass a local copy with `--model /path/to/{repo.split('/')[-1]}`"
    )


def _check_dir(path: Path, what: str, repo: str | None) -> Path:
    if not (path / "config.json").is_file():
        raise ModelWeightsNotFound(
            f"{what} {path} has no config.json: not a Hugging Face model directory; " + _fetch_hint(repo)
        )
    if not any(p.name.endswith(_WEIGHT_SUFFIXES) for p in path.iterdir()):
        raise ModelWeightsNotFound(
            f"{what} {path} has no weight files (*.safetensors/*.bin): an incomplete download? " + _fetch_hint(repo)
        )
    return path


def resolve_model(model: str, *, cache_dir: str | Path | None = None) -> Path:
    """The local directory holding ``model``'s weights: ``model`` itself when it is a
    directory, else the snapshot of Hugging Face id ``model`` in the local cache. Never
    downloads. Raises :class:`ModelWeightsNotFound` with a how-to-fetch message."""
    if not model or not str(model).strip():
        raise ValueError("vllm agent: a model is required (--model: a Hugging Face id or a local directory)")
    model = str(model).strip()
    path = Path(model).expanduser()
    if path.is_dir():
        return _check_dir(path.resolve(), "model directory", None)
    looks_like_path = model.startswith(("/", ".", "~")) or os.sep in model.replace("/", "", 1) or path.exists()
    if looks_like_path or not _HF_ID.match(model):
        raise ModelWeightsNotFound(
            f"model {model!r}: no such directory, and not a Hugging Face id (ORG/NAME); " + _fetch_hint(None)
        )

    from huggingface_hub import snapshot_download, try_to_load_from_cache
    from huggingface_hub.errors import LocalEntryNotFoundError

    where = str(cache_dir) if cache_dir else _hf_cache()
    cached = try_to_load_from_cache(model, "config.json", cache_dir=cache_dir)
    if not isinstance(cached, str):
        raise ModelWeightsNotFound(
            f"weights for {model} are not in the Hugging Face cache ({where}); " + _fetch_hint(model)
        )
    try:
        snapshot = Path(snapshot_download(model, local_files_only=True, cache_dir=cache_dir))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError) as e:
        raise ModelWeightsNotFound(
            f"weights for {model} are not (completely) in the Hugging Face cache ({where}): {e}; " + _fetch_hint(model)
        ) from None
    return _check_dir(snapshot, f"cached snapshot of {model}", model)


def _hf_cache() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except ImportError:  # pragma: no cover
        return "~/.cache/huggingface/hub"


def preset_model_path(name: str, config: AgentConfig | None = None) -> Path:
    """The weights directory for preset ``name``: ``config.model`` when given, else the
    preset's Hugging Face id from the cache (``tiny``: the locally built model)."""
    preset = get_preset(name)
    explicit = config.model if config is not None and config.model else None
    if explicit:
        return resolve_model(explicit)
    if preset.repo is None:
        from .tiny_model import build_tiny_model

        return build_tiny_model()
    return resolve_model(preset.repo)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown vLLM preset {name!r}; known: {', '.join(PRESETS)}") from None


def preset_factory(name: str) -> Callable[[AgentConfig], VllmAgent]:
    """``create(config)`` for preset ``name``: resolves the weights at once (a clear error if
    they are missing) and returns a :class:`~agents.vllm_agent.VllmAgent`; the engine itself
    starts at the first ``agenerate``."""
    preset = get_preset(name)

    def create(config: AgentConfig) -> VllmAgent:
        from .vllm_agent import VllmAgent

        path = preset_model_path(name, config)
        extra = {**preset.defaults, **dict(config.extra or {})}
        extra.setdefault("name", preset.name)
        return VllmAgent(config, model_path=path, extra=extra)

    create.__name__ = f"create_{name}"
    create.__doc__ = f"Build the {name} agent ({preset.description}) on vLLM."
    return create
