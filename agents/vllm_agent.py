"""The ``vllm`` agent: a local model on an in-process vLLM engine (continuous batching), whose
weights a trainer can replace in place, between rollouts.

Each prompt is sent the way the ``api`` agent sends it, as one user message, rendered with
the model's own chat template (``add_generation_prompt=True``; a model without a template
gets the bare prompt) and tokenized by the engine's tokenizer. Sampling uses vLLM's
``SamplingParams`` (temperature, top_p, max_tokens, n, seed) with ``logprobs=0``, so every
:class:`~agents.base.Completion` carries the exact sampled ``token_ids`` and each one's
``logprobs`` (the model's log-probabilities before temperature/top-p, vLLM's
``raw_logprobs``; change with ``logprobs_mode``), the ``prompt_token_ids`` it was
conditioned on, its text (vLLM's detokenization of those ids, special tokens skipped) and
its usage. A completion that stopped on the end-of-sequence token has that token as its last
id (and logprob), so a trainer trains the stop too.

Engine. ``vllm.LLM`` is created at the first ``agenerate`` (never at import or in the
constructor), on the agent's own driver thread, which then owns it: it adds the requests of
every ``agenerate`` call as they come and steps the engine while any is unfinished, so
concurrent calls (from any event loops) share the running batch. ``agents.base.generate``
(a fresh ``asyncio.run`` each time) works. ``close()`` aborts what is in flight, shuts the
engine's processes down and frees it. With ``max_in_flight=N`` the driver sends at most N
prompts' requests to the engine at once and holds the rest back in arrival order (sending a
whole rollout batch at once makes vLLM preempt running requests when the KV cache fills;
:meth:`VllmAgent.stats` reports vLLM's preemption count).

Running code on the engine. :meth:`VllmAgent.run_on_engine` (``submit_to_engine`` for a
future, ``arun_on_engine`` to await it) runs ``fn(llm)`` on the driver thread between two
engine steps and returns its result; with ``idle=True`` it refuses (:class:`EngineBusyError`)
while any request is in flight or waiting. Never call it from inside such a function.

Weights. :meth:`VllmAgent.update_weights` loads a full set of Hugging Face-named tensors
(``model.layers.0.self_attn.q_proj.weight``, ...) into the running engine, in place: no
engine restart. The names, shapes and dtypes are checked against the checkpoint the engine
was started from before anything is touched (:class:`WeightsError`, engine untouched), and
the update is refused while requests are in flight (:class:`EngineBusyError`: wait for the
``agenerate`` calls to finish; requests sent during the update wait and then see the new
weights). Routes, chosen per update:

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
vLLM's CPU build a tied ``lm_head`` is re-packed: vLLM's reload refreshes the embedding it
shares but keeps the old packed GEMM copy the CPU backend made of it (the logits would come
from the old weights). A failure after the engine was touched leaves the agent refusing
further work (:class:`EngineStateError`: close it and start a new one) rather than sampling
from half-updated weights.

Sleeping (sharing a GPU with the trainer). :meth:`VllmAgent.sleep` (level 1: weights to CPU
memory, KV cache dropped; level 2: both dropped; level 0: scheduling paused only) and
:meth:`VllmAgent.wake_up`; ``update_weights`` on a sleeping engine wakes its weights first and
the rest after. Levels 1 and 2 need ``sleep_mode=1`` on CUDA. vLLM's CPU build has no sleep
mode: there ``sleep`` only pauses scheduling (its worker logs that it ignores the rest).
``agenerate`` on a sleeping engine raises :class:`EngineStateError`.

vLLM starts worker processes (spawn on its CPU build, fork elsewhere unless CUDA is already
initialised): a script that uses this agent should build its engine under
``if __name__ == "__main__":`` (or in a function that a spawned child does not re-run on import).

Seeds. With ``sampling.seed`` set, prompt ``i`` is sampled with seed ``seed + i * n`` (vLLM
gives its ``n`` completions ``+0 .. +n-1``), so the same call gives the same completions and
repeated prompts still differ; without it, the engine's generator (seeded once with
``config.seed``) is used. Across different batch mixes the model's numerics may differ in the
last bits, so reproducibility is per identical call.

A prompt that cannot be sent (longer than the context, ...) gives ``sampling.n``
completions with ``error`` set and ``text=""``; ``max_tokens`` is clamped to what is left of
the context after the prompt. An engine failure raises.

Settings (``config.extra``, ``--agent-arg key=value``):

* ``name``: the agent's name in results (default ``vllm:{model}``).
* ``dtype``: ``auto`` (default), ``float32``, ``bfloat16``, ``float16``.
* ``max_model_len``: context length (default: the model's).
* ``gpu_memory_utilization``: fraction of GPU memory for weights + KV cache (vLLM's 0.92
  default); on vLLM's CPU build, the fraction of CPU memory.
* ``kv_cache_gb``: KV-cache size in GiB (overrides the fraction). On the CPU build the
  default is 1 GiB unless ``VLLM_CPU_KVCACHE_SPACE`` or ``gpu_memory_utilization`` is set,
  since vLLM's own default there reserves 92% of the machine's memory.
* ``enforce_eager``: ``1`` skips torch.compile/CUDA graphs (faster start, slower steps).
* ``max_num_seqs``, ``max_num_batched_tokens``: scheduler limits.
* ``enable_prefix_caching``: ``0``/``1`` (vLLM's default: on).
* ``enable_chunked_prefill``: ``0``/``1`` (vLLM's default: on; on vLLM's CPU build the default
  here is off, see ``_cpu_defaults``: seeded sampling crashes there with chunked prefill).
* ``ignore_eos``: ``1`` keeps sampling past end-of-sequence up to ``max_tokens`` (benchmarks).
* ``logprobs_mode``: ``raw_logprobs`` (default), ``processed_logprobs`` (after temperature
  and top-p), ``raw_logits``, ``processed_logits``.
* ``verbose``: ``1`` shows vLLM's INFO logs, its weight-loading bars and its stats; by default
  (unless ``CLUE_VERBOSE=1``, which ``clue --verbose`` sets) the agent is quiet: vLLM logs
  errors only, unless ``VLLM_LOGGING_LEVEL`` says otherwise.
* ``in_process``: ``1`` runs vLLM's engine core and worker in this process
  (``VLLM_ENABLE_V1_MULTIPROCESSING=0``, set for this engine only): weights move to it
  through memory. Default: vLLM's (separate processes), or that variable where it is set.
* ``max_in_flight``: the most prompts whose requests are in the engine at once (default:
  no bound).
* ``weight_transfer``: ``auto`` (default: ``ipc`` on CUDA, ``none`` on vLLM's CPU build),
  ``ipc``, ``nccl``, ``none`` (updates go through ``in_process`` memory or a temporary
  directory). ``ipc`` sets ``VLLM_ALLOW_INSECURE_SERIALIZATION=1`` in this process (and so
  in the engine's), which vLLM needs to pass CUDA IPC handles between its processes.
* ``sleep_mode``: ``1`` lets :meth:`VllmAgent.sleep` free GPU memory (vLLM's
  ``enable_sleep_mode``; CUDA only, ignored on the CPU build).
* ``log_stats``: ``1`` (default) keeps vLLM's statistics on (quietly, unless ``verbose``), so
  :meth:`VllmAgent.stats` can report preemptions; ``0`` turns them off.

vLLM keeps its statistics in one Prometheus registry per process: with several engines in one
process, the preemption count is that of the engine started last.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import copy
import gc
import itertools
import json
import logging
import os
import queue
import shutil
import struct
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import Completion, Prompt, SamplingConfig, messages_of
from .config import AgentConfig, Settings
from .weights import resolve_model

log = logging.getLogger(__name__)

_EXTRA_KEYS = (
    "name",
    "dtype",
    "max_model_len",
    "gpu_memory_utilization",
    "kv_cache_gb",
    "enforce_eager",
    "max_num_seqs",
    "max_num_batched_tokens",
    "enable_prefix_caching",
    "enable_chunked_prefill",
    "ignore_eos",
    "logprobs_mode",
    "verbose",
    "in_process",
    "max_in_flight",
    "weight_transfer",
    "sleep_mode",
    "log_stats",
)
_LOGPROBS_MODES = ("raw_logprobs", "processed_logprobs", "raw_logits", "processed_logits")
_DTYPES = ("auto", "float32", "bfloat16", "float16", "half", "float")
_WEIGHT_TRANSFERS = ("auto", "ipc", "nccl", "none")
_SLEEP_TAGS = ("weights", "kv_cache", "scheduling")
_SEED_MOD = 2**63 - 1
CPU_DEFAULT_KV_CACHE_GB = 1.0
#: The worker extension vLLM mixes into its workers (by qualified name: the workers import it).
WORKER_EXTENSION = "agents.vllm_agent.WorkerExtension"
#: Files copied beside the weights for a reload from a directory (those that exist).
_CONFIG_FILES = ("config.json", "generation_config.json")
_MULTIPROC_ENV = "VLLM_ENABLE_V1_MULTIPROCESSING"
_INSECURE_ENV = "VLLM_ALLOW_INSECURE_SERIALIZATION"
# Engines are created one at a time per process: creation reads process-wide environment variables.
_CREATE_LOCK = threading.Lock()
# vLLM's CPU worker, run in this process, replaces torch.set_num_threads with a no-op (to keep its
# thread binding); the original is put back when the last such engine is gone.
_IN_PROCESS_ENGINES = 0
_SET_NUM_THREADS: Any = None


class _Rejected(Exception):
    """The engine refused one request (too long, invalid); other requests go on."""


class EngineBusyError(RuntimeError):
    """The engine has requests in flight (or held back) and the operation needs it idle."""


class EngineStateError(RuntimeError):
    """The engine cannot do this now: it is asleep, closed, or its weights are in an unknown state."""


class WeightsError(ValueError):
    """A set of weights does not fit the engine's model (names, shapes, dtypes); the engine was not touched."""


@dataclass(frozen=True)
class WeightUpdate:
    """What one :meth:`VllmAgent.update_weights` did.

    ``route``: ``iterator``, ``path``, ``ipc`` or ``nccl`` (see the module docstring);
    ``tensors``/``bytes``: what was loaded; ``seconds``: wall time of the whole update
    (checks, transfer, load, cache reset).
    """

    route: str
    tensors: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class EngineStats:
    """The engine's queue and counters, as :meth:`VllmAgent.stats` reads them.

    ``requests_in_flight``: prompts whose requests are in the engine now; ``requests_waiting``:
    prompts held back (``max_in_flight``, or an update running); ``peak_engine_requests``: the
    most unfinished requests vLLM held at once (``n`` per prompt), since the engine started or
    the last ``stats(reset_peak=True)``; ``preemptions``: vLLM's ``vllm:num_preemptions``
    counter (None with ``log_stats=0``); ``weight_updates``: updates done, the last one taking
    ``last_update_s`` seconds; ``sleeping``: put to sleep and not fully woken since.
    """

    started: bool
    in_process: bool | None = None
    requests_in_flight: int = 0
    requests_waiting: int = 0
    peak_engine_requests: int = 0
    preemptions: int | None = None
    weight_updates: int = 0
    last_update_s: float | None = None
    sleeping: bool = False


@dataclass(frozen=True)
class _EngineOptions:
    in_process: bool | None
    weight_transfer: str
    sleep_mode: bool
    log_stats: bool


@dataclass(frozen=True)
class _EngineInfo:
    """What the driver learns once the engine is up."""

    tokenizer: Any
    max_len: int
    in_process: bool
    on_cpu: bool
    weight_transfer: str  # resolved: ipc, nccl or none
    world_size: int
    sleep_mode: bool


class _Engine:
    """A ``vllm.LLM`` owned by one driver thread that adds requests, steps the engine and runs calls."""

    def __init__(
        self,
        llm_kwargs: dict[str, Any],
        verbose: bool = False,
        options: _EngineOptions | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self._kwargs = llm_kwargs
        self._verbose = verbose
        self._options = options or _EngineOptions(None, "auto", False, True)
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self.ready: cf.Future = cf.Future()  # -> _EngineInfo
        self.failure: BaseException | None = None
        #: Read by the driver at each dispatch; any thread may set it.
        self.max_in_flight = max_in_flight
        #: Set when an update failed after touching the engine; requests then fail with it.
        self.broken: str | None = None
        # Driver-thread state (read by calls, which run on the driver thread).
        self.hold = False  # requests wait in the backlog (a weight update is running)
        self.pending: dict[str, cf.Future] = {}
        self.backlog: deque = deque()
        self.peak_requests = 0
        self._counted_in_process = False
        self._thread = threading.Thread(target=self._main, name="vllm-engine", daemon=True)
        self._thread.start()

    # -- called from any thread ---------------------------------------------------------------

    def submit(self, items: list[tuple[str, dict, Any, cf.Future]]) -> None:
        self._commands.put(("add", items))

    def abort(self, request_ids: list[str]) -> None:
        self._commands.put(("abort", request_ids))

    def call(self, fn: Callable[[Any], Any], *, idle: bool = False, hold: bool | None = None) -> cf.Future:
        """Run ``fn(llm)`` on the driver thread between engine steps; its result through the future.

        ``idle``: fail with :class:`EngineBusyError` if any request is in flight or waiting.
        ``hold``: after ``fn`` returns, start (True) or stop (False) holding new requests back.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("vllm agent: an engine call from the engine's own thread would wait forever")
        fut: cf.Future = cf.Future()
        self._commands.put(("call", (fn, idle, hold, fut)))
        return fut

    def stop(self, timeout: float = 60.0) -> None:
        self._commands.put(("stop", None))
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # -- the driver thread --------------------------------------------------------------------

    def _main(self) -> None:
        try:
            llm, info = self._create()
        except BaseException as e:  # noqa: BLE001 - reported to every caller
            self.failure = e
            self._uncount_in_process()
            self.ready.set_exception(e)
            self._drain_failing(e)
            return
        self.ready.set_result(info)
        engine = llm.llm_engine
        watching = threading.Event()
        threading.Thread(target=_watch_engine_core, args=(engine, watching), name="vllm-watchdog", daemon=True).start()
        try:
            self._loop(llm)
        except BaseException as e:
            self.failure = e
            # every request in flight (and every later one) reports it; the traceback only when asked for
            log.warning("vllm agent: the engine failed: %s: %s", type(e).__name__, e)
            log.debug("vllm agent: the engine's failure", exc_info=True)
            for fut in self.pending.values():
                _settle(fut, error=e)
            self.pending.clear()
        finally:
            watching.set()
            for fut in self.pending.values():
                fut.cancel()
            for item in self.backlog:
                item[3].cancel()
            self.backlog.clear()
            try:
                engine.engine_core.shutdown()
            except Exception:
                log.debug("vllm agent: engine shutdown raised", exc_info=True)
            del engine, llm
            gc.collect()
            self._uncount_in_process()
        if self.failure is not None:
            self._drain_failing(self.failure)

    def _create(self) -> tuple[Any, _EngineInfo]:
        kwargs = dict(self._kwargs)
        options = self._options
        if not self._verbose:
            # Read by vLLM when it is first imported (its worker processes inherit it).
            os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
            # vLLM warns on import (e.g. "Triton is installed, but doesn't include CPU backend")
            # before it configures its logger; those go to Python's last-resort handler otherwise.
            if os.environ["VLLM_LOGGING_LEVEL"].upper() == "ERROR":
                logging.getLogger("vllm").setLevel(logging.ERROR)
            kwargs.setdefault("use_tqdm_on_load", False)
        kwargs.setdefault("disable_log_stats", not options.log_stats)
        kwargs.setdefault("worker_extension_cls", WORKER_EXTENSION)
        from vllm import LLM

        cpu_kv_default = kwargs.pop("_cpu_kv_default_bytes", None)
        on_cpu = _on_cpu()
        if on_cpu:
            _cpu_defaults(kwargs, cpu_kv_default)
        backend = options.weight_transfer
        if backend == "auto":
            backend = "none" if on_cpu else "ipc"
        if backend != "none":
            if on_cpu:
                raise ValueError(
                    f"vllm agent: weight_transfer={backend} needs CUDA; vLLM's CPU build updates weights "
                    "with weight_transfer=none (in_process=1, or through a temporary directory)"
                )
            kwargs.setdefault("weight_transfer_config", {"backend": backend})
        sleep_mode = bool(options.sleep_mode and not on_cpu)
        if sleep_mode:
            kwargs.setdefault("enable_sleep_mode", True)
        in_process = options.in_process
        if in_process is None:
            in_process = os.environ.get(_MULTIPROC_ENV, "1").strip().lower() in ("0", "false", "no", "off")
        env = {_MULTIPROC_ENV: "0" if in_process else "1"}
        global _IN_PROCESS_ENGINES, _SET_NUM_THREADS
        import torch

        with _CREATE_LOCK:
            if backend == "ipc":
                os.environ[_INSECURE_ENV] = "1"  # stays: the encoder reads it at every update
            if _IN_PROCESS_ENGINES == 0:
                _SET_NUM_THREADS = torch.set_num_threads
            with _environment(env):
                llm = LLM(**kwargs)
            core = llm.llm_engine.engine_core
            if type(core).__name__ == "InprocClient":
                _IN_PROCESS_ENGINES += 1
                self._counted_in_process = True
        info = _EngineInfo(
            # The caller renders prompts with its own copy: a tokenizer is not safe to share
            # across threads (transformers may reconfigure it per call).
            tokenizer=copy.deepcopy(llm.get_tokenizer()),
            max_len=int(llm.llm_engine.model_config.max_model_len),
            in_process=type(core).__name__ == "InprocClient",
            on_cpu=on_cpu,
            weight_transfer=backend,
            world_size=int(llm.llm_engine.vllm_config.parallel_config.world_size),
            sleep_mode=sleep_mode,
        )
        return llm, info

    def _uncount_in_process(self) -> None:
        global _IN_PROCESS_ENGINES
        if not self._counted_in_process:
            return
        self._counted_in_process = False
        with _CREATE_LOCK:
            _IN_PROCESS_ENGINES -= 1
            if _IN_PROCESS_ENGINES == 0 and _SET_NUM_THREADS is not None:
                import torch

                torch.set_num_threads = _SET_NUM_THREADS

    def _loop(self, llm) -> None:
        engine = llm.llm_engine
        pending, backlog = self.pending, self.backlog
        while True:
            block = not engine.has_unfinished_requests() and (not backlog or self.hold)
            while True:
                try:
                    kind, payload = self._commands.get(block=block)
                except queue.Empty:
                    break
                block = False
                if kind == "stop":
                    if pending:
                        engine.abort_request(list(pending))
                    return
                if kind == "abort":
                    live = [rid for rid in payload if pending.pop(rid, None) is not None]
                    if live:
                        engine.abort_request(live)
                    if backlog:
                        gone = set(payload)
                        kept = [item for item in backlog if item[0] not in gone]
                        backlog.clear()
                        backlog.extend(kept)
                    continue
                if kind == "call":
                    self._run_call(llm, *payload)
                    continue
                backlog.extend(payload)
            self._dispatch(engine)
            if not engine.has_unfinished_requests():
                continue
            for out in engine.step():
                if out.finished and (fut := pending.pop(out.request_id, None)) is not None:
                    _settle(fut, result=out)

    def _run_call(self, llm, fn, idle: bool, hold: bool | None, fut: cf.Future) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        if idle and (self.pending or self.backlog):
            fut.set_exception(
                EngineBusyError(
                    f"vllm agent: the engine has {len(self.pending)} request(s) in flight and "
                    f"{len(self.backlog)} waiting; wait for the agenerate calls to finish (or cancel them) first"
                )
            )
            return
        try:
            result = fn(llm)
        except BaseException as e:  # noqa: BLE001 - the caller gets it
            fut.set_exception(e)
            if type(e).__name__ == "EngineDeadError":
                raise
            return
        if hold is not None:
            self.hold = hold
        fut.set_result(result)

    def _dispatch(self, engine) -> None:
        """Move requests from the backlog into the engine, up to ``max_in_flight`` prompts."""
        backlog, pending = self.backlog, self.pending
        if self.broken is not None:
            while backlog:
                _settle(backlog.popleft()[3], error=EngineStateError(self.broken))
            return
        added = False
        while backlog and not self.hold and (self.max_in_flight is None or len(pending) < self.max_in_flight):
            request_id, prompt, params, fut = backlog.popleft()
            if fut.cancelled():
                continue
            try:
                engine.add_request(request_id, prompt, params)
            except Exception as e:
                if type(e).__name__ == "EngineDeadError":
                    raise
                _settle(fut, error=_Rejected(f"{type(e).__name__}: {e}"))  # this request only
                continue
            pending[request_id] = fut
            added = True
        if added:
            self.peak_requests = max(self.peak_requests, int(engine.get_num_unfinished_requests()))

    def _drain_failing(self, error: BaseException) -> None:
        """Fail whatever is queued, and anything queued later, with ``error``."""
        while True:
            kind, payload = self._commands.get()
            if kind == "stop":
                return
            if kind == "add":
                for _, _, _, fut in payload:
                    _settle(fut, error=error)
            elif kind == "call":
                fut = payload[3]
                if fut.set_running_or_notify_cancel():
                    fut.set_exception(error)


def _watch_engine_core(engine, stop: threading.Event, every: float = 0.5) -> None:
    """Wake the engine thread when vLLM's engine-core process dies.

    vLLM 0.32's ``SyncMPClient`` notices a dead engine core (its monitor thread sets
    ``resources.engine_dead`` and shuts the client down) but leaves ``get_output`` waiting on its
    queue forever, so ``LLMEngine.step`` never returns. This puts vLLM's own ``EngineDeadError``
    in that queue, which ``step`` then raises: every request in flight fails with it, and every
    later one at once. Nothing to watch with the engine in this process (``in_process``)."""
    core = getattr(engine, "engine_core", None)
    resources = getattr(core, "resources", None)
    outputs = getattr(core, "outputs_queue", None)
    if resources is None or outputs is None or not hasattr(resources, "engine_dead"):
        return
    while not stop.wait(every):
        if resources.engine_dead:
            from vllm.v1.engine.exceptions import EngineDeadError

            outputs.put_nowait(EngineDeadError())
            return


def _settle(fut: cf.Future, result: Any = None, error: BaseException | None = None) -> None:
    """Resolve ``fut`` unless its waiter cancelled it meanwhile (from another thread)."""
    try:
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)
    except cf.InvalidStateError:
        pass


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the engine's creation (its processes inherit them), then restore them.

    vLLM caches its environment variables once an engine core has started in this process; the
    cache is dropped first, so this engine reads what is set now.
    """
    import vllm.envs as envs

    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    envs.disable_envs_cache()
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class VllmAgent:
    """A model on an in-process vLLM engine as an ``Agent``. See the module docstring."""

    def __init__(
        self, config: AgentConfig, *, model_path: str | Path | None = None, extra: dict[str, str] | None = None
    ) -> None:
        settings = Settings("vllm", config.extra if extra is None else extra, known=_EXTRA_KEYS)
        if model_path is None:
            model_path = resolve_model(config.model or "")
        self.config = config
        self.model_path = str(model_path)
        self.model: str = str(config.model or model_path)
        self.name: str = settings.text("name") or f"vllm:{self.model}"
        self.ignore_eos = bool(settings.flag("ignore_eos"))
        kwargs: dict[str, Any] = {
            "model": self.model_path,
            "tokenizer": self.model_path,
            "tensor_parallel_size": config.tensor_parallel_size,
            "seed": config.seed,
            "dtype": settings.choice("dtype", _DTYPES, "auto"),
            "logprobs_mode": settings.choice("logprobs_mode", _LOGPROBS_MODES, "raw_logprobs"),
        }
        for key, kind, low, high in (
            ("max_model_len", int, 16, None),
            ("max_num_seqs", int, 1, None),
            ("max_num_batched_tokens", int, 16, None),
            ("gpu_memory_utilization", float, 0.01, 1.0),
        ):
            value = settings.number(key, kind, low, high)
            if value is not None:
                kwargs[key] = value
        self.verbose = bool(settings.flag("verbose", default=os.environ.get("CLUE_VERBOSE") == "1"))
        kv_gb = settings.number("kv_cache_gb", float, 0.001)
        if kv_gb is not None:
            kwargs["kv_cache_memory_bytes"] = int(kv_gb * 2**30)
        for key in ("enforce_eager", "enable_prefix_caching", "enable_chunked_prefill"):
            value = settings.flag(key)
            if value is not None:
                kwargs[key] = value
        self.llm_kwargs = kwargs
        self.engine_options = _EngineOptions(
            in_process=settings.flag("in_process"),
            weight_transfer=settings.choice("weight_transfer", _WEIGHT_TRANSFERS, "auto"),
            sleep_mode=bool(settings.flag("sleep_mode", default=False)),
            log_stats=bool(settings.flag("log_stats", default=True)),
        )
        self._max_in_flight: int | None = settings.number("max_in_flight", int, 1)
        self._lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._engine: _Engine | None = None
        self._closed = False
        self._sleeping = False
        self._ids = itertools.count()
        self._manifest: _Manifest | None = None
        self._trainer_transfer: Any = None  # vLLM's trainer-side weight transfer engine (ipc/nccl), made once
        self._updates = 0
        self._last_update_s: float | None = None

    def __repr__(self) -> str:
        return f"VllmAgent(name={self.name!r}, model={self.model_path!r}, tp={self.config.tensor_parallel_size})"

    # -- engine -------------------------------------------------------------------------------

    def _start(self) -> _Engine:
        with self._lock:
            if self._closed:
                raise EngineStateError(f"{self.name}: agent is closed")
            if self._engine is None:
                kwargs = dict(self.llm_kwargs)
                if (
                    "kv_cache_memory_bytes" not in kwargs
                    and "gpu_memory_utilization" not in kwargs
                    and not os.environ.get("VLLM_CPU_KVCACHE_SPACE")
                ):
                    # Applied by the driver thread only on vLLM's CPU build (see _on_cpu).
                    kwargs["_cpu_kv_default_bytes"] = int(CPU_DEFAULT_KV_CACHE_GB * 2**30)
                self._engine = _Engine(
                    kwargs, verbose=self.verbose, options=self.engine_options, max_in_flight=self._max_in_flight
                )
            return self._engine

    async def _ready(self) -> tuple[_Engine, _EngineInfo]:
        engine = self._start()
        info = await asyncio.wrap_future(engine.ready)
        return engine, info

    def _ready_now(self) -> tuple[_Engine, _EngineInfo]:
        engine = self._start()
        return engine, engine.ready.result()

    def start(self) -> None:
        """Start the engine now and wait until it is ready (else: at the first ``agenerate``)."""
        self._ready_now()

    @property
    def max_in_flight(self) -> int | None:
        """The most prompts whose requests are in the engine at once (None: no bound). Settable."""
        return self._max_in_flight

    @max_in_flight.setter
    def max_in_flight(self, value: int | None) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"vllm agent: max_in_flight must be an int >= 1 or None, got {value!r}")
        self._max_in_flight = value
        if self._engine is not None:
            self._engine.max_in_flight = value

    # -- running code on the engine -----------------------------------------------------------

    def submit_to_engine(self, fn: Callable[[Any], Any], *, idle: bool = False) -> cf.Future:
        """Queue ``fn(llm)`` to run on the engine's driver thread between two steps (starting the
        engine if needed); the future gives its result or exception. ``idle=True``: refused with
        :class:`EngineBusyError` while requests are in flight or waiting. ``fn`` must not call
        back into the agent's engine methods (it runs on the thread that would serve them)."""
        engine, _ = self._ready_now()
        return engine.call(fn, idle=idle)

    def run_on_engine(self, fn: Callable[[Any], Any], *, idle: bool = False, timeout: float | None = None) -> Any:
        """:meth:`submit_to_engine` and wait for the result (blocks; from async code use
        :meth:`arun_on_engine`)."""
        return self.submit_to_engine(fn, idle=idle).result(timeout)

    async def arun_on_engine(self, fn: Callable[[Any], Any], *, idle: bool = False) -> Any:
        """:meth:`run_on_engine` for async code."""
        engine, _ = await self._ready()
        return await asyncio.wrap_future(engine.call(fn, idle=idle))

    def stats(self, *, reset_peak: bool = False) -> EngineStats:
        """The engine's queue and counters (:class:`EngineStats`); does not start the engine."""
        engine = self._engine
        if engine is None or not engine.ready.done() or engine.ready.exception() is not None:
            return EngineStats(started=False, weight_updates=self._updates, last_update_s=self._last_update_s)
        info: _EngineInfo = engine.ready.result()
        log_stats = self.engine_options.log_stats

        def read(llm) -> EngineStats:
            stats = EngineStats(
                started=True,
                in_process=info.in_process,
                requests_in_flight=len(engine.pending),
                requests_waiting=len(engine.backlog),
                peak_engine_requests=engine.peak_requests,
                preemptions=_preemptions(llm) if log_stats else None,
                weight_updates=self._updates,
                last_update_s=self._last_update_s,
                sleeping=self._sleeping,
            )
            if reset_peak:
                engine.peak_requests = int(llm.llm_engine.get_num_unfinished_requests())
            return stats

        return engine.call(read).result()

    # -- weights ------------------------------------------------------------------------------

    def update_weights(self, weights: Iterable[tuple[str, Any]]) -> WeightUpdate:
        """Load ``weights`` (``(hf_name, tensor)`` pairs: every tensor of the checkpoint the engine
        started from, any dtype and device) into the running engine, in place. Blocks until done.

        Raises :class:`WeightsError` (engine untouched) for names, shapes or dtypes that do not fit,
        :class:`EngineBusyError` (engine untouched) while requests are in flight or waiting, and
        :class:`EngineStateError` if the load failed after touching the engine (the agent then
        refuses further work: close it and start a new one). A tied ``lm_head.weight`` may be
        given or not (vLLM takes it from the embedding). See the module docstring for the routes.
        """
        t0 = time.perf_counter()
        engine, info = self._ready_now()
        self._check_usable(engine)
        pairs = check_weights(weights, self._checkpoint_manifest())
        route = _route(info, pairs)
        nbytes = sum(t.numel() * t.element_size() for _, t in pairs)
        with self._update_lock:
            with _weights_dir(pairs, Path(self.model_path), nbytes) if route == "path" else _no_dir() as directory:
                # Idle check and hold in one step: requests sent from now on wait for the new weights.
                engine.call(_nothing, idle=True, hold=True).result()
                try:
                    self._load(engine, info, route, pairs, directory)
                except BaseException as e:
                    engine.broken = (
                        f"{self.name}: a weight update failed after it touched the engine "
                        f"({type(e).__name__}: {e}); its weights are in an unknown state: close this agent "
                        "and start a new one from the last good checkpoint"
                    )
                    raise EngineStateError(engine.broken) from e
                finally:
                    engine.call(_nothing, hold=False).result()
            seconds = time.perf_counter() - t0
            self._updates += 1
            self._last_update_s = seconds
        log.info(
            "%s: weights updated (%s, %d tensors, %.1f MB) in %.3f s",
            self.name,
            route,
            len(pairs),
            nbytes / 1e6,
            seconds,
        )
        return WeightUpdate(route=route, tensors=len(pairs), bytes=nbytes, seconds=seconds)

    def _load(self, engine: _Engine, info: _EngineInfo, route: str, pairs: list, directory: Path | None) -> None:
        if self._sleeping:
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
        if self._sleeping:
            if not engine.call(lambda llm: llm.wake_up()).result():
                raise RuntimeError("vLLM did not wake up fully after the update")
            self._sleeping = False

    def _transfer(self, engine: _Engine, info: _EngineInfo, pairs: list) -> None:
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

    def _checkpoint_manifest(self) -> _Manifest:
        if self._manifest is None:
            self._manifest = read_manifest(Path(self.model_path))
        return self._manifest

    def _check_usable(self, engine: _Engine) -> None:
        if engine.broken is not None:
            raise EngineStateError(engine.broken)

    # -- sleeping -----------------------------------------------------------------------------

    def sleep(self, level: int = 1) -> None:
        """Put the engine to sleep (needs it idle): level 0 pauses scheduling, 1 also moves its
        weights to CPU memory and drops the KV cache, 2 drops both (see the module docstring)."""
        if level not in (0, 1, 2) or isinstance(level, bool):
            raise ValueError(f"vllm agent: sleep level must be 0, 1 or 2, got {level!r}")
        engine, info = self._ready_now()
        self._check_usable(engine)
        if level >= 1 and not info.on_cpu and not info.sleep_mode:
            raise EngineStateError(
                f"{self.name}: sleep level {level} frees GPU memory only with --agent-arg sleep_mode=1 "
                "(set before the engine starts); level 0 pauses scheduling without it"
            )
        engine.call(lambda llm: llm.sleep(level=level), idle=True).result()
        self._sleeping = True

    def wake_up(self, tags: Sequence[str] | None = None) -> bool:
        """Wake the engine (``tags``: some of ``weights``, ``kv_cache``, ``scheduling``; None: all).
        Returns whether it is fully awake (``agenerate`` works again only then)."""
        if tags is not None:
            tags = list(tags)
            bad = [t for t in tags if t not in _SLEEP_TAGS]
            if bad:
                raise ValueError(f"vllm agent: wake_up tags must be among {', '.join(_SLEEP_TAGS)}, got {bad}")
        engine, _ = self._ready_now()
        awake = bool(engine.call(lambda llm: llm.wake_up(tags)).result())
        self._sleeping = not awake
        return awake

    @property
    def sleeping(self) -> bool:
        return self._sleeping

    # -- prompts ------------------------------------------------------------------------------

    @staticmethod
    def render(tokenizer, prompt: Prompt) -> list[int]:
        """The prompt as the model sees it: its messages through the chat template (a text is one
        user message; a model without a template gets the bare text of the messages).

        In a conversation whose last assistant message carries the :class:`Completion` that
        produced it (with token ids), the ids are that turn's prompt ids + its sampled ids + the
        template's text for the messages after it, so every earlier turn stays exactly as it was
        sampled (a trainer can then train on each turn). Where the template does not extend the
        earlier turn's text (it rewrites history), the whole conversation is rendered afresh."""
        messages = messages_of(prompt)
        plain = [{"role": m["role"], "content": m["content"]} for m in messages]
        if not getattr(tokenizer, "chat_template", None):
            return list(tokenizer.encode("\n\n".join(m["content"] for m in plain)))

        def template(msgs: list[dict[str, str]], generation_prompt: bool) -> str:
            return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=generation_prompt)

        full = template(plain, True)
        last = max((k for k, m in enumerate(messages) if m.get("completion") is not None), default=None)
        if last is not None:
            done: Completion = messages[last]["completion"]
            if done.prompt_token_ids is not None and done.token_ids is not None:
                before = template(plain[:last], True) + plain[last]["content"]
                if full.startswith(before):
                    tail = full[len(before) :]
                    eos = getattr(tokenizer, "eos_token", None)
                    ended = bool(done.token_ids) and done.token_ids[-1] == getattr(tokenizer, "eos_token_id", None)
                    if ended and eos and tail.startswith(eos):
                        tail = tail[len(eos) :]  # the sampled ids already hold the end-of-turn token
                    return [*done.prompt_token_ids, *done.token_ids, *tokenizer.encode(tail, add_special_tokens=False)]
        return list(tokenizer.encode(full, add_special_tokens=False))

    def _params(self, sampling: SamplingConfig, index: int, prompt_len: int, max_len: int):
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        seed = None
        if sampling.seed is not None:
            seed = (sampling.seed + index * sampling.n) % _SEED_MOD
        return SamplingParams(
            n=sampling.n,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=max(1, min(sampling.max_tokens, max_len - prompt_len)),
            seed=seed,
            logprobs=0,
            ignore_eos=self.ignore_eos,
            skip_special_tokens=True,
            output_kind=RequestOutputKind.FINAL_ONLY,  # one output per request, all n completions
        )

    # -- the Agent interface ------------------------------------------------------------------

    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        prompts = list(prompts)
        if not prompts:
            return []
        engine, info = await self._ready()
        self._check_usable(engine)
        if self._sleeping:
            raise EngineStateError(f"{self.name}: the engine is asleep; call wake_up() (or update_weights) first")
        tokenizer, max_len = info.tokenizer, info.max_len
        prompt_ids = await asyncio.to_thread(lambda: [self.render(tokenizer, p) for p in prompts])
        call = next(self._ids)
        items, futures = [], []
        for i, ids in enumerate(prompt_ids):
            fut: cf.Future = cf.Future()
            if len(ids) >= max_len:
                fut.set_exception(_Rejected(f"prompt is {len(ids)} tokens; the model's context is {max_len}"))
            else:
                items.append(
                    (
                        f"{id(self):x}-{call}-{i}",
                        {"prompt_token_ids": ids},
                        self._params(sampling, i, len(ids), max_len),
                        fut,
                    )
                )
            futures.append(fut)
        engine.submit(items)
        waiting = [asyncio.wrap_future(f) for f in futures]
        try:
            results = await asyncio.gather(*waiting, return_exceptions=True)
        except asyncio.CancelledError:
            engine.abort([request_id for request_id, _, _, _ in items])
            raise
        return await asyncio.to_thread(
            lambda: [self._completions(tokenizer, res, ids, sampling.n) for res, ids in zip(results, prompt_ids)]
        )

    def _completions(self, tokenizer, result: Any, prompt_ids: list[int], n: int) -> list[Completion]:
        if isinstance(result, _Rejected):
            return [
                Completion(
                    text="",
                    prompt_tokens=len(prompt_ids),
                    prompt_token_ids=tuple(prompt_ids),
                    error=f"{self.name}: request rejected: {result}"[:500],
                )
            ] * n
        if isinstance(result, EngineStateError):
            raise result
        if isinstance(result, BaseException):
            raise RuntimeError(f"{self.name}: vLLM engine failed: {type(result).__name__}: {result}") from result
        sent = tuple(result.prompt_token_ids or prompt_ids)
        done = []
        for out in sorted(result.outputs, key=lambda o: o.index):
            token_ids = tuple(int(t) for t in out.token_ids)
            if out.logprobs is None or len(out.logprobs) != len(token_ids):
                raise RuntimeError(
                    f"{self.name}: vLLM returned {0 if out.logprobs is None else len(out.logprobs)} "
                    f"logprobs for {len(token_ids)} tokens"
                )
            logprobs = tuple(float(out.logprobs[k][t].logprob) for k, t in enumerate(token_ids))
            # The text is exactly the sampled ids decoded. vLLM's incremental text is the same
            # except that it holds back an unfinished UTF-8 sequence at a length cut-off.
            text = tokenizer.decode(list(token_ids), skip_special_tokens=True)
            done.append(
                Completion(
                    text=text,
                    prompt_tokens=len(sent),
                    completion_tokens=len(token_ids),
                    token_ids=token_ids,
                    logprobs=logprobs,
                    prompt_token_ids=sent,
                    finish_reason=out.finish_reason,
                    extra={"stop_reason": out.stop_reason} if out.stop_reason is not None else {},
                )
            )
        if len(done) != n:
            raise RuntimeError(f"{self.name}: vLLM returned {len(done)} completions, {n} asked")
        return done

    def close(self) -> None:
        """Abort what is in flight, shut the engine down and free it. Idempotent."""
        with self._lock:
            self._closed = True
            engine, self._engine = self._engine, None
        transfer, self._trainer_transfer = self._trainer_transfer, None
        if transfer is not None:
            try:
                transfer.shutdown()
            except Exception:
                log.debug("vllm agent: weight transfer shutdown raised", exc_info=True)
        if engine is not None:
            engine.stop()

    def __enter__(self) -> VllmAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nothing(llm) -> None:
    return None


def _preemptions(llm) -> int:
    """vLLM's ``vllm:num_preemptions`` counter, summed over its engines."""
    total = 0.0
    for metric in llm.get_metrics():
        if metric.name == "vllm:num_preemptions" and hasattr(metric, "value"):
            total += float(metric.value)
    return int(total)


# -- weights: checks, routes, the worker side ---------------------------------------------------


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


def _route(info: _EngineInfo, pairs: list[tuple[str, Any]]) -> str:
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

    def __init__(self, engine: _Engine) -> None:
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


def _cpu_defaults(kwargs: dict[str, Any], kv_cache_bytes: int | None) -> None:
    """Settings vLLM's CPU build needs that the user did not give.

    * KV cache: a fixed size (vLLM's default there reserves 92% of the machine's memory).
    * Chunked prefill off: vLLM 0.32's CPU worker crashes ("CPU Generator does not use
      offset") when a seeded request's prefill is split over steps, which chunked prefill
      does as soon as a batch's prompts exceed ``max_num_batched_tokens``. Without chunking
      every prompt must fit in one step, so that budget becomes at least the context length.
    """
    if kv_cache_bytes:
        kwargs["kv_cache_memory_bytes"] = kv_cache_bytes
    if "enable_chunked_prefill" not in kwargs:
        kwargs["enable_chunked_prefill"] = False
        if "max_num_batched_tokens" not in kwargs:
            context = kwargs.get("max_model_len") or _config_context(kwargs["model"]) or 0
            kwargs["max_num_batched_tokens"] = max(4096, int(context))


def _config_context(model_dir: str) -> int | None:
    """The context length a model's config.json declares, if it says."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    for section in (config, config.get("text_config") or {}):
        value = section.get("max_position_embeddings")
        if isinstance(value, int) and value > 0:
            return value
    return None


def _on_cpu() -> bool:
    try:
        from vllm.platforms import current_platform

        return bool(current_platform.is_cpu())
    except Exception:  # noqa: BLE001
        return False


def create_vllm(config: AgentConfig) -> VllmAgent:
    """The ``vllm`` agent factory: ``config.model`` is a local directory or a Hugging Face id
    already in the local cache (else :class:`~agents.weights.ModelWeightsNotFound` saying how
    to fetch it). Validates the settings; the engine starts at the first ``agenerate``."""
    if not config.model or not str(config.model).strip():
        raise ValueError(
            "vllm agent: a model is required (--model: a Hugging Face id in the local cache, "
            "e.g. Qwen/Qwen2.5-14B-Instruct, or a local directory)"
        )
    return VllmAgent(config, model_path=resolve_model(config.model))
