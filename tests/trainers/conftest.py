"""Trainer tests run torch on one thread: the tiny model's ops are too small to gain from more, and on a
shared 2-core machine a second thread contending for a busy core makes each forward ~25x slower."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[dict]:
    """A short `clue train --agent tiny` run in one go (once per module that asks for it): what the
    interrupted and the distributed runs must equal."""
    from tests.trainers.runs import SHORT, metrics, train

    out = tmp_path_factory.mktemp("reference") / "run"
    train(out, *SHORT)
    return metrics(out)
