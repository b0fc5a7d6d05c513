"""The adaptive curriculum and dynamic sampling in a real ``clue train --agent tiny`` run on the CPU
(slow: each run starts a vLLM engine).

- the controller moves the difficulty in a real run: with a target pass rate far below the tiny
  base's, it climbs a rung per iteration, the puzzles come from the rungs it names, and at
  ``curriculum_max`` it stops and says so once;
- kill -9 in the middle of such a run (dynamic sampling on), then ``--resume``: every iteration's
  difficulty, reward, rounds, loss and validation equal those of a run never interrupted (the
  controller's state is in the checkpoint).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# Target 0.05: the base's pass rate on tiny/cpu (~0.3) is above the band, so every iteration climbs.
CLIMB = (
    "--iterations",
    "5",
    "--set",
    "curriculum=adaptive",
    "--set",
    "curriculum_target=0.05",
    "--set",
    "curriculum_band=0.0",
    "--set",
    "curriculum_step=1",
    "--set",
    "curriculum_min_iterations=1",
    "--set",
    "curriculum_max=4",
    "--set",
    "dynamic_sampling=1",
    "--set",
    "val_every=3",
    "--set",
    "val_tasks=16",
    "--set",
    "val_ladder=4",
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _train(out: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "cli", "train", "--agent", "tiny", "--out", str(out), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    return proc


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def climb(tmp_path_factory):
    out = tmp_path_factory.mktemp("climb") / "run"
    proc = _train(out, *CLIMB)
    return out, proc, _metrics(out)


def test_the_adaptive_controller_moves_the_difficulty_in_a_real_run(climb):
    out, proc, rows = climb
    trained = rows[1:]
    assert [r["difficulty"] for r in trained] == [2, 3, 4, 4, 4]  # tiny/cpu is rung 2; capped at 4
    assert [r["difficulty_mix"] for r in trained][:3] == [{"2": 8}, {"3": 8}, {"4": 8}]
    assert all(0 <= r["pass_rate"] <= 1 and r["rollout_rounds"] >= 1 for r in trained)
    assert all(r["rollout_tokens"] >= r["tokens_trained"] for r in trained)
    log = proc.stderr + proc.stdout
    assert log.count("the end of curriculum_min/curriculum_max") == 1, log[-3000:]
    # validation stays on the target level, and the ladder level is validated beside it
    assert all(set(r["val_reward_by_difficulty"]) == {"cpu", "4"} for r in rows if "val_reward" in r)
    assert (out / "difficulty.png").is_file()
    episodes = [json.loads(x) for x in (out / "val" / "iter-000003" / "results.jsonl").read_text().splitlines()]
    assert all("/cpu/" in e["puzzle_id"] for e in episodes)
    assert (out / "val" / "iter-000003" / "difficulty-4" / "summary.json").is_file()


def test_kill_9_then_resume_continues_the_curriculum_exactly(tmp_path, climb):
    _, _, reference = climb
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "cli", "train", "--agent", "tiny", "--out", str(out), *CLIMB]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "metrics.jsonl").is_file() and any(r["iteration"] >= 2 for r in _metrics(out)):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert 2 <= max(r["iteration"] for r in _metrics(out)) < 5
    _train(out, "--resume", *CLIMB)
    rows = _metrics(out)
    assert [r["iteration"] for r in rows] == list(range(6)), "an iteration is missing or written twice"
    keys = ("difficulty", "difficulty_mix", "mean_reward", "pass_rate", "rollout_rounds", "rollout_tokens")
    for got, want in zip(rows, reference):
        for key in (*keys, "val_reward", "tokens_trained"):
            assert got.get(key) == pytest.approx(want.get(key), abs=1e-9), (got["iteration"], key)
        if "loss" in want:
            assert got["loss"] == pytest.approx(want["loss"], abs=1e-6), got["iteration"]
