"""Packed GRPO training throughput on one GPU: ``python benchmarks/bench_train_gpu.py [--shape 14b --mode lora]``.

A Qwen2.5-7B/14B/32B-Instruct-shaped model (the public ``config.json`` values, built in below) with
random weights (normal, std 0.02, as Hugging Face initialises Qwen2; no download), built by the
project's own :func:`trainers.tune.build_model` (torchtune's ``qwen2``/``lora_qwen2``), trains on
packed rows of the study's length profile (:func:`bench_packing.profile`: prompts 1,000-1,400
tokens, answers log-uniform 500-8,000, rows of ``--row-len`` 16,384 tokens; samples ->
advantages -> :func:`trainers.pack`, as the trainer does; the sampling logprobs set to the
model's own mean so that the importance ratios centre on 1), exactly as ``clue train`` steps: per
row, the FlexAttention ``BlockMask`` of :mod:`trainers.masks` (torchtune's attention runs its
compiled ``flex_attention`` when given one; the CPU gets the dense mask and SDPA), the chunked
logprobs and clipped loss of :mod:`trainers.loss`, backward through activation-checkpointed
layers; per step, gradient clipping and one AdamW step (``torch.optim.AdamW`` on the bf16 parameters, so its two moment
buffers are bf16 too). ``--mode full`` trains every weight, ``--mode lora`` rank-16 adapters on
attention and MLP (the backend's :class:`trainers.tune.LoraSettings`).

Warm-up steps (FlexAttention's compile happens there) are followed by timed steps, bounded by
``--steps`` and by ``--max-seconds`` for the whole run after torch's import (default 420 s; no
step is started that would end past it), so that it ends within 8 minutes on an H100/H200.
Printed (stdout; progress on stderr): tokens/s/GPU over all row tokens (padding included),
non-padding and trained tokens; model TFLOP/s and MFU; peak GPU memory; the
study's 600-940 training tokens/s/GPU (14B/32B) and our ratio to it (the goal: >= 3x at the same
size). Model FLOPs (activation recomputation not counted): per non-padding token 6 x the matmul
weights that train + 4 x those that are frozen (forward and input gradient, no weight gradient:
LoRA's base) -- the LM head included, the embedding lookup not -- plus, for attention,
12 x layers x heads x head_dim per (query, key) pair that the mask allows (counted exactly from
the rows' ids). MFU divides that by the GPU's dense bf16 peak, looked up by device name (H100/H200
SXM 989 TFLOP/s, H100 PCIe 756, H100 NVL 835, A100 312) or given with ``--peak-tflops``.

On a machine without CUDA it stops with one line unless ``--device cpu`` is given; there
``--shape tiny`` (the repo's tiny model: hidden 128, 2 layers, 2 heads, intermediate 256, vocab
859) with a small ``--row-len`` (the profile is scaled by row length / 16,384) runs in seconds,
float32 by default, dense mask.

Needs only torch, torchtune and its small dependencies and the project's own modules (no vLLM, no
transformers model). On the lent H200 machine (Python 3.12, torch 2.11 CUDA, transformers, peft,
pandas, pyarrow, xxhash, sentencepiece, tiktoken, tokenizers, safetensors, huggingface_hub, psutil,
rich, pluggy already there) carry the seven wheels that ``import torchtune`` needs and that machine
lacks (9 MB; found by running this script with every package outside that machine's list blocked;
blobfile, kagglehub, Pillow and antlr4, which torchtune lists, are not imported)::

    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform any -d .whl \
        torchtune==0.6.1 torchao==0.13.0 torchdata==0.11.0 datasets==5.2.0 dill==0.4.1 \
        multiprocess==0.70.19 omegaconf==2.4.0
    # there:
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
    PYTHONPATH=/tmp/site python3 benchmarks/bench_train_gpu.py --shape 14b --mode lora
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _common
import numpy as np
import torch

from trainers.throughput import (
    ModelCount,
    attention_flops_per_pair,
    attention_pairs,
    count_model,
    peak_tflops,
)

PROG = "bench_train_gpu"
#: The study's training throughput for 14B/32B models, tokens/s/GPU, and the goal: this many times it.
STUDY_TOKENS_PER_S = (600.0, 940.0)
GOAL_RATIO = 3.0
#: Lengths of the profile at a 16,384-token row; other row lengths scale them.
PROFILE_ROW = 16384
#: Std of the random weights: ``initializer_range`` of every Qwen2.5 config (and of the repo's tiny model).
INIT_STD = 0.02

_QWEN25 = {"model_type": "qwen2", "vocab_size": 152064, "rope_theta": 1000000.0, "tie_word_embeddings": False}
#: Model shapes: the public config.json values of Qwen/Qwen2.5-{7B,14B,32B}-Instruct, and the repo's tiny model.
SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {
        "model_type": "qwen2",
        "hidden_size": 128,
        "intermediate_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "vocab_size": 859,
        "max_position_embeddings": 4096,
        "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
    },
    "7b": {
        **_QWEN25,
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-6,
    },
    "14b": {
        **_QWEN25,
        "hidden_size": 5120,
        "intermediate_size": 13824,
        "num_hidden_layers": 48,
        "num_attention_heads": 40,
        "num_key_value_heads": 8,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-6,
    },
    "32b": {
        **_QWEN25,
        "hidden_size": 5120,
        "intermediate_size": 27648,
        "num_hidden_layers": 64,
        "num_attention_heads": 40,
        "num_key_value_heads": 8,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-6,
    },
}
SHAPE_LABELS = {"tiny": "tiny Qwen2", "7b": "Qwen2.5-7B", "14b": "Qwen2.5-14B", "32b": "Qwen2.5-32B"}
TORCHTUNE_WHEELS = (
    "torchtune==0.6.1 torchao==0.13.0 torchdata==0.11.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 "
    "omegaconf==2.4.0"
)


class BenchError(ValueError):
    """A setting or machine this benchmark cannot run with; the message says what and what to do."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        raise BenchError(f"{message} (see --help)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="14b", help="model shape (default 14b)")
    parser.add_argument("--mode", choices=("lora", "full"), default="lora", help="LoRA adapters or every weight")
    parser.add_argument("--lora-rank", type=int, default=16, help="LoRA rank (default 16; alpha 2 x rank)")
    parser.add_argument("--row-len", type=int, default=PROFILE_ROW, help="tokens per packed row (default 16384)")
    parser.add_argument("--rows-per-step", type=int, default=4, help="rows per optimizer step (default 4)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument(
        "--steps",
        type=int,
        default=0,
        help="at most this many timed steps (default 0: as many as --max-seconds allows)",
    )
    parser.add_argument("--max-seconds", type=float, default=420.0, help="bound on the whole run (default 420)")
    parser.add_argument("--tasks", type=int, default=8, help="tasks in the row pool (default 8)")
    parser.add_argument("--samples", type=int, default=50, help="samples per task (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the profile and the weights (default 0)")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda", help="default cuda")
    parser.add_argument(
        "--dtype", choices=("auto", "bfloat16", "float32"), default="auto", help="auto: bf16 on CUDA, fp32 on CPU"
    )
    parser.add_argument(
        "--adamw",
        choices=("foreach", "fused"),
        default="foreach",
        help="torch AdamW implementation (foreach: what clue train builds; fused needs less memory)",
    )
    parser.add_argument("--peak-tflops", type=float, default=0.0, help="dense bf16 peak for MFU (default: by name)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    checks = (
        (args.lora_rank >= 1, f"--lora-rank must be >= 1, got {args.lora_rank}"),
        (
            args.row_len >= 256 and args.row_len % 128 == 0,
            f"--row-len must be a multiple of 128 (FlexAttention's block) and >= 256, got {args.row_len}",
        ),
        (args.rows_per_step >= 1, f"--rows-per-step must be >= 1, got {args.rows_per_step}"),
        (args.warmup >= 0, f"--warmup must be >= 0, got {args.warmup}"),
        (args.steps >= 0, f"--steps must be >= 0 (0: bounded by --max-seconds), got {args.steps}"),
        (
            math.isfinite(args.max_seconds) and args.max_seconds > 0,
            f"--max-seconds must be > 0, got {args.max_seconds}",
        ),
        (
            args.tasks >= 1 and args.samples >= 2,
            f"--tasks must be >= 1 and --samples >= 2, got {args.tasks}, {args.samples}",
        ),
        (
            args.peak_tflops >= 0 and math.isfinite(args.peak_tflops),
            f"--peak-tflops must be > 0, or 0 to look it up by device name; got {args.peak_tflops}",
        ),
        (args.threads >= 0, f"--threads must be >= 0, got {args.threads}"),
    )
    for ok, message in checks:
        if not ok:
            raise BenchError(message)
    limit = SHAPES[args.shape]["max_position_embeddings"]
    if args.row_len > limit:
        raise BenchError(f"--row-len {args.row_len} is longer than the {args.shape} model's context ({limit})")
    if args.device == "cpu" and args.shape != "tiny":
        raise BenchError(
            f"--device cpu trains only --shape tiny (a {args.shape} model does not train on a CPU in minutes)"
        )
    return args


# --------------------------------------------------------------------------- rows


def make_rows(vocab: int, row_len: int, tasks: int, samples: int, seed: int):
    """The row pool: the study's profile scaled to ``row_len``, through the trainer's own path to packed rows."""
    from bench_packing import profile

    from agents.base import Completion
    from trainers import GRPOConfig, compute_advantages, pack, samples_from_completions

    rng = np.random.default_rng(seed + 1)
    samples_list = []
    for g, (prompt, lengths, rewards) in enumerate(profile(tasks, samples, seed, row_len / PROFILE_ROW)):
        prompt_ids = tuple(int(t) % vocab for t in prompt)
        completions = [
            Completion(
                text="",
                prompt_token_ids=prompt_ids,
                token_ids=tuple(rng.integers(0, vocab, max(n, 1)).tolist()),
                logprobs=tuple((-rng.exponential(1.0, max(n, 1))).tolist()),
                finish_reason="stop",
            )
            for n in lengths
        ]
        samples_list += samples_from_completions(g, completions, rewards).samples
    adv = compute_advantages(samples_list, GRPOConfig(row_len=row_len))
    batch = pack(adv.scored, row_len)
    if batch.num_rows == 0:
        raise BenchError(
            f"no trainable rows: every group of {samples} samples had equal rewards "
            "(try another --seed or more --samples)"
        )
    return batch


# --------------------------------------------------------------------------- model and FLOPs


def build_policy(config: dict[str, Any], row_len: int, device: torch.device, dtype: torch.dtype, lora, seed: int):
    """A :class:`trainers.tune.Policy` with random weights, set up as :func:`trainers.tune.load_policy` does
    (adapters the only trainable parameters under LoRA, each transformer layer activation-checkpointed)."""
    from trainers.tune import random_policy

    policy = random_policy(
        {**config, "initializer_range": INIT_STD}, max_seq_len=row_len, device=device, dtype=dtype, lora=lora, seed=seed
    )
    policy.model.train()
    return policy


def on_policy(policy, pool, config, device: torch.device):
    """``pool`` with every trained token's sampling logprob set to the model's mean logprob of row 0's
    trained targets, so that the importance ratios centre on 1 as in a real (near on-policy) step, and
    that mean. One forward pass without gradient."""
    from dataclasses import replace

    from trainers.loss import batch_logprobs
    from trainers.masks import attention_mask

    row = pool.select_rows([0]).to(device)
    with torch.no_grad():
        logits = policy.forward(row.tokens, attention_mask(row), row.positions)
        lp, _ = batch_logprobs(logits, row, config)
        center = float(lp[row.loss_mask].double().mean())
    del logits, lp
    sampling = torch.where(
        pool.loss_mask, torch.tensor(center, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    )
    return replace(pool, sampling_logprobs=sampling), center


def static_memory_gib(count: ModelCount, adamw: str) -> float:
    """bf16 weights, gradients and the two AdamW moments, plus foreach AdamW's parameter-sized temporary."""
    per_trainable = 2 + 4 + (2 if adamw == "foreach" else 0)
    return (2 * count.total + per_trainable * count.trainable) / 2**30


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Step:
    """One optimizer step: its wall time and what it processed."""

    seconds: float
    rows: int
    row_tokens: int
    real_tokens: int
    trained_tokens: int
    pairs: int
    loss: float
    grad_norm: float


def train_step(policy, optimizer, batch, config, device: torch.device) -> Step:
    """One ``clue train`` optimizer step (:func:`trainers.steps.optimizer_step`, the recipe's own) over
    ``batch``'s rows."""
    from trainers.steps import StepError, optimizer_step

    pairs = attention_pairs(batch.seq_ids, batch.parent_ids)
    t0 = time.perf_counter()
    try:
        result = optimizer_step(policy, optimizer, batch, config, device=device)
    except StepError as err:
        raise BenchError(f"{err} (the random-weight model diverged? try another --seed)") from None
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return Step(
        seconds=time.perf_counter() - t0,
        rows=batch.num_rows,
        row_tokens=batch.num_rows * batch.row_len,
        real_tokens=batch.num_tokens,
        trained_tokens=batch.num_trained_tokens,
        pairs=pairs,
        loss=result.metrics.loss,
        grad_norm=result.grad_norm,
    )


def _compiled_graphs() -> int:
    try:
        from torch._dynamo.utils import counters

        return int(counters["stats"]["unique_graphs"])
    except Exception:  # a torch without the counter: reported as 0
        return 0


def _device(args) -> torch.device:
    if args.device == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise BenchError(
            "no CUDA device (torch.cuda.is_available() is False); run on a GPU machine, "
            "or pass --device cpu --shape tiny --row-len 512 for a CPU run"
        )
    return torch.device("cuda", torch.cuda.current_device())


def _import_torchtune(device: torch.device) -> str:
    try:
        import torchtune
        from torchtune.utils._import_guard import _SUPPORTS_FLEX_ATTENTION
    except Exception as err:  # ImportError, or a dependency of another version failing as it loads
        raise BenchError(
            f"torchtune is not importable ({type(err).__name__}: {err}); install these wheels (--no-deps): "
            f"{TORCHTUNE_WHEELS}"
        ) from None
    if device.type == "cuda" and not _SUPPORTS_FLEX_ATTENTION:
        raise BenchError("torchtune finds no FlexAttention on this GPU (it needs compute capability >= 7.5)")
    return torchtune.__version__


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def _fmt_count(n: int) -> str:
    return f"{n / 1e9:.3f}B" if n >= 1e9 else f"{n / 1e6:.3f}M"


def run(args, start: float) -> list[str]:
    """The benchmark; ``start`` is when the run began (``--max-seconds`` counts from it)."""
    device = _device(args)
    tt_version = _import_torchtune(device)
    if args.threads:
        torch.set_num_threads(args.threads)
    from trainers import GRPOConfig
    from trainers.tune import LoraSettings

    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32}.get(
        args.dtype, torch.bfloat16 if device.type == "cuda" else torch.float32
    )
    shape = SHAPES[args.shape]
    config = GRPOConfig(row_len=args.row_len)
    lora = LoraSettings(rank=args.lora_rank, alpha=2.0 * args.lora_rank) if args.mode == "lora" else None

    _common.ERR.print(f"packing the row pool ({args.tasks} tasks x {args.samples} samples) ...")
    pool = make_rows(shape["vocab_size"], args.row_len, args.tasks, args.samples, args.seed)

    count = count_model(_meta_model(shape, args.row_len, lora), shape)
    gpu_total = torch.cuda.get_device_properties(device).total_memory / 2**30 if device.type == "cuda" else None
    need = static_memory_gib(count, args.adamw)
    if gpu_total is not None and need > 0.97 * gpu_total:
        raise BenchError(
            f"{SHAPE_LABELS[args.shape]} --mode {args.mode} needs {need:.0f} GiB for weights, gradients and AdamW "
            f"state ({args.adamw}) alone; the GPU has {gpu_total:.0f} GiB: use --mode lora, --adamw fused or a "
            "smaller --shape"
        )

    _common.ERR.print(f"building {SHAPE_LABELS[args.shape]} ({_fmt_count(count.total)} parameters) on {device} ...")
    policy = build_policy(shape, args.row_len, device, dtype, lora, args.seed)
    optimizer = torch.optim.AdamW(
        policy.trainable_parameters(),
        lr=config.learning_rate,
        betas=(config.adam_beta1, config.adam_beta2),
        weight_decay=config.weight_decay,
        foreach=args.adamw == "foreach",
        fused=args.adamw == "fused",
    )
    pool, center = on_policy(policy, pool, config, device)
    state_dtype = str(dtype).removeprefix("torch.")
    block_sparsity = None
    if device.type == "cuda":
        from trainers.masks import block_mask

        first = pool.select_rows([0]).to(device)
        block_sparsity = float(block_mask(first.seq_ids, first.parent_ids).sparsity())
        torch.cuda.reset_peak_memory_stats(device)

    def rows_for(k: int):
        return pool.select_rows([(k * args.rows_per_step + j) % pool.num_rows for j in range(args.rows_per_step)])

    deadline = start + args.max_seconds
    steps: list[Step] = []
    warm: list[Step] = []
    k = 0
    try:
        for _ in range(args.warmup):
            warm.append(train_step(policy, optimizer, rows_for(k), config, device))
            k += 1
            _common.ERR.print(f"warm-up step {len(warm)}: {warm[-1].seconds:.1f} s")
        graphs_after_warmup = _compiled_graphs()
        while True:
            steps.append(train_step(policy, optimizer, rows_for(k), config, device))
            k += 1
            s = steps[-1]
            _common.ERR.print(
                f"step {len(steps)}: {s.rows} rows in {s.seconds:.2f} s, {s.row_tokens / s.seconds:,.0f} row tokens/s, "
                f"loss {s.loss:.4g}, gradient norm {s.grad_norm:.3g}"
            )
            if (args.steps and len(steps) >= args.steps) or time.perf_counter() + s.seconds > deadline:
                break
    except torch.OutOfMemoryError:
        peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
        raise BenchError(
            f"out of memory ({peak:.1f} GiB allocated at peak) with {SHAPE_LABELS[args.shape]} --mode {args.mode}, "
            f"--row-len {args.row_len}: use --mode lora, --adamw fused, a shorter --row-len or a smaller --shape"
        ) from None
    graphs_timed = _compiled_graphs() - graphs_after_warmup
    wall = time.perf_counter() - start

    seconds = sum(s.seconds for s in steps)
    row_tok = sum(s.row_tokens for s in steps)
    real_tok = sum(s.real_tokens for s in steps)
    trained_tok = sum(s.trained_tokens for s in steps)
    pairs = sum(s.pairs for s in steps)
    dense = count.dense_flops_per_token * real_tok
    attn = attention_flops_per_pair(shape) * pairs
    tflops = (dense + attn) / seconds / 1e12
    peak, peak_source = peak_tflops(device, args.peak_tflops)
    rates = {"row": row_tok / seconds, "real": real_tok / seconds, "trained": trained_tok / seconds}

    mode = f"LoRA rank {lora.rank} (alpha {lora.alpha:g}, attention + MLP)" if lora else "full fine-tune (every weight)"
    if device.type == "cuda":
        where = f"{torch.cuda.get_device_name(device)} ({gpu_total:.0f} GiB), CUDA {torch.version.cuda}"
        attention = (
            f"FlexAttention BlockMask (128-token blocks; {block_sparsity:.0f}% of the first row's blocks skipped)"
        )
    else:
        where = f"CPU, {torch.get_num_threads()} torch thread(s)"
        attention = "dense [rows, S, S] mask + SDPA (the CPU path)"
    lines = [
        f"GRPO packed training throughput: {SHAPE_LABELS[args.shape]} shape, random weights, {mode}, "
        f"{state_dtype}, activation checkpointing",
        f"device: {where}; attention: {attention}",
        f"model: {_fmt_count(count.total)} parameters (N(0, {INIT_STD:g}) weights), "
        f"{_fmt_count(count.trainable)} trainable; AdamW (torch, {args.adamw}) with its moments in {state_dtype}",
        f"rows: {args.row_len:,} tokens, {args.rows_per_step} per optimizer step (micro-batches of "
        f"{config.micro_batch_rows}); pool of {pool.num_rows} rows from {args.tasks} tasks x {args.samples} samples "
        f"(profile x{args.row_len / PROFILE_ROW:g}: prompts 1,000-1,400, answers log-uniform 500-8,000; "
        f"seed {args.seed})",
        f"warm-up: {len(warm)} step(s), {sum(s.seconds for s in warm):.1f} s"
        f"{' (FlexAttention compile included)' if device.type == 'cuda' else ''}; "
        f"timed: {len(steps)} steps, {seconds:.1f} s; whole run {wall:.0f} s (--max-seconds {args.max_seconds:g})",
        f"sampling logprobs: {center:.3f} on every trained token (the model's mean on row 0, so ratios centre "
        f"on 1); timed steps' loss {statistics.fmean(s.loss for s in steps):.4g}, gradient norm "
        f"{statistics.median(s.grad_norm for s in steps):.3g} (median)",
        "",
    ]
    table = [
        ("row tokens/s/GPU (rows x row length, padding included)", _fmt_rate(rates["row"])),
        ("non-padding tokens/s/GPU", _fmt_rate(rates["real"])),
        (
            "trained tokens/s/GPU (sampled tokens with a loss; clue train logs trained_tokens_per_s)",
            _fmt_rate(rates["trained"]),
        ),
        (
            "seconds per row (median step / rows)",
            f"{statistics.median(s.seconds for s in steps) / args.rows_per_step:.3f}",
        ),
        ("model TFLOP/s (dense 6N/4N per token + allowed attention pairs)", f"{tflops:,.4g}"),
        ("  attention share of the model FLOPs", f"{attn / (dense + attn):.1%}"),
        (
            f"MFU (of {peak:g} TFLOP/s, {peak_source}; clue train logs mfu)" if peak else f"MFU ({peak_source})",
            f"{tflops / peak:.1%}" if peak else "n/a",
        ),
    ]
    if device.type == "cuda":
        table += [
            (
                "peak GPU memory allocated / reserved (GiB)",
                f"{torch.cuda.max_memory_allocated(device) / 2**30:.1f} / "
                f"{torch.cuda.max_memory_reserved(device) / 2**30:.1f}",
            ),
            ("graphs compiled during the timed steps (0: no recompiles)", str(graphs_timed)),
        ]
    else:
        table.append(
            ("peak process memory (RSS, GiB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f}")
        )
    width = max(len(label) for label, _ in table) + 2
    header = f"{'figure':<{width}}{'value':>14}"
    lines += [header, "-" * len(header)]
    lines += [f"{label:<{width}}{value:>14}" for label, value in table]
    low, high = STUDY_TOKENS_PER_S
    lines.append("")
    same_size = args.shape in ("14b", "32b")
    lines.append(
        f"study: {low:,.0f}-{high:,.0f} training tokens/s/GPU (14B/32B); ours / study: "
        f"{rates['row'] / high:.2f}-{rates['row'] / low:.2f}x (row tokens), "
        f"{rates['trained'] / high:.2f}-{rates['trained'] / low:.2f}x (trained tokens)"
        + ("" if same_size else f" -- not the same size: this run is {SHAPE_LABELS[args.shape]}")
    )
    if same_size:
        goal = GOAL_RATIO * high
        verdict = ", ".join(
            f"{'met' if rates[key] >= goal else 'not met'} in {what}"
            for key, what in (("row", "row tokens"), ("trained", "trained tokens"))
        )
        lines.append(f"goal >= {GOAL_RATIO:g}x the study's {high:,.0f} at the same size (>= {goal:,.0f}/s): {verdict}")
    versions = f"torch {torch.__version__}, torchtune {tt_version}, numpy {np.__version__}"
    lines += ["", *_common.machine_facts(versions)]
    return lines


def _meta_model(shape: dict[str, Any], row_len: int, lora):
    """The model on the meta device (no memory), LoRA's base frozen: for counting before building."""
    from trainers.tune import build_model

    with torch.device("meta"):
        model = build_model(shape, row_len, lora)
    if lora is not None:
        from trainers.tune import only_adapters_trainable

        only_adapters_trainable(model)
    return model


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    try:
        args = parse_args(argv)
        lines = run(args, start)
    except ValueError as err:  # BenchError, and the trainer's own input errors (each a ValueError with a message)
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except torch.OutOfMemoryError:  # building the model or its first forward pass (the steps report their own)
        print(
            f"{PROG}: error: out of memory before training (the model or its first forward pass): "
            "use --mode lora, a shorter --row-len or a smaller --shape",
            file=sys.stderr,
        )
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
