"""Training presets: the settings ``clue train --agent NAME`` starts from, and what each needs.

A preset is named like the agent it trains (``agents.presets``); a config file and ``--set``
overrides go on top. ``qwen14b``/``qwen32b`` are the published study's recipe (OpenPipe, March
2025: 32 tasks x 50 samples, lr 6e-6, clip 0.2, no KL, 16k-token rows); ``tiny`` trains the
tiny base model on the CPU in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrainPreset:
    name: str
    description: str
    settings: dict[str, Any]
    #: GPUs the preset needs (0: runs on the CPU) and the memory each needs, for the up-front check.
    min_gpus: int = 0
    gpu_memory_gib: float = 0.0
    #: Where the trainer and vLLM run, in words (README and ``clue train --help``).
    placement: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


STUDY = {
    "tasks_per_iteration": 32,
    "samples_per_task": 50,
    "learning_rate": 6e-6,
    "epsilon_low": 0.2,
    "epsilon_high": 0.2,
    "kl_coef": 0.0,
    "row_len": 16384,
    "max_new_tokens": 8192,
    "variant": "temporal",
    "difficulty": "benchmark",
    "temperature": 1.0,
    "rollout_concurrency": 64,
    "activation_checkpointing": True,
    "val_every": 5,
    "val_tasks": 64,
    # A 14B checkpoint is ~90 GB (bf16 weights, 29 GB, and AdamW's two bf16 moments): write one
    # every 5 iterations (and at each new best); a resumed run redoes at most 4.
    "save_every": 5,
}

PRESETS: dict[str, TrainPreset] = {
    "qwen14b": TrainPreset(
        "qwen14b",
        "Qwen2.5-14B-Instruct, the study's recipe (full fine-tune, 4 rows of 16k tokens per micro-batch)",
        {**STUDY, "agent": "qwen14b", "micro_batch_rows": 4, "agent_args": {"gpu_memory_utilization": "0.3"}},
        min_gpus=2,
        gpu_memory_gib=80,
        placement=(
            "torchrun, one trainer rank per GPU (FSDP2 over all of them); vLLM on rank 0's GPU beside its "
            "trainer rank (gpu_memory_utilization 0.3, asleep while the trainer steps). 2x80 GB full fine-tune; "
            "with lora_rank=16 it fits one 80 GB GPU"
        ),
    ),
    "qwen32b": TrainPreset(
        "qwen32b",
        "Qwen2.5-32B-Instruct, the study's recipe (full fine-tune, 8 rows of 16k tokens per micro-batch)",
        {
            **STUDY,
            "agent": "qwen32b",
            "micro_batch_rows": 8,
            "agent_args": {"gpu_memory_utilization": "0.35", "tensor_parallel_size": "2"},
        },
        min_gpus=4,
        gpu_memory_gib=80,
        placement=(
            "torchrun, one trainer rank per GPU (FSDP2 over all of them); vLLM on rank 0 with "
            "tensor_parallel_size 2 (agent_args), asleep while the "
            "trainer steps. 4x80 GB full fine-tune; with lora_rank=16, 2x80 GB"
        ),
    ),
    "tiny": TrainPreset(
        "tiny",
        "the tiny base model on tiny/cpu puzzles, on the CPU: learns visibly in minutes",
        {
            "agent": "tiny",
            "variant": "tiny",
            "difficulty": "cpu",
            "tasks_per_iteration": 8,
            "samples_per_task": 8,
            "iterations": 150,
            # two optimizer steps per iteration (half the groups each): the best of a sweep here (README)
            "optimizer_steps_per_iteration": 2,
            "learning_rate": 5e-4,
            "adam_beta2": 0.99,
            "max_new_tokens": 24,
            "truncation": "penalize",
            "row_len": 1024,
            "micro_batch_rows": 4,
            "rollout_concurrency": 8,
            "val_tasks": 64,
            "val_every": 15,
            "dtype": "float32",
            # with curriculum=adaptive: the tiny base answers tiny/cpu at a pass rate of ~0.3 when sampling,
            # and no better on the smaller rungs (they are new to it), so the band sits around that
            "curriculum_target": 0.4,
            "curriculum_band": 0.1,
        },
        placement="one process on the CPU: vLLM's CPU build in the same process, torchtune training in float32",
    ),
}


def get_train_preset(name: str) -> TrainPreset | None:
    """The preset of agent ``name`` (None: the agent has none; the study's defaults apply)."""
    return PRESETS.get(name)
