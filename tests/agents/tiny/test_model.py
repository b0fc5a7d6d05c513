"""The tiny Qwen2-architecture test model (agents/tiny/model.py): built locally, cached, deterministic,
and an ordinary Hugging Face checkpoint (transformers here; vLLM in tests/agents/test_vllm_agent.py)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from agents.tiny import model as tiny_model
from agents.tiny.model import build_tiny_model, default_path
from agents.tiny.tokenizer import CHAT_TEMPLATE, IM_END, IM_START, SPECIAL_TOKENS


def _digest(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def tiny_path() -> Path:
    """The shared cached model (built once per machine, under $CLUE_CACHE_DIR if set)."""
    pytest.importorskip("transformers")
    return build_tiny_model()


def test_default_path_follows_clue_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CLUE_CACHE_DIR", str(tmp_path))
    assert default_path() == tmp_path / "tiny-qwen2"
    monkeypatch.delenv("CLUE_CACHE_DIR")
    assert default_path() == Path.home() / ".cache" / "temporal-clue" / "tiny-qwen2"


def test_incomplete_or_foreign_directory_is_not_built(tmp_path):
    assert not tiny_model.is_built(tmp_path / "missing")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.json").write_text("{}")
    assert not tiny_model.is_built(tmp_path / "x")


def test_chat_template_is_qwen_style():
    Template = pytest.importorskip("jinja2").Template

    out = Template(CHAT_TEMPLATE).render(messages=[{"role": "user", "content": "Who?"}], add_generation_prompt=True)
    assert out == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nWho?<|im_end|>\n<|im_start|>assistant\n"
    )
    out = Template(CHAT_TEMPLATE).render(
        messages=[
            {"role": "system", "content": "S"},
            {"role": "user", "content": "U"},
            {"role": "assistant", "content": "A"},
        ],
        add_generation_prompt=False,
    )
    assert out == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n"


@pytest.mark.slow
def test_build_is_deterministic_cached_and_versioned(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    t0 = time.perf_counter()
    a = build_tiny_model(tmp_path / "a")
    took = time.perf_counter() - t0
    b = build_tiny_model(tmp_path / "b")
    assert _digest(a) == _digest(b), "two builds differ"
    assert took < 60, f"build took {took:.1f} s"
    assert not list(tmp_path.glob(".*-build-*")), "temporary build directory left behind"

    mtime = (a / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_model(a) == a
    assert (a / "model.safetensors").stat().st_mtime_ns == mtime, "an up-to-date model was rebuilt"

    (a / "model.safetensors").unlink()  # incomplete: rebuilt
    build_tiny_model(a)
    assert _digest(a) == _digest(b)

    monkeypatch.setattr(tiny_model, "VERSION", tiny_model.VERSION + 1)  # stale stamp: rebuilt
    assert not tiny_model.is_built(a)
    build_tiny_model(a)
    assert tiny_model.is_built(a)
    assert json.loads((a / "tiny-model.json").read_text())["recipe"]["version"] == tiny_model.VERSION


@pytest.mark.slow
def test_loads_with_transformers(tiny_path):
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from clue_env.builtin_variants import TEMPORAL, TINY
    from clue_env.generate import generate_puzzle

    config = AutoConfig.from_pretrained(tiny_path)
    assert config.model_type == "qwen2" and config.architectures == ["Qwen2ForCausalLM"]
    assert config.hidden_size // config.num_attention_heads == 64  # vLLM's CPU attention needs >= 64

    tok = AutoTokenizer.from_pretrained(tiny_path)
    assert len(tok) == config.vocab_size
    assert tok.eos_token == IM_END and tok.pad_token == "<|endoftext|>"
    for special in SPECIAL_TOKENS:
        assert len(tok.encode(special, add_special_tokens=False)) == 1

    prompt = generate_puzzle(TINY, None, 12345).render()
    text = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    assert text == (
        f"{IM_START}system\nYou are a helpful assistant.{IM_END}\n"
        f"{IM_START}user\n{prompt}{IM_END}\n{IM_START}assistant\n"
    )
    ids = tok.encode(text, add_special_tokens=False)
    assert ids[0] == tok.convert_tokens_to_ids(IM_START)
    assert tok.decode(ids, skip_special_tokens=False) == text
    assert len(ids) < len(text) / 2.5, "the BPE learned from puzzle text should compress it"

    # transformers' Qwen2Tokenizer rebuilds its pipeline; it must agree with tokenizer.json.
    raw = Tokenizer.from_file(str(tiny_path / "tokenizer.json"))
    for seed in range(3):
        sample = generate_puzzle(TEMPORAL, "easy", 1000 + seed).render() + " café 日本 ½"
        assert tok.encode(sample, add_special_tokens=False) == raw.encode(sample, add_special_tokens=False).ids
        assert tok.decode(tok.encode(sample, add_special_tokens=False)) == sample

    model = AutoModelForCausalLM.from_pretrained(tiny_path, dtype=torch.float32)
    x = torch.tensor([ids])
    with torch.no_grad():
        logits = model(x).logits
    assert logits.shape == (1, len(ids), config.vocab_size)
    assert torch.isfinite(logits).all()
    out = model.generate(x, max_new_tokens=8, do_sample=True, pad_token_id=tok.pad_token_id)
    assert out.shape[1] <= len(ids) + 8 and out.shape[1] > len(ids)
