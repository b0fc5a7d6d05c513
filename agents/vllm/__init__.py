"""The ``vllm`` agent: a local model on an in-process vLLM engine whose weights a trainer can
replace in place. One job per module, their public names re-exported here:

* :mod:`.agent`: :class:`VllmAgent` (prompts in, completions out; the public agent API) and
  :func:`create_vllm`, the ``vllm`` agent's factory;
* :mod:`.engine`: the engine's driver thread, which owns the ``vllm.LLM``, its errors and stats;
* :mod:`.weights`: weight updates in place: the checks against the checkpoint, the routes, the
  worker extension vLLM mixes into its workers;
* :mod:`.settings`: :class:`EngineOptions` (the agent's settings, typed) and their one parser,
  what vLLM's CPU build and the environment need.

Importing this package imports neither vLLM nor torch; an engine starts at the first request.
"""

from .agent import VllmAgent, create_vllm
from .engine import EngineBusyError, EngineStateError, EngineStats
from .settings import EngineOptions, parse_engine_options
from .weights import WeightsError, WeightUpdate, WorkerExtension, check_weights, read_manifest

__all__ = [
    "EngineBusyError",
    "EngineOptions",
    "EngineStateError",
    "EngineStats",
    "VllmAgent",
    "WeightUpdate",
    "WeightsError",
    "WorkerExtension",
    "check_weights",
    "create_vllm",
    "parse_engine_options",
    "read_manifest",
]
