"""The ``vllm`` agent: a local model on an in-process vLLM engine (continuous batching), whose
weights a trainer can replace in place, between rollouts. This module is the agent itself
(:class:`VllmAgent`: prompts in, completions out, and its public API) and its factory
:func:`create_vllm`; the engine's driver thread is :mod:`agents.vllm.engine`, weight updates
:mod:`agents.vllm.weights`, its settings :mod:`agents.vllm.settings`.

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

Engine. ``vllm.LLM`` is created at the first ``agenerate`` (or :meth:`VllmAgent.start`; never
at import or in the constructor) on the agent's own driver thread, which then owns it;
concurrent ``agenerate`` calls (from any event loops) share the running batch, and
``agents.base.generate`` (a fresh ``asyncio.run`` each time) works. ``close()`` aborts what is
in flight, shuts the engine's processes down and frees it. ``max_in_flight=N`` bounds the
prompts in the engine at once (:meth:`VllmAgent.stats` reports vLLM's preemption count).
:meth:`VllmAgent.run_on_engine` (``submit_to_engine`` for a future, ``arun_on_engine`` to
await it) runs ``fn(llm)`` on the driver thread between two engine steps; with ``idle=True`` it
refuses (:class:`~agents.vllm.engine.EngineBusyError`) while any request is in flight or
waiting. Never call it from inside such a function.

Weights. :meth:`VllmAgent.update_weights` loads a full set of Hugging Face-named tensors into
the running engine, in place, checked first (see :mod:`agents.vllm.weights` for the checks and
the routes: ``iterator``, ``ipc``, ``nccl``, ``path``).

Sleeping (sharing a GPU with the trainer). :meth:`VllmAgent.sleep` (level 1: weights to CPU
memory, KV cache dropped; level 2: both dropped; level 0: scheduling paused only) and
:meth:`VllmAgent.wake_up`; ``update_weights`` on a sleeping engine wakes its weights first and
the rest after. Levels 1 and 2 need ``sleep_mode=1`` on CUDA. vLLM's CPU build has no sleep
mode: there ``sleep`` only pauses scheduling (its worker logs that it ignores the rest).
``agenerate`` on a sleeping engine raises :class:`~agents.vllm.engine.EngineStateError`.

Seeds. With ``sampling.seed`` set, prompt ``i`` is sampled with seed ``seed + i * n`` (vLLM
gives its ``n`` completions ``+0 .. +n-1``), so the same call gives the same completions and
repeated prompts still differ; without it, the engine's generator (seeded once with
``config.seed``) is used. Across different batch mixes the model's numerics may differ in the
last bits, so reproducibility is per identical call.

A prompt that cannot be sent (longer than the context, ...) gives ``sampling.n``
completions with ``error`` set and ``text=""``; ``max_tokens`` is clamped to what is left of
the context after the prompt. An engine failure raises.

Settings (``config.extra``, ``--agent-arg key=value``; typed: ``options=``): see
:class:`~agents.vllm.settings.EngineOptions`.

vLLM keeps its statistics in one Prometheus registry per process: with several engines in one
process, the preemption count is that of the engine started last.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..base import Completion, Prompt, SamplingConfig, messages_of
from ..config import AgentConfig
from ..weights import resolve_model
from .engine import Engine, EngineInfo, EngineStateError, EngineStats, Rejected, count_preemptions
from .settings import EngineOptions, llm_kwargs, parse_engine_options, start_kwargs
from .weights import EngineWeights, WeightUpdate

_SLEEP_TAGS = ("weights", "kv_cache", "scheduling")
_SEED_MOD = 2**63 - 1


class VllmAgent:
    """A model on an in-process vLLM engine as an ``Agent``. See the module docstring."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        model_path: str | Path | None = None,
        extra: dict[str, str] | None = None,
        options: EngineOptions | None = None,
    ) -> None:
        """``options``: the engine's settings, typed; else read from ``extra`` (``--agent-arg``
        strings; default ``config.extra``) by :func:`~agents.vllm.settings.parse_engine_options`."""
        if options is None:
            options = parse_engine_options(config.extra if extra is None else extra)
        elif extra is not None:
            raise TypeError("VllmAgent: give options (typed) or extra (strings), not both")
        if model_path is None:
            model_path = resolve_model(config.model or "")
        self.config = config
        self.model_path = str(model_path)
        self.model: str = str(config.model or model_path)
        self.name: str = options.name or f"vllm:{self.model}"
        self.ignore_eos = options.ignore_eos
        self.verbose = options.verbose if options.verbose is not None else os.environ.get("CLUE_VERBOSE") == "1"
        self.engine_options = options
        self.llm_kwargs = llm_kwargs(
            options, self.model_path, tensor_parallel_size=config.tensor_parallel_size, seed=config.seed
        )
        self._max_in_flight: int | None = options.max_in_flight
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._closed = False
        self._sleeping = False
        self._ids = itertools.count()
        self._weights = EngineWeights(self.name, Path(self.model_path))

    def __repr__(self) -> str:
        tp = self.llm_kwargs["tensor_parallel_size"]
        return f"VllmAgent(name={self.name!r}, model={self.model_path!r}, tp={tp})"

    # -- engine -------------------------------------------------------------------------------

    def _start(self) -> Engine:
        with self._lock:
            if self._closed:
                raise EngineStateError(f"{self.name}: agent is closed")
            if self._engine is None:
                self._engine = Engine(
                    start_kwargs(self.llm_kwargs),
                    verbose=self.verbose,
                    options=self.engine_options,
                    max_in_flight=self._max_in_flight,
                )
            return self._engine

    async def _ready(self) -> tuple[Engine, EngineInfo]:
        engine = self._start()
        info = await asyncio.wrap_future(engine.ready)
        return engine, info

    def _ready_now(self) -> tuple[Engine, EngineInfo]:
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
            return EngineStats(
                started=False, weight_updates=self._weights.updates, last_update_s=self._weights.last_update_s
            )
        info: EngineInfo = engine.ready.result()
        log_stats = self.engine_options.log_stats

        def read(llm) -> EngineStats:
            stats = EngineStats(
                started=True,
                in_process=info.in_process,
                requests_in_flight=len(engine.pending),
                requests_waiting=len(engine.backlog),
                peak_engine_requests=engine.peak_requests,
                preemptions=count_preemptions(llm) if log_stats else None,
                weight_updates=self._weights.updates,
                last_update_s=self._weights.last_update_s,
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

        Raises :class:`~agents.vllm.weights.WeightsError` (engine untouched) for names, shapes or
        dtypes that do not fit, :class:`~agents.vllm.engine.EngineBusyError` (engine untouched)
        while requests are in flight or waiting, and :class:`~agents.vllm.engine.EngineStateError`
        if the load failed after touching the engine (the agent then refuses further work: close it
        and start a new one). A tied ``lm_head.weight`` may be given or not (vLLM takes it from the
        embedding). See :mod:`agents.vllm.weights` for the routes.
        """
        t0 = time.perf_counter()
        engine, info = self._ready_now()
        self._check_usable(engine)
        done = self._weights.update(engine, info, weights, sleeping=self._sleeping, t0=t0)
        self._sleeping = False  # an update wakes a sleeping engine
        return done

    def _check_usable(self, engine: Engine) -> None:
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
                fut.set_exception(Rejected(f"prompt is {len(ids)} tokens; the model's context is {max_len}"))
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
        if isinstance(result, Rejected):
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
        self._weights.close()
        if engine is not None:
            engine.stop()

    def __enter__(self) -> VllmAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
