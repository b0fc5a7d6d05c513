"""One played episode as a typed record: a line of ``results.jsonl``, and what the trainer's rollouts reuse."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from agents.base import Completion
from clue_env.puzzle import Task

from .play import Played


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
        questions: questions asked (an investigation), else None.
        turns: the whole conversation of an investigation (role/content messages, the
            environment's replies included), else None; ``text`` is then the last reply.
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
    questions: int | None = None
    turns: list[dict[str, str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls, item: Task | Any, sample: int, played: Played, agent: str, model: str | None, seconds: float
    ) -> Episode:
        """The record of ``played``, an episode of ``item`` (a puzzle or an investigation case)."""
        last = played.completions[-1] if played.completions else Completion(text="")
        multi = played.questions is not None
        return cls(
            episode=f"{item.id}#{sample}",
            puzzle_id=item.id,
            sample=sample,
            reward=played.reward,
            correct=dict(played.grade.correct),
            answers=dict(played.grade.answers),
            solution=dict(item.solution),
            text=last.text,
            prompt_tokens=sum(c.prompt_tokens for c in played.completions),
            completion_tokens=sum(c.completion_tokens for c in played.completions),
            cost_usd=sum(c.cost_usd for c in played.completions),
            error=played.error,
            agent=agent,
            model=model,
            seconds=round(seconds, 3),
            finish_reason=last.finish_reason,
            questions=played.questions if multi else None,
            turns=played.transcript if multi else None,
        )

    @property
    def solved(self) -> bool:
        """Every answer right (an investigation's reward is below 1 once it asks a question)."""
        return bool(self.correct) and all(self.correct.values()) and self.error is None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("extra", "questions", "turns"):  # only where they say something
            if not data[name] and data[name] != 0:
                del data[name]
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
            or not (math.isfinite(reward) and reward <= 1.0)
        ):
            # an investigation's reward is the fraction right minus the questions' cost: it may be < 0
            raise EpisodeError(f"'reward' must be a finite number <= 1, got {reward!r}")
        for name in ("correct", "answers", "solution"):
            if not isinstance(data.get(name), dict):
                raise EpisodeError(f"{name!r} must be an object of label -> value")
        return cls(**{k: v for k, v in data.items() if k in known})
