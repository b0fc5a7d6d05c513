"""Puzzle files: the original benchmark's JSON list and our JSONL, loaded as ``Task``s.

Prompts pass through unchanged. Where a file carries no answer options (the original's
does not), they are recovered from the prompt's lists and answer-format block by the one
prompt reader (``prompt_parse.options_from_prompt``, which reads only the lists, so a
prompt whose clues cannot be read still gives them), so that grading can tell an answer
naming two candidates from one naming the right one.
"""

from __future__ import annotations

import json
from pathlib import Path

from .prompt_outline import options_from_prompt
from .puzzle import Task


class DatasetError(ValueError):
    """A puzzle file that cannot be read; the message names the file and the record."""


def _task(record: object, where: str, fallback_id: str) -> Task:
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(record).__name__}")
    prompt, solution = record.get("prompt"), record.get("solution")
    if not isinstance(prompt, str) or not prompt.strip():
        raise DatasetError(f"{where}: 'prompt' must be a non-empty string")
    if (
        not isinstance(solution, dict)
        or not solution
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in solution.items())
    ):
        raise DatasetError(f"{where}: 'solution' must be a non-empty object of label -> answer strings")
    options = record.get("options")
    if options is not None and not (
        isinstance(options, dict)
        and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in options.values())
    ):
        raise DatasetError(f"{where}: 'options' must map labels to lists of strings")
    if options is None:
        options = options_from_prompt(prompt)
    num_clues = record.get("num_clues", 0)
    return Task(
        id=str(record.get("id") or fallback_id),
        prompt=prompt,
        solution=dict(solution),
        options=options,
        num_clues=int(num_clues) if isinstance(num_clues, int) else 0,
        record=record,
    )


def _json(text: str, where: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DatasetError(f"{where}: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise DatasetError(f"{where}: not a puzzle file: its JSON is nested too deeply") from None


def load_tasks(path: str | Path) -> list[Task]:
    """Every puzzle in a ``.json`` file (a list of puzzles, the original benchmark's format, or a single
    puzzle object, pretty-printed or not) or a ``.jsonl`` file (one puzzle per line); a file with
    another name is read as whichever of the two its text is."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such puzzle file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a folder, not a puzzle file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: cannot read: {err}") from None
    stem = path.stem
    stripped = text.lstrip()
    lines = [line for line in text.splitlines() if line.strip()]
    # A list, or one (pretty-printed) object; JSONL when its first line is a whole object, and always for .jsonl.
    whole = path.suffix != ".jsonl" and (
        stripped.startswith("[") or (stripped.startswith("{") and not _one_object_per_line(lines))
    )
    if whole:
        data = _json(text, str(path))
        records = data if isinstance(data, list) else [data]
        tasks = [_task(r, f"{path}: puzzle {i}", f"{stem}/{i}") for i, r in enumerate(records)]
    else:
        tasks = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            record = _json(line, f"{path}:{n}")
            tasks.append(_task(record, f"{path}:{n}", f"{stem}/{len(tasks)}"))
    if not tasks:
        raise DatasetError(f"{path}: the file holds no puzzles")
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DatasetError(f"{path}: puzzle id {dup!r} appears more than once")
    return tasks


def _one_object_per_line(lines: list[str]) -> bool:
    """Whether a file that starts with "{" is JSONL (its first line a whole object) rather than one
    pretty-printed object."""
    if not lines:
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def task_from_record(record: dict, where: str = "record") -> Task:
    """A ``Task`` from one puzzle record (as ``clue generate`` writes them)."""
    return _task(record, where, str(record.get("id", where)))
