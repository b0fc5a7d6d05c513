"""The Gymnasium environment, over every registered variant."""

import gymnasium as gym
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

import clue_env  # noqa: F401  (registers TemporalClue-v0)
from clue_env import variants


def _solution_text(env) -> str:
    return "\n".join(f"{k}. {v}" for k, v in env.unwrapped.task.solution.items())


def _quick_level(variant) -> str:
    return variant.levels.names[0]


@pytest.mark.parametrize("name", sorted(variants()))
def test_check_env_passes_for_every_variant(name):
    variant = variants()[name].item
    env = gym.make("TemporalClue-v0", variant=name, difficulty=_quick_level(variant))
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("name", sorted(variants()))
def test_determinism_rollout(name):
    variant = variants()[name].item
    a = gym.make("TemporalClue-v0", variant=name, difficulty=_quick_level(variant))
    b = gym.make("TemporalClue-v0", variant=name, difficulty=_quick_level(variant))
    obs_a, _ = a.reset(seed=7)
    obs_b, _ = b.reset(seed=7)
    assert obs_a == obs_b
    for _ in range(2):
        assert a.reset()[0] == b.reset()[0]


def test_episode_grades_and_reports():
    env = gym.make("TemporalClue-v0", variant="tiny", difficulty="medium")
    prompt, info = env.reset(seed=4)
    assert info["puzzle_id"] == "tiny/medium/4"
    assert prompt == env.unwrapped.task.prompt
    _, reward, terminated, truncated, info = env.step(_solution_text(env))
    assert reward == 1.0 and terminated and not truncated
    assert all(info["correct"].values())
    assert set(info) >= {"solution", "correct", "answers", "puzzle_id"}
    with pytest.raises(ResetNeeded):
        env.step("A. x")
    env.reset(seed=4)
    _, reward, *_, info = env.step("A. " + info["solution"]["A"])
    assert 0 < reward < 1 and info["correct"]["A"]
    env.reset(seed=4)
    for garbage in ["", "\ud800", "\x00" * 100, "A." * 100000]:
        env.reset(seed=4)
        _, reward, terminated, _, _ = env.step(garbage)
        assert terminated and 0.0 <= reward <= 1.0


def test_reset_seed_plays_that_puzzle():
    from clue_env import generate_puzzle
    from clue_env.builtin_variants import TINY

    env = gym.make("TemporalClue-v0", variant="tiny")
    prompt, _ = env.reset(seed=21)
    assert prompt == generate_puzzle(TINY, None, 21).render()
    second, info = env.reset()
    assert second != prompt and info["puzzle_id"] != "tiny/easy/21"


def test_step_before_reset_is_an_error():
    env = gym.make("TemporalClue-v0", variant="tiny").unwrapped
    with pytest.raises(ResetNeeded):
        env.step("A. Miss Scarlet")


def test_bad_configuration_errors():
    with pytest.raises(ValueError, match="unknown variant"):
        gym.make("TemporalClue-v0", variant="no-such-variant")
    with pytest.raises(ValueError, match="unknown difficulty"):
        gym.make("TemporalClue-v0", variant="tiny", difficulty="nope")
    env = gym.make("TemporalClue-v0", variant="tiny")
    with pytest.raises(ValueError, match="dataset"):
        env.reset(options={"index": 0})


def test_dataset_episodes(val_json):
    env = gym.make("TemporalClue-v0", dataset=str(val_json))
    prompt, info = env.reset(options={"index": 5})
    assert info["puzzle_id"] == "val/5"
    import json

    original = json.loads(val_json.read_text())[5]
    assert prompt == original["prompt"]
    _, reward, *_ = env.step(_solution_text(env))
    assert reward == 1.0
    with pytest.raises(ValueError, match="index"):
        env.reset(options={"index": 64})


def test_make_vec_sync_and_async():
    # Gymnasium 1.4's AsyncVectorEnv reads Text observations from shared memory only once,
    # at start-up, so text environments need shared_memory=False there (see README).
    expected = [gym.make("TemporalClue-v0", variant="tiny").reset(seed=s)[0] for s in (1, 2)]
    for mode, extra in (("sync", {}), ("async", {"shared_memory": False})):
        envs = gym.make_vec("TemporalClue-v0", num_envs=2, vectorization_mode=mode, vector_kwargs=extra, variant="tiny")
        obs, infos = envs.reset(seed=1)
        assert list(obs) == expected
        _, rewards, terminated, _, _ = envs.step(["A. Miss Scarlet", "A. Mr. Green"])
        assert list(terminated) == [True, True]
        assert all(0.0 <= r <= 1.0 for r in rewards)
        envs.close()


@pytest.mark.slow
def test_prefetch_gives_the_same_puzzles():
    plain = gym.make("TemporalClue-v0", variant="tiny", difficulty="medium")
    ahead = gym.make("TemporalClue-v0", variant="tiny", difficulty="medium", prefetch=4, workers=2)
    try:
        for seed in (3, None, None, 9, None):
            assert plain.reset(seed=seed)[0] == ahead.reset(seed=seed)[0]
            assert plain.step("A. x")[1] == ahead.step("A. x")[1]
    finally:
        ahead.close()
