"""The ``vllm`` agent under its former name: it lives in :mod:`agents.vllm` (one module per job:
agent, engine, weights, settings); this module re-exports its public names, for code written
against the former module. New code imports :mod:`agents.vllm`."""

from .vllm import *  # noqa: F403
from .vllm import __all__  # noqa: F401
