import json

import pytest

from clue_env import DatasetError, Grader, generate_puzzle, load_tasks, options_from_prompt
from clue_env.builtin_variants import TEMPORAL


def test_original_benchmark_file_loads_unchanged(val_json):
    records = json.loads(val_json.read_text())
    tasks = load_tasks(val_json)
    assert len(tasks) == 64
    for task, record in zip(tasks, records):
        assert task.prompt == record["prompt"]
        assert task.solution == record["solution"]
        assert task.num_clues == record["num_clues"]
        assert task.options is not None, task.id
        for label, answer in task.solution.items():
            assert answer in task.options[label], (task.id, label)
        assert (
            Grader(task.solution, task.options)("\n".join(f"{k}. {v}" for k, v in task.solution.items())).reward == 1.0
        )


def test_our_jsonl_loads_and_options_match_the_prompt(tmp_path):
    puzzles = [generate_puzzle(TEMPORAL, "easy", s) for s in range(3)]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(p.to_record()) + "\n" for p in puzzles))
    tasks = load_tasks(path)
    assert [t.id for t in tasks] == [p.id for p in puzzles]
    for t, p in zip(tasks, puzzles):
        assert t.prompt == p.render() and t.options == p.options
        assert options_from_prompt(p.render()) == p.options


@pytest.mark.parametrize(
    "content,message",
    [
        ("", "holds no puzzles"),
        ("[1, 2]", "expected a JSON object"),
        ('{"prompt": "x"}\n', "'solution' must be"),
        ('{"prompt": "", "solution": {"A": "x"}}\n', "'prompt' must be"),
        ("{nope\n", ":1: not valid JSON"),
        ('[{"prompt": "p", "solution": {"A": "x"}}', "not valid JSON"),
        (
            '{"prompt": "p", "solution": {"A": "x"}, "id": "a"}\n{"prompt": "p", "solution": {"A": "x"}, "id": "a"}\n',
            "appears more than once",
        ),
    ],
)
def test_bad_files_have_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        load_tasks(path)


def test_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="no such puzzle file"):
        load_tasks(tmp_path / "nope.json")


def test_deep_json_and_a_single_pretty_printed_puzzle(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DatasetError, match="nested too deeply"):
        load_tasks(deep)
    deep_lines = tmp_path / "deep.jsonl"
    deep_lines.write_text('{"a":' * 50_000 + "1" + "}" * 50_000 + "\n")
    with pytest.raises(DatasetError, match=r"deep.jsonl:1: not a puzzle file"):
        load_tasks(deep_lines)
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"prompt": "x", "solution": {"A": "b"}}, indent=2))
    (task,) = load_tasks(one)
    assert task.prompt == "x" and task.solution == {"A": "b"}
