"""Playing one episode with an agent: a one-shot puzzle (one prompt, one answer) or an investigation
(a conversation: the case, then the detective's questions and the environment's answers, until
the accusation). The evaluation runner and the trainer's rollouts both play through here.

A multi-turn episode keeps each assistant turn's :class:`~agents.base.Completion` in its
message (``"completion"``), so an agent that samples tokens continues from that turn's exact ids
(see :mod:`agents.base`), and a trainer can train on every turn it sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from agents.base import Agent, Completion, SamplingConfig
from clue_env.grading import Grade, Grader
from clue_env.investigation import InvestigationCase, Session
from clue_env.puzzle import Task

Item = Task | InvestigationCase
"""What an episode plays: a one-shot puzzle or an investigation case."""


@dataclass
class Played:
    """One finished episode, before it becomes an ``Episode`` record.

    ``completions``: the agent's turns (one for a one-shot puzzle); ``transcript``: the
    conversation as role/content messages, the environment's replies included (investigations);
    ``reward``: the game's reward (an investigation's net of its question cost); ``grade``: the
    grade of the final answers; ``questions``: questions asked (investigations), else None.
    """

    completions: list[Completion]
    grade: Grade
    reward: float
    transcript: list[dict[str, str]] = field(default_factory=list)
    questions: int | None = None
    error: str | None = None


async def play(agent: Agent, item: Item, sampling: SamplingConfig, grader: Grader | None = None) -> Played:
    """Play ``item`` once with ``agent`` (``sampling.n`` is taken as 1). An agent that raises loses the
    episode with its error (reward 0), it never loses the record."""
    sampling = replace(sampling, n=1)
    if isinstance(item, InvestigationCase):
        return await _investigate(agent, item, sampling)
    grader = grader or Grader(item.solution, item.options)
    completion = await _ask(agent, item.prompt, sampling)
    grade = grader(completion.text)
    reward = 0.0 if completion.error else float(grade.reward)
    return Played([completion], grade, reward, error=completion.error)


async def _ask(agent: Agent, prompt: Any, sampling: SamplingConfig) -> Completion:
    try:
        return (await agent.agenerate([prompt], sampling))[0][0]
    except Exception as err:  # noqa: BLE001 -- an agent bug must not lose the episode
        return Completion(text="", error=f"{type(err).__name__}: {err}")


async def _investigate(agent: Agent, case: InvestigationCase, sampling: SamplingConfig) -> Played:
    session = Session(case)
    messages: list[dict[str, Any]] = [{"role": "user", "content": session.prompt}]
    completions: list[Completion] = []
    error = None
    turn_seed = sampling.seed
    while not session.done:
        turn_sampling = replace(sampling, seed=None if turn_seed is None else turn_seed + len(completions))
        completion = await _ask(agent, messages, turn_sampling)
        completions.append(completion)
        messages.append({"role": "assistant", "content": completion.text, "completion": completion})
        if completion.error:  # the request failed: the episode ends here, graded as it stands
            error = completion.error
            break
        turn = session.step(completion.text)
        if not turn.done:
            messages.append({"role": "user", "content": turn.observation})
    transcript = [{"role": m["role"], "content": m["content"]} for m in messages]
    if error is not None:
        grade = Grader(case.solution, case.options)("")
        return Played(completions, grade, 0.0, transcript, session.questions_asked, error)
    assert session.grade is not None
    return Played(completions, session.grade, float(session.reward), transcript, session.questions_asked)
