"""A tiny Qwen2-architecture causal LM, built here from nothing: for tests, demos and benchmarks.

No download: the weights are random (fixed seed) and the tokenizer is a byte-level BPE
trained with ``tokenizers`` on this project's own puzzle text (tiny and temporal puzzles and
their answer lines), with Qwen's special tokens (``<|endoftext|>``, ``<|im_start|>``,
``<|im_end|>``) and a Qwen-style chat template. The result is an ordinary Hugging Face
checkpoint (``config.json``, ``generation_config.json``, ``model.safetensors``,
``tokenizer.json``, ``tokenizer_config.json``) that loads with
``transformers.AutoModelForCausalLM``/``AutoTokenizer`` and with vLLM (its CPU build too:
head_dim is 64, the least vLLM's CPU attention takes).

Its answers are noise; what it is good for is running the real machinery end to end
(chat template, tokenization, sampling, logprobs, continuous batching, serving) on a
laptop-sized CPU in seconds.

    from testing.tiny_model import build_tiny_model
    path = build_tiny_model()          # ~/.cache/temporal-clue/tiny-qwen2, built once

The build is cached: it is redone only when the directory is missing or incomplete, or when
:data:`VERSION` (or the build recipe it stamps) changes. ``CLUE_CACHE_DIR`` replaces
``~/.cache/temporal-clue``. A build takes a few seconds on two cores and is deterministic:
the same files, byte for byte, every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

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
BPE_VOCAB_SIZE = 1024  # learned tokens (bytes + merges), before the special tokens
WEIGHT_SEED = 0
#: The puzzles whose text trains the tokenizer: (variant, difficulty, how many).
CORPUS = (("tiny", None, 200), ("temporal", "easy", 40))

ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)
DEFAULT_SYSTEM = "You are a helpful assistant."
#: transformers' Qwen2Tokenizer splits text with this before byte-level BPE (as Qwen2/2.5 do).
QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

#: Qwen2.5's chat template without the tool-calling parts: a default system message when the
#: conversation has none, each message as <|im_start|>role\ncontent<|im_end|>\n.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- set loop_messages = messages[1:] %}"
    "{%- else %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{%- set loop_messages = messages %}"
    "{%- endif %}"
    "{%- for message in loop_messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)

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


def cache_root() -> Path:
    """``$CLUE_CACHE_DIR``, else ``~/.cache/temporal-clue``."""
    env = os.environ.get("CLUE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "temporal-clue"


def default_path() -> Path:
    return cache_root() / "tiny-qwen2"


def is_built(path: Path) -> bool:
    """Whether ``path`` holds a complete tiny model built by this version of the recipe."""
    try:
        stamp = json.loads((path / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("recipe") == _recipe() and all((path / f).is_file() for f in _FILES)


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


def build_in_place(path: Path, build: Callable[[Path], None], complete: Callable[[], bool]) -> None:
    """Run ``build(tmp)`` in a temporary directory beside ``path``, then move it into place, so a
    reader never sees a half-written directory and concurrent builders do not clash (the last one
    to finish wins; ``complete()`` says whether what another builder left at ``path`` will do)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-build-", dir=path.parent))
    try:
        build(tmp)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}-old-", dir=path.parent))
            try:
                os.replace(path, old / "m")
            except FileNotFoundError:  # another builder moved it away first
                pass
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, path)
        except OSError:  # another builder put a complete directory there meanwhile
            if not complete():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the build -----------------------------------------------------------------------------


def corpus_texts() -> list[str]:
    """The tokenizer's training text: rendered puzzles, their answer lines, chat-formatted turns."""
    from clue_env.builtin_variants import TEMPORAL, TINY
    from clue_env.generate import generate_puzzle

    variants = {"tiny": TINY, "temporal": TEMPORAL}
    texts: list[str] = []
    for name, difficulty, count in CORPUS:
        for seed in range(count):
            puzzle = generate_puzzle(variants[name], difficulty, seed)
            prompt = puzzle.render()
            answer = "\n".join(f"{label}. {value}" for label, value in puzzle.solution.items())
            texts.append(prompt)
            texts.append(answer)
            if seed % 8 == 0:
                texts.append(f"system\n{DEFAULT_SYSTEM}\nuser\n{prompt}\nassistant\n{answer}")
    return texts


def _train_tokenizer(texts: list[str]):
    """Byte-level BPE with Qwen2's normalizer (NFC) and pre-tokenizer (its split regex, then
    bytes), so ``transformers``' ``Qwen2Tokenizer`` (which rebuilds that pipeline around the
    saved vocab and merges) tokenizes exactly as the trained tokenizer does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=BPE_VOCAB_SIZE,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte encodable, as in Qwen
        special_tokens=[],
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    # Special tokens after the learned ones, as in Qwen (151643 <|endoftext|>, then <|im_start|>, <|im_end|>).
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    return tok


def _tokenizer_config(raw) -> dict:
    """tokenizer_config.json as Qwen2.5-Instruct has it (read alike by transformers 4 and 5)."""
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(raw.token_to_id(t)): {
                "content": t,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": True,
            }
            for t in SPECIAL_TOKENS
        },
        "additional_special_tokens": [IM_START, IM_END],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": IM_END,
        "errors": "replace",
        "model_max_length": ARCH["max_position_embeddings"],
        "pad_token": ENDOFTEXT,
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def _build(out: Path) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    raw = _train_tokenizer(corpus_texts())
    raw.save(str(out / "tokenizer.json"), pretty=True)
    (out / "tokenizer_config.json").write_text(json.dumps(_tokenizer_config(raw), indent=2) + "\n")

    ids = {t: raw.token_to_id(t) for t in SPECIAL_TOKENS}
    config = Qwen2Config(
        vocab_size=raw.get_vocab_size(with_added_tokens=True),
        **ARCH,
        hidden_act="silu",
        initializer_range=0.02,
        use_cache=True,
        use_sliding_window=False,
        attention_dropout=0.0,
        bos_token_id=ids[ENDOFTEXT],
        eos_token_id=ids[IM_END],
        pad_token_id=ids[ENDOFTEXT],
        torch_dtype="float32",
    )
    config.architectures = ["Qwen2ForCausalLM"]
    torch.manual_seed(WEIGHT_SEED)
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():  # random normal weights, independent of transformers' init details
        gen = torch.Generator().manual_seed(WEIGHT_SEED)
        for name, p in sorted(model.named_parameters()):
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * config.initializer_range)
    model.generation_config = GenerationConfig(
        bos_token_id=ids[ENDOFTEXT],
        eos_token_id=[ids[IM_END], ids[ENDOFTEXT]],
        pad_token_id=ids[ENDOFTEXT],
        do_sample=True,
        temperature=0.7,
        top_p=0.8,
    )
    model.save_pretrained(out, safe_serialization=True)
    (out / _STAMP).write_text(json.dumps({"recipe": _recipe()}, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Build (once) the tiny Qwen2-architecture test model.")
    parser.add_argument("--path", type=Path, default=None, help=f"where (default {default_path()})")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    print(build_tiny_model(args.path, force=args.force))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
