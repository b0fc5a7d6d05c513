"""An iteration's rollouts, scored: what the recipe's rank 0 does before anything is trained.

* :func:`sample_groups` -- ``samples_per_task`` answers (or, in the investigation game, played
  episodes) to each task from the agent, at most ``rollout_concurrency`` tasks in flight, each
  with seeds derived from the run's seed, the iteration and the round, so a resumed run samples
  with the same seeds;
* :func:`collect` -- the rounds of one iteration: one, or with ``dynamic_sampling`` more rounds
  of fresh puzzles in place of the groups whose rewards did not vary, until the batch is full or
  ``dynamic_sampling_max_rounds`` run out; the result is the :class:`~trainers.scoring.ScoredBatch`
  the recipe broadcasts and trains on.

Failures are :class:`RolloutError` (the engine raised, a puzzle's grader raised, or every rollout
of an iteration came back with an error: a dead engine reports errors in its completions and never raises, and training on
nothing would go on forever); the recipe adds how to resume.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from agents.base import Completion, SamplingConfig
from evaluation.play import play
from trainers.config import GRPOConfig
from trainers.puzzle_source import PuzzleSource, train_seed
from trainers.scoring import (
    GroupResult,
    ScoredBatch,
    ScoringError,
    keep_groups,
    refill_size,
    score_group,
    scored_batch,
)


class RolloutError(RuntimeError):
    """No usable rollouts: the message says what failed; nothing was trained."""


def sample_groups(agent, tasks: Sequence, config: GRPOConfig, iteration: int, round_: int = 0) -> list[list]:
    """One group per task: ``samples_per_task`` Completions (or Played episodes); round ``r`` of dynamic
    sampling samples with seeds of its own (round 0's are those of a run without it)."""
    c = config
    sampling = SamplingConfig(
        temperature=c.temperature,
        top_p=c.top_p,
        max_tokens=c.max_new_tokens,
        n=c.samples_per_task,
        seed=train_seed(c.seed, iteration, -1 - round_),
    )

    async def all_tasks() -> list[list]:
        gate = asyncio.Semaphore(c.rollout_concurrency)

        async def answers(k: int, task) -> list[Completion]:
            async with gate:
                seeded = replace(sampling, seed=(sampling.seed + k * c.samples_per_task) % 2**62)
                return (await agent.agenerate([task.prompt], seeded))[0]

        async def episodes(k: int, case) -> list:
            # samples_per_task episodes of the case, played turn by turn; each episode's turns are its
            # own seeds (evaluation.play adds the turn number)
            async with gate:
                first = (sampling.seed + k * c.samples_per_task) % 2**62
                return list(
                    await asyncio.gather(
                        *(
                            play(agent, case, replace(sampling, n=1, seed=(first + j) * 1024 % 2**62))
                            for j in range(c.samples_per_task)
                        )
                    )
                )

        run = episodes if c.game == "investigation" else answers
        return await asyncio.gather(*(run(k, t) for k, t in enumerate(tasks)))

    try:
        groups = asyncio.run(all_tasks())
    except RuntimeError as err:
        raise RolloutError(f"the vLLM engine failed during rollouts: {err}") from None
    results = [item for group in groups for item in group]
    errors = [item.error for item in results if item.error]
    if results and len(errors) == len(results):
        raise RolloutError(
            f"every rollout of iteration {iteration + 1} failed (the first: {errors[0]}); nothing was trained"
        )
    return groups


def collect(
    agent,
    source: PuzzleSource,
    config: GRPOConfig,
    iteration: int,
    show: Callable[[str], None] = lambda phase: None,
) -> tuple[ScoredBatch, dict[str, float]]:
    """Iteration ``iteration``'s rounds of rollouts from ``source``'s puzzles, scored, and the seconds
    spent (``rollout_s``, ``scoring_s``); ``show`` is told each phase as it starts."""
    c = config
    wanted = c.tasks_per_iteration
    rolled: list[GroupResult] = []
    kept: list[GroupResult] = []
    tasks = source.take(wanted)
    rounds = 0
    rollout_s = scoring_s = 0.0
    while tasks:
        show("rollout" if not rounds else f"rollout (round {rounds + 1})")
        t = time.perf_counter()
        results = sample_groups(agent, tasks, c, iteration, rounds)
        rollout_s += time.perf_counter() - t
        show("scoring")
        t = time.perf_counter()
        try:
            rolled.extend(score_group(task, group, c) for task, group in zip(tasks, results))
        except ScoringError as err:
            raise RolloutError(f"{err}; nothing was trained") from None
        scoring_s += time.perf_counter() - t
        kept = keep_groups(rolled, wanted, c.dynamic_sampling)
        rounds += 1
        if not c.dynamic_sampling or rounds > c.dynamic_sampling_max_rounds:
            break
        tasks = source.take(refill_size(rolled, wanted, len(kept)))
    timing = {"rollout_s": round(rollout_s, 4), "scoring_s": round(scoring_s, 4)}
    return scored_batch(rolled, kept, rounds), timing
