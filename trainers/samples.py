"""Episodes to training samples: the exact token ids a policy saw and sampled, as segments.

A :class:`Sample` is a list of :class:`Segment`\\ s: *context* (not trained: the prompt and, in a
multi-turn episode, the environment's replies and the chat template around them) or *sampled*
(trained, each token with the logprob it was sampled with). The first segment is the prompt,
which the packer stores once for all the samples that share it.

Training uses exactly the ids the agent returned (``Completion.prompt_token_ids`` and
``token_ids``), never a re-tokenization of the text: decoding sampled ids and encoding the text
again can give other ids (BPE merges across token boundaries, normalisation, special tokens), and
then the sampling logprobs no longer belong to the tokens trained on. No chat-template
``{% generation %}`` markers are needed either: which tokens were sampled is known.

A sampled token without a usable sampling logprob (``None``, NaN or infinite) is neither trained
nor counted in the loss normaliser; it stays in the sequence as context for what follows.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from agents.base import Completion

#: vLLM's (and the OpenAI API's) finish reason for a completion cut off at ``max_tokens``.
TRUNCATED_FINISH_REASON = "length"


class SampleError(ValueError):
    """A sample, segment or completion group is malformed; the message says which and how."""


def _check_ids(ids: tuple, what: str) -> np.ndarray:
    arr = np.asarray(ids) if ids else np.zeros(0, np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or (arr.size and arr.min() < 0):
        k, t = next(
            ((k, t) for k, t in enumerate(ids) if isinstance(t, bool) or not isinstance(t, int) or t < 0),
            (0, ids[0] if ids else None),
        )
        raise SampleError(f"{what}: token id {k} is {t!r}; token ids are ints >= 0")
    return arr.astype(np.int64, copy=False)


@dataclass(frozen=True)
class Segment:
    """A run of tokens: sampled (``logprobs`` given, one per token) or context (``logprobs`` None)."""

    token_ids: tuple[int, ...]
    logprobs: tuple[float | None, ...] | None = None
    _ids: np.ndarray = field(init=False, repr=False, compare=False)
    _lps: np.ndarray | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = tuple(self.token_ids)
        object.__setattr__(self, "token_ids", ids)
        object.__setattr__(self, "_ids", _check_ids(ids, "segment"))
        lps = None
        if self.logprobs is not None:
            given = tuple(self.logprobs)
            try:
                lps = np.array(given, dtype=np.float64) if given else np.zeros(0)  # None -> NaN
            except (TypeError, ValueError):
                raise SampleError("sampled segment: each logprob must be a number or None") from None
            if lps.shape != (len(ids),):
                raise SampleError(
                    f"sampled segment has {len(ids)} tokens but {len(given)} logprobs; give one per token"
                )
            object.__setattr__(self, "logprobs", given)
        object.__setattr__(self, "_lps", lps)

    @classmethod
    def context(cls, token_ids: Sequence[int]) -> Segment:
        """Tokens the policy was conditioned on but did not sample (prompt, environment replies)."""
        return cls(tuple(token_ids), None)

    @classmethod
    def sampled(cls, token_ids: Sequence[int], logprobs: Sequence[float | None]) -> Segment:
        """Tokens the policy sampled, with the logprob of each under the sampling policy."""
        return cls(tuple(token_ids), tuple(logprobs))

    @property
    def is_sampled(self) -> bool:
        return self.logprobs is not None

    def trained(self) -> tuple[bool, ...]:
        """Per token: is it trained (sampled, with a finite sampling logprob)?"""
        return tuple(self.arrays()[1].tolist())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token ids (int64), trained mask (bool), sampling logprobs (float64, 0 where not trained)."""
        if self._lps is None:
            return self._ids, np.zeros(len(self._ids), np.bool_), np.zeros(len(self._ids))
        trained = np.isfinite(self._lps)
        return self._ids, trained, np.where(trained, self._lps, 0.0)


@dataclass(frozen=True)
class Sample:
    """One episode as segments, with its reward. ``segments[0]`` is the prompt: context, at least one token.

    ``group`` identifies the task (samples of one group share advantage statistics); ``truncated``
    marks a sample cut off at ``max_tokens`` (see ``GRPOConfig.truncation``).
    """

    segments: tuple[Segment, ...]
    reward: float
    group: Hashable = 0
    truncated: bool = False

    def __post_init__(self) -> None:
        segs = tuple(self.segments)
        object.__setattr__(self, "segments", segs)
        if not segs or not all(isinstance(s, Segment) for s in segs):
            raise SampleError("a sample needs at least one Segment (its prompt)")
        if segs[0].is_sampled or not segs[0].token_ids:
            raise SampleError(
                "a sample's first segment must be its prompt: a context segment with at least one token "
                "(a sampled token needs a token before it to be predicted from)"
            )
        reward = self.reward
        if isinstance(reward, bool) or not isinstance(reward, int | float) or not math.isfinite(reward):
            raise SampleError(f"sample reward must be a finite number, got {reward!r}")
        object.__setattr__(self, "reward", float(reward))
        try:
            hash(self.group)
        except TypeError:
            raise SampleError(f"sample group must be hashable (a task id), got {type(self.group).__name__}") from None

    @property
    def prompt(self) -> tuple[int, ...]:
        """The prompt's token ids (shared with the group's other samples when packed)."""
        return self.segments[0].token_ids

    @property
    def token_ids(self) -> tuple[int, ...]:
        """Every token of the episode, prompt first."""
        return tuple(self.arrays()[0].tolist())

    def trained_mask(self) -> tuple[bool, ...]:
        """Per token of :attr:`token_ids`: is it trained?"""
        return tuple(self.arrays()[1].tolist())

    def sampling_logprobs(self) -> tuple[float, ...]:
        """Per token of :attr:`token_ids`: its sampling logprob (0.0 where it is not trained)."""
        return tuple(self.arrays()[2].tolist())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`token_ids`, :meth:`trained_mask` and :meth:`sampling_logprobs` as numpy arrays (not cached)."""
        parts = [s.arrays() for s in self.segments]
        if len(parts) == 1:
            return parts[0]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))

    @cached_property
    def num_sampled(self) -> int:
        """Tokens the policy sampled (every turn), trained or not."""
        return sum(len(seg.token_ids) for seg in self.segments if seg.is_sampled)

    @cached_property
    def longest_turn(self) -> int:
        """The most tokens sampled in one turn (what ``max_new_tokens`` limits)."""
        return max((len(seg.token_ids) for seg in self.segments if seg.is_sampled), default=0)

    @cached_property
    def num_trained(self) -> int:
        """How many tokens are trained (and counted by the normaliser)."""
        return int(sum(s.arrays()[1].sum() for s in self.segments))

    def __len__(self) -> int:
        return sum(len(s.token_ids) for s in self.segments)


@dataclass(frozen=True)
class SkippedCompletion:
    """A completion that cannot be trained on (it failed, or its backend gave no token ids), and why."""

    index: int
    reason: str


@dataclass(frozen=True)
class GroupSamples:
    """The samples made from one task's completions, and the completions left out (reported, not lost)."""

    samples: list[Sample] = field(default_factory=list)
    skipped: list[SkippedCompletion] = field(default_factory=list)


def _completion_problem(c: Completion) -> str | None:
    if c.error is not None:
        return f"the request failed: {c.error}"
    if c.prompt_token_ids is None or c.token_ids is None:
        return "the backend returned no token ids (train only on agents that return them, e.g. vllm)"
    if c.logprobs is None:
        return "the backend returned no logprobs for the sampled tokens"
    if not c.prompt_token_ids:
        return "the prompt has no tokens"
    return None


def samples_from_completions(
    group: Hashable, completions: Sequence[Completion], rewards: Sequence[float]
) -> GroupSamples:
    """One sample per completion of one task: the prompt ids as context, the sampled ids with their logprobs.

    ``rewards[i]`` is the environment's reward for ``completions[i]``. A completion that failed
    (``error`` set) or carries no token ids/logprobs is skipped and listed with the reason: it
    has nothing to train on, and its reward says nothing about the policy. A completion whose
    ``finish_reason`` is ``"length"`` is marked truncated.
    """
    if len(completions) != len(rewards):
        raise SampleError(f"group {group!r}: {len(completions)} completions but {len(rewards)} rewards; give one each")
    out = GroupSamples()
    for i, (c, r) in enumerate(zip(completions, rewards)):
        if not isinstance(c, Completion):
            raise SampleError(f"group {group!r}: item {i} is a {type(c).__name__}, not an agents.base.Completion")
        problem = _completion_problem(c)
        if problem is not None:
            out.skipped.append(SkippedCompletion(i, problem))
            continue
        try:
            sample = Sample(
                (Segment.context(c.prompt_token_ids), Segment.sampled(c.token_ids, c.logprobs)),
                reward=r,
                group=group,
                truncated=c.finish_reason == TRUNCATED_FINISH_REASON,
            )
        except SampleError as e:
            raise SampleError(f"group {group!r}, completion {i}: {e}") from None
        out.samples.append(sample)
    return out


def sample_from_turns(group: Hashable, turns: Sequence[Completion], reward: float) -> Sample:
    """One multi-turn episode (one completion per turn) as one sample of alternating segments.

    Each turn's ``prompt_token_ids`` must begin with the previous turn's prompt ids followed by
    its sampled ids, exactly: what comes after them (the environment's reply, the chat template)
    becomes a context segment. An agent that re-renders the conversation as text and tokenizes
    it again may break that (the ids of the earlier turns change); that is an error here, since
    the earlier sampling logprobs would no longer match. The episode is truncated if any turn
    stopped at ``max_tokens``.
    """
    if not turns:
        raise SampleError(f"group {group!r}: an episode needs at least one turn")
    segments: list[Segment] = []
    seen: tuple[int, ...] = ()
    for k, c in enumerate(turns):
        if not isinstance(c, Completion):
            raise SampleError(f"group {group!r}: turn {k} is a {type(c).__name__}, not an agents.base.Completion")
        problem = _completion_problem(c)
        if problem is not None:
            raise SampleError(f"group {group!r}: turn {k} cannot be trained on: {problem}")
        prompt = tuple(c.prompt_token_ids)
        if prompt[: len(seen)] != seen:
            first = next(j for j, (a, b) in enumerate(zip(prompt, seen)) if a != b) if len(prompt) >= len(seen) else -1
            where = f"differs at token {first}" if first >= 0 else f"is shorter ({len(prompt)} < {len(seen)} tokens)"
            raise SampleError(
                f"group {group!r}: turn {k}'s prompt ids do not extend turn {k - 1}'s prompt + sampled ids "
                f"(it {where}); build each turn's prompt from the earlier ids, not by re-tokenizing text"
            )
        if len(prompt) > len(seen):
            segments.append(Segment.context(prompt[len(seen) :]))
        segments.append(Segment.sampled(c.token_ids, c.logprobs))
        seen = prompt + tuple(c.token_ids)
    return Sample(
        tuple(segments),
        reward=reward,
        group=group,
        truncated=any(c.finish_reason == TRUNCATED_FINISH_REASON for c in turns),
    )
