"""Shared by the trainer tests: a tiny torchtune Qwen2, a hand-built packing scenario, and the
unpacked reference loss (one sample at a time, written out here independently of trainers.loss).
"""

from __future__ import annotations

import random

import torch

from trainers import (
    GRPOConfig,
    PackedBatch,
    Sample,
    ScoredSample,
    Segment,
    attention_mask,
    batch_logprobs,
    compute_advantages,
    grpo_loss,
    pack,
)

VOCAB = 97
#: Row length of the scenario: small enough to force every packing case listed in scenario().
ROW_LEN = 48


def tiny_qwen2(seed: int = 0, dtype: torch.dtype = torch.float64):
    """A 2-layer torchtune Qwen2 (head_dim 64), random weights from ``seed``."""
    from torchtune.models.qwen2 import qwen2

    torch.manual_seed(seed)
    model = qwen2(
        vocab_size=VOCAB,
        num_layers=2,
        num_heads=2,
        num_kv_heads=2,
        embed_dim=128,
        intermediate_dim=256,
        max_seq_len=128,
    )
    return model.to(dtype)


class Policy:
    """What the recipe's policy offers a training step: forward(tokens, mask, positions), trainable_parameters(), model."""

    def __init__(self, model) -> None:
        self.model = model

    def forward(self, tokens, mask, positions):
        return self.model(tokens, mask=mask, input_pos=positions)

    def trainable_parameters(self):
        return [p for p in self.model.parameters() if p.requires_grad]


class NaNPolicy(Policy):
    """A policy whose logits are all NaN."""

    def forward(self, tokens, mask, positions):
        return super().forward(tokens, mask, positions) * float("nan")


def _ids(rng: random.Random, n: int) -> list[int]:
    return [rng.randrange(VOCAB) for _ in range(n)]


def scenario_samples(seed: int = 0) -> list[Sample]:
    """Four tasks (placeholder logprobs): one splits across rows (prompt 12 tokens, 4 answers), one has a
    multi-segment sample (sampled, environment reply, sampled; one sampled token without a logprob), one
    has a one-token prompt (no stem), and rows share several groups and end in padding at ROW_LEN."""
    rng = random.Random(seed)
    out: list[Sample] = []

    def add(group: int, prompt: list[int], answers: list[list[Segment]], rewards: list[float]) -> None:
        for segs, r in zip(answers, rewards):
            out.append(Sample((Segment.context(prompt), *segs), reward=r, group=group))

    def sampled(n: int) -> Segment:
        return Segment.sampled(_ids(rng, n), [-1.0] * n)

    add(0, _ids(rng, 12), [[sampled(n)] for n in (14, 9, 11, 6)], [1.0, 0.0, 0.5, 0.25])
    add(1, _ids(rng, 6), [[sampled(n)] for n in (5, 8, 4)], [0.0, 1.0, 1.0])
    multi = [
        Segment.sampled(_ids(rng, 4), [-1.0, None, -1.0, -1.0]),
        Segment.context(_ids(rng, 3)),
        Segment.sampled(_ids(rng, 5), [-1.0] * 5),
    ]
    add(2, _ids(rng, 9), [multi, [sampled(6)]], [0.75, 0.0])
    add(3, _ids(rng, 1), [[sampled(n)] for n in (3, 5)], [0.0, 1.0])
    return out


def per_sample_logprobs(model, sample: Sample) -> torch.Tensor:
    """Logprob of each token of the sample given the ones before it (index 0: 0), unpacked, plain causal."""
    ids = torch.tensor([sample.token_ids])
    logits = model(ids)[0].to(torch.float64)
    lp = torch.log_softmax(logits[:-1], dim=-1).gather(1, ids[0, 1:, None]).squeeze(1)
    return torch.cat([torch.zeros(1, dtype=lp.dtype), lp])


def with_logprobs(samples: list[Sample], model, noise: float, seed: int) -> list[Sample]:
    """The samples with sampling logprobs = the model's own logprobs + Gaussian noise (so ratios vary and
    some clip on both sides); tokens that had no logprob keep none."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for s in samples:
        with torch.no_grad():
            lp = per_sample_logprobs(model, s)
        at, segs = 0, []
        for seg in s.segments:
            n = len(seg.token_ids)
            if seg.is_sampled:
                vals = (lp[at : at + n] + noise * torch.randn(n, generator=gen, dtype=torch.float64)).tolist()
                segs.append(
                    Segment.sampled(
                        seg.token_ids, [v if old is not None else None for v, old in zip(vals, seg.logprobs)]
                    )
                )
            else:
                segs.append(seg)
            at += n
        out.append(Sample(tuple(segs), reward=s.reward, group=s.group, truncated=s.truncated))
    return out


def reference_loss(
    model, scored: list[ScoredSample], config: GRPOConfig, normalizer: float, ref_model=None
) -> torch.Tensor:
    """The GRPO loss computed one sample at a time on unpacked sequences, straight from the formula."""
    total = torch.zeros((), dtype=torch.float64)
    for item in scored:
        s = item.sample
        trained = torch.tensor(s.trained_mask())
        old = torch.tensor(s.sampling_logprobs(), dtype=torch.float64)[trained]
        lp = per_sample_logprobs(model, s)[trained]
        ratio = torch.exp(lp - old)
        a = item.advantage
        per_token = -torch.minimum(ratio * a, torch.clamp(ratio, 1 - config.epsilon_low, 1 + config.epsilon_high) * a)
        if config.kl_coef > 0:
            with torch.no_grad():
                ref = per_sample_logprobs(ref_model, s)[trained]
            per_token = per_token + config.kl_coef * (torch.exp(ref - lp) - (ref - lp) - 1)
        weight = 1.0 if config.loss_normalization == "token" else 1.0 / int(trained.sum())
        total = total + per_token.sum() * weight
    return total / normalizer


def packed_loss(
    model,
    batch: PackedBatch,
    config: GRPOConfig,
    normalizer: float,
    *,
    rows_per_micro: int | None = None,
    world_size: int = 1,
    ref_model=None,
):
    """Run the packed loss over ``batch`` in micro-batches, calling backward on each; return (loss sum, metrics)."""
    total, metrics = 0.0, None
    for mb in batch.micro_batches(rows_per_micro or batch.num_rows):
        mask = attention_mask(mb, "dense")
        logits = model(mb.tokens, mask=mask, input_pos=mb.positions)
        lp, ent = batch_logprobs(logits, mb, config, entropy=True)
        ref = None
        if ref_model is not None:
            with torch.no_grad():
                ref = batch_logprobs(ref_model(mb.tokens, mask=mask, input_pos=mb.positions), mb, config)[0]
        loss, m = grpo_loss(lp, mb, config, normalizer=normalizer, world_size=world_size, ref_logprobs=ref, entropy=ent)
        loss.backward()
        total += loss.item()
        metrics = m if metrics is None else metrics + m
    return total, metrics


def scenario(config: GRPOConfig, model, seeds: tuple[int, ...] = (0,)) -> tuple[list[ScoredSample], PackedBatch]:
    """The scenario's samples for each seed (tasks of seed k numbered 10k..10k+3; logprobs from ``model`` + noise),
    their advantages and their packed batch (3 rows per seed)."""
    samples = []
    for seed in seeds:
        for s in with_logprobs(scenario_samples(seed), model, noise=0.3, seed=seed):
            samples.append(Sample(s.segments, reward=s.reward, group=10 * seed + s.group, truncated=s.truncated))
    adv = compute_advantages(samples, config)
    return list(adv.scored), pack(adv.scored, ROW_LEN)


def ddp_worker(rank: int, world_size: int, init_file: str, out_path: str, configs: list[dict]) -> None:
    """One rank of the gloo test: for each config, the same iteration packed on every rank, this rank's shard
    of rows through DistributedDataParallel (which averages gradients), each rank's loss scaled by world_size
    over the global count. Rank 0 saves, per config, the gradients, the summed loss and tokens, its rows."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        results = []
        for config_kwargs in configs:
            config = GRPOConfig(**config_kwargs)
            model = tiny_qwen2()
            _, batch = scenario(config, model, seeds=(0, 1))
            normalizer = batch.normalizer(config.loss_normalization)
            ddp = DistributedDataParallel(model)
            shard = batch.shard(rank, world_size)
            _, metrics = packed_loss(ddp, shard, config, normalizer, world_size=world_size)
            total = metrics.all_reduce()
            results.append({"grads": grads(model), "loss": total.loss, "tokens": total.tokens, "rows": shard.num_rows})
        if rank == 0:
            torch.save(results, out_path)
    finally:
        dist.destroy_process_group()


def grads(model) -> dict[str, torch.Tensor]:
    """Each parameter's gradient (copies), by name."""
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
