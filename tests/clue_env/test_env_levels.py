"""The envs speak the difficulty scale: ``difficulty=k`` and ``reset(options={"difficulty": d})``."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import clue_env  # noqa: F401  (registers the envs)
from clue_env.builtin_variants import TINY
from clue_env.env import episode_seed
from clue_env.generate import generate_record, generate_task
from clue_env.investigation import generate_case


def test_gym_make_with_a_rung_number():
    env = gym.make("TemporalClue-v0", variant="tiny", difficulty=3)
    prompt, info = env.reset(seed=4)
    task = generate_task(TINY, 3, 4)
    assert prompt == task.prompt and info["puzzle_id"] == task.id
    assert env.unwrapped.task.record["rung"] == 3
    assert gym.make("TemporalClue-v0", variant="tiny", difficulty="2").reset(seed=1)[0] == (
        generate_task(TINY, "cpu", 1).prompt
    )
    env.close()


def test_the_investigation_env_with_a_rung_number():
    env = gym.make("TemporalClueInvestigation-v0", variant="tiny", difficulty=2)
    prompt, info = env.reset(seed=3)
    case = generate_case(TINY, "cpu", 3)
    assert prompt == case.prompt and info["puzzle_id"] == case.id
    assert env.unwrapped.case.puzzle.rung == 2
    with pytest.raises(ValueError, match="off its scale 0..24"):
        gym.make("TemporalClueInvestigation-v0", variant="tiny", difficulty=99)


def test_a_bad_rung_fails_at_make():
    with pytest.raises(ValueError, match="variant 'tiny': difficulty 25 is off its scale 0..24"):
        gym.make("TemporalClue-v0", variant="tiny", difficulty=25)


@pytest.mark.parametrize("prefetch", [0, 2])
def test_reset_option_difficulty_plays_that_reset_at_that_level(prefetch):
    env = gym.make("TemporalClue-v0", variant="tiny", difficulty="cpu", prefetch=prefetch)
    try:
        prompt, _ = env.reset(seed=5, options={"difficulty": 0})
        assert prompt == generate_task(TINY, 0, 5).prompt
        prompt, _ = env.reset()  # back at the env's own level, the seed sequence unchanged
        assert prompt == generate_task(TINY, "cpu", episode_seed(5, 1)).prompt
        prompt, _ = env.reset(options={"difficulty": "4"})
        assert prompt == generate_task(TINY, 4, episode_seed(5, 2)).prompt
        prompt, _ = env.reset(options={"difficulty": 2})  # the env's own level: from the pool
        assert prompt == generate_task(TINY, "cpu", episode_seed(5, 3)).prompt
        with pytest.raises(ValueError, match="off its scale"):
            env.reset(options={"difficulty": 40})
        prompt, _ = env.reset()  # a refused option used no seed
        assert prompt == generate_task(TINY, "cpu", episode_seed(5, 4)).prompt
    finally:
        env.close()


def test_reset_option_difficulty_in_the_investigation_env():
    env = gym.make("TemporalClueInvestigation-v0", variant="tiny", difficulty="cpu")
    prompt, _ = env.reset(seed=2, options={"difficulty": 1})
    assert prompt == generate_case(TINY, 1, 2).prompt
    assert env.reset()[0] == generate_case(TINY, "cpu", episode_seed(2, 1)).prompt


def test_a_dataset_env_has_no_levels_to_pick(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(generate_record(TINY, 2, 0)) + "\n")
    for env_id in ("TemporalClue-v0", "TemporalClueInvestigation-v0"):
        env = gym.make(env_id, dataset=str(path))
        with pytest.raises(ValueError, match=r"options\['difficulty'\] picks a generated level"):
            env.reset(options={"difficulty": 1})
