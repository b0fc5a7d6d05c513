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
