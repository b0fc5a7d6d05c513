"""The torchtune backend on the tiny model: the HF checkpoint loads through torchtune's checkpointer into
the same function as transformers computes, and what it saves loads back (transformers and itself)."""

from __future__ import annotations

import json

import pytest
import torch

from agents.tiny import build_tiny_model
from trainers.tune import BackendError, LoraSettings, load_policy, read_hf_config


@pytest.fixture(scope="module")
def tiny_dir():
    return build_tiny_model()


def _hf_logits(model_dir, ids):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0]


def _tune_logits(policy, ids):
    n = len(ids)
    with torch.no_grad():
        mask = torch.tril(torch.ones(n, n, dtype=torch.bool))[None]
        return policy.forward(torch.tensor([ids]), mask, torch.arange(n)[None])[0]


IDS = [5, 17, 300, 2, 799, 45, 45, 12, 800, 3, 64, 7]


def test_loaded_policy_computes_what_transformers_computes(tiny_dir):
    policy = load_policy(tiny_dir, max_seq_len=64, device=torch.device("cpu"))
    torch.testing.assert_close(_tune_logits(policy, IDS), _hf_logits(tiny_dir, IDS), rtol=1e-4, atol=1e-4)


def test_saved_checkpoint_round_trips(tiny_dir, tmp_path):
    policy = load_policy(tiny_dir, max_seq_len=64, device=torch.device("cpu"))
    with torch.no_grad():  # change the weights, so a checkpoint of the base would not pass
        for p in policy.model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    out = tmp_path / "ckpt"
    policy.save_checkpoint(out)
    assert read_hf_config(out) == read_hf_config(tiny_dir)
    assert (out / "tokenizer.json").is_file() and list(out.glob("*.safetensors"))
    mine = _tune_logits(policy, IDS)
    torch.testing.assert_close(_hf_logits(out, IDS), mine, rtol=1e-4, atol=1e-4)
    again = load_policy(out, max_seq_len=64, device=torch.device("cpu"))
    torch.testing.assert_close(_tune_logits(again, IDS), mine, rtol=0, atol=0)
    names = set(policy.hf_state_dict())
    assert "model.layers.0.self_attn.q_proj.weight" in names and "model.embed_tokens.weight" in names


def test_lora_starts_as_the_base_and_merges_into_hf_names(tiny_dir):
    base = load_policy(tiny_dir, max_seq_len=64, device=torch.device("cpu"))
    lora = load_policy(tiny_dir, max_seq_len=64, device=torch.device("cpu"), lora=LoraSettings(rank=4, alpha=8))
    trainable = {n for n, p in lora.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora" in n for n in trainable)
    torch.testing.assert_close(_tune_logits(lora, IDS), _tune_logits(base, IDS), rtol=0, atol=0)
    with torch.no_grad():
        for n, p in lora.model.named_parameters():
            if "lora_b" in n:
                p.add_(0.05)
    merged = lora.hf_state_dict()
    assert set(merged) == set(base.hf_state_dict())  # no lora_* names reach vLLM or a checkpoint
    assert not torch.equal(
        merged["model.layers.0.self_attn.q_proj.weight"], base.hf_state_dict()["model.layers.0.self_attn.q_proj.weight"]
    )


def test_bad_model_directories_are_one_line_errors(tmp_path, tiny_dir):
    with pytest.raises(BackendError, match="no config.json"):
        load_policy(tmp_path, max_seq_len=64, device=torch.device("cpu"))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(BackendError, match="Qwen2-architecture"):
        load_policy(tmp_path, max_seq_len=64, device=torch.device("cpu"))
    with pytest.raises(BackendError, match="longer than the model's context"):
        load_policy(tiny_dir, max_seq_len=10**6, device=torch.device("cpu"))
