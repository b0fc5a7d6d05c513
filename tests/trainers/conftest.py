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


@pytest.fixture(scope="session")
def reference(tmp_path_factory, worker_id) -> list[dict]:
    """A short `clue train --agent tiny` run in one go: what the interrupted and the distributed runs
    must equal. Run once per test session: under pytest-xdist the first worker to ask runs it (the
    others wait on a file lock in the session's shared temporary folder) and every worker reads its
    metrics."""
    import json

    from filelock import FileLock

    from tests.trainers.runs import SHORT, metrics, train

    def run() -> list[dict]:
        out = tmp_path_factory.mktemp("reference") / "run"
        train(out, *SHORT)
        return metrics(out)

    if worker_id == "master":  # not under xdist
        return run()
    shared = tmp_path_factory.getbasetemp().parent / "trainers-reference.json"  # one folder per session
    with FileLock(str(shared) + ".lock"):
        if not shared.is_file():
            shared.write_text(json.dumps(run()))
        return json.loads(shared.read_text())
