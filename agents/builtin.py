"""The agents that ship with the project, offered through the plugin hook like any other.

Factories import their backend only when called, so listing agents stays cheap.
"""

from __future__ import annotations

from plugins import hookimpl

from .base import Agent
from .config import AgentConfig
from .spec import AgentSpec


def _random(config: AgentConfig) -> Agent:
    from .random_agent import create_random

    return create_random(config)


def _solver(config: AgentConfig) -> Agent:
    from .solver import create_solver

    return create_solver(config)


def _api(config: AgentConfig) -> Agent:
    from .api import create_api

    return create_api(config)


def _human(config: AgentConfig) -> Agent:
    from .human import create_human

    return create_human(config)


def _vllm(config: AgentConfig) -> Agent:
    from .vllm import create_vllm

    return create_vllm(config)


def _preset(name: str):
    def create(config: AgentConfig) -> Agent:
        from .presets import preset_factory

        return preset_factory(name)(config)

    return create


@hookimpl
def clue_agents() -> list[AgentSpec]:
    return [
        AgentSpec("random", "picks a valid option for every question at random: the chance baseline", _random),
        AgentSpec(
            "solver", "parses the prompt's clues and solves them with CP-SAT: a zero-cost exact baseline", _solver
        ),
        AgentSpec(
            "api", "any OpenAI-compatible chat-completions server (--base-url, --model, key from $OPENAI_API_KEY)", _api
        ),
        AgentSpec("human", "a person at the terminal, with a detective's notepad", _human),
        AgentSpec("vllm", "a local model on an in-process vLLM engine (--model: HF id or path)", _vllm),
        AgentSpec(
            "qwen14b", "Qwen2.5-14B-Instruct on vLLM (local weights or the Hugging Face cache)", _preset("qwen14b")
        ),
        AgentSpec(
            "qwen32b", "Qwen2.5-32B-Instruct on vLLM (local weights or the Hugging Face cache)", _preset("qwen32b")
        ),
        AgentSpec(
            "tiny",
            "the tiny Qwen2-architecture base (warmed up on tiny/cpu), on vLLM (CPU build works): tests, demos, CPU training",
            _preset("tiny"),
        ),
    ]
