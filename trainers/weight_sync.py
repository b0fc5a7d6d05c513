"""The trainer's side of moving new weights into the running vLLM engine, once per iteration.

The trainer hands over its model state as ``(hf_name, tensor)`` pairs (Hugging Face names, e.g.
``model.layers.0.self_attn.q_proj.weight``; converting from the trainer's own names is the
trainer's business, nothing here imports torchtune). :class:`WeightSync` makes each tensor a
plain local one (``full_tensor()`` of a sharded ``DTensor``, detached from autograd), pushes
the set into the agent in place (:meth:`agents.vllm.VllmAgent.update_weights`: no engine
restart), times it and keeps a record per sync::

    sync = WeightSync(agent, sleep_level=1)    # sleep_level: free the engine's GPU memory while training
    for iteration in range(n):
        rollouts = ...                         # agent.agenerate(...)
        sync.release()                         # engine asleep (if sleep_level), the trainer has the GPU
        train(...)
        sync.push(hf_named_tensors(model), step=iteration)   # wakes the engine with the new weights

``push`` raises what the agent raises: :class:`~agents.vllm.weights.WeightsError` (a ValueError:
names or shapes that do not fit; engine untouched), :class:`~agents.vllm.engine.EngineBusyError`
(requests still in flight; engine untouched) and :class:`~agents.vllm.engine.EngineStateError`
(the load failed part-way: start a new engine from the last checkpoint). Anything with the
agent's ``update_weights``/``sleep`` methods can stand in for the agent.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from agents.vllm.weights import WeightsError, WeightUpdate

log = logging.getLogger(__name__)

__all__ = ["SyncRecord", "WeightSync", "WeightTarget", "local_tensors"]


class WeightTarget(Protocol):
    """What :class:`WeightSync` needs of an agent (the ``vllm`` agent has it)."""

    def update_weights(self, weights: Iterable[tuple[str, Any]]) -> WeightUpdate: ...

    def sleep(self, level: int = 1) -> None: ...


@dataclass(frozen=True)
class SyncRecord:
    """One sync: the trainer's ``step``, wall ``seconds`` from the first tensor to the engine being
    ready (materializing included), how many ``tensors`` and ``bytes``, and the agent's ``route``."""

    step: int | None
    seconds: float
    tensors: int
    bytes: int
    route: str


def local_tensors(weights: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """The pairs with each tensor made local and detached: a sharded tensor (anything with
    ``full_tensor()``, e.g. an FSDP ``DTensor``) is gathered, which is a collective: every rank of
    the trainer must iterate in the same order. Raises :class:`WeightsError` for an item that is
    not a ``(str, tensor)`` pair."""
    for k, item in enumerate(weights):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise WeightsError(f"weight sync: item #{k} is {type(item).__name__}, not a (name, tensor) pair")
        name, tensor = item
        full = getattr(tensor, "full_tensor", None)
        if callable(full):
            tensor = full()
        detach = getattr(tensor, "detach", None)
        if not callable(detach):
            raise WeightsError(f"weight sync: {name!r} is a {type(tensor).__name__}, not a tensor")
        yield name, detach()


class WeightSync:
    """Pushes the trainer's weights into a running engine and keeps a :class:`SyncRecord` per push.

    ``sleep_level``: what :meth:`release` does before training: None (default) keeps the engine
    awake; 0, 1 or 2 put it to sleep at that level (see :meth:`agents.vllm.VllmAgent.sleep`),
    and the next :meth:`push` wakes it.
    """

    def __init__(self, agent: WeightTarget, *, sleep_level: int | None = None) -> None:
        if sleep_level is not None and (isinstance(sleep_level, bool) or sleep_level not in (0, 1, 2)):
            raise ValueError(f"weight sync: sleep_level must be None, 0, 1 or 2, got {sleep_level!r}")
        self.agent = agent
        self.sleep_level = sleep_level
        self.history: list[SyncRecord] = []

    def release(self) -> None:
        """Before training: put the engine to sleep at ``sleep_level`` (nothing when it is None)."""
        if self.sleep_level is not None:
            self.agent.sleep(self.sleep_level)

    def push(self, weights: Iterable[tuple[str, Any]], *, step: int | None = None) -> SyncRecord:
        """Load ``weights`` (every tensor of the model, HF names) into the engine; returns the record."""
        t0 = time.perf_counter()
        pairs = list(local_tensors(weights))
        done = self.agent.update_weights(pairs)
        record = SyncRecord(
            step=step, seconds=time.perf_counter() - t0, tensors=done.tensors, bytes=done.bytes, route=done.route
        )
        self.history.append(record)
        log.info(
            "weight sync%s: %d tensors, %.1f MB via %s in %.3f s",
            "" if step is None else f" (step {step})",
            record.tensors,
            record.bytes / 1e6,
            record.route,
            record.seconds,
        )
        return record

    def summary(self) -> dict[str, Any]:
        """``syncs``, ``total_s``, ``median_s``, ``last_s`` and ``route`` of the pushes so far."""
        if not self.history:
            return {"syncs": 0, "total_s": 0.0, "median_s": None, "last_s": None, "route": None}
        seconds = [r.seconds for r in self.history]
        return {
            "syncs": len(seconds),
            "total_s": sum(seconds),
            "median_s": statistics.median(seconds),
            "last_s": seconds[-1],
            "route": self.history[-1].route,
        }
