"""Where a model's weights are: a local directory, or a Hugging Face id in the local cache. Never downloads.

A model is either

* an explicit local directory (``--model /path/to/Qwen2.5-32B-Instruct``), or
* a Hugging Face id already in the local Hugging Face cache (``$HF_HUB_CACHE``, by default
  ``~/.cache/huggingface/hub``), found with ``huggingface_hub``'s offline look-ups.

Anything else raises :class:`ModelWeightsNotFound`, whose message says how to fetch the
weights (``huggingface-cli download Qwen/Qwen2.5-32B-Instruct``) or to pass ``--model /path``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class ModelWeightsNotFound(FileNotFoundError):
    """A model's weights are neither at the given path nor in the Hugging Face cache."""


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


def _fetch_hint(repo: str | None, flag: str) -> str:
    repo = repo or "ORG/MODEL"
    return (
        f"fetch it with `huggingface-cli download {repo}` (or `hf download {repo}`) on a machine "
        f"with internet access, or pass a local copy with `{flag}/path/to/{repo.split('/')[-1]}`"
    )


def _check_dir(path: Path, what: str, repo: str | None, flag: str) -> Path:
    if not (path / "config.json").is_file():
        raise ModelWeightsNotFound(
            f"{what} {path} has no config.json: not a Hugging Face model directory; " + _fetch_hint(repo, flag)
        )
    if not any(p.name.endswith(_WEIGHT_SUFFIXES) for p in path.iterdir()):
        raise ModelWeightsNotFound(
            f"{what} {path} has no weight files (*.safetensors/*.bin): an incomplete download? "
            + _fetch_hint(repo, flag)
        )
    return path


def resolve_model(model: str, *, cache_dir: str | Path | None = None, flag: str = "--model ") -> Path:
    """The local directory holding ``model``'s weights: ``model`` itself when it is a
    directory, else the snapshot of Hugging Face id ``model`` in the local cache. Never
    downloads. Raises :class:`ModelWeightsNotFound` with a how-to-fetch message, whose local-copy
    hint names the option ``flag`` (``clue train``'s is ``--set model=``)."""
    if not model or not str(model).strip():
        raise ValueError("vllm agent: a model is required (--model: a Hugging Face id or a local directory)")
    model = str(model).strip()
    path = Path(model).expanduser()
    if path.is_dir():
        return _check_dir(path.resolve(), "model directory", None, flag)
    looks_like_path = model.startswith(("/", ".", "~")) or os.sep in model.replace("/", "", 1) or path.exists()
    if looks_like_path or not _HF_ID.match(model):
        raise ModelWeightsNotFound(
            f"model {model!r}: no such directory, and not a Hugging Face id (ORG/NAME); " + _fetch_hint(None, flag)
        )

    from huggingface_hub import snapshot_download, try_to_load_from_cache
    from huggingface_hub.errors import LocalEntryNotFoundError

    where = str(cache_dir) if cache_dir else _hf_cache()
    cached = try_to_load_from_cache(model, "config.json", cache_dir=cache_dir)
    if not isinstance(cached, str):
        raise ModelWeightsNotFound(
            f"weights for {model} are not in the Hugging Face cache ({where}); " + _fetch_hint(model, flag)
        )
    try:
        snapshot = Path(snapshot_download(model, local_files_only=True, cache_dir=cache_dir))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError) as e:
        raise ModelWeightsNotFound(
            f"weights for {model} are not (completely) in the Hugging Face cache ({where}): {e}; "
            + _fetch_hint(model, flag)
        ) from None
    return _check_dir(snapshot, f"cached snapshot of {model}", model, flag)


def _hf_cache() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except ImportError:  # pragma: no cover
        return "~/.cache/huggingface/hub"
