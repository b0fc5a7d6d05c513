"""From rollouts to the batch an iteration trains on: each group scored, dynamic sampling's choice, the totals.

:func:`score_group` grades one puzzle's sampled answers (or one case's played episodes) into a
:class:`GroupResult`: its training samples, the game's rewards, the share of questions each
answer got right (the *pass rate* the curriculum reads), and whether its rewards vary (a group
whose rewards do not has nothing to teach: every advantage is 0).

With dynamic sampling (DAPO's ``filter_groups``, SkyRL's ``dynamic_sampling``) the recipe keeps
rolling out fresh puzzles in place of such groups; :func:`keep_groups` picks the groups trained
on, and :func:`scored_batch` sums up every round into the frozen :class:`ScoredBatch` that rank 0
broadcasts to the other ranks and the metrics are read from. All of it is plain code on the
recipe's records, tested without an engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from trainers.advantages import effective_reward, has_signal
from trainers.config import GRPOConfig
from trainers.samples import Sample, SampleError, sample_from_turns, samples_from_completions


class ScoringError(ValueError):
    """A puzzle's grader raised (a bug in the variant that made the puzzle): one line naming the puzzle."""


@dataclass(frozen=True)
class GroupResult:
    """One puzzle's rollouts, scored.

    ``rewards``/``passed``/``tokens`` have one entry per rollout (a failed one: reward 0);
    ``samples`` the rollouts that can be trained on; ``signal``: their rewards (after the truncation
    and overlong penalties, as the advantages see them) vary by more than ``reward_tolerance``.
    """

    task_id: str
    difficulty: str | None
    samples: tuple[Sample, ...]
    rewards: tuple[float, ...]
    passed: tuple[float, ...]
    tokens: tuple[int, ...]
    failed: int
    signal: bool
    questions: tuple[int, ...] = ()

    @property
    def rollout_tokens(self) -> int:
        return sum(self.tokens)


def _difficulty(task) -> str | None:
    record = getattr(task, "record", None) or {}
    if not record and hasattr(task, "task"):  # an investigation case wraps its puzzle's task
        record = getattr(task.task, "record", None) or {}
    value = record.get("difficulty")
    return None if value is None else str(value)


def score_group(task, results: Sequence, config: GRPOConfig) -> GroupResult:
    """Grade one task's rollouts: ``Completion``\\ s of a one-shot puzzle, or ``Played`` investigations."""
    if config.game == "investigation":
        return _score_episodes(task, results, config)
    from clue_env.grading import Grader

    try:
        grader = Grader(task.solution, task.options)
        grades = [None if comp.error else grader(comp.text) for comp in results]
    except Exception as err:  # a plugin variant's puzzle its grader cannot read
        raise ScoringError(f"grading puzzle {task.id} failed: {type(err).__name__}: {err}") from None
    # a reward that is not a finite number teaches nothing: the answer is skipped (and counted failed)
    results = [
        replace(comp, error=f"its reward is {g.reward!r}, not a finite number")
        if g is not None and not _finite(g.reward)
        else comp
        for comp, g in zip(results, grades)
    ]
    rewards = [0.0 if g is None or not _finite(g.reward) else float(g.reward) for g in grades]
    made = samples_from_completions(task.id, list(results), rewards)
    return GroupResult(
        task_id=task.id,
        difficulty=_difficulty(task),
        samples=tuple(made.samples),
        rewards=tuple(rewards),
        passed=tuple(rewards),  # the one-shot reward is the share of questions right
        tokens=tuple(comp.completion_tokens for comp in results),
        failed=len(made.skipped),
        signal=has_signal([effective_reward(s, config) for s in made.samples], config),
    )


def _score_episodes(case, episodes: Sequence, config: GRPOConfig) -> GroupResult:
    """Investigations: each episode is one sample (its turns' sampled ids trained, the case and the
    environment's replies context), rewarded with the game's reward (net of questions)."""
    samples, failed = [], 0
    for played in episodes:
        if played.error is not None or not _finite(played.reward):
            failed += 1
            continue
        try:
            samples.append(sample_from_turns(case.id, played.completions, played.reward))
        except SampleError:  # a turn without token ids or logprobs: nothing exact to train on
            failed += 1
    return GroupResult(
        task_id=case.id,
        difficulty=_difficulty(case),
        samples=tuple(samples),
        rewards=tuple(float(p.reward) if _finite(p.reward) else 0.0 for p in episodes),
        passed=tuple(0.0 if p.error or not _finite(p.grade.reward) else float(p.grade.reward) for p in episodes),
        tokens=tuple(sum(comp.completion_tokens for comp in p.completions) for p in episodes),
        failed=failed,
        signal=has_signal([effective_reward(s, config) for s in samples], config),
        questions=tuple(p.questions or 0 for p in episodes),
    )


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def keep_groups(groups: Sequence[GroupResult], wanted: int, dynamic: bool) -> list[GroupResult]:
    """The groups an iteration trains on: all of them (the advantages drop the ones without signal),
    or with dynamic sampling the first ``wanted`` that have signal, in the order they were rolled out."""
    if not dynamic:
        return list(groups)
    return [g for g in groups if g.signal][:wanted]


def refill_size(groups: Sequence[GroupResult], wanted: int, kept: int) -> int:
    """How many fresh puzzles the next round of dynamic sampling rolls out: the groups still missing,
    divided by the share of groups with signal so far (at least a quarter), at most ``wanted``."""
    missing = wanted - kept
    if missing <= 0:
        return 0
    share = sum(g.signal for g in groups) / max(1, len(groups))
    return min(wanted, math.ceil(missing / max(share, 0.25)))


@dataclass(frozen=True)
class ScoredBatch:
    """An iteration's rollouts (every round) and what is trained on: what rank 0 broadcasts.

    ``samples``: the kept groups' samples. Rates are over every rollout of the iteration:
    ``mean_reward`` (the game's reward), ``pass_rate`` (mean share of questions right),
    ``solved_rate`` (answers with every question right). ``zero_variance_share``: groups whose
    rewards did not vary, of all rolled out; ``zero_variance_token_share``: their share of the
    sampled tokens; ``wasted_rollout_tokens``: sampled tokens not trained on (those groups, groups
    beyond the batch, failed rollouts).
    """

    samples: tuple[Sample, ...]
    mean_reward: float
    pass_rate: float
    solved_rate: float
    answer_tokens: float
    failed: int
    groups_rolled: int
    groups_kept: int
    zero_variance_groups: int
    rollout_rounds: int
    rollout_tokens: int
    wasted_rollout_tokens: int
    zero_variance_tokens: int
    mean_questions: float | None = None

    @property
    def zero_variance_share(self) -> float:
        return self.zero_variance_groups / self.groups_rolled if self.groups_rolled else 0.0

    @property
    def zero_variance_token_share(self) -> float:
        return self.zero_variance_tokens / self.rollout_tokens if self.rollout_tokens else 0.0


def scored_batch(rolled: Sequence[GroupResult], kept: Sequence[GroupResult], rounds: int) -> ScoredBatch:
    """Sum up an iteration: ``rolled`` every group of every round, ``kept`` those trained on."""
    rewards = [r for g in rolled for r in g.rewards]
    passed = [p for g in rolled for p in g.passed]
    tokens = [t for g in rolled for t in g.tokens]
    kept_ids = {id(g) for g in kept}
    trained_tokens = sum(s.num_sampled for g in kept if g.signal for s in g.samples)
    questions = [q for g in rolled for q in g.questions]
    n = max(1, len(rewards))
    return ScoredBatch(
        samples=tuple(s for g in kept for s in g.samples),
        mean_reward=math.fsum(rewards) / n,
        pass_rate=math.fsum(passed) / n if passed else float("nan"),
        solved_rate=sum(p >= 1.0 - 1e-9 for p in passed) / n,
        answer_tokens=sum(tokens) / max(1, len(tokens)),
        failed=sum(g.failed for g in rolled),
        groups_rolled=len(rolled),
        groups_kept=len(kept_ids),
        zero_variance_groups=sum(not g.signal for g in rolled),
        rollout_rounds=rounds,
        rollout_tokens=sum(tokens),
        wasted_rollout_tokens=max(0, sum(tokens) - trained_tokens),
        zero_variance_tokens=sum(g.rollout_tokens for g in rolled if not g.signal),
        mean_questions=(sum(questions) / len(questions)) if questions else None,
    )


def no_signal_note(records: Sequence[dict], final: bool) -> str | None:
    """What to say when iterations trained on nothing because every group's rewards were equal (every
    advantage 0): at the first such iteration, and at the end when no iteration of the run trained
    on anything. ``records``: the run's metrics.jsonl lines so far (iteration 0, validation only,
    included or not)."""
    its = [r for r in records if r.get("iteration", 0) > 0]
    empty = [r for r in its if not r.get("tokens_trained")]
    hint = (
        "every group's rewards were equal, so every advantage was 0 (try another difficulty, a higher "
        "temperature or more samples_per_task)"
    )
    if final and its and len(empty) == len(its):
        return f"nothing was learned: none of the {len(its)} iterations trained on a token; {hint}"
    if not final and len(empty) == 1 and its and its[-1] is empty[0]:
        return f"iteration {empty[0]['iteration']} trained on nothing: {hint}"
    return None
