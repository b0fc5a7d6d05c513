"""A weight sync into the running vLLM engine vs an engine restart, on the tiny model (CPU).

    python benchmarks/bench_weight_sync.py [--syncs 7] [--restarts 3] [--routes iterator,path]

For each route of :meth:`agents.vllm.VllmAgent.update_weights` the vllm agent runs the
tiny Qwen2-architecture model (agents.tiny, float32, eager) on vLLM's CPU build:

* ``iterator``: the engine in this process (``in_process=1``), the tensors handed over in memory;
* ``path``: the engine in its own processes, the tensors through a temporary safetensors
  checkpoint under /dev/shm.

A sync loads a full set of weights (alternately the model's and a seeded perturbation of every
tensor, so each sync really changes them) into the running engine; it is timed alone ("sync")
and with the first request after it ("sync + request": one prompt, 8 greedy tokens). A restart
is what a sync replaces: close the engine, start a new one from a checkpoint directory of the
same weights, and answer that first request (writing the checkpoint is not counted). Medians of
the repetitions; ratio = restart / (sync + request), the goal being >= 20x. Times are wall clock
and noisy when other work shares the CPUs. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import ERR, machine_facts  # noqa: E402

EXTRA = {"dtype": "float32", "enforce_eager": "1", "kv_cache_gb": "0.05", "max_model_len": "512"}
PROMPT = ["Who killed Mr. Boddy, with what, and where?"]


def log(msg: str) -> None:
    ERR.print(msg, highlight=False)


def weight_sets(model: Path):
    import torch
    from safetensors.torch import load_file

    a = load_file(str(model / "model.safetensors"))
    gen = torch.Generator().manual_seed(0)
    b = {name: t + 0.02 * torch.randn(t.shape, generator=gen) for name, t in sorted(a.items())}
    return a, b


def first_request(agent) -> None:
    from agents.base import SamplingConfig, generate

    [[c]] = generate(agent, PROMPT, SamplingConfig(temperature=0.0, max_tokens=8))
    if c.error is not None:
        raise RuntimeError(c.error)


def new_agent(model: Path, route: str):
    from agents.config import AgentConfig
    from agents.vllm import VllmAgent

    extra = dict(EXTRA, name=f"bench-{route}")
    if route == "iterator":
        extra["in_process"] = "1"
    return VllmAgent(AgentConfig(seed=0), model_path=model, extra=extra)


def bench_route(route: str, model: Path, syncs: int, restarts: int) -> dict:
    a, b = weight_sets(model)
    agent = new_agent(model, route)
    t0 = time.perf_counter()
    agent.start()
    first_request(agent)
    log(f"{route}: engine up and first request in {time.perf_counter() - t0:.1f} s")
    sync_s, sync_req_s, used = [], [], set()
    for k in range(syncs):
        t0 = time.perf_counter()
        done = agent.update_weights((b if k % 2 == 0 else a).items())
        t1 = time.perf_counter()
        first_request(agent)
        t2 = time.perf_counter()
        used.add(done.route)
        sync_s.append(t1 - t0)
        sync_req_s.append(t2 - t0)
        log(f"{route}: sync {k + 1}/{syncs}: {t1 - t0:.3f} s, with the first request {t2 - t0:.3f} s")
    if used != {route}:
        raise RuntimeError(f"asked for route {route}, the agent took {sorted(used)}")
    restart_s = []
    for k in range(restarts):
        t0 = time.perf_counter()
        agent.close()
        agent = new_agent(model, route)
        agent.start()
        first_request(agent)
        restart_s.append(time.perf_counter() - t0)
        log(f"{route}: restart {k + 1}/{restarts}: {restart_s[-1]:.1f} s")
    agent.close()
    return {
        "route": route,
        "tensors": done.tensors,
        "mb": done.bytes / 1e6,
        "sync": statistics.median(sync_s),
        "sync_req": statistics.median(sync_req_s),
        "restart": statistics.median(restart_s),
        "syncs": syncs,
        "restarts": restarts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--syncs", type=int, default=7, help="weight syncs per route (median)")
    parser.add_argument("--restarts", type=int, default=3, help="engine restarts per route (median)")
    parser.add_argument("--routes", default="iterator,path", help="comma-separated: iterator, path")
    args = parser.parse_args(argv)
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    bad = [r for r in routes if r not in ("iterator", "path")]
    if bad or not routes:
        parser.error(f"--routes takes iterator and/or path, got {args.routes!r}")
    if args.syncs < 1 or args.restarts < 1:
        parser.error("--syncs and --restarts must be >= 1")

    import torch
    import vllm

    from agents.tiny import build_tiny_model

    model = build_tiny_model()
    rows = [bench_route(route, model, args.syncs, args.restarts) for route in routes]
    for line in machine_facts(f"torch {torch.__version__}, vllm {vllm.__version__}"):
        print(line)
    print(f"model: tiny Qwen2 ({rows[0]['tensors']} tensors, {rows[0]['mb']:.2f} MB float32), eager, vLLM CPU build")
    print()
    header = f"{'route':<10} {'sync s':>9} {'sync+request s':>15} {'restart s':>10} {'restart / (sync+request)':>25}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r["restart"] / r["sync_req"]
        print(f"{r['route']:<10} {r['sync']:>9.3f} {r['sync_req']:>15.3f} {r['restart']:>10.1f} {ratio:>24.0f}x")
    print()
    print(f"medians of {args.syncs} syncs and {args.restarts} restarts per route")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
