"""The ``vllm`` agent: a local model on an in-process vLLM engine (continuous batching).

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
engine's processes down and frees it.

vLLM starts worker processes (fork by default, spawn where CUDA is already initialised):
a script that uses this agent should build its engine under ``if __name__ == "__main__":``
(or in a function that a spawned child does not re-run on import).

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
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import copy
import gc
import itertools
import logging
import math
import os
import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import Completion, SamplingConfig
from .config import AgentConfig

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
)
_LOGPROBS_MODES = ("raw_logprobs", "processed_logprobs", "raw_logits", "processed_logits")
_DTYPES = ("auto", "float32", "bfloat16", "float16", "half", "float")
_SEED_MOD = 2**63 - 1
CPU_DEFAULT_KV_CACHE_GB = 1.0


def _flag(extra: dict[str, str], key: str) -> bool | None:
    if key not in extra:
        return None
    value = str(extra[key]).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"vllm agent: {key} must be 0 or 1, got {extra[key]!r}")


def _number(extra: dict[str, str], key: str, kind: type, low: float, high: float | None = None) -> Any:
    if key not in extra:
        return None
    try:
        value = kind(str(extra[key]).strip())
    except ValueError:
        raise ValueError(f"vllm agent: {key} must be a {kind.__name__}, got {extra[key]!r}") from None
    if not (value >= low and (high is None or value <= high)) or (kind is float and not math.isfinite(value)):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"vllm agent: {key} must be {bound}, got {extra[key]!r}")
    return value


class _Rejected(Exception):
    """The engine refused one request (too long, invalid); other requests go on."""


class _Engine:
    """A ``vllm.LLM`` owned by one driver thread that adds requests and steps the engine."""

    def __init__(self, llm_kwargs: dict[str, Any]) -> None:
        self._kwargs = llm_kwargs
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self.ready: cf.Future = cf.Future()  # -> (tokenizer, max_model_len)
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="vllm-engine", daemon=True)
        self._thread.start()

    # -- called from any thread ---------------------------------------------------------------

    def submit(self, items: list[tuple[str, dict, Any, cf.Future]]) -> None:
        self._commands.put(("add", items))

    def abort(self, request_ids: list[str]) -> None:
        self._commands.put(("abort", request_ids))

    def stop(self, timeout: float = 60.0) -> None:
        self._commands.put(("stop", None))
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # -- the driver thread --------------------------------------------------------------------

    def _main(self) -> None:
        try:
            from vllm import LLM

            kwargs = dict(self._kwargs)
            cpu_kv_default = kwargs.pop("_cpu_kv_default_bytes", None)
            if _on_cpu():
                _cpu_defaults(kwargs, cpu_kv_default)
            llm = LLM(**kwargs)
            tokenizer = llm.get_tokenizer()
            max_len = int(llm.llm_engine.model_config.max_model_len)
            # The caller renders prompts with its own copy: a tokenizer is not safe to share
            # across threads (transformers may reconfigure it per call).
            render_tokenizer = copy.deepcopy(tokenizer)
        except BaseException as e:  # noqa: BLE001 - reported to every caller
            self.failure = e
            self.ready.set_exception(e)
            self._drain_failing(e)
            return
        self.ready.set_result((render_tokenizer, max_len))
        engine = llm.llm_engine
        pending: dict[str, cf.Future] = {}
        try:
            self._loop(engine, pending)
        except BaseException as e:
            self.failure = e
            log.exception("vllm agent: the engine failed")
            for fut in pending.values():
                _settle(fut, error=e)
            pending.clear()
        finally:
            for fut in pending.values():
                fut.cancel()
            try:
                llm.llm_engine.engine_core.shutdown()
            except Exception:
                log.debug("vllm agent: engine shutdown raised", exc_info=True)
            del engine, llm
            gc.collect()
        if self.failure is not None:
            self._drain_failing(self.failure)

    def _loop(self, engine, pending: dict[str, cf.Future]) -> None:
        while True:
            block = not engine.has_unfinished_requests()
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
                    continue
                for request_id, prompt, params, fut in payload:
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
            if not engine.has_unfinished_requests():
                continue
            for out in engine.step():
                if out.finished and (fut := pending.pop(out.request_id, None)) is not None:
                    _settle(fut, result=out)

    def _drain_failing(self, error: BaseException) -> None:
        """Fail whatever is queued, and anything queued later, with ``error``."""
        while True:
            kind, payload = self._commands.get()
            if kind == "stop":
                return
            if kind == "add":
                for _, _, _, fut in payload:
                    _settle(fut, error=error)


def _settle(fut: cf.Future, result: Any = None, error: BaseException | None = None) -> None:
    """Resolve ``fut`` unless its waiter cancelled it meanwhile (from another thread)."""
    try:
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)
    except cf.InvalidStateError:
        pass


class VllmAgent:
    """A model on an in-process vLLM engine as an ``Agent``. See the module docstring."""

    def __init__(
        self, config: AgentConfig, *, model_path: str | Path | None = None, extra: dict[str, str] | None = None
    ) -> None:
        extra = dict(config.extra or {}) if extra is None else dict(extra)
        unknown = sorted(set(extra) - set(_EXTRA_KEYS))
        if unknown:
            raise ValueError(f"vllm agent: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_EXTRA_KEYS)}")
        if model_path is None:
            from .presets import resolve_model

            model_path = resolve_model(config.model or "")
        self.config = config
        self.model_path = str(model_path)
        self.model: str = str(config.model or model_path)
        self.name: str = extra.get("name") or f"vllm:{self.model}"
        dtype = extra.get("dtype", "auto")
        if dtype not in _DTYPES:
            raise ValueError(f"vllm agent: dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        logprobs_mode = extra.get("logprobs_mode", "raw_logprobs")
        if logprobs_mode not in _LOGPROBS_MODES:
            raise ValueError(
                f"vllm agent: logprobs_mode must be one of {', '.join(_LOGPROBS_MODES)}, got {logprobs_mode!r}"
            )
        self.ignore_eos = bool(_flag(extra, "ignore_eos"))
        kwargs: dict[str, Any] = {
            "model": self.model_path,
            "tokenizer": self.model_path,
            "tensor_parallel_size": config.tensor_parallel_size,
            "seed": config.seed,
            "dtype": dtype,
            "logprobs_mode": logprobs_mode,
        }
        for key, kind, low, high in (
            ("max_model_len", int, 16, None),
            ("max_num_seqs", int, 1, None),
            ("max_num_batched_tokens", int, 16, None),
            ("gpu_memory_utilization", float, 0.01, 1.0),
        ):
            value = _number(extra, key, kind, low, high)
            if value is not None:
                kwargs[key] = value
        kv_gb = _number(extra, "kv_cache_gb", float, 0.001)
        if kv_gb is not None:
            kwargs["kv_cache_memory_bytes"] = int(kv_gb * 2**30)
        for key in ("enforce_eager", "enable_prefix_caching", "enable_chunked_prefill"):
            value = _flag(extra, key)
            if value is not None:
                kwargs[key] = value
        self.llm_kwargs = kwargs
        self._lock = threading.Lock()
        self._engine: _Engine | None = None
        self._closed = False
        self._ids = itertools.count()

    def __repr__(self) -> str:
        return f"VllmAgent(name={self.name!r}, model={self.model_path!r}, tp={self.config.tensor_parallel_size})"

    # -- engine -------------------------------------------------------------------------------

    def _start(self) -> _Engine:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name}: agent is closed")
            if self._engine is None:
                kwargs = dict(self.llm_kwargs)
                if (
                    "kv_cache_memory_bytes" not in kwargs
                    and "gpu_memory_utilization" not in kwargs
                    and not os.environ.get("VLLM_CPU_KVCACHE_SPACE")
                ):
                    # Applied by the driver thread only on vLLM's CPU build (see _on_cpu).
                    kwargs["_cpu_kv_default_bytes"] = int(CPU_DEFAULT_KV_CACHE_GB * 2**30)
                self._engine = _Engine(kwargs)
            return self._engine

    async def _ready(self) -> tuple[_Engine, Any, int]:
        engine = self._start()
        tokenizer, max_len = await asyncio.wrap_future(engine.ready)
        return engine, tokenizer, max_len

    def start(self) -> None:
        """Start the engine now and wait until it is ready (else: at the first ``agenerate``)."""
        self._start().ready.result()

    # -- prompts ------------------------------------------------------------------------------

    @staticmethod
    def render(tokenizer, prompt: str) -> list[int]:
        """The prompt as the model sees it: one user message through the chat template."""
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
            return list(tokenizer.encode(text, add_special_tokens=False))
        return list(tokenizer.encode(prompt))

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

    async def agenerate(self, prompts: Sequence[str], sampling: SamplingConfig) -> list[list[Completion]]:
        prompts = list(prompts)
        if not prompts:
            return []
        engine, tokenizer, max_len = await self._ready()
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
        if engine is not None:
            engine.stop()

    def __enter__(self) -> VllmAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    import json

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
    already in the local cache (else :class:`~agents.presets.ModelWeightsNotFound` saying how
    to fetch it). Validates the settings; the engine starts at the first ``agenerate``."""
    from .presets import resolve_model

    if not config.model or not str(config.model).strip():
        raise ValueError(
            "vllm agent: a model is required (--model: a Hugging Face id in the local cache, "
            "e.g. Qwen/Qwen2.5-14B-Instruct, or a local directory)"
        )
    return VllmAgent(config, model_path=resolve_model(config.model))
