"""The recipe's processes: one, or the ``torchrun`` group this one belongs to (gloo on CPUs, NCCL on
GPUs); rank 0 owns the engine and the files and broadcasts what the others need."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Processes:
    rank: int
    world_size: int
    local_rank: int

    @property
    def main(self) -> bool:
        return self.rank == 0


def start_processes() -> Processes:
    """One process, or the ``torchrun`` group this one belongs to (gloo on CPUs, NCCL on GPUs)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Processes(0, 1, 0)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return Processes(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def broadcast(value: Any, procs: Processes) -> Any:
    """Rank 0's ``value`` on every rank (pickled; itself in a single process)."""
    if procs.world_size == 1:
        return value
    box = [value if procs.main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]
