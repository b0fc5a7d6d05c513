"""New weights into the running vLLM engine, the bound on requests in flight, sleeping.

Quick tests check the weight checks, the temporary checkpoint and the settings without an
engine. The slow ones run two engines on the tiny model with vLLM's CPU build, float32: one in
this process (updates through memory, route ``iterator``) started from the tiny model's weights
A, one in its own processes (updates through a temporary directory, route ``path``) started
from weights B (A with seeded noise on every tensor). Each engine's first outputs are those of a
fresh engine loaded from its weights; after an update to the other set, its greedy and sampled
tokens and logprobs must equal the other engine's first ones. Each test leaves both engines on
their own starting weights.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.base import SamplingConfig, generate
from agents.config import AgentConfig, AgentSettingError
from agents.vllm import EngineBusyError, EngineStateError, VllmAgent, WeightsError, check_weights, read_manifest
from agents.vllm.engine import EngineInfo
from agents.vllm.weights import _route, _weights_dir

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

#: One engine setting for both engines (outputs are compared across them). 0.0014 GiB of KV
#: cache is 5 blocks of 128 tokens of the tiny model, 4 usable (vLLM keeps one back): a few
#: requests fill it.
COMMON = {"dtype": "float32", "enforce_eager": "1", "kv_cache_gb": "0.0014", "max_model_len": "512", "ignore_eos": "1"}
PROMPTS = ["Who killed Mr. Boddy?", "Where was the knife at 9 pm?", "A. Miss Scarlet\nB. Rope"]


@pytest.fixture(scope="module")
def tiny_path() -> Path:
    pytest.importorskip("transformers")
    from agents.tiny import build_tiny_model

    return build_tiny_model()


@pytest.fixture(scope="module")
def weights(tiny_path, tmp_path_factory):
    """Weights A (the tiny model's) and B (A plus seeded noise on every tensor), B saved as a checkpoint."""
    a = safetensors_torch.load_file(str(tiny_path / "model.safetensors"))
    gen = torch.Generator().manual_seed(1234)
    b = {name: t + 0.02 * torch.randn(t.shape, generator=gen) for name, t in sorted(a.items())}
    b_dir = tmp_path_factory.mktemp("tiny-b")
    for f in tiny_path.iterdir():
        if f.is_file() and f.name != "model.safetensors":
            shutil.copy(f, b_dir / f.name)
    safetensors_torch.save_file(b, str(b_dir / "model.safetensors"))
    return {"a": a, "b": b, "b_dir": b_dir}


# -- no engine ------------------------------------------------------------------------------------


def test_manifest_reads_the_checkpoint_headers(tiny_path):
    manifest = read_manifest(tiny_path)
    assert len(manifest.shapes) == 26 and manifest.tied  # the tiny model ties lm_head to the embedding
    assert manifest.shapes["model.layers.0.self_attn.q_proj.weight"] == (128, 128)
    assert manifest.dtypes["model.embed_tokens.weight"] == "F32"


def test_manifest_of_a_checkpoint_without_safetensors_is_a_clear_error(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(WeightsError, match="no \\*.safetensors"):
        read_manifest(tmp_path)


def test_weights_are_checked_before_anything_is_loaded(tiny_path, weights):
    manifest = read_manifest(tiny_path)
    a = weights["a"]
    pairs = check_weights(a.items(), manifest)
    assert [n for n, _ in pairs] == list(a)  # order kept, nothing copied
    assert all(t is a[n] for n, t in pairs)
    # a tied lm_head.weight (as transformers' state_dict has it) is dropped
    assert len(check_weights([*a.items(), ("lm_head.weight", a["model.embed_tokens.weight"])], manifest)) == 26
    q, down = "model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"
    bad = [
        (a, "state_dict.items()"),
        ([*a.items(), "oops"], "not a \\(name, tensor\\) pair"),
        ([*a.items(), ("extra.weight", [1.0])], "not a torch.Tensor"),
        ([*a.items(), (q, a[q])], "given twice"),
        ([*a.items(), ("model.layers.9.mlp.up_proj.weight", a[q])], "does not have.*model.layers.9"),
        ([(n, t.T if n == down else t) for n, t in a.items()], "down_proj.weight has shape \\(256, 128\\)"),
        ([(n, t.long() if n == q else t) for n, t in a.items()], "not a floating-point"),
        ([(n, t) for n, t in a.items() if n != q], "1 of the checkpoint's 26 weights are missing.*q_proj"),
    ]
    for given, match in bad:
        with pytest.raises(WeightsError, match=match):
            check_weights(given, manifest)
    assert issubclass(WeightsError, ValueError)


def test_weights_directory_holds_a_loadable_checkpoint_and_is_removed(tiny_path, weights):
    a = weights["a"]
    fused = torch.arange(12.0).reshape(3, 4)
    pairs = [*a.items(), ("v0", fused[0]), ("v1", fused[1:])]  # views of one storage
    with _weights_dir(pairs, tiny_path, 10**6) as directory:
        assert (directory / "config.json").read_text() == (tiny_path / "config.json").read_text()
        assert (directory / "generation_config.json").is_file()
        back = safetensors_torch.load_file(str(directory / "model.safetensors"))
        if Path("/dev/shm").is_dir():
            assert str(directory).startswith("/dev/shm/")
    assert not directory.exists()
    assert set(back) == set(a) | {"v0", "v1"}
    assert all(torch.equal(back[n], t) for n, t in pairs)


def _info(in_process: bool, backend: str = "none") -> EngineInfo:
    return EngineInfo(None, 512, in_process, True, backend, 1, False)


def test_route_follows_where_the_engine_and_the_tensors_are():
    cpu = [("w", torch.zeros(2))]
    assert _route(_info(True), cpu) == "iterator"
    assert _route(_info(False), cpu) == "path"
    assert _route(_info(False, "ipc"), cpu) == "path"  # IPC needs the tensors on the engine's GPU
    assert _route(_info(False, "nccl"), cpu) == "path"


def test_new_settings_are_validated(tiny_path):
    agent = VllmAgent(
        AgentConfig(), model_path=tiny_path, extra={"in_process": "1", "max_in_flight": "3", "log_stats": "0"}
    )
    assert agent.engine_options.in_process is True and agent.max_in_flight == 3
    assert agent.engine_options.weight_transfer == "auto" and not agent.engine_options.log_stats
    assert agent.stats().started is False and agent._engine is None  # stats start nothing
    for value in (0, -1, "2", True, 1.5):
        with pytest.raises(ValueError, match="max_in_flight"):
            agent.max_in_flight = value
    agent.max_in_flight = None
    agent.close()
    with pytest.raises(EngineStateError, match="closed"):
        agent.update_weights([])
    for extra, match in [
        ({"in_process": "maybe"}, "in_process must be 0 or 1"),
        ({"max_in_flight": "0"}, "max_in_flight"),
        ({"weight_transfer": "rdma"}, "weight_transfer must be one of"),
        ({"sleep_mode": "2"}, "sleep_mode"),
    ]:
        with pytest.raises(AgentSettingError, match=match):
            VllmAgent(AgentConfig(), model_path=tiny_path, extra=extra)


# -- two engines on the tiny model (vLLM CPU build) -------------------------------------------------


@dataclass
class Engines:
    inproc: VllmAgent  # started from A, in this process
    separate: VllmAgent  # started from B, in its own processes
    fresh: dict  # "a"/"b": outputs of an engine fresh from those weights


def outputs(agent: VllmAgent) -> list[tuple[tuple[int, ...], tuple[float, ...]]]:
    """Greedy and seeded-sampled tokens with their logprobs."""
    greedy = generate(agent, PROMPTS, SamplingConfig(temperature=0.0, max_tokens=16))
    sampled = generate(agent, PROMPTS, SamplingConfig(temperature=1.0, max_tokens=16, n=2, seed=7))
    return [(c.token_ids, c.logprobs) for r in greedy + sampled for c in r]


def assert_same(got, want) -> None:
    assert [t for t, _ in got] == [t for t, _ in want]
    for (_, lp_got), (_, lp_want) in zip(got, want):
        assert lp_got == pytest.approx(lp_want, abs=1e-4)


@pytest.fixture(scope="module")
def engines(tiny_path, weights):
    pytest.importorskip("vllm")
    # The separate engine first: vLLM's statistics (preemptions) are the last-started engine's.
    separate = VllmAgent(AgentConfig(seed=0), model_path=weights["b_dir"], extra=dict(COMMON, name="separate"))
    inproc = VllmAgent(AgentConfig(seed=0), model_path=tiny_path, extra=dict(COMMON, name="inproc", in_process="1"))
    try:
        separate.start()
        inproc.start()
        fresh = {"b": outputs(separate), "a": outputs(inproc)}
        assert [t for t, _ in fresh["a"]] != [t for t, _ in fresh["b"]]  # the two sets of weights really differ
        yield Engines(inproc, separate, fresh)
    finally:
        inproc.close()
        separate.close()


def long_prompts(count: int) -> list[str]:
    """Distinct prompts of ~100 tokens each (one KV block of 128; with 60 tokens sampled, two)."""
    return [f"Puzzle {k}: " + " ".join(f"clue {k}-{j}" for j in range(12)) for k in range(count)]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bounded_requests_in_flight_avoid_preemptions(engines):
    agent = engines.inproc
    prompts, sampling = long_prompts(6), SamplingConfig(temperature=0.0, max_tokens=60)
    first = agent.stats(reset_peak=True)
    assert first.in_process is True and first.preemptions is not None
    try:
        agent.max_in_flight = None  # all six at once: 12 blocks wanted, 4 usable
        generate(agent, prompts, sampling)
        unbounded = agent.stats(reset_peak=True)
        agent.max_in_flight = 2  # 4 blocks: they fit
        results = generate(agent, prompts, sampling)
        bounded = agent.stats(reset_peak=True)
    finally:
        agent.max_in_flight = None
    assert unbounded.peak_engine_requests == 6 and unbounded.preemptions > first.preemptions
    assert bounded.peak_engine_requests == 2 and bounded.preemptions == unbounded.preemptions
    assert bounded.requests_in_flight == bounded.requests_waiting == 0
    assert all(c.error is None and c.completion_tokens == 60 for r in results for c in r)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_in_process_update_equals_a_fresh_engine(engines, weights):
    agent = engines.inproc
    b = {name: t.clone() for name, t in weights["b"].items()}
    done = agent.update_weights(b.items())
    assert done.route == "iterator" and done.tensors == 26 and done.bytes == sum(t.nbytes for t in b.values())
    assert_same(outputs(agent), engines.fresh["b"])
    for t in b.values():  # the engine holds its own copy: the trainer may go on changing its tensors
        t.add_(1.0)
    assert_same(outputs(agent), engines.fresh["b"])
    assert agent.update_weights(weights["a"].items()).route == "iterator"  # and back, a second update
    assert_same(outputs(agent), engines.fresh["a"])
    assert agent.stats().weight_updates == 2


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_separate_process_update_equals_a_fresh_engine(engines, weights):
    agent = engines.separate
    before = set(Path("/dev/shm").glob("clue-weights-*")) if Path("/dev/shm").is_dir() else set()
    done = agent.update_weights(weights["a"].items())
    assert done.route == "path" and done.tensors == 26
    assert_same(outputs(agent), engines.fresh["a"])
    assert agent.update_weights(weights["b"].items()).route == "path"
    assert_same(outputs(agent), engines.fresh["b"])
    if Path("/dev/shm").is_dir():
        assert set(Path("/dev/shm").glob("clue-weights-*")) == before  # the temporary checkpoints are gone


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_an_update_is_refused_while_requests_are_in_flight(engines, weights):
    agent = engines.inproc
    box: dict = {}

    def rollouts():
        box["results"] = generate(agent, PROMPTS[:1], SamplingConfig(temperature=1.0, max_tokens=300, seed=3))

    worker = threading.Thread(target=rollouts)
    worker.start()
    deadline = time.monotonic() + 120
    while agent.stats().requests_in_flight == 0 and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    with pytest.raises(EngineBusyError, match="in flight"):
        agent.update_weights(weights["b"].items())
    with pytest.raises(EngineBusyError):
        agent.run_on_engine(lambda llm: None, idle=True)
    worker.join(300)
    assert all(c.error is None and c.completion_tokens == 300 for r in box["results"] for c in r)
    assert_same(outputs(agent), engines.fresh["a"])  # weights untouched


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bad_weights_leave_the_engine_untouched(engines, weights):
    agent = engines.separate
    q = "model.layers.0.self_attn.q_proj.weight"
    updates = agent.stats().weight_updates
    with pytest.raises(WeightsError, match="shape"):
        agent.update_weights((n, t[:64] if n == q else t) for n, t in weights["a"].items())
    with pytest.raises(WeightsError, match="missing"):
        agent.update_weights((n, t) for n, t in weights["a"].items() if n != q)
    assert agent.stats().weight_updates == updates
    assert_same(outputs(agent), engines.fresh["b"])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sleep_refuses_requests_until_woken_and_an_update_wakes_it(engines, weights):
    agent = engines.inproc
    agent.sleep(1)  # vLLM's CPU build keeps weights and cache: this pauses scheduling
    assert agent.sleeping and agent.stats().sleeping
    with pytest.raises(EngineStateError, match="asleep"):
        generate(agent, PROMPTS[:1])
    assert agent.wake_up() is True and not agent.sleeping
    assert_same(outputs(agent), engines.fresh["a"])
    agent.sleep(2)
    agent.update_weights(weights["b"].items())  # wakes weights, loads, wakes the rest
    assert not agent.sleeping
    assert_same(outputs(agent), engines.fresh["b"])
    agent.update_weights(weights["a"].items())
    with pytest.raises(ValueError, match="sleep level"):
        agent.sleep(3)
    with pytest.raises(ValueError, match="wake_up tags"):
        agent.wake_up(["everything"])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_functions_run_on_the_engine_thread(engines):
    agent = engines.inproc
    assert agent.run_on_engine(lambda llm: llm.llm_engine.model_config.max_model_len) == 512
    assert asyncio.run(agent.arun_on_engine(lambda llm: threading.current_thread().name)) == "vllm-engine"
    with pytest.raises(ZeroDivisionError):
        agent.run_on_engine(lambda llm: 1 / 0)
    with pytest.raises(RuntimeError, match="wait forever"):  # calling back in from the engine's thread
        agent.run_on_engine(lambda llm: agent.run_on_engine(lambda inner: None))
    assert_same(outputs(agent), engines.fresh["a"])  # and the engine goes on
