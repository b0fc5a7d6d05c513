"""The one episode source of both envs (``clue_env.episodes``), with a stand-in generator: no CP-SAT."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clue_env.builtin_variants import TINY
from clue_env.dataset import DatasetError
from clue_env.env import TemporalClueEnv
from clue_env.episodes import BASE_CHARSET, EpisodeSource, TextEpisodeEnv, episode_seed, theme_charset
from clue_env.investigation.env import TemporalClueInvestigationEnv


def _made(variant, difficulty, seed):
    return (variant.name, getattr(difficulty, "name", difficulty), seed)


def _source(**kwargs) -> EpisodeSource:
    return EpisodeSource(_made, lambda task: ("file", task.id), variant=TINY, **kwargs)


def test_a_generated_source_runs_the_seed_sequence_and_a_reset_level():
    source = _source(difficulty="cpu")
    rng = np.random.default_rng(0)
    assert source.next(rng, 5, {}) == ("tiny", "cpu", 5)
    assert source.next(rng, None, {}) == ("tiny", "cpu", episode_seed(5, 1))
    _, level, seed = source.next(rng, None, {"difficulty": 0})  # that one reset at level 0
    assert (level, seed) == (TINY.difficulty(0).name, episode_seed(5, 2))
    assert source.next(rng, None, {}) == ("tiny", "cpu", episode_seed(5, 3))
    assert source.next(rng, 5, {}) == ("tiny", "cpu", 5)  # a seed restarts the sequence
    assert source.tasks is None and source.level == TINY.difficulty("cpu")
    assert source.charset == frozenset(theme_charset(TINY)) >= BASE_CHARSET


def test_a_generated_source_refuses_an_index_with_its_own_words():
    with pytest.raises(ValueError, match="generates cases"):
        _source(index_refusal="... generates cases").next(np.random.default_rng(0), 0, {"index": 0})


def test_a_file_source_makes_each_record_once_and_refuses_levels(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"p{i}", "solution": {"A": "x"}}) + "\n" for i in range(3)))
    made = []
    source = EpisodeSource(_made, lambda task: made.append(task.id) or task.id, dataset=str(path))
    rng = np.random.default_rng(0)
    assert source.next(rng, None, {"index": 1}) == source.next(rng, None, {"index": 1}) == "p/1"
    assert made == ["p/1"]
    with pytest.raises(ValueError, match=r"options\['index'\] must be an integer in \[0, 3\), got 3"):
        source.next(rng, None, {"index": 3})
    with pytest.raises(ValueError, match="picks a generated level"):
        source.next(rng, None, {"difficulty": "easy"})
    with pytest.raises(DatasetError, match="p.jsonl: no night"):
        EpisodeSource(_made, str, dataset=str(path), check=lambda task: "no night")


def test_both_envs_are_one_shell():
    for env_class in (TemporalClueEnv, TemporalClueInvestigationEnv):
        assert issubclass(env_class, TextEpisodeEnv)
        with pytest.raises(ValueError, match="render_mode must be one of"):
            env_class(variant="tiny", render_mode="rgb_array")
