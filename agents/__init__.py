"""Agents: what plays the environment. Each is offered through the ``clue_agents`` hook.

from agents import create_agent, SamplingConfig, generate
solver = create_agent("solver")
print(generate(solver, [prompt])[0][0].text)
"""

from .base import Agent, Completion, SamplingConfig, answer, generate
from .config import AgentConfig
from .spec import AgentSpec


def create_agent(name: str, config: AgentConfig | None = None) -> Agent:
    """Build the agent called ``name`` (see ``clue list``) with ``config``."""
    from plugins import get_agent

    return get_agent(name).create(config or AgentConfig())


__all__ = ["Agent", "AgentConfig", "AgentSpec", "Completion", "SamplingConfig", "answer", "create_agent", "generate"]
