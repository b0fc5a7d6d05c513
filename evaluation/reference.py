"""Published results to compare runs against (``clue report --reference study``).

Each reference set is a JSON file beside this module (``<name>_reference.json``) that names
its source; ``study`` is the published Temporal Clue GRPO study (OpenPipe, March 2025) on the
original 64 validation puzzles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_SUFFIX = "_reference.json"


class ReferenceFileError(ValueError):
    """No reference set of that name beside this module; the message lists the known ones."""


@dataclass(frozen=True)
class Reference:
    """One published result: a model's accuracy (fraction of questions right) and cost per puzzle."""

    name: str
    accuracy: float
    cost_per_puzzle_usd: float | None
    source: str
    source_short: str


def reference_names() -> list[str]:
    return sorted(p.name[: -len(_SUFFIX)] for p in _HERE.glob(f"*{_SUFFIX}"))


@cache
def load_reference(name: str) -> tuple[Reference, ...]:
    """The results of reference set ``name`` (see :func:`reference_names`)."""
    path = _HERE / f"{name}{_SUFFIX}"
    if not path.is_file():
        raise ReferenceFileError(f"unknown reference {name!r}; known: {', '.join(reference_names())}")
    data = json.loads(path.read_text(encoding="utf-8"))
    short = f"dashed lines: {data['short']}"
    return tuple(
        Reference(m["name"], float(m["accuracy"]), m.get("cost_per_puzzle_usd"), data["source"], short)
        for m in data["models"]
    )
