"""Generation throughput: the vllm agent vs Hugging Face ``generate``, same model, same prompts.

    python benchmarks/bench_vllm.py [--prompts 48] [--max-tokens 128] [--variant tiny] [--compile]

Both sides run the tiny Qwen2-architecture model (agents.tiny, float32) on this
machine's CPUs, in this one run, on the same puzzle prompts (puzzles 0..N-1 of the variant,
each as one user message through the model's chat template: the very token ids the vllm
agent sent are the ones Hugging Face gets). Every completion is exactly ``--max-tokens``
long on both sides: vLLM with ``ignore_eos``, Hugging Face with ``min_new_tokens`` =
``max_new_tokens`` (end-of-sequence suppressed until then). Sampling: temperature 1, top_p 1.

* vllm: one ``agenerate`` call with all prompts (the engine batches them continuously),
  after a short warm-up call; the engine's start-up is reported apart and not counted.
  Eager mode unless ``--compile``. vLLM's CPU build gives its worker one core and keeps the
  other for its scheduler; Hugging Face uses torch's threads (both cores here).
* hf sequential: ``model.generate`` one prompt at a time, the plain loop.
* hf batched: ``model.generate`` on left-padded batches of ``--hf-batch`` prompts (default:
  all at once), the best Hugging Face can do without a serving engine.

Generated tokens/s = completion tokens / wall seconds of the timed part. The ratio column
is vLLM's tokens/s over that row's (goal: >= 5x over the plain loop). Times are wall clock
and noisy when other work shares the CPUs. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def puzzle_prompts(variant: str, count: int) -> list[str]:
    from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
    from clue_env.generate import generate_puzzle

    chosen = {"tiny": (TINY, None), "temporal": (TEMPORAL, "easy"), "classic": (CLASSIC_GAME, None)}[variant]
    return [generate_puzzle(chosen[0], chosen[1], seed).render() for seed in range(count)]


def run_vllm(model: Path, prompts: list[str], max_tokens: int, eager: bool):
    from agents.base import SamplingConfig
    from agents.config import AgentConfig
    from agents.vllm import VllmAgent

    extra = {"dtype": "float32", "kv_cache_gb": "1", "ignore_eos": "1", "name": "vllm"}
    if eager:
        extra["enforce_eager"] = "1"
    agent = VllmAgent(AgentConfig(seed=0), model_path=model, extra=extra)
    try:
        t0 = time.perf_counter()
        agent.start()
        startup = time.perf_counter() - t0
        sampling = SamplingConfig(temperature=1.0, top_p=1.0, max_tokens=max_tokens, n=1, seed=0)
        asyncio.run(agent.agenerate(prompts[:4], SamplingConfig(max_tokens=8, seed=1)))  # warm-up
        t0 = time.perf_counter()
        results = asyncio.run(agent.agenerate(prompts, sampling))
        took = time.perf_counter() - t0
    finally:
        agent.close()
    completions = [r[0] for r in results]
    assert all(c.error is None for c in completions), [c.error for c in completions if c.error]
    tokens = sum(c.completion_tokens for c in completions)
    prompt_ids = [list(c.prompt_token_ids) for c in completions]
    return {
        "startup": startup,
        "seconds": took,
        "tokens": tokens,
        "lengths": sorted({c.completion_tokens for c in completions}),
        "prompt_ids": prompt_ids,
    }


def run_hf(model_path: Path, prompt_ids: list[list[int]], max_tokens: int, batch: int):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()
    pad = tok.pad_token_id

    def generate(chunk: list[list[int]], new_tokens: int) -> list[int]:
        width = max(len(ids) for ids in chunk)
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in chunk])
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in chunk])
        with torch.inference_mode():
            out = model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                do_sample=True,
                temperature=1.0,
                top_p=1.0,
                top_k=0,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                pad_token_id=pad,
            )
        return [int(row.shape[0] - width) for row in out]

    torch.manual_seed(0)
    generate(prompt_ids[: min(batch, 4)], 8)  # warm-up
    t0 = time.perf_counter()
    lengths = []
    for start in range(0, len(prompt_ids), batch):
        lengths += generate(prompt_ids[start : start + batch], max_tokens)
    took = time.perf_counter() - t0
    return {"seconds": took, "tokens": sum(lengths), "lengths": sorted(set(lengths))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=48, help="how many puzzle prompts (default 48)")
    parser.add_argument("--max-tokens", type=int, default=128, help="tokens generated per prompt (default 128)")
    parser.add_argument(
        "--variant",
        choices=("tiny", "classic", "temporal"),
        default="tiny",
        help="puzzles of this variant (temporal: level easy); default tiny",
    )
    parser.add_argument("--hf-batch", type=int, default=0, help="prompts per batched HF generate (default: all)")
    parser.add_argument(
        "--compile",
        action="store_true",
        help="vLLM with torch.compile (default: eager; on CPU compiling adds ~30 s of start-up "
        "and was no faster for this model)",
    )
    parser.add_argument("--skip-sequential", action="store_true", help="leave out the one-at-a-time HF loop")
    args = parser.parse_args(argv)
    if not 1 <= args.prompts <= 1024 or args.max_tokens < 1:
        parser.error("--prompts must be in 1..1024 and --max-tokens >= 1")

    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # keep vLLM's INFO lines off the table
    from agents.tiny import build_tiny_model

    t0 = time.perf_counter()
    model = build_tiny_model()
    log(f"tiny model at {model} ({time.perf_counter() - t0:.1f} s)")
    prompts = puzzle_prompts(args.variant, args.prompts)

    log(f"vllm: {len(prompts)} prompts x {args.max_tokens} tokens ...")
    v = run_vllm(model, prompts, args.max_tokens, eager=not args.compile)
    prompt_lens = [len(p) for p in v["prompt_ids"]]
    rows = [("vllm agent (continuous batching)", v)]
    if not args.skip_sequential:
        log("hf generate, one prompt at a time ...")
        rows.append(("hf generate, sequential (batch 1)", run_hf(model, v["prompt_ids"], args.max_tokens, 1)))
    batch = args.hf_batch or len(prompts)
    log(f"hf generate, batches of {batch} ...")
    rows.append((f"hf generate, padded batch {batch}", run_hf(model, v["prompt_ids"], args.max_tokens, batch)))

    import torch
    import transformers
    import vllm

    vllm_tps = v["tokens"] / v["seconds"]
    cpu = platform.processor() or platform.machine()
    print(f"\nGeneration throughput on the tiny model (float32, {os.cpu_count()} CPUs, {cpu})")
    print(
        f"{len(prompts)} {args.variant} puzzle prompts ({min(prompt_lens)}-{max(prompt_lens)} prompt tokens, "
        f"mean {sum(prompt_lens) / len(prompt_lens):.0f}), {args.max_tokens} generated tokens each, "
        f"temperature 1; vLLM engine start-up {v['startup']:.1f} s (not counted)"
    )
    print(
        f"vllm {vllm.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads for HF), "
        f"transformers {transformers.__version__}\n"
    )
    header = f"{'backend':<36} {'tokens':>7} {'lengths':>9} {'seconds':>8} {'tokens/s':>9} {'vllm/this':>9}"
    print(header)
    print("-" * len(header))
    for label, r in rows:
        tps = r["tokens"] / r["seconds"]
        lengths = (
            "-".join(str(x) for x in (r["lengths"][0], r["lengths"][-1]))
            if len(r["lengths"]) > 1
            else str(r["lengths"][0])
        )
        print(f"{label:<36} {r['tokens']:>7} {lengths:>9} {r['seconds']:>8.2f} {tps:>9.0f} {vllm_tps / tps:>8.1f}x")
    given = argv if argv is not None else sys.argv[1:]
    print(f"\ncommand: python {shlex.join(['benchmarks/bench_vllm.py', *given])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
