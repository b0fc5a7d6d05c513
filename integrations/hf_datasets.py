"""Puzzles as Hugging Face datasets: generated or loaded, in memory, streamed, or saved to disk.

One row per puzzle, the same columns whichever way it was made (:data:`FEATURES`):

- ``prompt``: the chat messages, ``[{"role": "user", "content": <puzzle text>}]`` (a system
  message first when ``system_prompt`` is given): what TRL and verifiers take as a
  conversational prompt;
- ``prompt_text``: the puzzle text itself (for plain-text trainers:
  ``ds.remove_columns("prompt").rename_column("prompt_text", "prompt")``);
- ``solution``: the answers as a JSON object string, ``{"A": "Miss Scarlet", ...}``;
- ``options``: the candidates of each question as a JSON object string, ``{"A": ["Miss
  Scarlet", ...], ...}`` (JSON strings, because their keys vary from puzzle to puzzle,
  which Arrow structs cannot hold; :func:`solution_of`, :func:`options_of` and
  :func:`task_of` read them back);
- ``id``, ``variant``, ``difficulty``, ``seed``, ``num_clues``: where the puzzle came from
  (``variant``, ``difficulty`` and ``seed`` are null for puzzles of the original
  benchmark's file, which records none).

Generated rows are exactly the puzzles ``clue generate`` writes for the same variant,
difficulty and seeds (they come from the same ``generate_records``), so
``generated_dataset(...)``, ``iterable_dataset(...)``, ``save_generated(...)`` and
``from_file("puzzles.jsonl")`` of a ``clue generate`` file all give the same rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clue_env.dataset import load_tasks, task_from_record
from clue_env.generate import generate_records
from clue_env.outputs import OutputError, check_output_dir
from clue_env.puzzle import Task
from clue_env.sizes import Difficulty, Sizes
from clue_env.variant import Variant, get_variant

from . import require

if TYPE_CHECKING:
    from datasets import Dataset, Features, IterableDataset

__all__ = [
    "COLUMNS",
    "RowError",
    "chat_prompt",
    "check_save_target",
    "decode_options",
    "decode_solution",
    "features",
    "from_file",
    "generated_dataset",
    "iterable_dataset",
    "options_of",
    "row_from_record",
    "row_from_task",
    "save_generated",
    "solution_of",
    "task_of",
    "to_dataset",
]

COLUMNS = ("id", "prompt", "prompt_text", "solution", "options", "variant", "difficulty", "seed", "num_clues")
"""The columns of every dataset made here, in order."""

DEFAULT_SHARDS = 16
"""Shards of an :func:`iterable_dataset` (at most one per seed): what a ``DataLoader`` with
``num_workers`` splits between its workers."""


class RowError(ValueError):
    """A dataset row (or a column value) that is not a Temporal Clue puzzle row; the message says what is wrong."""


def features() -> Features:
    """The ``datasets.Features`` of the rows made here (see the module docstring)."""
    hf = require("datasets", "hf")
    string, integer = hf.Value("string"), hf.Value("int64")
    return hf.Features(
        {
            "id": string,
            "prompt": hf.List({"role": string, "content": string}),
            "prompt_text": string,
            "solution": string,
            "options": string,
            "variant": string,
            "difficulty": string,
            "seed": integer,
            "num_clues": integer,
        }
    )


# --------------------------------------------------------------------------- rows


def chat_prompt(prompt: str, system_prompt: str | None = None) -> list[dict[str, str]]:
    """The puzzle text as chat messages: one user message, after a system message if given."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": prompt}]


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def row_from_task(task: Task, system_prompt: str | None = None) -> dict[str, Any]:
    """One dataset row of ``task`` (its ``record`` gives variant, difficulty and seed when it has them)."""
    if not isinstance(task, Task):
        raise RowError(f"expected a clue_env.Task, got {type(task).__name__}")
    record = task.record or {}
    seed = record.get("seed")
    return {
        "id": task.id,
        "prompt": chat_prompt(task.prompt, system_prompt),
        "prompt_text": task.prompt,
        "solution": _json(task.solution),
        "options": _json(task.options) if task.options is not None else None,
        "variant": record.get("variant") if isinstance(record.get("variant"), str) else None,
        "difficulty": record.get("difficulty") if isinstance(record.get("difficulty"), str) else None,
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        "num_clues": task.num_clues,
    }


def row_from_record(record: Mapping[str, Any], system_prompt: str | None = None) -> dict[str, Any]:
    """One dataset row of a puzzle record (as ``clue generate`` writes them, or the original's)."""
    if not isinstance(record, Mapping):
        raise RowError(f"expected a puzzle record (a dict), got {type(record).__name__}")
    return row_from_task(task_from_record(dict(record)), system_prompt)


def _row(item: Task | Mapping[str, Any], system_prompt: str | None) -> dict[str, Any]:
    return row_from_task(item, system_prompt) if isinstance(item, Task) else row_from_record(item, system_prompt)


def _decoded(value: object, column: str) -> object:
    if isinstance(value, (dict, list)) or value is None:
        return value
    if not isinstance(value, str):
        raise RowError(f"column {column!r} must be a JSON string, got {type(value).__name__}")
    try:
        return json.loads(value)
    except ValueError as err:
        raise RowError(f"column {column!r} is not valid JSON ({err.msg}): {value[:80]!r}") from None


def decode_solution(value: str | Mapping[str, str]) -> dict[str, str]:
    """A ``solution`` column's value (its JSON string, or the dict itself) as a dict label -> answer."""
    decoded = _decoded(value, "solution")
    if (
        not isinstance(decoded, dict)
        or not decoded
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in decoded.items())
    ):
        raise RowError(
            f"column 'solution' must hold a non-empty JSON object of label -> answer strings, got {decoded!r}"
        )
    return decoded


def decode_options(value: str | Mapping[str, Sequence[str]] | None) -> dict[str, list[str]] | None:
    """An ``options`` column's value (its JSON string, the dict itself, or None) as a dict label -> candidates."""
    decoded = _decoded(value, "options")
    if decoded is None:
        return None
    if not isinstance(decoded, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in decoded.items()
    ):
        raise RowError(f"column 'options' must hold a JSON object of label -> lists of strings, got {decoded!r}")
    return decoded


def _column(row: Mapping[str, Any], column: str) -> object:
    if not isinstance(row, Mapping):
        raise RowError(f"expected a dataset row (a dict), got {type(row).__name__}")
    return row.get(column)


def solution_of(row: Mapping[str, Any]) -> dict[str, str]:
    """The solution of a dataset row as a dict label -> answer."""
    return decode_solution(_column(row, "solution"))


def options_of(row: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """The options of a dataset row as a dict label -> candidates (None when the row has none)."""
    return decode_options(_column(row, "options"))


def task_of(row: Mapping[str, Any]) -> Task:
    """The ``clue_env.Task`` of a dataset row (what ``clue_env`` agents and graders take)."""
    if not isinstance(row, Mapping):
        raise RowError(f"expected a dataset row (a dict), got {type(row).__name__}")
    prompt = row.get("prompt_text")
    if not isinstance(prompt, str) or not prompt:
        raise RowError("column 'prompt_text' must be a non-empty string")
    num_clues = row.get("num_clues")
    return Task(
        id=str(row.get("id") or ""),
        prompt=prompt,
        solution=solution_of(row),
        options=options_of(row),
        num_clues=num_clues if isinstance(num_clues, int) else 0,
        record={k: row.get(k) for k in ("variant", "difficulty", "seed") if row.get(k) is not None},
    )


# --------------------------------------------------------------------------- datasets


def to_dataset(items: Iterable[Task | Mapping[str, Any]], system_prompt: str | None = None) -> Dataset:
    """A ``datasets.Dataset`` of ``Task``s or puzzle records, in order."""
    hf = require("datasets", "hf")
    rows = [_row(item, system_prompt) for item in items]
    return hf.Dataset.from_list(rows, features=features())


def from_file(path: str | Path, system_prompt: str | None = None) -> Dataset:
    """A ``datasets.Dataset`` of a puzzle file: ``clue generate``'s JSONL or the original's JSON list."""
    return to_dataset(load_tasks(path), system_prompt)


def _variant(variant: Variant | str) -> Variant:
    if isinstance(variant, Variant):
        return variant
    if isinstance(variant, str):
        return get_variant(variant)
    raise TypeError(f"variant must be a clue_env.Variant or a variant name, got {type(variant).__name__}")


def _seeds(seeds: Iterable[int]) -> Sequence[int]:
    """``seeds`` as a checked sequence (a ``range`` stays a range, whatever its length)."""
    if isinstance(seeds, range):
        checked: Sequence[int] = seeds
    elif isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise ValueError(f"seeds must be an iterable of non-negative integers (e.g. range(100)), got {seeds!r}")
    else:
        checked = list(seeds)
        bad = next((s for s in checked if not isinstance(s, int) or isinstance(s, bool) or s < 0), None)
        if bad is not None:
            raise ValueError(f"seeds must be non-negative integers, got {bad!r}")
    if len(checked) == 0:
        raise ValueError("seeds is empty: pass at least one seed, e.g. range(100)")
    if min(checked[0], checked[-1]) < 0:  # a range's smallest value is at one of its ends
        raise ValueError(f"seeds must be non-negative integers, got {seeds!r}")
    return checked


def _generated_rows(
    variant: Variant,
    difficulty: str | Sizes | Difficulty | None,
    seeds: Sequence[int],
    workers: int,
    system_prompt: str | None,
) -> Iterator[dict[str, Any]]:
    # A range stays a range (never a list of a billion seeds): generate_records only iterates it.
    for record in generate_records(variant, difficulty, seeds, workers):  # type: ignore[arg-type]
        yield row_from_record(record, system_prompt)


def generated_dataset(
    variant: Variant | str,
    difficulty: str | Sizes | Difficulty | None,
    seeds: Iterable[int],
    workers: int = 1,
    system_prompt: str | None = None,
) -> Dataset:
    """Puzzles ``seeds`` of ``variant`` at ``difficulty`` (a level name, explicit ``Sizes`` or None
    for the variant's default level) as a ``datasets.Dataset``, generated on ``workers`` processes."""
    hf = require("datasets", "hf")
    variant, seeds = _variant(variant), _seeds(seeds)
    variant.difficulty(difficulty)  # a bad level fails here, before any work
    rows = list(_generated_rows(variant, difficulty, seeds, workers, system_prompt))
    return hf.Dataset.from_list(rows, features=features())


def _shard_rows(
    chunks: list[Sequence[int]],
    variant: Variant,
    difficulty: str | Sizes | Difficulty | None,
    workers: int,
    system_prompt: str | None,
) -> Iterator[dict[str, Any]]:
    """The generator behind :func:`iterable_dataset`; ``datasets`` splits ``chunks`` (a list) between shards."""
    for chunk in chunks:
        yield from _generated_rows(variant, difficulty, chunk, workers, system_prompt)


def iterable_dataset(
    variant: Variant | str,
    difficulty: str | Sizes | Difficulty | None,
    seeds: Iterable[int],
    workers: int = 1,
    system_prompt: str | None = None,
    shards: int = DEFAULT_SHARDS,
) -> IterableDataset:
    """A ``datasets.IterableDataset`` that generates puzzles ``seeds`` as it is iterated, in seed order.

    Nothing is generated up front, so ``seeds`` may be huge (``range(10**9)``). The seeds are
    split into ``shards`` contiguous runs (fewer when there are fewer seeds), which a
    ``torch.utils.data.DataLoader`` with ``num_workers`` shares out between its workers;
    ``workers`` processes generate ahead within each run.
    """
    hf = require("datasets", "hf")
    variant, seeds = _variant(variant), _seeds(seeds)
    variant.difficulty(difficulty)
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise ValueError(f"shards must be a positive integer, got {shards!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    count = min(shards, len(seeds))
    bounds = [len(seeds) * i // count for i in range(count + 1)]
    chunks = [seeds[a:b] for a, b in zip(bounds, bounds[1:])]
    return hf.IterableDataset.from_generator(
        _shard_rows,
        features=features(),
        gen_kwargs={
            "chunks": chunks,
            "variant": variant,
            "difficulty": difficulty,
            "workers": workers,
            "system_prompt": system_prompt,
        },
    )


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def check_save_target(out_dir: str | Path, *, force: bool = False) -> Path:
    """``out_dir`` as a folder :func:`save_generated` may write, or ``OutputError`` (a ValueError)
    saying why not: it is a file, its nearest existing folder is not writable, or it exists
    and ``force`` is not given. What ``clue generate --format hf`` checks before any work."""
    out = check_output_dir(out_dir)
    if out.exists() and not force:
        raise OutputError(f"--out {out} exists; pass --force to overwrite it")
    return out


def save_generated(
    variant: Variant | str,
    difficulty: str | Sizes | Difficulty | None,
    seeds: Iterable[int],
    out_dir: str | Path,
    workers: int = 1,
    *,
    force: bool = False,
    system_prompt: str | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Generate puzzles ``seeds`` and write them with ``Dataset.save_to_disk`` into ``out_dir``
    (what ``clue generate --format hf DIR`` does); ``datasets.load_from_disk(out_dir)`` reads them.

    Rows stream to disk as they are generated (``on_row`` sees each one, for a progress bar).
    ``out_dir`` appears only when complete: the dataset is written beside it and renamed into
    place, so an interrupted run leaves any earlier ``out_dir`` as it was. An existing
    ``out_dir`` is replaced only with ``force``. Raises ``OutputError`` (a ValueError) for an
    ``out_dir`` that cannot be written, ValueError for a bad variant, level or seeds.
    """
    hf = require("datasets", "hf")
    arrow_writer = require("datasets.arrow_writer", "hf")

    out = check_save_target(out_dir, force=force)
    variant, seeds = _variant(variant), _seeds(seeds)
    variant.difficulty(difficulty)
    out.parent.mkdir(parents=True, exist_ok=True)

    def rows() -> Iterator[dict[str, Any]]:
        for row in _generated_rows(variant, difficulty, seeds, workers, system_prompt):
            if on_row is not None:
                on_row(row)
            yield row

    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        # Rows stream into an Arrow file of our own (never into or from the shared Hugging Face
        # cache, so no cached copy can stand in for a generation), then save_to_disk lays it out.
        with arrow_writer.ArrowWriter(features=features(), path=str(work / "rows.arrow")) as writer:
            for row in rows():
                writer.write(row)
            writer.finalize()
        loaded = hf.Dataset.from_file(str(work / "rows.arrow"))
        # The fingerprint of the rows themselves, so the same seeds give the same files byte for byte.
        dataset = hf.Dataset(loaded.data, info=loaded.info, fingerprint=_file_digest(work / "rows.arrow"))
        dataset.save_to_disk(str(work / "dataset"))
        del loaded
        del dataset
        old = work / "old"
        if out.exists():
            os.replace(out, old)  # the earlier dataset, put back if the new one cannot take its place
        try:
            os.replace(work / "dataset", out)
        except OSError:
            if old.exists():
                os.replace(old, out)
            raise
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
