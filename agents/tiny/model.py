"""A tiny Qwen2-architecture causal LM, built here from nothing: for tests, demos and benchmarks.

No download: the weights are random (fixed seed, :mod:`agents.tiny.init`) and the tokenizer is a
byte-level BPE trained on this project's own puzzle text (:mod:`agents.tiny.tokenizer`). The
result is an ordinary Hugging Face checkpoint (``config.json``, ``generation_config.json``,
``model.safetensors``, ``tokenizer.json``, ``tokenizer_config.json``) that loads with
``transformers.AutoModelForCausalLM``/``AutoTokenizer`` and with vLLM (its CPU build too:
head_dim is 64, the least vLLM's CPU attention takes).

Its answers are noise; what it is good for is running the real machinery end to end
(chat template, tokenization, sampling, logprobs, continuous batching, serving) on a
laptop-sized CPU in seconds.

    from agents.tiny import build_tiny_model
    path = build_tiny_model()          # ~/.cache/temporal-clue/tiny-qwen2, built once

The build is cached: it is redone only when the directory is missing or incomplete, or when
:data:`VERSION` (or the build recipe it stamps) changes. ``CLUE_CACHE_DIR`` replaces
``~/.cache/temporal-clue``. A build takes a few seconds on two cores and is deterministic:
the same files, byte for byte, every time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .cache import build_in_place, cache_root, is_stamped, write_stamp
from .init import new_model
from .tokenizer import (
    BPE_VOCAB_SIZE,
    CHAT_TEMPLATE,
    CORPUS,
    ENDOFTEXT,
    IM_END,
    QWEN2_PRETOKENIZE_REGEX,
    SPECIAL_TOKENS,
    write_tiny_tokenizer,
)

#: Bump when anything below changes what is built; a cached model with another stamp is rebuilt.
VERSION = 1

#: The model's shape. head_dim = hidden_size / num_attention_heads = 64.
ARCH = {
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}
WEIGHT_SEED = 0
INIT_STD = 0.02  # the config's initializer_range

_STAMP = "tiny-model.json"
_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def _recipe() -> dict:
    return {
        "version": VERSION,
        "arch": ARCH,
        "bpe_vocab_size": BPE_VOCAB_SIZE,
        "weight_seed": WEIGHT_SEED,
        "corpus": [list(c) for c in CORPUS],
        "chat_template": hashlib.sha256(CHAT_TEMPLATE.encode()).hexdigest()[:16],
        "pretokenize": hashlib.sha256(QWEN2_PRETOKENIZE_REGEX.encode()).hexdigest()[:16],
    }


def default_path() -> Path:
    return cache_root() / "tiny-qwen2"


def is_built(path: Path) -> bool:
    """Whether ``path`` holds a complete tiny model built by this version of the recipe."""
    return is_stamped(path, _STAMP, _recipe(), _FILES)


def build_tiny_model(path: Path | str | None = None, *, force: bool = False) -> Path:
    """The tiny model's directory, building it first if it is missing or stale.

    ``path`` defaults to :func:`default_path`. The model is built in a temporary directory
    beside ``path`` and moved into place, so a reader never sees a half-written model and
    concurrent builders do not clash (the last one to finish wins; all build the same bytes).
    """
    path = Path(path).expanduser() if path is not None else default_path()
    if not force and is_built(path):
        return path
    build_in_place(path, _build, lambda: is_built(path))
    return path


def _build(out: Path) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers import GenerationConfig, Qwen2Config

    raw = write_tiny_tokenizer(out, ARCH["max_position_embeddings"])
    ids = {t: raw.token_to_id(t) for t in SPECIAL_TOKENS}
    config = Qwen2Config(
        vocab_size=raw.get_vocab_size(with_added_tokens=True),
        **ARCH,
        hidden_act="silu",
        initializer_range=INIT_STD,
        use_cache=True,
        use_sliding_window=False,
        attention_dropout=0.0,
        bos_token_id=ids[ENDOFTEXT],
        eos_token_id=ids[IM_END],
        pad_token_id=ids[ENDOFTEXT],
        torch_dtype="float32",
    )
    config.architectures = ["Qwen2ForCausalLM"]
    model = new_model(config, seed=WEIGHT_SEED, std=config.initializer_range)
    model.generation_config = GenerationConfig(
        bos_token_id=ids[ENDOFTEXT],
        eos_token_id=[ids[IM_END], ids[ENDOFTEXT]],
        pad_token_id=ids[ENDOFTEXT],
        do_sample=True,
        temperature=0.7,
        top_p=0.8,
    )
    model.save_pretrained(out, safe_serialization=True)
    write_stamp(out, _STAMP, _recipe())
