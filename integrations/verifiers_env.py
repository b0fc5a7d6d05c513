"""Temporal Clue as a verifiers environment: ``load_environment(...)``, single-turn, graded by ``clue_env.grade``.

verifiers finds an environment by module name and calls its ``load_environment(**env_args)``,
so this module is one::

    vf-eval integrations.verifiers_env -a '{"variant": "tiny", "num_eval": 16}' \\
        -m MODEL -b http://127.0.0.1:8000/v1 -k OPENAI_API_KEY -n 16 -r 2

or from Python, ``env = load_environment(variant="tiny")`` then ``env.evaluate_sync(client, model)``,
or any verifiers trainer (``env.get_dataset()``, ``env.rubric``).

Each rollout is one puzzle prompt (a user message, after ``system_prompt`` if given) and one
reply. The rubric has one reward, ``clue_reward`` (weight 1): exactly
``clue_env.grade(reply, solution, options).reward``, the fraction of questions answered right;
and one metric, ``solved`` (weight 0): 1.0 when every answer is right. The rows are
:mod:`integrations.hf_datasets`'s plus verifiers' own ``answer`` (the solution's JSON) and
``info`` (the options) columns (:func:`for_verifiers`): those two are what verifiers hands to
reward functions on every path (its env-server workers, which ``vf-eval`` runs, pass on no
other column). The reply graded is the text of the completion's assistant messages.

Multi-turn: the investigation game (questioning suspects, searching rooms over several turns)
does not exist in ``clue_env`` yet. When it does, it belongs here as a ``vf.MultiTurnEnv``
subclass whose ``env_response`` plays the game's turn and whose ``is_completed`` ends on the
final answer, with this same rubric, selected by a ``load_environment`` argument.

Requires ``verifiers`` (``pip install temporal-clue-gym[verifiers]``); tested with 0.3.1,
whose classic API (``vf.SingleTurnEnv``, ``vf.Rubric``, ``vf-eval``) this uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clue_env.sizes import Sizes

from . import require
from .hf_datasets import decode_options, from_file, generated_dataset
from .rewards import row_grade

if TYPE_CHECKING:
    import verifiers as vf
    from datasets import Dataset

__all__ = ["clue_reward", "for_verifiers", "load_environment", "solved"]


def _grade(completion: Any, answer: Any, info: Any, solution: Any, options: Any):
    """The grade of ``completion``: the puzzle comes from verifiers' ``answer`` (the solution's
    JSON) and ``info`` (``{"options": ...}``), which every verifiers path carries, or else from
    the ``solution`` and ``options`` columns, which only in-process evaluation passes on."""
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError:
            info = None
    if solution is None and answer:
        solution = answer
        if options is None and isinstance(info, Mapping):
            options = info.get("options")
    return row_grade(completion, solution, options)


def clue_reward(
    completion: Any, answer: Any = None, info: Any = None, solution: Any = None, options: Any = None, **kwargs: Any
) -> float:
    """The fraction of the puzzle's questions the completion answers right (``clue_env.grade``); never raises."""
    result = _grade(completion, answer, info, solution, options)
    return float(result.reward) if result is not None else 0.0


def solved(
    completion: Any, answer: Any = None, info: Any = None, solution: Any = None, options: Any = None, **kwargs: Any
) -> float:
    """1.0 when the completion answers every question right, else 0.0; never raises."""
    result = _grade(completion, answer, info, solution, options)
    return 1.0 if result is not None and result.correct and all(result.correct.values()) else 0.0


def for_verifiers(dataset: Dataset) -> Dataset:
    """``dataset`` (rows of :mod:`integrations.hf_datasets`) with verifiers' own columns added:
    ``answer`` (the solution's JSON) and ``info`` (JSON of the options and where the puzzle
    came from), which verifiers hands to reward functions on every path, its env servers too."""
    info = [
        json.dumps(
            {"options": decode_options(row["options"]), **{k: row[k] for k in ("id", "variant", "difficulty", "seed")}},
            ensure_ascii=False,
        )
        for row in dataset
    ]
    return dataset.add_column("answer", dataset["solution"]).add_column("info", info)


def _count(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def load_environment(
    variant: str = "tiny",
    difficulty: str | dict | None = None,
    num_train: int = 1000,
    num_eval: int = 100,
    seed: int = 0,
    eval_file: str | None = None,
    system_prompt: str | None = None,
    workers: int = 1,
    **kwargs: Any,
) -> vf.SingleTurnEnv:
    """A single-turn verifiers environment of Temporal Clue puzzles.

    Args:
        variant: the puzzle variant (``clue list`` shows them; plugin variants too).
        difficulty: a level name of that variant, explicit sizes as a dict of ``clue_env.Sizes``
            fields (``{"suspects": 4, "weapons": 3, ...}``), or None for its default level.
        num_train: training puzzles, seeds ``seed .. seed+num_train-1`` (0: no training set).
        num_eval: evaluation puzzles, the next ``num_eval`` seeds (disjoint from the training ones).
        seed: the first training seed.
        eval_file: evaluate on this puzzle file instead (``clue generate``'s JSONL, or the
            original benchmark's JSON list); ``num_eval`` is then ignored.
        system_prompt: an optional system message before each puzzle.
        workers: processes generating puzzles.
        kwargs: passed on to ``vf.SingleTurnEnv`` (``sampling_args``, ``max_workers``, ...).

    Puzzles are generated when verifiers first asks for a dataset, not here, so an evaluation
    never waits on the training set. Raises ValueError for a bad variant, level, count or file.
    """
    from clue_env.variant import get_variant

    num_train, num_eval, seed = _count(num_train, "num_train"), _count(num_eval, "num_eval"), _count(seed, "seed")
    level: str | Sizes | None
    if isinstance(difficulty, dict):
        try:
            level = Sizes.from_dict(difficulty)
        except TypeError as err:
            raise ValueError(f"difficulty: {err}; give a level name or clue_env.Sizes fields") from None
    else:
        level = difficulty
    chosen = get_variant(variant)
    chosen.difficulty(level)  # a bad level fails now, not when the dataset is first built

    def generated(first: int, count: int) -> Callable[[], Dataset]:
        return lambda: for_verifiers(
            generated_dataset(chosen, level, range(first, first + count), workers, system_prompt)
        )

    if eval_file is not None:
        path = Path(eval_file)
        if not path.is_file():
            raise ValueError(f"eval_file {eval_file!r}: no such puzzle file")
        eval_source: Callable[[], Dataset] | None = lambda: for_verifiers(from_file(path, system_prompt))  # noqa: E731
    else:
        eval_source = generated(seed + num_train, num_eval) if num_eval else None
    train_source = generated(seed, num_train) if num_train else None
    if train_source is None and eval_source is None:
        raise ValueError("num_train and num_eval are both 0: ask for at least one puzzle")
    vf = require("verifiers", "verifiers")  # after the checks: a bad argument fails without the wait for the import
    rubric = vf.Rubric(funcs=[clue_reward, solved], weights=[1.0, 0.0])
    return vf.SingleTurnEnv(dataset=train_source, eval_dataset=eval_source, rubric=rubric, **kwargs)
