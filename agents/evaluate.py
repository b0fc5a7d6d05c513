"""Evaluating an agent on puzzles: results.jsonl (one line per episode, flushed as each
ends) and summary.json, resumable after a kill.

An episode is one sample of one puzzle, named ``<puzzle id>#<sample>``. A request that
finally fails is recorded with its error and reward 0, never dropped.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clue_env.grading import Grader
from clue_env.puzzle import Task

from .base import Agent, Completion, SamplingConfig

RESULTS = "results.jsonl"
SUMMARY = "summary.json"


class EvalError(ValueError):
    """A bad evaluation request (the message says what to do)."""


@dataclass
class Tally:
    """Running totals, for the live display and the summary."""

    done: int = 0
    total: int = 0
    reward_sum: float = 0.0
    reward_sq: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    errors: int = 0
    puzzles: set[str] = field(default_factory=set)

    def add(self, record: dict[str, Any]) -> None:
        r = float(record["reward"])
        self.done += 1
        self.reward_sum += r
        self.reward_sq += r * r
        self.prompt_tokens += int(record.get("prompt_tokens", 0))
        self.completion_tokens += int(record.get("completion_tokens", 0))
        self.cost_usd += float(record.get("cost_usd", 0.0))
        self.errors += 1 if record.get("error") else 0
        self.puzzles.add(record["puzzle_id"])

    @property
    def mean(self) -> float:
        return self.reward_sum / self.done if self.done else 0.0

    @property
    def stderr(self) -> float:
        if self.done < 2:
            return 0.0
        var = max(0.0, (self.reward_sq - self.done * self.mean**2) / (self.done - 1))
        return math.sqrt(var / self.done)


def episode_record(
    task: Task, sample: int, completion: Completion, grader: Grader, agent: str, model: str | None, seconds: float
) -> dict[str, Any]:
    grade = grader(completion.text)
    return {
        "episode": f"{task.id}#{sample}",
        "puzzle_id": task.id,
        "sample": sample,
        "reward": 0.0 if completion.error else grade.reward,
        "correct": grade.correct,
        "answers": grade.answers,
        "solution": task.solution,
        "text": completion.text,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "cost_usd": completion.cost_usd,
        "error": completion.error,
        "agent": agent,
        "model": model,
        "seconds": round(seconds, 3),
    }


def read_results(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a results file; a torn last line (killed run) is cut off."""
    if not path.exists():
        return []
    records = []
    raw = path.read_bytes()
    good = 0
    for line in raw.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
        good += len(line)
    if good != len(raw):
        with path.open("r+b") as fh:
            fh.truncate(good)
    return records


def summarize(records: Sequence[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    for r in records:
        tally.add(r)
    n_puzzles = max(1, len(tally.puzzles))
    return {
        **meta,
        "n": tally.done,
        "n_puzzles": len(tally.puzzles),
        "mean_reward": tally.mean,
        "stderr": tally.stderr,
        "solved": sum(1 for r in records if r["reward"] == 1.0),
        "errors": tally.errors,
        "prompt_tokens": tally.prompt_tokens,
        "completion_tokens": tally.completion_tokens,
        "tokens_per_puzzle": (tally.prompt_tokens + tally.completion_tokens) / n_puzzles,
        "cost_usd": tally.cost_usd,
        "cost_per_puzzle_usd": tally.cost_usd / n_puzzles,
    }


async def _run(
    agent: Agent,
    jobs: list[tuple[Task, int]],
    sampling: SamplingConfig,
    concurrency: int,
    write: Callable[[dict[str, Any]], None],
    model: str | None,
) -> None:
    graders: dict[str, Grader] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(task: Task, sample: int) -> None:
        # One request per sample, each with its own seed, so an episode can be re-run alone.
        seed = None if sampling.seed is None else sampling.seed + sample
        per_sample = replace(sampling, n=1, seed=seed)
        async with gate:
            start = time.perf_counter()
            try:
                completion = (await agent.agenerate([task.prompt], per_sample))[0][0]
            except Exception as err:  # an agent bug must not lose the episode
                completion = Completion(text="", error=f"{type(err).__name__}: {err}")
            grader = graders.get(task.id)
            if grader is None:
                grader = graders[task.id] = Grader(task.solution, task.options)
            write(episode_record(task, sample, completion, grader, agent.name, model, time.perf_counter() - start))

    await asyncio.gather(*(one(t, s) for t, s in jobs))


def check_out_dir(out_dir: str | Path, resume: bool) -> None:
    """Refuse to mix a new run into an old one's results (unless resuming)."""
    results_path = Path(out_dir) / RESULTS
    if not resume and results_path.exists() and results_path.stat().st_size > 0:
        raise EvalError(
            f"{results_path} already holds results; pass --resume to continue that run, or choose another --out"
        )
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise EvalError(f"--out {out_dir} is a file, not a folder")


def evaluate(
    agent: Agent,
    tasks: Sequence[Task],
    out_dir: str | Path,
    sampling: SamplingConfig,
    samples: int = 1,
    concurrency: int = 8,
    resume: bool = False,
    meta: dict[str, Any] | None = None,
    on_record: Callable[[dict[str, Any], Tally], None] | None = None,
) -> dict[str, Any]:
    """Run every (puzzle, sample) episode not yet recorded; write and return the summary."""
    check_out_dir(out_dir, resume)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / RESULTS
    existing = read_results(results_path) if resume else []
    done = {r["episode"] for r in existing}
    jobs = [(t, s) for t in tasks for s in range(samples) if f"{t.id}#{s}" not in done]
    tally = Tally(total=len(tasks) * samples)
    for r in existing:
        tally.add(r)
    meta = dict(meta or {})
    model = meta.get("model")
    records = list(existing)
    with results_path.open("a", encoding="utf-8") as fh:

        def write(record: dict[str, Any]) -> None:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            records.append(record)
            tally.add(record)
            if on_record is not None:
                on_record(record, tally)

        asyncio.run(_run(agent, jobs, sampling, concurrency, write, model))
    summary = summarize(records, meta)
    tmp = out / (SUMMARY + ".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out / SUMMARY)
    return summary
