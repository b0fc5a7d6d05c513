"""Evaluating an agent on puzzles: ``results.jsonl`` (one :class:`Episode` per line, flushed as each
ends), ``run.json`` (what the run is) and ``summary.json``, resumable after a kill.

An episode is one sample of one puzzle, named ``<puzzle id>#<sample>``. A request that
finally fails is recorded with its error and reward 0, never dropped.

What a run may not do to earlier data:

* write into a folder that holds results without ``resume``;
* resume a run of another agent, model or puzzle source (``run.json`` says which), or
  with other sampling settings: that would mix two runs under one summary;
* share its folder with a second run at the same time (an exclusive lock on
  ``results.jsonl``, released by the kernel even when a run is killed);
* lose a record: only a torn *last* line (a run killed mid-write) is cut off on resume; a
  bad line anywhere else is an error naming the line, and nothing is changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agents.base import Agent, SamplingConfig
from clue_env.grading import Grader
from clue_env.outputs import check_output_dir, lock, write_text_atomic
from clue_env.puzzle import Task

from .episode import Episode, EpisodeError
from .play import Item, play
from .tasks import item_level, level_position

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
RUN = "run.json"
IDENTITY_KEYS = ("agent", "model", "game", "dataset", "variant", "difficulty", "temperature", "top_p", "max_tokens")
"""The settings that make two runs the same run: ``resume`` refuses a folder that differs in any."""


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
    solved: int = 0
    questions: int = 0
    investigations: int = 0
    puzzles: set[str] = field(default_factory=set)

    def add(self, episode: Episode) -> None:
        r = float(episode.reward)
        self.done += 1
        self.reward_sum += r
        self.reward_sq += r * r
        self.prompt_tokens += int(episode.prompt_tokens)
        self.completion_tokens += int(episode.completion_tokens)
        self.cost_usd += float(episode.cost_usd)
        self.errors += 1 if episode.error else 0
        self.solved += 1 if episode.solved else 0
        if episode.questions is not None:
            self.questions += episode.questions
            self.investigations += 1
        self.puzzles.add(episode.puzzle_id)

    @property
    def mean(self) -> float:
        return self.reward_sum / self.done if self.done else 0.0

    @property
    def stderr(self) -> float:
        if self.done < 2:
            return 0.0
        var = max(0.0, (self.reward_sq - self.done * self.mean**2) / (self.done - 1))
        return math.sqrt(var / self.done)


def read_results(path: str | Path, repair: bool = False) -> list[Episode]:
    """The episodes of a results file.

    A torn last line (no final newline: a run killed mid-write) is ignored, and with
    ``repair`` cut off the file. Any other line that is not an episode raises
    :class:`EvalError` naming it; the file is then left as it is.
    """
    path = Path(path)
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    torn = bool(lines) and not lines[-1].endswith(b"\n")
    episodes = []
    for number, line in enumerate(lines[:-1] if torn else lines, 1):
        if not line.strip():
            continue
        try:
            episodes.append(Episode.from_json(json.loads(line)))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
            raise EvalError(
                f"{path}:{number}: not a JSON line ({type(err).__name__}); fix or remove that line"
            ) from None
        except EpisodeError as err:
            raise EvalError(f"{path}:{number}: not an episode record: {err}; fix or remove that line") from None
    if torn and repair:
        with path.open("r+b") as fh:
            fh.truncate(len(raw) - len(lines[-1]))
    return episodes


def by_difficulty(
    episodes: Sequence[Episode], levels: Mapping[str, tuple[str, str, int | None] | None]
) -> dict[str, dict[str, Any]]:
    """Accuracy per level: ``{level: {"rung", "position", "n", "mean_reward", "stderr", "solved"}}``
    for the episodes whose puzzle ``levels`` (puzzle id -> ``tasks.item_level``) names, easiest
    first (by ``position``, the level's place on its variant's scale); empty unless they span more
    than one level. A level is keyed by its name (``variant/name`` when a run spans variants)."""
    known = {pid: lvl for pid, lvl in levels.items() if lvl is not None}
    spanned = {known[e.puzzle_id] for e in episodes if e.puzzle_id in known}
    if len({(v, name) for v, name, _ in spanned}) < 2:
        return {}
    several = len({v for v, _, _ in spanned}) > 1
    tallies: dict[tuple[str, str, int | None], Tally] = {}
    for e in episodes:
        if e.puzzle_id in known:
            tallies.setdefault(known[e.puzzle_id], Tally()).add(e)
    rows = []
    for (variant, name, rung), tally in tallies.items():
        position = float(rung) if rung is not None else level_position(variant, name)
        row = {
            "rung": rung,
            "position": position,
            "n": tally.done,
            "mean_reward": tally.mean,
            "stderr": tally.stderr,
            "solved": tally.solved,
        }
        rows.append((f"{variant}/{name}" if several else name, row))
    rows.sort(key=lambda kv: (kv[1]["position"] is None, kv[1]["position"] or 0.0, kv[0]))
    return dict(rows)


def summarize(
    episodes: Sequence[Episode],
    meta: dict[str, Any],
    levels: Mapping[str, tuple[str, str, int | None] | None] | None = None,
) -> dict[str, Any]:
    """The run's summary; with ``levels`` (puzzle id -> ``tasks.item_level``), ``by_difficulty`` too
    when the episodes span several levels (see :func:`by_difficulty`)."""
    tally = Tally()
    for e in episodes:
        tally.add(e)
    n_puzzles = max(1, len(tally.puzzles))
    extra = {"mean_questions": tally.questions / tally.investigations} if tally.investigations else {}
    groups = by_difficulty(episodes, levels or {})
    if groups:
        extra["by_difficulty"] = groups
    return {
        **meta,
        "n": tally.done,
        "n_puzzles": len(tally.puzzles),
        "mean_reward": tally.mean,
        "stderr": tally.stderr,
        "solved": tally.solved,
        "errors": tally.errors,
        "prompt_tokens": tally.prompt_tokens,
        "completion_tokens": tally.completion_tokens,
        "tokens_per_puzzle": (tally.prompt_tokens + tally.completion_tokens) / n_puzzles,
        "cost_usd": tally.cost_usd,
        "cost_per_puzzle_usd": tally.cost_usd / n_puzzles,
        **extra,
    }


def _identity(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in IDENTITY_KEYS}


def _describe(identity: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in identity.items() if v is not None) or "unknown"


def check_out_dir(out_dir: str | Path, resume: bool, meta: dict[str, Any] | None = None) -> None:
    """Refuse to mix a new run into an old one's results; with ``resume``, refuse another run's folder."""
    out = check_output_dir(out_dir)
    results = out / RESULTS
    if not results.exists() or results.stat().st_size == 0:
        return
    if not resume:
        raise EvalError(f"{results} already holds results; pass --resume to continue that run, or choose another --out")
    read_results(results)  # a bad line fails now, before an agent or a puzzle is made
    if meta is None:
        return
    want = _identity(meta)
    # run.json is written when a run starts; summary.json (older folders) holds the same settings.
    known = next((out / name for name in (RUN, SUMMARY) if (out / name).exists()), None)
    if known is None:
        return
    try:
        have = _identity(json.loads(known.read_text(encoding="utf-8")))
    except (ValueError, OSError) as err:
        raise EvalError(f"{known}: cannot read it ({err}); it says which run this folder holds") from None
    differ = [k for k in IDENTITY_KEYS if have.get(k) != want.get(k)]
    if differ:
        raise EvalError(
            f"--resume: {out} holds another run ({_describe({k: have.get(k) for k in differ})}), "
            f"not this one ({_describe({k: want.get(k) for k in differ})}); choose another --out"
        )


async def _run(
    agent: Agent,
    jobs: list[tuple[Item, int]],
    sampling: SamplingConfig,
    concurrency: int,
    write: Callable[[Episode], None],
    model: str | None,
) -> None:
    graders: dict[str, Grader] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Item, sample: int) -> None:
        # Each sample its own seed, so an episode can be re-run alone.
        seed = None if sampling.seed is None else sampling.seed + sample
        async with gate:
            start = time.perf_counter()
            grader = graders.get(item.id)
            if grader is None and isinstance(item, Task):
                grader = graders[item.id] = Grader(item.solution, item.options)
            played = await play(agent, item, replace(sampling, seed=seed), grader)
            write(Episode.of(item, sample, played, agent.name, model, time.perf_counter() - start))

    await asyncio.gather(*(one(t, s) for t, s in jobs))


class RunFolder:
    """An evaluation folder opened for writing: checked, locked against a second run, its earlier
    episodes read (``resume``) and ``run.json`` written. Open it before starting an agent, so a
    folder that cannot be used costs nothing; close it (or use ``with``) to release the lock."""

    def __init__(self, out_dir: str | Path, resume: bool, meta: dict[str, Any]):
        check_out_dir(out_dir, resume, meta)
        self.path = Path(out_dir)
        self.meta = dict(meta)
        self._made_dirs = [p for p in (self.path, *self.path.parents) if not p.exists()]  # innermost first
        self.path.mkdir(parents=True, exist_ok=True)
        self.results = self.path / RESULTS
        self._fresh = not self.results.exists()
        self._fh = self.results.open("a", encoding="utf-8")
        try:
            lock(self._fh, self.results)
            self.existing = read_results(self.results, repair=True) if resume else []
            if not (self.path / RUN).exists() or not self.existing:
                write_text_atomic(self.path / RUN, json.dumps(_identity(self.meta), indent=2) + "\n")
        except BaseException:
            self._fh.close()
            raise

    def append(self, episode: Episode) -> None:
        self._fh.write(json.dumps(episode.to_json(), ensure_ascii=False) + "\n")
        self._fh.flush()

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_text_atomic(self.path / SUMMARY, json.dumps(summary, indent=2) + "\n")

    def close(self) -> None:
        """Release the lock. A folder this run made and wrote no episode to is removed again, so a run
        that failed before its first episode (a bad agent setting, say) leaves nothing behind."""
        if self._fh.closed:
            return
        self._fh.close()
        if self._fresh and self.results.stat().st_size == 0:
            self.results.unlink(missing_ok=True)
            (self.path / RUN).unlink(missing_ok=True)
            for folder in self._made_dirs:
                with contextlib.suppress(OSError):
                    folder.rmdir()

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sampling_meta(sampling: SamplingConfig, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """``meta`` with the sampling settings that belong to a run's identity."""
    out = dict(meta or {})
    out.setdefault("temperature", sampling.temperature)
    out.setdefault("top_p", sampling.top_p)
    out.setdefault("max_tokens", sampling.max_tokens)
    return out


def evaluate(
    agent: Agent,
    tasks: Sequence[Item],
    out: str | Path | RunFolder,
    sampling: SamplingConfig,
    samples: int = 1,
    concurrency: int = 8,
    resume: bool = False,
    meta: dict[str, Any] | None = None,
    on_record: Callable[[Episode, Tally], None] | None = None,
) -> dict[str, Any]:
    """Run every (puzzle, sample) episode not yet recorded in ``out`` (a folder, or a
    :class:`RunFolder` already open); write and return the summary."""
    if not isinstance(out, RunFolder):
        with RunFolder(out, resume, sampling_meta(sampling, meta)) as folder:
            return evaluate(agent, tasks, folder, sampling, samples, concurrency, on_record=on_record)
    folder = out
    done = {e.episode for e in folder.existing}
    jobs = [(t, s) for t in tasks for s in range(samples) if f"{t.id}#{s}" not in done]
    tally = Tally(total=len(tasks) * samples)
    for e in folder.existing:
        tally.add(e)
    episodes = list(folder.existing)

    def write(episode: Episode) -> None:
        folder.append(episode)
        episodes.append(episode)
        tally.add(episode)
        if on_record is not None:
            on_record(episode, tally)

    asyncio.run(_run(agent, jobs, sampling, concurrency, write, folder.meta.get("model")))
    summary = summarize(episodes, folder.meta, {t.id: item_level(t) for t in tasks})
    folder.write_summary(summary)
    return summary
