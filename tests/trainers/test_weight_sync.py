"""The trainer's side of the weight sync: quick tests with a stand-in agent, then one run on the
tiny model's real engine (vLLM CPU build, in this process) checked against transformers."""

from __future__ import annotations

import pytest
import torch

from agents.vllm import WeightsError, WeightUpdate
from trainers.weight_sync import SyncRecord, WeightSync, local_tensors


class FakeAgent:
    """Records what it is given, as the vllm agent would receive it."""

    def __init__(self) -> None:
        self.updates: list[list[tuple[str, torch.Tensor]]] = []
        self.sleeps: list[int] = []

    def update_weights(self, weights):
        pairs = list(weights)
        self.updates.append(pairs)
        return WeightUpdate(route="iterator", tensors=len(pairs), bytes=sum(t.nbytes for _, t in pairs), seconds=0.0)

    def sleep(self, level: int = 1) -> None:
        self.sleeps.append(level)


class Sharded:
    """Stands in for a DTensor: its full value comes from ``full_tensor()``."""

    def __init__(self, full: torch.Tensor) -> None:
        self._full = full
        self.gathered = 0

    def full_tensor(self) -> torch.Tensor:
        self.gathered += 1
        return self._full


def test_push_hands_over_local_detached_tensors_and_records_it():
    agent = FakeAgent()
    sync = WeightSync(agent)
    weight = torch.nn.Parameter(torch.ones(2, 3))
    sharded = Sharded(torch.arange(4.0))
    record = sync.push([("w", weight), ("s", sharded)], step=7)
    [[(n0, t0), (n1, t1)]] = agent.updates
    assert (n0, n1) == ("w", "s")
    assert not t0.requires_grad and t0.data_ptr() == weight.data_ptr()  # detached, not copied
    assert sharded.gathered == 1 and torch.equal(t1, torch.arange(4.0))
    assert record == SyncRecord(step=7, seconds=record.seconds, tensors=2, bytes=6 * 4 + 4 * 4, route="iterator")
    assert record.seconds >= 0
    sync.push(iter([("w", weight)]))
    assert [r.step for r in sync.history] == [7, None]
    summary = sync.summary()
    assert summary["syncs"] == 2 and summary["route"] == "iterator" and summary["last_s"] == sync.history[-1].seconds
    assert WeightSync(FakeAgent()).summary()["syncs"] == 0


def test_release_sleeps_only_when_asked():
    agent = FakeAgent()
    WeightSync(agent).release()
    assert agent.sleeps == []
    WeightSync(agent, sleep_level=1).release()
    assert agent.sleeps == [1]
    for bad in (3, -1, True, "1"):
        with pytest.raises(ValueError, match="sleep_level"):
            WeightSync(agent, sleep_level=bad)


def test_bad_items_are_refused_before_the_agent_sees_anything():
    agent = FakeAgent()
    for bad, match in [([("w", torch.ones(1)), "w"], "item #1 is str"), ([("w", [1.0])], "'w' is a list")]:
        with pytest.raises(WeightsError, match=match):
            WeightSync(agent).push(bad)
    assert agent.updates == []
    assert list(local_tensors([])) == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pushed_weights_are_the_engines_weights():
    """After a push of a changed model, the engine's logprobs are that model's (transformers recomputes them)."""
    pytest.importorskip("vllm")
    from transformers import AutoModelForCausalLM

    from agents.base import SamplingConfig, generate
    from agents.config import AgentConfig
    from agents.tiny import build_tiny_model
    from agents.vllm import VllmAgent

    path = build_tiny_model()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    extra = {"dtype": "float32", "enforce_eager": "1", "kv_cache_gb": "0.05", "max_model_len": "512", "in_process": "1"}
    greedy = SamplingConfig(temperature=0.0, max_tokens=12)
    prompt = ["Who killed Mr. Boddy, with what, and where?"]
    with VllmAgent(AgentConfig(seed=0), model_path=path, extra=extra) as agent:
        [[before]] = generate(agent, prompt, greedy)
        gen = torch.Generator().manual_seed(5)
        with torch.no_grad():  # a "training step": every parameter moves
            for _, p in sorted(model.named_parameters()):
                p.add_(0.02 * torch.randn(p.shape, generator=gen))
        sync = WeightSync(agent)
        record = sync.push(model.named_parameters(), step=0)  # tied lm_head: named once, as the embedding
        assert record.route == "iterator" and record.tensors == 26
        [[after]] = generate(agent, prompt, greedy)
    ids = torch.tensor([list(after.prompt_token_ids) + list(after.token_ids)])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    start = len(after.prompt_token_ids)
    ref = [logp[start - 1 + k, t].item() for k, t in enumerate(after.token_ids)]
    assert after.logprobs == pytest.approx(ref, abs=2e-3)
    assert (after.token_ids, after.logprobs) != (before.token_ids, before.logprobs)
    assert list(after.token_ids) == [int(logp[start - 1 + k].argmax()) for k in range(len(after.token_ids))]
