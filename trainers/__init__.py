"""GRPO: the math as plain tensor code (samples, advantages, packing, masks, loss) and the ``clue train``
recipe on it (``trainers.grpo``; torchtune only behind ``trainers.tune``); supervised fine-tuning on
``clue eval`` episodes on the same parts (``trainers.sft``: ``clue train --trainer sft``).

The math modules import neither vLLM nor torchtune, so any trainer plugin can build on them::

    from trainers import GRPOConfig, samples_from_completions, compute_advantages, pack
    from trainers import attention_mask, batch_logprobs, grpo_loss

    config = GRPOConfig()
    samples = [s for task_id, completions, rewards in episodes
               for s in samples_from_completions(task_id, completions, rewards).samples]
    adv = compute_advantages(samples, config)           # drops flat groups, reports how many
    batch = pack(adv.scored, config.row_len)            # shared prompts stored once per row
    norm = batch.normalizer(config.loss_normalization)  # the whole iteration, before micro-batching
    for mb in batch.shard(rank, world_size).micro_batches(1):
        mb = mb.to(device)
        logits = model(mb.tokens, mask=attention_mask(mb), input_pos=mb.positions)
        logprobs, entropy = batch_logprobs(logits, mb, config, entropy=True)
        loss, metrics = grpo_loss(logprobs, mb, config, normalizer=norm, world_size=world_size, entropy=entropy)
        loss.backward()

Names are imported on first use (PEP 562): ``import trainers.spec`` (``clue list``) needs no torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Advantages": "trainers.advantages",
    "ConfigError": "trainers.config",
    "GRPOConfig": "trainers.config",
    "GRPORecipe": "trainers.grpo",
    "GroupSamples": "trainers.samples",
    "LossInputError": "trainers.loss",
    "LossMetrics": "trainers.loss",
    "MaskError": "trainers.masks",
    "PRESETS": "trainers.presets",
    "PackedBatch": "trainers.packing",
    "PackingError": "trainers.packing",
    "Sample": "trainers.samples",
    "SampleError": "trainers.samples",
    "ScoredSample": "trainers.advantages",
    "Segment": "trainers.samples",
    "SyncRecord": "trainers.weight_sync",
    "WeightSync": "trainers.weight_sync",
    "WeightTarget": "trainers.weight_sync",
    "local_tensors": "trainers.weight_sync",
    "SkippedCompletion": "trainers.samples",
    "TRAINERS": "trainers.spec",
    "TrainError": "trainers.grpo",
    "TrainPreset": "trainers.presets",
    "TrainRequest": "trainers.spec",
    "TrainerSpec": "trainers.spec",
    "allowed": "trainers.masks",
    "attention_mask": "trainers.masks",
    "batch_logprobs": "trainers.loss",
    "block_mask": "trainers.masks",
    "compute_advantages": "trainers.advantages",
    "dense_mask": "trainers.masks",
    "get_trainer": "trainers.spec",
    "grpo_loss": "trainers.loss",
    "mask_mod": "trainers.masks",
    "pack": "trainers.packing",
    "sample_from_turns": "trainers.samples",
    "samples_from_completions": "trainers.samples",
    "token_logprobs": "trainers.loss",
    "token_logprobs_and_entropy": "trainers.loss",
    "trainers": "trainers.spec",
    "SFTConfig": "trainers.sft_config",
    "SFTData": "trainers.sft_steps",
    "SFTDisplay": "trainers.display",
    "SFTError": "trainers.sft",
    "SFTRecipe": "trainers.sft",
    "Settings": "trainers.config",
    "Trace": "trainers.traces",
    "TraceError": "trainers.traces",
    "TraceFilter": "trainers.traces",
    "TraceSet": "trainers.traces",
    "TraceSplit": "trainers.traces",
    "as_model_text": "trainers.sft_data",
    "mean_token_loss": "trainers.sft_steps",
    "prepare_data": "trainers.sft_steps",
    "read_traces": "trainers.traces",
    "select": "trainers.traces",
    "sft_loss": "trainers.sft_steps",
    "sft_samples": "trainers.sft_data",
    "sft_step": "trainers.sft_steps",
    "step_indices": "trainers.sft_steps",
    "trace_sample": "trainers.sft_data",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trainers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
