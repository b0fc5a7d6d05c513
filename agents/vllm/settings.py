"""The vllm agent's settings: :class:`EngineOptions` (typed, with the one parser of the user's
``--agent-arg key=value`` strings), the ``vllm.LLM`` keyword arguments they give, and what
vLLM's CPU build and the process environment need when an engine starts.

A caller with typed values (the trainer) builds :class:`EngineOptions` directly; strings from
the command line or a config file go through :func:`parse_engine_options`, which starts from
such a typed value and raises :class:`~agents.config.AgentSettingError` (a ValueError, one line
naming the key and the value) for anything it cannot read. Nothing here imports vLLM until an
engine is being created.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..config import AgentSettingError, Settings

_LOGPROBS_MODES = ("raw_logprobs", "processed_logprobs", "raw_logits", "processed_logits")
_DTYPES = ("auto", "float32", "bfloat16", "float16", "half", "float")
_WEIGHT_TRANSFERS = ("auto", "ipc", "nccl", "none")
CPU_DEFAULT_KV_CACHE_GB = 1.0
MULTIPROC_ENV = "VLLM_ENABLE_V1_MULTIPROCESSING"
INSECURE_ENV = "VLLM_ALLOW_INSECURE_SERIALIZATION"


@dataclass(frozen=True)
class EngineOptions:
    """The vllm agent's own settings (``config.extra``, ``--agent-arg key=value``), typed.

    None means "not set": vLLM's default (or the one named) applies.

    Attributes:
        name: the agent's name in results (default ``vllm:{model}``; presets: the preset's name).
        dtype: ``auto`` (default), ``float32``, ``bfloat16``, ``float16`` (``half``, ``float``).
        max_model_len: context length (default: the model's).
        gpu_memory_utilization: fraction of GPU memory for weights + KV cache (vLLM's 0.92
            default); on vLLM's CPU build, the fraction of CPU memory.
        kv_cache_gb: KV-cache size in GiB (overrides the fraction). On the CPU build the default
            is 1 GiB unless ``VLLM_CPU_KVCACHE_SPACE`` or ``gpu_memory_utilization`` is set,
            since vLLM's own default there reserves 92% of the machine's memory.
        enforce_eager: True skips torch.compile/CUDA graphs (faster start, slower steps).
        max_num_seqs, max_num_batched_tokens: scheduler limits.
        enable_prefix_caching: vLLM's default: on.
        enable_chunked_prefill: vLLM's default: on; on vLLM's CPU build the default here is off
            (see :func:`cpu_defaults`: seeded sampling crashes there with chunked prefill).
        ignore_eos: keep sampling past end-of-sequence up to ``max_tokens`` (benchmarks).
        logprobs_mode: ``raw_logprobs`` (default), ``processed_logprobs`` (after temperature and
            top-p), ``raw_logits``, ``processed_logits``.
        verbose: show vLLM's INFO logs, its weight-loading bars and its stats. Default (None):
            ``CLUE_VERBOSE=1`` (which ``clue --verbose`` sets); otherwise the agent is quiet:
            vLLM logs errors only, unless ``VLLM_LOGGING_LEVEL`` says otherwise.
        in_process: True runs vLLM's engine core and worker in this process
            (``VLLM_ENABLE_V1_MULTIPROCESSING=0``, set for this engine only): weights move to it
            through memory. Default (None): vLLM's (separate processes), or that variable where set.
        max_in_flight: the most prompts whose requests are in the engine at once (None: no bound).
        weight_transfer: ``auto`` (default: ``ipc`` on CUDA, ``none`` on vLLM's CPU build),
            ``ipc``, ``nccl``, ``none`` (updates go through ``in_process`` memory or a temporary
            directory). ``ipc`` sets ``VLLM_ALLOW_INSECURE_SERIALIZATION=1`` in this process (and
            so in the engine's), which vLLM needs to pass CUDA IPC handles between its processes.
        sleep_mode: let :meth:`~agents.vllm.agent.VllmAgent.sleep` free GPU memory (vLLM's
            ``enable_sleep_mode``; CUDA only, ignored on the CPU build).
        log_stats: keep vLLM's statistics on (default; quietly, unless ``verbose``), so
            :meth:`~agents.vllm.agent.VllmAgent.stats` can report preemptions.
        tensor_parallel_size: GPUs per engine (default: ``AgentConfig.tensor_parallel_size``).
    """

    name: str | None = None
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    kv_cache_gb: float | None = None
    enforce_eager: bool | None = None
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None
    enable_prefix_caching: bool | None = None
    enable_chunked_prefill: bool | None = None
    ignore_eos: bool = False
    logprobs_mode: str = "raw_logprobs"
    verbose: bool | None = None
    in_process: bool | None = None
    max_in_flight: int | None = None
    weight_transfer: str = "auto"
    sleep_mode: bool = False
    log_stats: bool = True
    tensor_parallel_size: int | None = None

    def __post_init__(self) -> None:
        for key in OPTION_KEYS:
            value = getattr(self, key)
            if value is None and key not in _REQUIRED:
                continue
            want = _check(key, value)
            if want is not None:
                raise AgentSettingError(f"vllm agent: {key} must be {want}, got {value!r}")


#: Kind and bounds of the numeric options (as :meth:`agents.config.Settings.number` reads them).
_NUMBERS: dict[str, tuple[type, float | None, float | None]] = {
    "max_model_len": (int, 16, None),
    "gpu_memory_utilization": (float, 0.01, 1.0),
    "kv_cache_gb": (float, 0.001, None),
    "max_num_seqs": (int, 1, None),
    "max_num_batched_tokens": (int, 16, None),
    "max_in_flight": (int, 1, None),
    "tensor_parallel_size": (int, 1, None),
}
_CHOICES = {"dtype": _DTYPES, "logprobs_mode": _LOGPROBS_MODES, "weight_transfer": _WEIGHT_TRANSFERS}
_FLAGS = (
    "enforce_eager",
    "enable_prefix_caching",
    "enable_chunked_prefill",
    "ignore_eos",
    "verbose",
    "in_process",
    "sleep_mode",
    "log_stats",
)
#: The settings' keys, in the order ``--agent-arg`` errors list them.
OPTION_KEYS = tuple(f.name for f in fields(EngineOptions))
#: Options that always have a value (the others may be None).
_REQUIRED = ("dtype", "ignore_eos", "logprobs_mode", "weight_transfer", "sleep_mode", "log_stats")


def _check(key: str, value: Any) -> str | None:
    """What a typed ``value`` of option ``key`` should be, if it is not that; None when it fits."""
    if key in _CHOICES:
        return None if value in _CHOICES[key] else f"one of {', '.join(_CHOICES[key])}"
    if key in _FLAGS:
        return None if isinstance(value, bool) else "True or False"
    if key in _NUMBERS:
        kind, low, high = _NUMBERS[key]
        what = "an integer" if kind is int else "a number"
        bounds = " and ".join(b for b in (low is not None and f">= {low}", high is not None and f"<= {high}") if b)
        types = int if kind is int else (int, float)
        if isinstance(value, bool) or not isinstance(value, types) or not math.isfinite(value):
            return f"{what} {bounds}"
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{what} {bounds}"
        return None
    return None if isinstance(value, str) else "a text"


def parse_engine_options(values: Mapping[str, str] | None, base: EngineOptions | None = None) -> EngineOptions:
    """``base`` (default: :class:`EngineOptions`'s defaults) with the settings in ``values``
    (``--agent-arg`` strings: ``{"dtype": "float32", "in_process": "1"}``) read over it.

    Raises :class:`~agents.config.AgentSettingError` for an unknown key or a value that does
    not read (``vllm agent: dtype must be one of auto, ..., got 'int3'``)."""
    settings = Settings("vllm", values, known=OPTION_KEYS)
    given: dict[str, Any] = {}
    for key in OPTION_KEYS:
        if key not in settings:
            continue
        if key in _CHOICES:
            given[key] = settings.choice(key, _CHOICES[key])
        elif key in _FLAGS:
            given[key] = settings.flag(key)
        elif key in _NUMBERS:
            kind, low, high = _NUMBERS[key]
            given[key] = settings.number(key, kind, low, high)
        else:
            given[key] = settings.text(key)
    return replace(base or EngineOptions(), **given)


def llm_kwargs(options: EngineOptions, model_path: str, *, tensor_parallel_size: int, seed: int) -> dict[str, Any]:
    """The keyword arguments of ``vllm.LLM`` that ``options`` give (those not set are left out)."""
    kwargs: dict[str, Any] = {
        "model": model_path,
        "tokenizer": model_path,
        "tensor_parallel_size": options.tensor_parallel_size or tensor_parallel_size,
        "seed": seed,
        "dtype": options.dtype,
        "logprobs_mode": options.logprobs_mode,
    }
    for key in ("max_model_len", "max_num_seqs", "max_num_batched_tokens", "gpu_memory_utilization"):
        if getattr(options, key) is not None:
            kwargs[key] = getattr(options, key)
    if options.kv_cache_gb is not None:
        kwargs["kv_cache_memory_bytes"] = int(options.kv_cache_gb * 2**30)
    for key in ("enforce_eager", "enable_prefix_caching", "enable_chunked_prefill"):
        if getattr(options, key) is not None:
            kwargs[key] = getattr(options, key)
    return kwargs


def start_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``kwargs`` for one engine's start: where no KV-cache size is set (nor
    ``VLLM_CPU_KVCACHE_SPACE``), it carries the CPU build's default size, which the engine
    thread applies only on that build (see :func:`cpu_defaults`)."""
    kwargs = dict(kwargs)
    if (
        "kv_cache_memory_bytes" not in kwargs
        and "gpu_memory_utilization" not in kwargs
        and not os.environ.get("VLLM_CPU_KVCACHE_SPACE")
    ):
        kwargs["_cpu_kv_default_bytes"] = int(CPU_DEFAULT_KV_CACHE_GB * 2**30)
    return kwargs


def cpu_defaults(kwargs: dict[str, Any], kv_cache_bytes: int | None) -> None:
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


def on_cpu() -> bool:
    """Whether the vLLM installed is its CPU build."""
    try:
        from vllm.platforms import current_platform

        return bool(current_platform.is_cpu())
    except Exception:  # noqa: BLE001
        return False


@contextlib.contextmanager
def environment(values: dict[str, str]):
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
