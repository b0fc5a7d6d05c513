"""The tiny model's tokenizer, trained here, and the base's (the same plus one token per theme name).

The tiny model's is a byte-level BPE trained with ``tokenizers`` on this project's own puzzle
text (tiny and temporal puzzles and their answer lines), with Qwen's special tokens
(``<|endoftext|>``, ``<|im_start|>``, ``<|im_end|>``) and a Qwen-style chat template; the
base's adds every name of the tiny variant's theme as one whole-word token, so naming an
option is copying one token.
"""

from __future__ import annotations

import json
from pathlib import Path

BPE_VOCAB_SIZE = 1024  # learned tokens (bytes + merges), before the special tokens
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


def train_tokenizer(texts: list[str]):
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


def _added_token(content: str, *, special: bool, single_word: bool) -> dict:
    return {
        "content": content,
        "lstrip": False,
        "normalized": False,
        "rstrip": False,
        "single_word": single_word,
        "special": special,
    }


def tokenizer_config(raw, model_max_length: int) -> dict:
    """tokenizer_config.json as Qwen2.5-Instruct has it (read alike by transformers 4 and 5)."""
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(raw.token_to_id(t)): _added_token(t, special=True, single_word=False) for t in SPECIAL_TOKENS
        },
        "additional_special_tokens": [IM_START, IM_END],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": IM_END,
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": ENDOFTEXT,
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def write_tiny_tokenizer(out: Path, model_max_length: int):
    """Train the tiny model's tokenizer on :func:`corpus_texts` and write ``tokenizer.json`` and
    ``tokenizer_config.json`` into ``out``; returns the trained ``tokenizers.Tokenizer``."""
    raw = train_tokenizer(corpus_texts())
    raw.save(str(out / "tokenizer.json"), pretty=True)
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(raw, model_max_length), indent=2) + "\n")
    return raw


def theme_names() -> list[str]:
    """The names that become single tokens: the tiny variant's theme's suspects, weapons, rooms."""
    from clue_env.builtin_variants import TINY

    theme = TINY.theme
    return [*theme.suspects, *theme.weapons, *(room.name for room in theme.rooms)]


def write_base_tokenizer(out: Path, tiny_path: Path) -> None:
    """The tiny model's tokenizer (read from ``tiny_path``) with every theme name added as one
    whole-word token, written into ``out``."""
    from tokenizers import AddedToken, Tokenizer

    raw = Tokenizer.from_file(str(tiny_path / "tokenizer.json"))
    names = theme_names()
    raw.add_tokens([AddedToken(n, single_word=True, normalized=False, special=False) for n in names])
    raw.save(str(out / "tokenizer.json"), pretty=True)
    config = json.loads((tiny_path / "tokenizer_config.json").read_text())
    for n in names:
        config["added_tokens_decoder"][str(raw.token_to_id(n))] = _added_token(n, special=False, single_word=True)
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
