"""The vllm agent's engine: a ``vllm.LLM`` owned by one driver thread (:class:`Engine`).

``vllm.LLM`` is created on the driver thread when the agent first needs it (never at import or
in the agent's constructor); the thread then owns it: it adds the requests of every
``agenerate`` call as they come and steps the engine while any is unfinished, so concurrent
calls (from any event loops) share the running batch. With ``max_in_flight=N`` it sends at most
N prompts' requests to the engine at once and holds the rest back in arrival order (sending a
whole rollout batch at once makes vLLM preempt running requests when the KV cache fills).
Stopping aborts what is in flight, shuts the engine's processes down and frees it.

Running code on the engine: :meth:`Engine.call` runs ``fn(llm)`` on the driver thread between
two engine steps and returns its result through a future; with ``idle=True`` it refuses
(:class:`EngineBusyError`) while any request is in flight or waiting. Never call it from inside
such a function. A weight update (:mod:`agents.vllm.weights`) holds new requests back while it
runs, and marks the engine ``broken`` if it fails after touching it.

vLLM starts worker processes (spawn on its CPU build, fork elsewhere unless CUDA is already
initialised): a script that uses the agent should build its engine under
``if __name__ == "__main__":`` (or in a function that a spawned child does not re-run on import).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import gc
import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .settings import INSECURE_ENV, MULTIPROC_ENV, EngineOptions, cpu_defaults, environment, on_cpu

log = logging.getLogger(__name__)

#: The worker extension vLLM mixes into its workers (by qualified name: the workers import it).
WORKER_EXTENSION = "agents.vllm.weights.WorkerExtension"
# Engines are created one at a time per process: creation reads process-wide environment variables.
_CREATE_LOCK = threading.Lock()
# vLLM's CPU worker, run in this process, replaces torch.set_num_threads with a no-op (to keep its
# thread binding); the original is put back when the last such engine is gone.
_IN_PROCESS_ENGINES = 0
_SET_NUM_THREADS: Any = None


class Rejected(Exception):
    """The engine refused one request (too long, invalid); other requests go on."""


class EngineBusyError(RuntimeError):
    """The engine has requests in flight (or held back) and the operation needs it idle."""


class EngineStateError(RuntimeError):
    """The engine cannot do this now: it is asleep, closed, or its weights are in an unknown state."""


@dataclass(frozen=True)
class EngineStats:
    """The engine's queue and counters, as :meth:`~agents.vllm.agent.VllmAgent.stats` reads them.

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
class EngineInfo:
    """What the driver learns once the engine is up."""

    tokenizer: Any
    max_len: int
    in_process: bool
    on_cpu: bool
    weight_transfer: str  # resolved: ipc, nccl or none
    world_size: int
    sleep_mode: bool


class Engine:
    """A ``vllm.LLM`` owned by one driver thread that adds requests, steps the engine and runs calls."""

    def __init__(
        self,
        llm_kwargs: dict[str, Any],
        verbose: bool = False,
        options: EngineOptions | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self._kwargs = llm_kwargs
        self._verbose = verbose
        self._options = options or EngineOptions()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self.ready: cf.Future = cf.Future()  # -> EngineInfo
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

    def _create(self) -> tuple[Any, EngineInfo]:
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
        cpu = on_cpu()
        if cpu:
            cpu_defaults(kwargs, cpu_kv_default)
        backend = options.weight_transfer
        if backend == "auto":
            backend = "none" if cpu else "ipc"
        if backend != "none":
            if cpu:
                raise ValueError(
                    f"vllm agent: weight_transfer={backend} needs CUDA; vLLM's CPU build updates weights "
                    "with weight_transfer=none (in_process=1, or through a temporary directory)"
                )
            kwargs.setdefault("weight_transfer_config", {"backend": backend})
        sleep_mode = bool(options.sleep_mode and not cpu)
        if sleep_mode:
            kwargs.setdefault("enable_sleep_mode", True)
        in_process = options.in_process
        if in_process is None:
            in_process = os.environ.get(MULTIPROC_ENV, "1").strip().lower() in ("0", "false", "no", "off")
        env = {MULTIPROC_ENV: "0" if in_process else "1"}
        global _IN_PROCESS_ENGINES, _SET_NUM_THREADS
        import torch

        with _CREATE_LOCK:
            if backend == "ipc":
                os.environ[INSECURE_ENV] = "1"  # stays: the encoder reads it at every update
            if _IN_PROCESS_ENGINES == 0:
                _SET_NUM_THREADS = torch.set_num_threads
            with environment(env):
                llm = LLM(**kwargs)
            core = llm.llm_engine.engine_core
            if type(core).__name__ == "InprocClient":
                _IN_PROCESS_ENGINES += 1
                self._counted_in_process = True
        info = EngineInfo(
            # The caller renders prompts with its own copy: a tokenizer is not safe to share
            # across threads (transformers may reconfigure it per call).
            tokenizer=copy.deepcopy(llm.get_tokenizer()),
            max_len=int(llm.llm_engine.model_config.max_model_len),
            in_process=type(core).__name__ == "InprocClient",
            on_cpu=cpu,
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
                _settle(fut, error=Rejected(f"{type(e).__name__}: {e}"))  # this request only
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


def do_nothing(llm) -> None:
    return None


def count_preemptions(llm) -> int:
    """vLLM's ``vllm:num_preemptions`` counter, summed over its engines."""
    total = 0.0
    for metric in llm.get_metrics():
        if metric.name == "vllm:num_preemptions" and hasattr(metric, "value"):
            total += float(metric.value)
    return int(total)
