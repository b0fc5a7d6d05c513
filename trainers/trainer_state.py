"""What every ``clue train`` recipe (``grpo``, ``sft``) does the same way with its policy and its checkpoints.

* :func:`training_device`, :func:`training_dtype` -- where and in what the policy trains;
* :func:`adapter_state` -- the LoRA adapters' tensors, saved beside the optimizer state;
* :func:`trainer_state` -- the state a checkpoint holds (``state/trainer.pt``): the iteration, AdamW's
  state, the RNG, the best validation figure, the iteration's metrics record, the adapters, and
  whatever the recipe adds;
* :func:`load_latest` -- that state from the run's ``latest`` checkpoint, its files verified first;
* :func:`restore_training` -- the adapters, AdamW's state and the RNG put back;
* :func:`resume_hint` -- the sentence naming the last good checkpoint and the command that continues.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from trainers.run_dir import STATE, RunDir, verify_checkpoint


def training_device(local_rank: int) -> torch.device:
    """This rank's GPU (made the current one), or the CPU."""
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def training_dtype(name: str, device: torch.device) -> torch.dtype:
    """``float32``/``bfloat16`` as named; ``auto``: bfloat16 on CUDA, float32 elsewhere."""
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}.get(
        name, torch.bfloat16 if device.type == "cuda" else torch.float32
    )


def adapter_state(policy, lora_rank: int) -> dict | None:
    """The LoRA adapters' tensors on the CPU (None for a full fine-tune)."""
    if not lora_rank:
        return None
    return {k: v.detach().cpu() for k, v in policy.model.state_dict().items() if "lora" in k}


def trainer_state(
    iteration: int, optimizer_state: dict, best_val: float | None, record: dict[str, Any], adapter: dict | None, **more
) -> dict[str, Any]:
    """A checkpoint's trainer state, the RNG taken now; ``more``: the recipe's own entries."""
    return {
        "iteration": iteration,
        "optimizer": optimizer_state,
        "rng": {"python": random.getstate(), "torch": torch.get_rng_state()},
        "best_val": best_val,
        "record": record,
        "adapter": adapter,
        **more,
    }


def load_latest(run_dir: RunDir | None) -> dict | None:
    """The trainer state of ``latest`` (with ``checkpoint``: its folder), or None before the first
    checkpoint. A file cut short or damaged is named now, not met as a torch or safetensors error."""
    latest = run_dir.latest() if run_dir else None
    if latest is None:
        return None
    verify_checkpoint(latest)
    state = torch.load(latest / STATE, map_location="cpu", weights_only=False)
    state["checkpoint"] = str(latest)
    return state


def restore_training(policy, optimizer, state: dict) -> None:
    """The adapters (if saved), AdamW's state and the RNG of ``state``."""
    if state.get("adapter"):
        policy.model.load_state_dict(state["adapter"], strict=False)
    policy.load_optimizer_state_dict(optimizer, state["optimizer"])
    random.setstate(state["rng"]["python"])
    torch.set_rng_state(state["rng"]["torch"])


def resume_hint(run_dir: RunDir | None, command: str) -> str:
    """Where a ``--resume`` starts (``command``: the one that continues, e.g. ``clue train --resume --out DIR``)."""
    latest = run_dir.latest() if run_dir else None
    if latest is None:
        return "no checkpoint was written yet"
    return f"the last good checkpoint is {latest} (`{command}` continues from it)"
