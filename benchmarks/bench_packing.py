"""Packing efficiency and speed of the GRPO core (trainers/): ``python benchmarks/bench_packing.py``.

The study's length profile, seeded: ``--tasks`` 32 tasks x ``--samples`` 50 samples, prompts
uniform in 1,000-1,400 tokens (one per task, shared by its samples), answers log-uniform in
500-8,000 tokens, rows of ``--row-len`` 16,384 tokens. Samples are built through the trainer's
own path (``agents.base.Completion`` -> ``samples_from_completions`` -> ``compute_advantages``
-> ``pack``). Rows and tokens processed per iteration (tokens = rows x row length, padding
included) for:

(a) padding every sample (prompt + answer) to the longest, one sample per row;
(b) packing without prompt sharing: every sample carries its own prompt (the same packer, given
    a distinct prompt per sample);
(c) the limit: the unique tokens (each prompt once, each answer once), in ceil(unique / row) rows;
(d) a lower bound for any packer that stores a prompt in every row where its samples are (rows
    are separate sequences): each task needs at least ceil(its span tokens / (row - stem)) stems;
ours: :func:`trainers.pack` (one stem per task per row, one extra token per sample).

Efficiency = unique tokens (c) / tokens processed. Also measured: the time of each step of
building the batch, the mask build for one row (dense ``[1, S, S]`` on the CPU; the FlexAttention
``BlockMask`` on the CPU, and on CUDA where there is one), and the packed loss forward + backward
(tiny torchtune Qwen2 of the repo's tiny-model shape: hidden 128, 2 layers, 2 heads,
intermediate 256, vocab 1,027; float32; dense mask + SDPA) in tokens/s on the CPU, on the same
profile scaled by ``--loss-scale`` (1/4: prompts 250-350, answers 125-2,000, rows of 4,096)
since a 16k dense mask and its attention matrices do not fit a small CPU job. Times are wall
clock (median of ``--repeats``) and noisy when other work shares the CPUs; the table goes to
stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _common
import numpy as np
import torch
from _common import progress

from agents.base import Completion
from trainers import (
    GRPOConfig,
    attention_mask,
    batch_logprobs,
    block_mask,
    compute_advantages,
    dense_mask,
    grpo_loss,
    pack,
    samples_from_completions,
)

VOCAB = 1027


def profile(tasks: int, samples: int, seed: int, scale: float = 1.0):
    """Per task: (prompt ids, [answer lengths], [rewards]); lengths of the study's profile times ``scale``."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(tasks):
        p = int(rng.integers(round(1000 * scale), round(1400 * scale) + 1))
        prompt = rng.integers(0, VOCAB, p).tolist()
        lengths = np.exp(rng.uniform(math.log(500 * scale), math.log(8000 * scale), samples)).astype(int).tolist()
        rewards = (rng.integers(0, 7, samples) / 6).tolist()
        out.append((prompt, lengths, rewards))
    return out


def completions_for(prompt: list[int], lengths: list[int], rng: np.random.Generator) -> list[Completion]:
    return [
        Completion(
            text="",
            prompt_token_ids=tuple(prompt),
            token_ids=tuple(rng.integers(0, VOCAB, n).tolist()),
            logprobs=tuple((-rng.exponential(1.0, n)).tolist()),
            finish_reason="stop",
        )
        for n in lengths
    ]


def build(tasks, config: GRPOConfig, seed: int, share: bool = True):
    """samples -> advantages -> packed batch, timing each step."""
    rng = np.random.default_rng(seed + 1)
    times = {}
    groups = []
    for g, (prompt, lengths, rewards) in enumerate(tasks):
        groups.append((g, completions_for(prompt, lengths, rng), rewards))
    t0 = time.perf_counter()
    samples = [s for g, cs, rs in groups for s in samples_from_completions(g, cs, rs).samples]
    times["samples_from_completions"] = time.perf_counter() - t0
    if not share:  # a distinct prompt per sample: change its first token to a per-sample id beyond the vocab
        from trainers import Sample, Segment

        samples = [
            Sample((Segment.context((VOCAB + i, *s.prompt[1:])), *s.segments[1:]), s.reward, s.group)
            for i, s in enumerate(samples)
        ]
    t0 = time.perf_counter()
    adv = compute_advantages(samples, config)
    times["compute_advantages"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    batch = pack(adv.scored, config.row_len)
    times["pack"] = time.perf_counter() - t0
    return samples, adv, batch, times


def lower_bound_rows(tasks, row: int) -> int:
    need = 0
    for prompt, lengths, _ in tasks:
        stem = len(prompt) - 1
        span = sum(n + 1 for n in lengths)
        need += span + math.ceil(span / (row - stem)) * stem
    return math.ceil(need / row)


def timed(fn, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def tiny_model():
    from torchtune.models.qwen2 import qwen2

    torch.manual_seed(0)
    return qwen2(
        vocab_size=VOCAB,
        num_layers=2,
        num_heads=2,
        num_kv_heads=2,
        embed_dim=128,
        intermediate_dim=256,
        max_seq_len=32768,
        tie_word_embeddings=True,
    )


def loss_throughput(args, config: GRPOConfig) -> dict:
    scale = args.loss_scale
    row = int(args.row_len * scale)
    cfg = GRPOConfig(row_len=row)
    tasks = profile(args.loss_tasks, args.samples, args.seed, scale)
    _, _, batch, _ = build(tasks, cfg, args.seed)
    rows = min(args.loss_rows, batch.num_rows)
    model = tiny_model()
    norm = batch.normalizer("token")

    def step(mb):
        mask = attention_mask(mb, "dense")
        logits = model(mb.tokens, mask=mask, input_pos=mb.positions)
        lp, ent = batch_logprobs(logits, mb, cfg, entropy=True)
        loss, _ = grpo_loss(lp, mb, cfg, normalizer=norm, entropy=ent)
        loss.backward()

    micro = batch.select_rows(range(rows)).micro_batches(1)
    step(micro[0])  # warm-up
    model.zero_grad()
    t0 = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("packed loss forward+backward", total=len(micro))
        for mb in micro:
            step(mb)
            bar.advance(task)
    took = time.perf_counter() - t0
    real = sum(mb.num_tokens for mb in micro)
    return {
        "row": row,
        "rows": rows,
        "seconds": took,
        "tokens": rows * row,
        "real": real,
        "threads": torch.get_num_threads(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=32, help="tasks per iteration (default 32)")
    parser.add_argument("--samples", type=int, default=50, help="samples per task (default 50)")
    parser.add_argument("--row-len", type=int, default=16384, help="tokens per row (default 16384)")
    parser.add_argument("--seed", type=int, default=0, help="profile seed (default 0)")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats, median reported (default 3)")
    parser.add_argument("--loss-scale", type=float, default=0.25, help="length scale of the loss benchmark")
    parser.add_argument("--loss-tasks", type=int, default=4, help="tasks in the loss benchmark (default 4)")
    parser.add_argument("--loss-rows", type=int, default=8, help="rows timed in the loss benchmark (default 8)")
    parser.add_argument("--skip-loss", action="store_true", help="leave out the loss forward+backward timing")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args(argv)
    if args.tasks < 1 or args.samples < 1 or args.row_len < 2048 or args.repeats < 1:
        parser.error("--tasks, --samples, --repeats must be >= 1 and --row-len >= 2048")

    if args.threads:
        torch.set_num_threads(args.threads)
    config = GRPOConfig(row_len=args.row_len)
    tasks = profile(args.tasks, args.samples, args.seed)
    row = args.row_len
    unique = sum(len(p) + sum(ls) for p, ls, _ in tasks)
    longest = max(len(p) + max(ls) for p, ls, _ in tasks)
    n = args.tasks * args.samples
    prompts = [len(p) for p, _, _ in tasks]
    answers = [x for _, ls, _ in tasks for x in ls]

    _common.ERR.print("building the batch ...")
    pack_times = []
    for _ in range(args.repeats):
        samples, adv, ours, times = build(tasks, config, args.seed)
        pack_times.append(times)
    assert adv.dropped_groups == 0 and len(ours.samples) == n and not ours.too_long
    _, _, unshared, _ = build(tasks, config, args.seed, share=False)
    bound = lower_bound_rows(tasks, row)

    lines = [
        f"GRPO packing: {args.tasks} tasks x {args.samples} samples (seed {args.seed}), rows of {row:,} tokens",
        f"prompts {min(prompts)}-{max(prompts)} tokens, answers {min(answers)}-{max(answers)} "
        f"(mean {statistics.fmean(answers):.0f}, log-uniform 500-8000); unique tokens {unique:,}",
        "",
    ]
    header = f"{'layout':<52}{'rows':>7}{'tokens':>13}{'vs (a)':>9}{'efficiency':>12}"
    lines += [header, "-" * len(header)]
    table = [
        ("(a) pad every sample to the longest", n, n * longest),
        ("(b) packed, no prompt sharing", unshared.num_rows, unshared.num_rows * row),
        ("(c) limit: unique tokens", math.ceil(unique / row), unique),
        ("(d) bound: a prompt copy in each row it is used", bound, bound * row),
        ("ours: packed, prompt stored once per row", ours.num_rows, ours.num_rows * row),
    ]
    pad_tokens = n * longest
    for label, rows, tokens in table:
        lines.append(f"{label:<52}{rows:>7,}{tokens:>13,}{tokens / pad_tokens:>8.1%}{unique / tokens:>12.1%}")
    lines.append(
        f"ours: {ours.prompt_copies} prompt copies for {args.tasks} tasks, {ours.num_tokens:,} non-padding tokens "
        f"({ours.num_tokens / (ours.num_rows * row):.1%} of the rows), {ours.num_trained_tokens:,} trained"
    )
    for longer in (2 * row, 4 * row):
        _, _, b, _ = build(tasks, GRPOConfig(row_len=longer), args.seed)
        lines.append(
            f"ours with rows of {longer:,}: {b.num_rows} rows, efficiency {unique / (b.num_rows * longer):.1%} "
            f"(bound {unique / (lower_bound_rows(tasks, longer) * longer):.1%})"
        )

    lines.append("")
    med = {k: statistics.median(t[k] for t in pack_times) for k in pack_times[0]}
    lines.append(
        "batch building (median of {}): samples_from_completions {:.2f} s, compute_advantages {:.3f} s, "
        "pack {:.2f} s".format(args.repeats, med["samples_from_completions"], med["compute_advantages"], med["pack"])
    )
    one = ours.select_rows([0])
    dense_s = timed(lambda: dense_mask(one.seq_ids, one.parent_ids), args.repeats)
    lines.append(f"mask for one {row:,}-token row: dense [1, S, S] bool on CPU {dense_s * 1000:.0f} ms")
    block_mask(one.seq_ids[:, :2048], one.parent_ids[:, :2048])  # warm-up
    block_cpu = timed(lambda: block_mask(one.seq_ids, one.parent_ids), args.repeats)
    lines.append(f"  BlockMask on CPU {block_cpu * 1000:.0f} ms")
    if torch.cuda.is_available():
        cuda = one.to("cuda")
        block_mask(cuda.seq_ids, cuda.parent_ids)
        torch.cuda.synchronize()

        def on_cuda():
            block_mask(cuda.seq_ids, cuda.parent_ids)
            torch.cuda.synchronize()

        lines.append(
            f"  BlockMask on CUDA ({torch.cuda.get_device_name()}) {timed(on_cuda, args.repeats) * 1000:.1f} ms"
        )
    else:
        lines.append("  BlockMask on CUDA: skipped (no CUDA device here)")

    if not args.skip_loss:
        _common.ERR.print("timing the packed loss ...")
        r = loss_throughput(args, config)
        lines.append(
            f"packed loss forward+backward, tiny Qwen2 on CPU ({r['threads']} threads), {r['rows']} rows of "
            f"{r['row']:,} (profile x{args.loss_scale:g}): {r['tokens'] / r['seconds']:,.0f} row tokens/s, "
            f"{r['real'] / r['seconds']:,.0f} non-padding tokens/s ({r['seconds']:.1f} s)"
        )

    import torchtune

    lines += [
        "",
        *_common.machine_facts(f"torch {torch.__version__}, torchtune {torchtune.__version__}, numpy {np.__version__}"),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
