"""Puzzle files: the original benchmark's JSON list and our JSONL, loaded as ``Task``s.

Prompts pass through unchanged. Where a file carries no answer options (the original's
does not), they are recovered from the prompt's lists so that grading can tell an answer
naming two candidates from one naming the right one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .puzzle import Task

_LIST_ITEM = re.compile(r"^(?:•|-|\*|\d+\.)\s+(.+?)\s*$")
_FORMAT_LINE = re.compile(r"^([A-Z]{1,2})\.\s+(SUSPECT|WEAPON|ROOM|TIME|MOTIVE)\s*$")
_HEADINGS = {
    "SUSPECT": re.compile(r"suspects", re.I),
    "WEAPON": re.compile(r"weapons", re.I),
    "ROOM": re.compile(r"\brooms\b(?!.*laid out)", re.I),
    "TIME": re.compile(r"\btimes\b", re.I),
    "MOTIVE": re.compile(r"\bmotives\b", re.I),
}


class DatasetError(ValueError):
    """A puzzle file that cannot be read; the message names the file and the record."""


def options_from_prompt(prompt: str) -> dict[str, list[str]] | None:
    """Answer options per label, read from the prompt's lists and its answer format block.

    None when the prompt does not have the expected shape.
    """
    blocks = re.split(r"\n\s*\n", prompt)
    lists: dict[str, list[str]] = {}
    for heading, body in zip(blocks, blocks[1:]):
        if not heading.rstrip().endswith(":"):
            continue
        items = []
        for line in body.splitlines():
            m = _LIST_ITEM.match(line.strip())
            if not m:
                items = []
                break
            items.append(re.sub(r"\s*\(\d+ suspects?\)$", "", m.group(1)))
        if not items:
            continue
        last_line = heading.strip().splitlines()[-1]
        for kind, pattern in _HEADINGS.items():
            if kind not in lists and pattern.search(last_line):
                lists[kind] = items
                break
    formats = [m.groups() for line in prompt.splitlines() if (m := _FORMAT_LINE.match(line.strip()))]
    if not formats:
        return None
    out = {}
    for label, kind in formats:
        if kind not in lists:
            return None
        out[label] = list(lists[kind])
    return out


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


def load_tasks(path: str | Path) -> list[Task]:
    """Every puzzle in a ``.json`` list (the original benchmark's format) or a ``.jsonl`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such puzzle file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: cannot read: {err}") from None
    stem = path.stem
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise DatasetError(f"{path}: not valid JSON: {err}") from None
        tasks = [_task(r, f"{path}: puzzle {i}", f"{stem}/{i}") for i, r in enumerate(records)]
    else:
        tasks = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DatasetError(f"{path}:{n}: not valid JSON: {err.msg}") from None
            tasks.append(_task(record, f"{path}:{n}", f"{stem}/{len(tasks)}"))
    if not tasks:
        raise DatasetError(f"{path}: the file holds no puzzles")
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DatasetError(f"{path}: puzzle id {dup!r} appears more than once")
    return tasks


def task_from_record(record: dict, where: str = "record") -> Task:
    """A ``Task`` from one puzzle record (as ``clue generate`` writes them)."""
    return _task(record, where, str(record.get("id", where)))
