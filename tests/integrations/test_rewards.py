"""The reward of every adapter (integrations.rewards, integrations.trl.clue_reward) is ``clue_env.grade``
of the same text, for plain-text and conversational completions, and never raises."""

from __future__ import annotations

import logging
import math
from types import SimpleNamespace

import pytest

from clue_env import grade
from integrations.hf_datasets import generated_dataset, options_of, solution_of
from integrations.rewards import completion_text, row_grade, row_reward
from integrations.trl import clue_reward


@pytest.fixture(scope="module")
def rows():
    return list(generated_dataset("tiny", "medium", range(3)))


def replies(row) -> list[str]:
    """Replies right, partly right, hedged, gamed and empty, for one puzzle."""
    solution, options = solution_of(row), options_of(row)
    right = "\n".join(f"{label}. {answer}" for label, answer in solution.items())
    wrong = "\n".join(f"{label}. {next(o for o in options[label] if o != solution[label])}" for label in solution)
    first, *rest = solution
    hedge = f"{first}. {' or '.join(options[first])}\n" + "\n".join(f"{label}. {solution[label]}" for label in rest)
    every = "\n".join(f"{label}. {', '.join(options[label])}" for label in solution)
    return [
        right,
        wrong,
        hedge,
        every,
        "Let me think.\n" + right + "\nActually,\n" + wrong,
        f'```json\n{{"A": "{solution[first]}"}}\n```',
        "",
        "A.",
    ]


def test_plain_text_completions_get_exactly_the_graders_reward(rows):
    for row in rows:
        texts = replies(row)
        rewards = clue_reward(texts, solution=[row["solution"]] * len(texts), options=[row["options"]] * len(texts))
        expected = [grade(t, solution_of(row), options_of(row)).reward for t in texts]
        assert rewards == expected
        assert rewards[0] == 1.0 and rewards[1] == 0.0 and 0.0 < rewards[2] < 1.0  # the cases are what they claim


def test_conversational_completions_grade_the_assistants_text(rows):
    row = rows[0]
    for text in replies(row):
        expected = grade(text, solution_of(row), options_of(row)).reward
        as_dicts = [{"role": "assistant", "content": text}]
        as_objects = [SimpleNamespace(role="assistant", content=text)]  # message objects, as verifiers passes them
        as_parts = [{"role": "assistant", "content": [{"type": "text", "text": text}]}]
        for completion in (as_dicts, as_objects, as_parts):
            assert clue_reward([completion], solution=[row["solution"]], options=[row["options"]]) == [expected]


def test_only_assistant_messages_count():
    solution = {"A": "Knife"}
    completion = [
        {"role": "assistant", "content": "A. Rope"},
        {"role": "tool", "content": "A. Knife"},  # a tool's output is not the model's answer
    ]
    assert completion_text(completion) == "A. Rope"
    assert row_reward(completion, solution, {"A": ["Knife", "Rope"]}) == 0.0
    assert completion_text([{"content": "A. Knife"}]) == "A. Knife"  # no role: the assistant's
    assert completion_text({"role": "assistant", "content": "A. Knife"}) == "A. Knife"  # one message


def test_dict_columns_work_as_well_as_json_strings(rows):
    row = rows[1]
    text = replies(row)[2]
    from_json = clue_reward([text], solution=[row["solution"]], options=[row["options"]])
    from_dicts = clue_reward([text], solution=[solution_of(row)], options=[options_of(row)])
    assert from_json == from_dicts == [grade(text, solution_of(row), options_of(row)).reward]


def test_without_options_answers_are_matched_exactly():
    assert clue_reward(["A. Knife"], solution=['{"A": "Knife"}']) == [1.0]
    assert clue_reward(["A. Knife"], solution=['{"A": "Knife"}'], options=[None]) == [1.0]
    assert clue_reward(["A. Knif"], solution=['{"A": "Knife"}']) == [0.0]


def test_trls_other_keyword_arguments_are_accepted(rows):
    row = rows[0]
    text = replies(row)[0]
    rewards = clue_reward(
        prompts=[row["prompt"]],
        completions=[[{"role": "assistant", "content": text}]],
        completion_ids=[[1, 2, 3]],
        trainer_state=object(),
        log_extra=lambda *a: None,
        log_metric=lambda *a: None,
        solution=[row["solution"]],
        options=[row["options"]],
        id=[row["id"]],
        prompt_text=[row["prompt_text"]],
        seed=[row["seed"]],
    )
    assert rewards == [1.0]


@pytest.mark.parametrize(
    "completion",
    [None, 3, b"A. Knife", ["A. Knife"], [None, 5, {"role": "assistant", "content": None}], object(), "\x00" * 10],
)
def test_any_completion_gets_a_float(completion):
    (reward,) = clue_reward([completion], solution=['{"A": "Knife"}'], options=['{"A": ["Knife", "Rope"]}'])
    assert isinstance(reward, float) and 0.0 <= reward <= 1.0
    text = completion_text(completion)
    assert reward == grade(text, {"A": "Knife"}, {"A": ["Knife", "Rope"]}).reward


@pytest.mark.parametrize(
    ("kwargs", "warning"),
    [
        ({}, "no 'solution' column"),
        ({"solution": "{}"}, "no 'solution' column"),
        ({"solution": ["not json"]}, "'solution' is not valid JSON"),
        ({"solution": ['{"A": "..."}']}, "the grader rejected"),
        ({"solution": [3]}, "must be a JSON string"),
        ({"solution": ['{"A": "Knife"}'], "options": ['{"A": "Knife"}']}, "lists of strings"),
        ({"solution": ['{"A": "Knife"}'], "options": ['{"A": [3]}']}, "lists of strings"),
        ({"solution": []}, "fewer solutions (or options) than completions"),
        ({"solution": ['{"A": "Knife"}'] * 2, "options": []}, "fewer solutions (or options) than completions"),
    ],
)
def test_a_bad_row_gets_zero_and_one_warning_never_an_exception(kwargs, warning, caplog):
    import integrations.rewards

    integrations.rewards._warned.clear()
    with caplog.at_level(logging.WARNING, logger="integrations.rewards"):
        assert clue_reward(["A. Knife", "A. Knife"], **kwargs) == [0.0, 0.0]
        assert clue_reward(["A. Knife"], **kwargs) == [0.0]
    messages = [r.getMessage() for r in caplog.records if warning in r.getMessage()]
    assert len(messages) == 1, caplog.text  # once per problem, not once per completion


def test_a_completions_argument_that_is_no_list_gives_no_rewards():
    assert clue_reward(5, solution=['{"A": "Knife"}']) == []


def test_row_grade_gives_the_whole_grade():
    result = row_grade("A. Knife\nB. Hall", '{"A": "Knife", "B": "Study"}', '{"A": ["Knife", "Rope"]}')
    assert result == grade("A. Knife\nB. Hall", {"A": "Knife", "B": "Study"}, {"A": ["Knife", "Rope"]})
    assert result.correct == {"A": True, "B": False}
    assert row_grade("A. Knife", "broken") is None
    assert not math.isnan(row_reward("A. Knife", "broken"))
