"""New weights into the vllm agent's running engine, in place (no engine restart): the checks,
the routes, the transfer and the worker side.

:class:`EngineWeights` loads a full set of Hugging Face-named tensors
(``model.layers.0.self_attn.q_proj.weight``, ...) into the engine. The names, shapes and dtypes
are checked against the checkpoint the engine was started from (:func:`read_manifest`,
:func:`check_weights`) before anything is touched (:class:`WeightsError`, engine untouched), and
the update is refused while requests are in flight (:class:`~agents.vllm.engine.EngineBusyError`:
wait for the ``agenerate`` calls to finish; requests sent during the update wait and then see
the new weights). Routes, chosen per update (:func:`_route`):

* ``iterator`` (engine in this process: ``in_process=1``): the tensors go straight into the
  worker's ``reload_weights`` (vLLM's layerwise reload), no copy through disk.
* ``ipc`` / ``nccl`` (CUDA, engine in its own processes, ``weight_transfer=ipc|nccl``):
  vLLM's weight-transfer API (``init_weight_transfer_engine``, ``start_weight_update``,
  ``update_weights``, ``finish_weight_update``). IPC (default on CUDA) when the trainer's
  tensors are on the engine's GPU (single-GPU engine): the engine reads them through CUDA IPC
  handles, no copy; NCCL when the trainer is on a GPU of its own: one broadcast.
* ``path`` (anything else, e.g. vLLM's CPU build with its engine in a separate process): the
  tensors are written as safetensors (with the checkpoint's config files) to a temporary
  directory under /dev/shm when it has room (else the system's temporary directory), the
  worker reloads from it, the directory is deleted.

After the load the prefix cache is reset (its KV was computed with the old weights), and on
vLLM's CPU build a tied ``lm_head`` is re-packed (:class:`WorkerExtension`): vLLM's reload
refreshes the embedding it shares but keeps the old packed GEMM copy the CPU backend made of it
(the logits would come from the old weights). An update of a sleeping engine wakes its weights
first and the rest after. A failure after the engine was touched marks the engine broken: the
agent then refuses further work (:class:`~agents.vllm.engine.EngineStateError`: close it and
start a new one) rather than sampling from half-updated weights.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import Engine, EngineInfo, EngineStateError, do_nothing

log = logging.getLogger(__name__)

#: Files copied beside the weights for a reload from a directory (those that exist).
_CONFIG_FILES = ("config.json", "generation_config.json")


class WeightsError(ValueError):
    """A set of weights does not fit the engine's model (names, shapes, dtypes); the engine was not touched."""


@dataclass(frozen=True)
class WeightUpdate:
    """What one :meth:`~agents.vllm.agent.VllmAgent.update_weights` did.

    ``route``: ``iterator``, ``path``, ``ipc`` or ``nccl`` (see the module docstring);
    ``tensors``/``bytes``: what was loaded; ``seconds``: wall time of the whole update
    (checks, transfer, load, cache reset).
    """

    route: str
    tensors: int
    bytes: int
    seconds: float


class EngineWeights:
    """One agent's weight updates: the manifest of the checkpoint its engine started from, vLLM's
    trainer-side transfer engine (``ipc``/``nccl``, made once), and how many updates were done."""

    def __init__(self, name: str, model_path: Path) -> None:
        self.name = name
        self.model_path = model_path
        self.updates = 0
        self.last_update_s: float | None = None
        self._lock = threading.Lock()
        self._manifest: _Manifest | None = None
        self._trainer_transfer: Any = None

    def manifest(self) -> _Manifest:
        if self._manifest is None:
            self._manifest = read_manifest(self.model_path)
        return self._manifest

    def update(
        self, engine: Engine, info: EngineInfo, weights: Iterable[tuple[str, Any]], *, sleeping: bool, t0: float
    ) -> WeightUpdate:
        """Check ``weights``, then load them into ``engine`` by the route that fits (blocks until
        done); ``sleeping``: the engine is asleep (woken by the update); ``t0``: when the update
        began (``time.perf_counter``). Raises as the module docstring says."""
        pairs = check_weights(weights, self.manifest())
        route = _route(info, pairs)
        nbytes = sum(t.numel() * t.element_size() for _, t in pairs)
        with self._lock:
            with _weights_dir(pairs, self.model_path, nbytes) if route == "path" else _no_dir() as directory:
                # Idle check and hold in one step: requests sent from now on wait for the new weights.
                engine.call(do_nothing, idle=True, hold=True).result()
                try:
                    self._load(engine, info, route, pairs, directory, sleeping)
                except BaseException as e:
                    engine.broken = (
                        f"{self.name}: a weight update failed after it touched the engine "
                        f"({type(e).__name__}: {e}); its weights are in an unknown state: close this agent "
                        "and start a new one from the last good checkpoint"
                    )
                    raise EngineStateError(engine.broken) from e
                finally:
                    engine.call(do_nothing, hold=False).result()
            seconds = time.perf_counter() - t0
            self.updates += 1
            self.last_update_s = seconds
        log.info(
            "%s: weights updated (%s, %d tensors, %.1f MB) in %.3f s",
            self.name,
            route,
            len(pairs),
            nbytes / 1e6,
            seconds,
        )
        return WeightUpdate(route=route, tensors=len(pairs), bytes=nbytes, seconds=seconds)

    def _load(
        self, engine: Engine, info: EngineInfo, route: str, pairs: list, directory: Path | None, sleeping: bool
    ) -> None:
        if sleeping:
            engine.call(lambda llm: llm.wake_up(["weights"])).result()
        if route == "iterator":
            engine.call(lambda llm: llm.collective_rpc("clue_reload_weights", kwargs={"weights": pairs})).result()
        elif route == "path":
            engine.call(
                lambda llm: llm.collective_rpc("clue_reload_weights", kwargs={"weights_path": str(directory)})
            ).result()
        else:
            self._transfer(engine, info, pairs)
        if not engine.call(lambda llm: llm.reset_prefix_cache()).result():
            raise RuntimeError("vLLM did not reset its prefix cache (its KV still comes from the old weights)")
        if sleeping and not engine.call(lambda llm: llm.wake_up()).result():
            raise RuntimeError("vLLM did not wake up fully after the update")

    def _transfer(self, engine: Engine, info: EngineInfo, pairs: list) -> None:
        """vLLM's weight-transfer API (CUDA): the trainer-side engine drives start/update/finish
        through a client whose calls run on the driver thread."""
        import torch
        from vllm.distributed.weight_transfer import WeightTransferTrainerFactory

        source = _pairs_source(pairs)
        device = pairs[0][1].device
        with torch.cuda.device(device):
            if self._trainer_transfer is None:
                if info.weight_transfer == "ipc":
                    from vllm.distributed.weight_transfer.ipc_engine import IPCTrainerInitInfo

                    init = IPCTrainerInitInfo(rank=0, packed=False)
                else:
                    from vllm.distributed.weight_transfer.nccl_engine import NCCLTrainerInitInfo
                    from vllm.utils.network_utils import get_open_port

                    init = NCCLTrainerInitInfo(
                        rank=0, master_address="127.0.0.1", master_port=get_open_port(), world_size=info.world_size + 1
                    )
                self._trainer_transfer = WeightTransferTrainerFactory.trainer_init(
                    init, client=_EngineClient(engine), source=source
                )
            else:
                self._trainer_transfer.source = source
            self._trainer_transfer.send_weights()

    def close(self) -> None:
        """Shut vLLM's trainer-side transfer engine down, if one was made."""
        transfer, self._trainer_transfer = self._trainer_transfer, None
        if transfer is not None:
            try:
                transfer.shutdown()
            except Exception:
                log.debug("vllm agent: weight transfer shutdown raised", exc_info=True)


@dataclass(frozen=True)
class _Manifest:
    """The tensors of a checkpoint: name -> (shape, safetensors dtype). ``tied``: its
    ``lm_head`` is the embedding (a given ``lm_head.weight`` is then dropped)."""

    shapes: dict[str, tuple[int, ...]]
    dtypes: dict[str, str]
    tied: bool


def read_manifest(model_dir: Path) -> _Manifest:
    """The tensor names, shapes and dtypes of a safetensors checkpoint, read from the files'
    headers only (no tensor data). Raises :class:`WeightsError` for a checkpoint without
    safetensors files (nothing to check an update against)."""
    files: list[Path]
    index = model_dir / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text()).get("weight_map") or {}
        files = sorted({model_dir / f for f in weight_map.values()})
    else:
        files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise WeightsError(
            f"vllm agent: {model_dir} has no *.safetensors files; weight updates are checked against them "
            "(convert the checkpoint to safetensors, e.g. save_pretrained(..., safe_serialization=True))"
        )
    shapes: dict[str, tuple[int, ...]] = {}
    dtypes: dict[str, str] = {}
    for path in files:
        with open(path, "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        for name, entry in header.items():
            if name != "__metadata__":
                shapes[name] = tuple(int(d) for d in entry["shape"])
                dtypes[name] = str(entry["dtype"])
    tied = False
    try:
        config = json.loads((model_dir / "config.json").read_text())
        tied = bool(config.get("tie_word_embeddings", (config.get("text_config") or {}).get("tie_word_embeddings")))
    except (OSError, ValueError):
        pass
    return _Manifest(shapes=shapes, dtypes=dtypes, tied=tied and "lm_head.weight" not in shapes)


def check_weights(weights: Iterable[tuple[str, Any]], manifest: _Manifest) -> list[tuple[str, Any]]:
    """``weights`` as a list of ``(name, tensor)`` pairs, in the given order, once checked against
    ``manifest``: every checkpoint tensor exactly once, with its shape, as a floating-point tensor.
    Raises :class:`WeightsError` saying what is wrong. A tied ``lm_head.weight`` is dropped."""
    import torch

    if isinstance(weights, dict):
        raise WeightsError("vllm agent: weights must be (name, tensor) pairs: pass state_dict.items(), not the dict")
    pairs: list[tuple[str, Any]] = []
    seen: set[str] = set()
    unknown: list[str] = []
    wrong: list[str] = []
    for k, item in enumerate(weights):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise WeightsError(f"vllm agent: weight #{k} is {type(item).__name__}, not a (name, tensor) pair")
        name, tensor = item
        if not isinstance(tensor, torch.Tensor):
            raise WeightsError(f"vllm agent: weight {name!r} is a {type(tensor).__name__}, not a torch.Tensor")
        if name in seen:
            raise WeightsError(f"vllm agent: weight {name!r} is given twice")
        seen.add(name)
        if manifest.tied and name == "lm_head.weight":
            continue
        shape = manifest.shapes.get(name)
        if shape is None:
            unknown.append(name)
            continue
        if tuple(tensor.shape) != shape:
            wrong.append(f"{name} has shape {tuple(tensor.shape)}, the checkpoint's is {shape}")
            continue
        if not tensor.is_floating_point():
            wrong.append(f"{name} is {tensor.dtype}, not a floating-point tensor")
            continue
        pairs.append((name, tensor))
    if unknown:
        raise WeightsError(
            f"vllm agent: {len(unknown)} weight name(s) the model does not have, e.g. {', '.join(unknown[:3])}; "
            f"names are the Hugging Face checkpoint's (e.g. {next(iter(manifest.shapes), '?')})"
        )
    if wrong:
        raise WeightsError(f"vllm agent: {len(wrong)} weight(s) do not fit: {'; '.join(wrong[:3])}")
    missing = sorted(set(manifest.shapes) - seen)
    if missing:
        raise WeightsError(
            f"vllm agent: {len(missing)} of the checkpoint's {len(manifest.shapes)} weights are missing, "
            f"e.g. {', '.join(missing[:3])}; an update must give them all (vLLM keeps the old values of "
            "layers it is not given)"
        )
    return pairs


def _route(info: EngineInfo, pairs: list[tuple[str, Any]]) -> str:
    """How an update reaches the engine (see the module docstring)."""
    if info.in_process:
        return "iterator"
    devices = {t.device for _, t in pairs}
    on_one_gpu = len(devices) == 1 and next(iter(devices)).type == "cuda"
    if info.weight_transfer == "ipc" and on_one_gpu and info.world_size == 1 and next(iter(devices)).index == 0:
        return "ipc"
    if info.weight_transfer == "nccl" and on_one_gpu:
        return "nccl"
    return "path"


@contextlib.contextmanager
def _no_dir():
    yield None


@contextlib.contextmanager
def _weights_dir(pairs: list[tuple[str, Any]], model_dir: Path, nbytes: int):
    """The weights as one safetensors file plus the checkpoint's config files, in a temporary
    directory (under /dev/shm when it has room for them), deleted afterwards."""
    from safetensors.torch import save_file

    shm = Path("/dev/shm")
    parent = None
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > nbytes * 1.1 + 2**26:
        parent = str(shm)
    directory = Path(tempfile.mkdtemp(prefix="clue-weights-", dir=parent))
    try:
        tensors: dict[str, Any] = {}
        storages: set[int] = set()
        for name, tensor in pairs:
            t = tensor.detach().to("cpu").contiguous()
            key = t.untyped_storage().data_ptr()
            if key in storages or t.untyped_storage().nbytes() != t.numel() * t.element_size():
                t = t.clone()  # safetensors refuses tensors that share storage (views of one buffer)
            storages.add(t.untyped_storage().data_ptr())
            tensors[name] = t
        save_file(tensors, str(directory / "model.safetensors"))
        del tensors
        for name in _CONFIG_FILES:
            if (model_dir / name).is_file():
                shutil.copy(model_dir / name, directory / name)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _pairs_source(pairs: list[tuple[str, Any]]):
    """The pairs as vLLM's ``WeightSource`` (re-iterable, with their metadata)."""
    from vllm.distributed.weight_transfer import ParamMeta, WeightSource

    class PairsSource(WeightSource):
        def metadata(self) -> list:
            return [ParamMeta(name, t.dtype, tuple(t.shape)) for name, t in pairs]

        def __iter__(self):
            return iter(pairs)

    return PairsSource()


class _EngineClient:
    """vLLM's ``VLLMWeightSyncClient`` over the agent's driver thread (the four control calls)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def init_weight_transfer_engine(self, init_info: dict[str, Any]) -> None:
        self._engine.call(lambda llm: llm.init_weight_transfer_engine({"init_info": init_info})).result()

    def start_weight_update(self) -> None:
        self._engine.call(lambda llm: llm.start_weight_update()).result()

    def update_weights(self, update_info: Any) -> None:
        self._engine.call(lambda llm: llm.update_weights({"update_info": update_info})).result()

    def finish_weight_update(self, weight_version: str | None = None) -> None:
        self._engine.call(lambda llm: llm.finish_weight_update(weight_version)).result()


class WorkerExtension:
    """Mixed into vLLM's workers (``worker_extension_cls``): methods ``collective_rpc`` calls by name."""

    def clue_reload_weights(self, weights: Iterable[tuple[str, Any]] | None = None, weights_path: str | None = None):
        """vLLM's in-place reload (layerwise: each layer re-processed for its kernels), from
        ``weights`` or a checkpoint directory, then the tied-``lm_head`` repair. Returns how many
        heads were re-packed."""
        model = self.model_runner.get_model()
        tied = _tied_heads(model)
        quiet = _BenignReloadWarnings(tied_head=bool(tied))
        layerwise = logging.getLogger("vllm.model_executor.model_loader.reload.layerwise")
        layerwise.addFilter(quiet)
        try:
            if weights is not None:
                self.reload_weights(weights_iterator=iter(weights), is_checkpoint_format=True)
            else:
                self.reload_weights(weights_path=weights_path, is_checkpoint_format=True)
        finally:
            layerwise.removeFilter(quiet)
        for head in tied:
            head.quant_method.process_weights_after_loading(head)
        return len(tied)


class _BenignReloadWarnings(logging.Filter):
    """Drops vLLM's "X: Failed to load weights" for the layers that have no checkpoint weights of
    their own: rotary embeddings (computed) and a tied lm_head (the embedding's weight, re-packed
    after the reload, see :func:`_tied_heads`). Any other layer's warning stays."""

    def __init__(self, tied_head: bool) -> None:
        super().__init__()
        self.tied_head = tied_head

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "%s: Failed to load weights" and record.args:
            layer = str(record.args[0])
            return not (layer.endswith("RotaryEmbedding") or (self.tied_head and layer == "ParallelLMHead"))
        return True


def _tied_heads(model) -> list:
    """The unquantized ``lm_head`` modules whose weight is an embedding's.

    vLLM's layerwise reload loads nothing into such a head (its weight is the embedding's, which
    is reloaded) and so keeps the head's kernel state; on the CPU build that state is a packed
    copy of the old weight (``dispatch_cpu_unquantized_gemm``), which the logits would keep using,
    so the worker re-runs the head's weight processing after each reload (elsewhere a no-op).
    """
    from vllm.model_executor.layers.vocab_parallel_embedding import (
        ParallelLMHead,
        UnquantizedEmbeddingMethod,
        VocabParallelEmbedding,
    )

    embeddings = {
        id(m.weight)
        for m in model.modules()
        if isinstance(m, VocabParallelEmbedding) and not isinstance(m, ParallelLMHead) and hasattr(m, "weight")
    }
    return [
        module
        for module in model.modules()
        if isinstance(module, ParallelLMHead)
        and isinstance(getattr(module, "quant_method", None), UnquantizedEmbeddingMethod)
        and id(getattr(module, "weight", None)) in embeddings
    ]
