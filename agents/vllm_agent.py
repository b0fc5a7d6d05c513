"""The ``vllm`` agent under its former name: it lives in :mod:`agents.vllm` (one module per job:
agent, engine, weights, settings); this module re-exports the public names, for code written
against the former module. New code imports :mod:`agents.vllm`."""

from .vllm import (
    EngineBusyError,
    EngineOptions,
    EngineStateError,
    EngineStats,
    VllmAgent,
    WeightsError,
    WeightUpdate,
    WorkerExtension,
    check_weights,
    create_vllm,
    parse_engine_options,
    read_manifest,
)

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
