"""One played episode as a typed record: a line of ``results.jsonl``, and what the trainer's rollouts reuse."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from agents.base import Completion
from clue_env.grading import Grade
from clue_env.puzzle import Task


class EpisodeError(ValueError):
    """A results line that is not an episode record; the message says which field is wrong."""


@dataclass(frozen=True)
class Episode:
    """One sample of one puzzle, graded.

    Attributes:
        episode: ``<puzzle id>#<sample>``, unique in a run.
        puzzle_id / sample: the puzzle and which of its samples this is.
        reward: fraction of the questions answered right (0 when the request failed).
        correct / answers / solution: per label, right or not, the answer read, the right one.
        text: the reply as the agent gave it.
        prompt_tokens / completion_tokens / cost_usd: what the request cost.
        error: why the request finally failed, or None.
        agent / model: who played; seconds: how long the request took.
        finish_reason: why sampling stopped ("stop", "length", ...), where the agent says.
    """

    episode: str
    puzzle_id: str
    sample: int
    reward: float
    correct: dict[str, bool]
    answers: dict[str, str | None]
    solution: dict[str, str]
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    agent: str = ""
    model: str | None = None
    seconds: float = 0.0
    finish_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        task: Task,
        sample: int,
        completion: Completion,
        grade: Grade,
        agent: str,
        model: str | None,
        seconds: float,
    ) -> Episode:
        """The record of ``completion`` as an answer to ``task``, graded by ``grade``."""
        return cls(
            episode=f"{task.id}#{sample}",
            puzzle_id=task.id,
            sample=sample,
            reward=0.0 if completion.error else float(grade.reward),
            correct=dict(grade.correct),
            answers=dict(grade.answers),
            solution=dict(task.solution),
            text=completion.text,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            cost_usd=completion.cost_usd,
            error=completion.error,
            agent=agent,
            model=model,
            seconds=round(seconds, 3),
            finish_reason=completion.finish_reason,
        )

    @property
    def solved(self) -> bool:
        return self.reward == 1.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not data["extra"]:
            del data["extra"]
        return data

    @classmethod
    def from_json(cls, data: object) -> Episode:
        """The episode a results line holds; :class:`EpisodeError` naming the bad field otherwise."""
        if not isinstance(data, dict):
            raise EpisodeError(f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        for name in ("episode", "puzzle_id", "text"):
            if not isinstance(data.get(name), str):
                raise EpisodeError(f"{name!r} must be a string")
        sample, reward = data.get("sample"), data.get("reward")
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
            raise EpisodeError(f"'sample' must be an integer >= 0, got {sample!r}")
        if (
            isinstance(reward, bool)
            or not isinstance(reward, (int, float))
            or not (math.isfinite(reward) and 0.0 <= reward <= 1.0)
        ):
            raise EpisodeError(f"'reward' must be a number in [0, 1], got {reward!r}")
        for name in ("correct", "answers", "solution"):
            if not isinstance(data.get(name), dict):
                raise EpisodeError(f"{name!r} must be an object of label -> value")
        return cls(**{k: v for k, v in data.items() if k in known})
