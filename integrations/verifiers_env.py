"""Temporal Clue as a verifiers environment: ``load_environment(...)``, one-shot puzzles or the multi-turn investigation.

verifiers finds an environment by module name and calls its ``load_environment(**env_args)``,
so this module is one::

    vf-eval integrations.verifiers_env -a '{"variant": "tiny", "num_eval": 16}' \\
        -m MODEL -b http://127.0.0.1:8000/v1 -k OPENAI_API_KEY -n 16 -r 2

or from Python, ``env = load_environment(variant="tiny")`` then ``env.evaluate_sync(client, model)``,
or any verifiers trainer (``env.get_dataset()``, ``env.rubric``).

Single-turn (``game="puzzle"``, the default): each rollout is one puzzle prompt (a user
message, after ``system_prompt`` if given) and one reply. The rubric has one reward, ``clue_reward`` (weight 1): exactly
``clue_env.grade(reply, solution, options).reward``, the fraction of questions answered right;
and one metric, ``solved`` (weight 0): 1.0 when every answer is right. The rows are
:mod:`integrations.hf_datasets`'s plus verifiers' own ``answer`` (the solution's JSON) and
``info`` (the options) columns (:func:`for_verifiers`): those two are what verifiers hands to
reward functions on every path (its env-server workers, which ``vf-eval`` runs, pass on no
other column). The reply graded is the text of the completion's assistant messages.

Multi-turn: ``load_environment(game="investigation", ...)`` is the investigation game
(:mod:`clue_env.investigation`) as a ``vf.MultiTurnEnv``, :class:`ClueInvestigationEnv`. Each row
is a case (``clue eval --game investigation``'s for the same variant, level and seeds, or a
file's); its ``info`` holds the case record (JSON), which rebuilds the game's ``Session`` in the
rollout's ``state``. Every reply of the model is one turn of that session: a question gets its
true answer as the next user message; the final answers (or any reply once the budget is spent)
close the case, whose one-line summary ends the completion. The rollout ends when the session
is done, at the latest after the case's budget + 1 replies; no text raises. The rubric:
``investigation_reward`` (weight 1), exactly the session's reward (fraction right minus the
cost per question asked; 0.0 when the rollout ended unfinished, on a failed request), and the
metrics ``solved`` and ``questions`` (weight 0). Without a live session (a trainer scoring a
completion afterwards) the rubric replays the completion's replies on the case in ``info``::

    vf-eval integrations.verifiers_env -a '{"game": "investigation", "variant": "tiny", "num_eval": 16}' \\
        -m MODEL -b http://127.0.0.1:8000/v1 -k OPENAI_API_KEY -n 16 -r 2

Requires ``verifiers`` (``pip install temporal-clue-gym[verifiers]``); tested with 0.3.1,
whose classic API (``vf.SingleTurnEnv``, ``vf.MultiTurnEnv``, ``vf.Rubric``, ``vf-eval``) this uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clue_env.dataset import load_tasks
from clue_env.investigation import (
    InvestigationCase,
    InvestigationError,
    Session,
    case_from_task,
    generate_case_records,
)
from clue_env.sizes import Sizes

from . import require
from .hf_datasets import chat_prompt, decode_options, features, from_file, generated_dataset
from .rewards import completion_text, row_grade

if TYPE_CHECKING:
    import verifiers as vf
    from datasets import Dataset

__all__ = [
    "GAMES",
    "clue_reward",
    "for_verifiers",
    "investigation_dataset",
    "investigation_reward",
    "load_environment",
    "questions",
    "session_of",
    "solved",
]

GAMES = ("puzzle", "investigation")
"""What ``load_environment(game=...)`` serves: one-shot puzzles or investigations of the same worlds."""

SESSION_KEY = "clue_session"
"""The key of a rollout's live ``Session`` in verifiers' ``state``."""

_OBSERVATION_KEY = "clue_observation"


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
    completion: Any,
    answer: Any = None,
    info: Any = None,
    solution: Any = None,
    options: Any = None,
    state: Any = None,
    **kwargs: Any,
) -> float:
    """1.0 when the completion answers every question right, else 0.0 (an investigation row: when
    its case was closed with every answer right, whatever the questions cost); never raises."""
    if _case_record(info) is not None:
        session = session_of(completion, info, state)
        done = session is not None and session.done and session.grade is not None
        return 1.0 if done and session.grade.correct and all(session.grade.correct.values()) else 0.0
    result = _grade(completion, answer, info, solution, options)
    return 1.0 if result is not None and result.correct and all(result.correct.values()) else 0.0


# --------------------------------------------------------------------------- the investigation


def _info_dict(info: Any) -> Mapping | None:
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError:
            return None
    return info if isinstance(info, Mapping) else None


def _case_record(info: Any) -> Mapping | None:
    """The case record an investigation row's ``info`` carries, or None."""
    info = _info_dict(info)
    record = info.get("case") if info is not None else None
    return record if isinstance(record, Mapping) else None


def _case_of(info: Any) -> InvestigationCase:
    """The case of an investigation row's ``info``; ``InvestigationError`` (a ValueError) saying what is wrong."""
    record = _case_record(info)
    if record is None:
        raise ValueError("the row's info holds no investigation case (its 'case' is missing or no JSON object)")
    return InvestigationCase.from_record(dict(record))


def _assistant_texts(completion: Any) -> list[str]:
    """The text of each assistant message of a completion, in order (a plain string: one reply)."""
    if isinstance(completion, str):
        return [completion]
    if not isinstance(completion, Sequence):
        return []
    texts = []
    for message in completion:
        role = message.get("role") if isinstance(message, Mapping) else getattr(message, "role", None)
        if role == "assistant":
            texts.append(completion_text([message]))
    return texts


def session_of(completion: Any = None, info: Any = None, state: Any = None) -> Session | None:
    """The session an investigation rollout played: the live one verifiers' ``state`` holds, or
    else the case in ``info`` replayed on the completion's assistant replies (what a trainer
    scoring a completion afterwards has). None when there is no case to play; never raises."""
    live = state.get(SESSION_KEY) if isinstance(state, Mapping) else None
    if isinstance(live, Session):
        return live
    try:
        session = Session(_case_of(info))
        for text in _assistant_texts(completion):
            if session.done:
                break
            session.step(text)
    except Exception:  # noqa: BLE001 - a reward function must not take the run down
        return None
    return session


def investigation_reward(completion: Any = None, info: Any = None, state: Any = None, **kwargs: Any) -> float:
    """The investigation's reward: fraction right minus the cost per question asked, once the case
    is closed; 0.0 for a rollout that ended unfinished (a failed request) or a row without a case."""
    session = session_of(completion, info, state)
    return float(session.reward) if session is not None and session.done else 0.0


def questions(completion: Any = None, info: Any = None, state: Any = None, **kwargs: Any) -> float:
    """How many questions the detective asked (texts that were no question included: they cost one too)."""
    session = session_of(completion, info, state)
    return float(session.questions_asked) if session is not None else 0.0


def _investigation_row(case: InvestigationCase, system_prompt: str | None) -> dict[str, Any]:
    puzzle = case.puzzle
    where = {"id": case.id, "variant": puzzle.variant, "difficulty": puzzle.difficulty, "seed": puzzle.seed}
    info = {**where, "budget": case.budget, "cost_per_question": case.cost_per_question, "case": case.to_record()}
    solution = json.dumps(case.solution, ensure_ascii=False)
    return {
        **where,
        "prompt": chat_prompt(case.prompt, system_prompt),
        "prompt_text": case.prompt,
        "solution": solution,
        "options": json.dumps(case.options, ensure_ascii=False),
        "num_clues": len(case.start),
        "budget": case.budget,
        "cost_per_question": case.cost_per_question,
        "answer": solution,
        "info": json.dumps(info, ensure_ascii=False),
    }


def investigation_dataset(
    cases: Sequence[InvestigationCase], system_prompt: str | None = None, cost_per_question: float | None = None
) -> Dataset:
    """One row per case: :mod:`integrations.hf_datasets`'s columns (the case's prompt), ``budget``,
    ``cost_per_question``, verifiers' ``answer`` (the solution's JSON) and ``info`` (JSON of where
    the case came from and its record, ``"case"``, which the environment plays). ``cost_per_question``
    None keeps each case's own (its prompt states it); a number replaces it, prompt included."""
    hf = require("datasets", "hf")
    if cost_per_question is not None:
        cases = [case.with_cost(cost_per_question) for case in cases]
    columns = dict(features())
    columns.update(
        budget=hf.Value("int64"),
        cost_per_question=hf.Value("float64"),
        answer=hf.Value("string"),
        info=hf.Value("string"),
    )
    return hf.Dataset.from_list(
        [_investigation_row(case, system_prompt) for case in cases], features=hf.Features(columns)
    )


@cache
def _investigation_env_class() -> type:
    vf = require("verifiers", "verifiers")

    class ClueInvestigationEnv(vf.MultiTurnEnv):
        """The investigation game as a verifiers multi-turn environment (see the module docstring).

        ``state[SESSION_KEY]`` is the rollout's ``Session``, rebuilt from the case in the row's
        ``info``; each model reply is played on it as it arrives (``add_trajectory_step``), its
        observation is the next user message (``env_response``), and the closing summary is the
        final environment response. The rollout stops when the session is done (``case_closed``)
        and, as a bound, after the case's budget + 1 replies (``max_turns_reached``)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(max_turns=-1, **kwargs)

        async def setup_state(self, state: vf.State) -> vf.State:
            try:
                state[SESSION_KEY] = Session(_case_of(state.get("info")))
            except ValueError as err:  # a row that is no case: the rollout ends with this error, asking nothing
                state["error"] = vf.Error(f"Temporal Clue investigation: {err}")
            return state

        async def add_trajectory_step(self, state: vf.State, trajectory_step: Any) -> None:
            await super().add_trajectory_step(state, trajectory_step)
            session = state.get(SESSION_KEY)
            if not isinstance(session, Session) or session.done:
                return
            turn = session.step(completion_text(trajectory_step["completion"]))
            state[_OBSERVATION_KEY] = turn.observation
            if turn.done:
                state["final_env_response"] = [vf.UserMessage(content=turn.observation)]

        async def env_response(self, messages: vf.Messages, state: vf.State, **kwargs: Any) -> vf.Messages:
            return [vf.UserMessage(content=state.get(_OBSERVATION_KEY) or "")]

        @vf.stop(priority=50)
        async def case_closed(self, state: vf.State) -> bool:
            session = state.get(SESSION_KEY)
            return isinstance(session, Session) and session.done

        @vf.stop
        async def max_turns_reached(self, state: vf.State) -> bool:
            session = state.get(SESSION_KEY)
            limit = session.case.budget + 1 if isinstance(session, Session) else self.max_turns
            return 0 < limit <= len(state["trajectory"])

    ClueInvestigationEnv.__module__ = __name__
    ClueInvestigationEnv.__qualname__ = "ClueInvestigationEnv"
    return ClueInvestigationEnv


def __getattr__(name: str) -> Any:
    if name == "ClueInvestigationEnv":  # defined on first use: verifiers is imported only then
        return _investigation_env_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _cost(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"cost_per_question must be a number between 0 and 1 (or None: the case's own), got {value!r}")
    return float(value)


def load_environment(
    variant: str = "tiny",
    difficulty: str | dict | None = None,
    num_train: int = 1000,
    num_eval: int = 100,
    seed: int = 0,
    eval_file: str | None = None,
    system_prompt: str | None = None,
    workers: int = 1,
    game: str = "puzzle",
    cost_per_question: float | None = None,
    **kwargs: Any,
) -> vf.Environment:
    """A verifiers environment of Temporal Clue: one-shot puzzles, or investigations of the same worlds.

    Args:
        variant: the puzzle variant (``clue list`` shows them; plugin variants too).
        difficulty: a level name of that variant, explicit sizes as a dict of ``clue_env.Sizes``
            fields (``{"suspects": 4, "weapons": 3, ...}``), or None for its default level.
        num_train: training puzzles, seeds ``seed .. seed+num_train-1`` (0: no training set).
        num_eval: evaluation puzzles, the next ``num_eval`` seeds (disjoint from the training ones).
        seed: the first training seed.
        eval_file: evaluate on this puzzle file instead (``clue generate``'s JSONL, or the
            original benchmark's JSON list; for ``game="investigation"``, investigation records or
            ``clue generate`` puzzles, as ``TemporalClueInvestigation-v0``'s ``dataset=``, read and
            investigated here); ``num_eval`` is then ignored.
        system_prompt: an optional system message before each puzzle.
        workers: processes generating puzzles.
        game: ``"puzzle"`` (single-turn, ``vf.SingleTurnEnv``) or ``"investigation"`` (ask
            questions, then accuse: :class:`ClueInvestigationEnv`, a ``vf.MultiTurnEnv``). Case
            ``s`` is the one ``clue eval --game investigation`` plays for seed ``s``.
        cost_per_question: investigations only: the reward taken off per question (None: each
            case's own, 0.01 for generated ones); the prompts state it.
        kwargs: passed on to the environment (``sampling_args``, ``max_workers``, ...).

    Puzzles are generated when verifiers first asks for a dataset, not here, so an evaluation
    never waits on the training set. Raises ValueError for a bad variant, level, count, game,
    cost or file.
    """
    from clue_env.variant import get_variant

    if game not in GAMES:
        raise ValueError(f"game must be one of {', '.join(map(repr, GAMES))}, got {game!r}")
    investigating = game == "investigation"
    cost = _cost(cost_per_question)
    if cost is not None and not investigating:
        raise ValueError("cost_per_question applies to game='investigation' only (one-shot puzzles ask no questions)")
    if investigating and "max_turns" in kwargs:
        raise ValueError("max_turns: an investigation's turns are its case's budget + 1; leave max_turns out")
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
        seeds = range(first, first + count)
        if investigating:
            return lambda: investigation_dataset(
                [
                    InvestigationCase.from_record(record)
                    for record in generate_case_records(chosen, level, list(seeds), workers)
                ],
                system_prompt,
                cost,
            )
        return lambda: for_verifiers(generated_dataset(chosen, level, seeds, workers, system_prompt))

    eval_source: Callable[[], Dataset] | None
    if eval_file is not None:
        path = Path(eval_file)
        if not path.is_file():
            raise ValueError(f"eval_file {eval_file!r}: no such puzzle file")
        if investigating:
            # read (and investigated) now, as TemporalClueInvestigation-v0 and clue eval read them: a file
            # that holds no investigation fails here, with the record it stops at
            try:
                cases = [case_from_task(task) for task in load_tasks(path)]
            except InvestigationError as err:
                raise InvestigationError(f"eval_file {eval_file!r}: {err}") from None
            eval_source = lambda: investigation_dataset(cases, system_prompt, cost)  # noqa: E731
        else:
            eval_source = lambda: for_verifiers(from_file(path, system_prompt))  # noqa: E731
    else:
        eval_source = generated(seed + num_train, num_eval) if num_eval else None
    train_source = generated(seed, num_train) if num_train else None
    if train_source is None and eval_source is None:
        raise ValueError("num_train and num_eval are both 0: ask for at least one puzzle")
    vf = require("verifiers", "verifiers")  # after the checks: a bad argument fails without the wait for the import
    if investigating:
        rubric = vf.Rubric(funcs=[investigation_reward, solved, questions], weights=[1.0, 0.0, 0.0])
        env_class = _investigation_env_class()
        return env_class(dataset=train_source, eval_dataset=eval_source, rubric=rubric, **kwargs)
    rubric = vf.Rubric(funcs=[clue_reward, solved], weights=[1.0, 0.0])
    return vf.SingleTurnEnv(dataset=train_source, eval_dataset=eval_source, rubric=rubric, **kwargs)
