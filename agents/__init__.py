"""Agents: what plays the environment. Each is offered through the ``clue_agents`` hook.

from agents import create_agent, SamplingConfig, generate
solver = create_agent("solver")
print(generate(solver, [prompt])[0][0].text)
"""

from .base import Agent, Completion, SamplingConfig, answer, generate
from .config import AgentConfig
from .spec import AGENTS, AgentSpec, agents, get_agent


def create_agent(name: str, config: AgentConfig | None = None) -> Agent:
    """Build the agent called ``name`` (see ``clue list``) with ``config``."""
    return get_agent(name).create(config or AgentConfig())


__all__ = [
    "AGENTS",
    "Agent",
    "AgentConfig",
    "AgentSpec",
    "Completion",
    "SamplingConfig",
    "agents",
    "answer",
    "create_agent",
    "generate",
    "get_agent",
]
