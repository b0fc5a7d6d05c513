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

import pytest

from tests.trainers.runs import kill_9_at, metrics, train

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


@pytest.fixture(scope="module")
def climb(tmp_path_factory):
    out = tmp_path_factory.mktemp("climb") / "run"
    proc = train(out, *CLIMB)
    return out, proc, metrics(out)


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
    assert 2 <= kill_9_at(out, CLIMB, 2) < 5
    train(out, "--resume", *CLIMB)
    rows = metrics(out)
    assert [r["iteration"] for r in rows] == list(range(6)), "an iteration is missing or written twice"
    keys = ("difficulty", "difficulty_mix", "mean_reward", "pass_rate", "rollout_rounds", "rollout_tokens")
    for got, want in zip(rows, reference):
        for key in (*keys, "val_reward", "tokens_trained"):
            assert got.get(key) == pytest.approx(want.get(key), abs=1e-9), (got["iteration"], key)
        if "loss" in want:
            assert got["loss"] == pytest.approx(want["loss"], abs=1e-6), got["iteration"]
