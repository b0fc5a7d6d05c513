"""Played episodes to learn from: ``clue eval`` output read back as traces, filtered, split by puzzle.

A :class:`Trace` is one recorded episode as a conversation: the prompt (the puzzle, or the
investigation's case), then the agent's replies with the environment's answers between them
(investigations), ending with the agent's final reply. :func:`read_traces` reads them from
``clue eval`` folders (``DIR/results.jsonl``) or results files, one-shot or investigation,
``--samples N`` included:

* an investigation's record holds its whole conversation (``turns``);
* a one-shot record holds only the reply (``text``): the prompt is taken from ``prompts``
  (puzzle id -> prompt text) where given, else from the puzzle file the run's ``run.json``
  names, else made again from the puzzle's id (``variant/level/seed``, as ``clue generate``
  and ``clue eval`` name generated puzzles); a puzzle made again must have the recorded
  solution, or it is not the puzzle that was played.

Episodes whose request failed (``error`` set) teach nothing and are counted, not read.

:class:`TraceFilter` says which traces are trained on (``min_reward``, ``best_of`` per puzzle,
``max_per_puzzle``) and which puzzles are held out for validation; :func:`select` applies it.
The held-out puzzles are chosen by a hash of the puzzle id and a seed (:func:`puzzle_hash`),
never by Python's salted ``hash``: the same puzzle is never on both sides, and the split is
the same on any machine and whatever other puzzles are read.

Every problem with a source is one :class:`TraceError` whose one-line message names the file
(and line).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.episode import Episode, EpisodeError

RESULTS = "results.jsonl"
RUN = "run.json"
ROLES = ("system", "user", "assistant")
_GENERATED_ID = re.compile(r"^(?:investigation/)?([a-z][a-z0-9_-]*)/([^/]+)/(\d+)$")


class TraceError(ValueError):
    """A source that gives no traces to learn from; the one-line message names the file (and line)."""


@dataclass(frozen=True)
class Message:
    """One chat message: ``role`` (``system``, ``user`` or ``assistant``) and its text."""

    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES or not isinstance(self.content, str):
            raise ValueError(f"a message needs a role of {', '.join(ROLES)} and text content, got {self.role!r}")


@dataclass(frozen=True)
class Trace:
    """One recorded episode as a conversation.

    Attributes:
        puzzle_id / sample: the puzzle (or investigation case) and which of its samples this is.
        reward: the game's reward (an investigation's net of its questions' cost; may be < 0).
        messages: the prompt (optionally after a system message, a user message), then the agent's
            replies (``assistant``) alternating with the environment's answers (``user``), ending
            with the agent's final reply.
        game: ``puzzle`` (one reply) or ``investigation``.
        agent / model: who played. solution: the right answer per label; solved: all of them right.
        questions: questions asked (investigations), else None.
        truncated: the final reply stopped at ``max_tokens`` (``finish_reason == "length"``).
        difficulty: the level named by a generated puzzle's id (``variant/level/seed``), else None.
        source: ``file:line`` of the record.
    """

    puzzle_id: str
    sample: int
    reward: float
    messages: tuple[Message, ...]
    game: str = "puzzle"
    agent: str = ""
    model: str | None = None
    solution: dict[str, str] = field(default_factory=dict, hash=False)
    solved: bool = False
    questions: int | None = None
    truncated: bool = False
    difficulty: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        messages = tuple(self.messages)
        object.__setattr__(self, "messages", messages)
        roles = [m.role for m in messages if m.role != "system"]
        if any(m.role == "system" for m in messages[1:]) or len(roles) < 2:
            raise ValueError(f"{self.source or self.puzzle_id}: a trace is a prompt and at least one reply")
        if any(role != ("user", "assistant")[k % 2] for k, role in enumerate(roles)) or roles[-1] != "assistant":
            raise ValueError(
                f"{self.source or self.puzzle_id}: a trace's messages alternate user and assistant, "
                f"from the prompt to the final reply; got {roles}"
            )

    @property
    def replies(self) -> tuple[str, ...]:
        """The agent's replies, in order (the last one is its final answer)."""
        return tuple(m.content for m in self.messages if m.role == "assistant")

    @property
    def prompt(self) -> str:
        """The first user message: the puzzle's or the case's prompt."""
        return next(m.content for m in self.messages if m.role == "user")

    def chat(self) -> list[dict[str, str]]:
        """The conversation as role/content dicts (what a chat template takes)."""
        return [{"role": m.role, "content": m.content} for m in self.messages]


@dataclass(frozen=True)
class TraceSet:
    """What :func:`read_traces` read: the traces, in file and line order; ``failed``: episodes left out
    because their request failed; ``files``: the results files read."""

    traces: tuple[Trace, ...]
    failed: int
    files: tuple[Path, ...]


def results_file(source: str | Path) -> Path:
    """The results file a source names: ``DIR/results.jsonl`` for a folder, else the file itself."""
    path = Path(source)
    if path.is_dir():
        if not (path / RESULTS).is_file():
            raise TraceError(f"{path}: no {RESULTS} in this folder; give a `clue eval --out` folder or its {RESULTS}")
        return path / RESULTS
    if not path.exists():
        raise TraceError(f"{path}: no such file or folder; give a `clue eval --out` folder or its {RESULTS}")
    return path


def read_traces(
    sources: str | Path | Sequence[str | Path], prompts: Mapping[str, str] | None = None, workers: int = 1
) -> TraceSet:
    """The traces of ``sources`` (``clue eval`` folders or results files), in the order given.

    ``prompts`` (puzzle id -> prompt text) gives one-shot records their prompt; without it (or for
    an id it lacks) the prompt comes from the run's puzzle file or is made again from the id, with
    ``workers`` processes (see the module docstring). Raises :class:`TraceError` for a missing
    path, a line that is no episode record, a record without the text needed, or no trace at all.
    """
    if isinstance(sources, str | Path):
        sources = [sources]
    if not sources:
        raise TraceError("no traces: give at least one `clue eval` folder or results.jsonl")
    traces: list[Trace] = []
    failed = 0
    files = [results_file(s) for s in sources]
    for path in files:
        read, n_failed = _read_file(path, prompts or {}, workers)
        traces += read
        failed += n_failed
    if not traces:
        what = f" ({failed} episodes failed, none finished)" if failed else ""
        raise TraceError(f"{', '.join(map(str, files))}: no episodes to learn from{what}")
    return TraceSet(tuple(traces), failed, tuple(files))


def _records(path: Path) -> list[tuple[int, Episode]]:
    """``(line number, episode)`` for each record of a results file; a torn last line (a run killed
    mid-write) is ignored, as ``clue eval --resume`` does."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise TraceError(f"{path}: cannot read it ({err.strerror or err})") from None
    lines = raw.splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines = lines[:-1]
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append((number, Episode.from_json(json.loads(line))))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise TraceError(f"{path}:{number}: not a JSON line; is this a `clue eval` {RESULTS}?") from None
        except EpisodeError as err:
            raise TraceError(f"{path}:{number}: not a `clue eval` episode record: {err}") from None
    return out


def _read_file(path: Path, prompts: Mapping[str, str], workers: int) -> tuple[list[Trace], int]:
    records = _records(path)
    if not records:
        raise TraceError(f"{path}: holds no episodes")
    done = [(n, e) for n, e in records if e.error is None]
    missing = sorted({e.puzzle_id for _, e in done if e.turns is None and e.puzzle_id not in prompts})
    found = dict(prompts)
    if missing:
        found.update(_puzzle_prompts(path, missing, {e.puzzle_id: e.solution for _, e in done}, workers))
    return [_trace(path, n, e, found) for n, e in done], len(records) - len(done)


def _trace(path: Path, number: int, e: Episode, prompts: Mapping[str, str]) -> Trace:
    where = f"{path}:{number}"
    if e.turns is not None:
        if not isinstance(e.turns, list) or not all(
            isinstance(t, dict) and t.get("role") in ROLES and isinstance(t.get("content"), str) for t in e.turns
        ):
            raise TraceError(f"{where}: 'turns' must be a list of {{role, content}} messages")
        messages = tuple(Message(t["role"], t["content"]) for t in e.turns)
    else:
        messages = (Message("user", prompts[e.puzzle_id]), Message("assistant", e.text))
    if messages[-1].role == "assistant" and messages[-1].content != e.text:
        raise TraceError(f"{where}: the last of 'turns' is not the record's final reply ('text')")
    match = _GENERATED_ID.match(e.puzzle_id)
    try:
        return Trace(
            puzzle_id=e.puzzle_id,
            sample=e.sample,
            reward=float(e.reward),
            messages=messages,
            game="investigation" if e.questions is not None else "puzzle",
            agent=str(e.agent),
            model=e.model,
            solution=dict(e.solution),
            solved=e.solved,
            questions=e.questions,
            truncated=e.finish_reason == "length",
            difficulty=match.group(2) if match else None,
            source=where,
        )
    except ValueError as err:
        raise TraceError(str(err)) from None


def _puzzle_prompts(
    path: Path, ids: Sequence[str], solutions: Mapping[str, Mapping[str, str]], workers: int
) -> dict[str, str]:
    """The prompts of one-shot puzzles ``ids`` recorded in ``path``: from the puzzle file its run names
    (``run.json``'s ``dataset``), else made again from each generated id; checked against the
    recorded solutions."""
    how = "pass the puzzles' prompts (prompts=, e.g. from the puzzle file the run played)"
    dataset = _run_dataset(path)
    found: dict[str, tuple[str, dict[str, str]]] = {}
    if dataset is not None:
        from clue_env.dataset import DatasetError, load_tasks

        try:
            found = {t.id: (t.prompt, t.solution) for t in load_tasks(dataset)}
        except DatasetError as err:
            raise TraceError(f"{path}: its run's puzzle file cannot be read: {err}") from None
    else:
        found = _remake(path, ids, how, workers)
    out = {}
    for pid in ids:
        if pid not in found:
            raise TraceError(f"{path}: one-shot record of {pid!r} holds no prompt and its puzzle is not found; {how}")
        prompt, solution = found[pid]
        if dict(solution) != dict(solutions[pid]):
            raise TraceError(
                f"{path}: puzzle {pid!r} read again has another solution than the one recorded (not the puzzle "
                f"played: another version or file?); {how}"
            )
        out[pid] = prompt
    return out


def _run_dataset(path: Path) -> Path | None:
    """The puzzle file the run of ``path`` played, where its ``run.json`` names one (as given, or
    relative to the run's folder)."""
    run = path.parent / RUN
    if not run.is_file():
        return None
    try:
        dataset = json.loads(run.read_text(encoding="utf-8")).get("dataset")
    except (ValueError, OSError, AttributeError) as err:
        raise TraceError(f"{run}: cannot read it ({err})") from None
    if not dataset:
        return None
    for candidate in (Path(dataset), path.parent / dataset):
        if candidate.is_file():
            return candidate
    raise TraceError(f"{run}: the run played {dataset!r}, which is not found; pass the puzzles' prompts (prompts=)")


def _remake(path: Path, ids: Iterable[str], how: str, workers: int) -> dict[str, tuple[str, dict[str, str]]]:
    """Generated puzzles made again from their ids (``variant/level/seed``), level by level."""
    from clue_env.generate import generate_records
    from clue_env.variant import get_variant

    by_level: dict[tuple[str, str], list[int]] = {}
    for pid in ids:
        match = _GENERATED_ID.match(pid)
        if match is None or pid.startswith("investigation/"):
            raise TraceError(f"{path}: one-shot record of {pid!r} holds no prompt and is no generated puzzle; {how}")
        by_level.setdefault((match.group(1), match.group(2)), []).append(int(match.group(3)))
    out = {}
    for (variant, level), seeds in by_level.items():
        try:
            for record in generate_records(get_variant(variant), level, sorted(seeds), workers=workers):
                out[record["id"]] = (record["prompt"], record["solution"])
        except (ValueError, KeyError) as err:
            raise TraceError(f"{path}: cannot make puzzle {variant}/{level} again ({err}); {how}") from None
    return out


# --------------------------------------------------------------------------- filters and split


@dataclass(frozen=True)
class TraceFilter:
    """Which traces are trained on, and which puzzles are held out for validation.

    The filters apply to both sides of the split, in the order of the fields below; the held-out
    puzzles are chosen among every puzzle read, before any filter (so a filter never moves a puzzle
    from one side to the other).
    """

    min_reward: float | None = None
    """Keep traces whose reward is at least this (None: any)."""
    best_of: int | None = None
    """Per puzzle, keep only the ``k`` best by reward (rejection sampling); ties go to the lower sample
    index, then to the source read first (None: all)."""
    max_per_puzzle: int | None = None
    """Per puzzle, keep at most this many (the lowest sample indices; None: no cap)."""
    keep_truncated: bool = False
    """Keep traces whose final reply stopped at ``max_tokens`` (trained without an end-of-turn token)."""
    val_fraction: float = 0.0
    """Hold out each puzzle whose :func:`puzzle_hash` is below this (about that share of the puzzles)."""
    val_puzzles: int | None = None
    """Hold out exactly this many puzzles: those with the lowest :func:`puzzle_hash` (not with ``val_fraction``)."""
    split_seed: int = 0
    """Seeds the hash: another seed, another split."""

    def __post_init__(self) -> None:
        for name in ("best_of", "max_per_puzzle", "val_puzzles"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be an integer >= 1 (or None), got {value!r}")
        if isinstance(self.val_fraction, bool) or not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")
        if self.val_fraction and self.val_puzzles is not None:
            raise ValueError("give val_fraction or val_puzzles, not both")
        reward = self.min_reward
        if reward is not None and (
            isinstance(reward, bool) or not isinstance(reward, int | float) or not math.isfinite(reward)
        ):
            raise ValueError(f"min_reward must be a number (or None), got {self.min_reward!r}")


@dataclass(frozen=True)
class TraceSplit:
    """The traces trained on and the held-out ones; ``val_ids``: the held-out puzzles; ``dropped``: how
    many traces each filter left out (``failed``, ``truncated``, ``min_reward``, ``best_of``,
    ``max_per_puzzle``)."""

    train: tuple[Trace, ...]
    val: tuple[Trace, ...]
    val_ids: frozenset[str]
    dropped: dict[str, int]


def puzzle_hash(puzzle_id: str, seed: int = 0) -> float:
    """A number in [0, 1) fixed by the puzzle id and the seed alone (SHA-256), the same on any machine."""
    digest = hashlib.sha256(f"clue-split\x1f{seed}\x1f{puzzle_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out(puzzle_ids: Iterable[str], settings: TraceFilter) -> frozenset[str]:
    """The puzzles of ``puzzle_ids`` held out by ``settings`` (``val_fraction`` or ``val_puzzles``)."""
    ids = sorted(set(puzzle_ids))
    key = {pid: puzzle_hash(pid, settings.split_seed) for pid in ids}
    if settings.val_puzzles is not None:
        return frozenset(sorted(ids, key=lambda pid: (key[pid], pid))[: settings.val_puzzles])
    return frozenset(pid for pid in ids if key[pid] < settings.val_fraction)


def keep(traces: Sequence[Trace], settings: TraceFilter) -> tuple[list[Trace], dict[str, int]]:
    """The traces ``settings``' filters keep (in their order), and how many each filter dropped."""
    dropped = {"truncated": 0, "min_reward": 0, "best_of": 0, "max_per_puzzle": 0}
    out = list(traces)
    if not settings.keep_truncated:
        dropped["truncated"] = sum(t.truncated for t in out)
        out = [t for t in out if not t.truncated]
    if settings.min_reward is not None:
        kept = [t for t in out if t.reward >= settings.min_reward]
        dropped["min_reward"], out = len(out) - len(kept), kept
    for name, limit, rank in (
        ("best_of", settings.best_of, lambda k, t: (-t.reward, t.sample, k)),
        ("max_per_puzzle", settings.max_per_puzzle, lambda k, t: (t.sample, k)),
    ):
        if limit is None:
            continue
        groups: dict[str, list[int]] = {}
        for k, t in enumerate(out):
            groups.setdefault(t.puzzle_id, []).append(k)
        chosen = {k for ks in groups.values() for k in sorted(ks, key=lambda k: rank(k, out[k]))[:limit]}
        dropped[name], out = len(out) - len(chosen), [t for k, t in enumerate(out) if k in chosen]
    return out, dropped


def select(read: TraceSet, settings: TraceFilter = TraceFilter()) -> TraceSplit:
    """``read``'s traces split by puzzle (held-out puzzles chosen among every puzzle read) and filtered.
    Raises :class:`TraceError` when no trace is left to train on."""
    val_ids = held_out((t.puzzle_id for t in read.traces), settings)
    train, dropped = keep([t for t in read.traces if t.puzzle_id not in val_ids], settings)
    val, val_dropped = keep([t for t in read.traces if t.puzzle_id in val_ids], settings)
    total = {"failed": read.failed, **{k: dropped[k] + val_dropped[k] for k in dropped}}
    if not train:
        left = ", ".join(f"{k} {v}" for k, v in total.items() if v) or "none"
        held = f", {len(val_ids)} puzzles held out" if val_ids else ""
        raise TraceError(
            f"{', '.join(map(str, read.files))}: no trace is left to train on after the filters "
            f"({len(read.traces)} read{held}; dropped: {left})"
        )
    return TraceSplit(tuple(train), tuple(val), val_ids, total)
