"""Shared test fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLUE_SHARED_DIR", REPO.parent / "shared"))
VAL_JSON = SHARED / "anchors" / "temporal-clue" / "val.json"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


#: The files whose tests take longest (measured: `pytest --durations=120`, 2 cores), longest first.
#: They are collected first, so that under `pytest -n 2 --dist loadfile` (scripts/run_tests.sh)
#: the two workers start on them and finish together instead of one waiting on a long file at the end.
LONGEST_FIRST = (
    "tests/trainers/test_train_resume.py",
    "tests/trainers/test_train_cpu.py",
    "tests/trainers/test_train_distributed.py",
    "tests/trainers/test_train_pipelined.py",
    "tests/trainers/test_train_sft.py",
    "tests/trainers/test_curriculum_cpu.py",
    "tests/clue_env/test_uniqueness.py",
    "tests/agents/test_solver_investigation.py",
    "tests/clue_env/test_ladder.py",
    "tests/clue_env/test_generate.py",
    "tests/agents/test_vllm_weights.py",
    "tests/clue_env/test_investigation_env.py",
    "tests/agents/test_multiturn.py",
    "tests/integrations/test_readme.py",
    "tests/agents/test_vllm_agent.py",
    "tests/agents/test_vllm_serve.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}

    def key(item) -> int:
        path = Path(str(item.fspath)).resolve()
        try:
            name = path.relative_to(REPO).as_posix()
        except ValueError:
            return len(rank)
        return rank.get(name, len(rank))

    items.sort(key=key)  # stable: the order inside a file, and of the other files, is kept


@pytest.fixture
def val_json() -> Path:
    """The original benchmark's 64 validation puzzles (from ../shared, never copied here)."""
    if not VAL_JSON.exists():
        pytest.skip(f"original benchmark file not found at {VAL_JSON} (CI has ../shared beside the checkout)")
    return VAL_JSON


@pytest.fixture
def small_variant():
    from clue_env.builtin_variants import TEMPORAL

    return TEMPORAL
