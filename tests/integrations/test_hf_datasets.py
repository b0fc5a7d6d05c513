"""integrations.hf_datasets: puzzles as real ``datasets`` objects, the same puzzles as ``clue generate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import datasets
import pytest

import cli
from clue_env.builtin_variants import TINY
from clue_env.generate import generate_records, generate_task
from clue_env.outputs import OutputError
from clue_env.sizes import Sizes
from integrations import MissingLibraryError, require
from integrations.hf_datasets import (
    COLUMNS,
    RowError,
    check_save_target,
    decode_options,
    decode_solution,
    features,
    from_file,
    generated_dataset,
    iterable_dataset,
    options_of,
    row_from_task,
    save_generated,
    solution_of,
    task_of,
    to_dataset,
)


def _rows(ds) -> list[dict]:
    return [dict(row) for row in ds]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_generated_dataset_has_every_column_of_each_puzzle():
    ds = generated_dataset("tiny", "medium", range(3, 6))
    assert isinstance(ds, datasets.Dataset)
    assert tuple(ds.column_names) == COLUMNS
    assert ds.features == features()
    records = list(generate_records(TINY, "medium", [3, 4, 5]))
    for row, record in zip(ds, records, strict=True):
        assert row["id"] == record["id"] == f"tiny/medium/{record['seed']}"
        assert row["prompt"] == [{"role": "user", "content": record["prompt"]}]
        assert row["prompt_text"] == record["prompt"]
        assert json.loads(row["solution"]) == record["solution"]
        assert list(json.loads(row["solution"])) == list(record["solution"])  # label order kept
        assert json.loads(row["options"]) == record["options"]
        assert (row["variant"], row["difficulty"], row["seed"]) == ("tiny", "medium", record["seed"])
        assert row["num_clues"] == record["num_clues"]


def test_rows_are_the_puzzles_clue_generate_writes_in_every_form(tmp_path, capsys):
    out = tmp_path / "tiny.jsonl"
    assert (
        cli.main(
            ["generate", "--variant", "tiny", "--difficulty", "easy", "--n", "4", "--seed", "7", "--out", str(out)]
        )
        == 0
    )
    capsys.readouterr()
    expected = _rows(from_file(out))
    assert [row["seed"] for row in expected] == [7, 8, 9, 10]
    assert _rows(generated_dataset("tiny", "easy", range(7, 11))) == expected
    assert _rows(generated_dataset(TINY, "easy", [7, 8, 9, 10])) == expected
    assert _rows(iterable_dataset("tiny", "easy", range(7, 11))) == expected
    saved = save_generated("tiny", "easy", range(7, 11), tmp_path / "hf")
    assert _rows(datasets.load_from_disk(str(saved))) == expected
    assert _rows(to_dataset(generate_records(TINY, "easy", [7, 8, 9, 10]))) == expected
    assert _rows(to_dataset([generate_task(TINY, "easy", s) for s in range(7, 11)])) == expected


def test_a_system_prompt_comes_first():
    row = generated_dataset("tiny", None, [0], system_prompt="Think, then answer.")[0]
    assert row["prompt"] == [
        {"role": "system", "content": "Think, then answer."},
        {"role": "user", "content": row["prompt_text"]},
    ]


def test_the_original_benchmarks_format_loads_with_options_from_the_prompt(tmp_path):
    record = next(generate_records(TINY, None, [2]))
    original = tmp_path / "val.json"
    original.write_text(json.dumps([{k: record[k] for k in ("prompt", "solution", "num_clues")}]), encoding="utf-8")
    (row,) = _rows(from_file(original))
    assert row["id"] == "val/0"
    assert (row["variant"], row["difficulty"], row["seed"]) == (None, None, None)
    assert solution_of(row) == record["solution"]
    assert options_of(row) == record["options"]  # recovered from the prompt's lists


def test_explicit_sizes_work_as_a_difficulty():
    sizes = Sizes(suspects=3, weapons=2, rooms=3)
    (row,) = _rows(generated_dataset("tiny", sizes, [1]))
    assert row["difficulty"] == sizes.tag()
    assert len(options_of(row)["A"]) == 3


def test_the_iterable_dataset_generates_lazily_in_seed_order_and_shards():
    stream = iterable_dataset("tiny", None, range(10**9))  # nothing generated yet, or this would never return
    assert isinstance(stream, datasets.IterableDataset)
    assert stream.num_shards == 16
    assert [row["seed"] for row in stream.take(3)] == [0, 1, 2]
    small = iterable_dataset("tiny", None, range(5, 10), shards=2)
    assert small.num_shards == 2
    assert [row["seed"] for row in small] == [5, 6, 7, 8, 9]
    assert [row["seed"] for row in small.shard(num_shards=2, index=1)] == [7, 8, 9]
    assert iterable_dataset("tiny", None, [4, 2], shards=8).num_shards == 2


def test_save_generated_gives_the_same_files_byte_for_byte(tmp_path):
    seen = []
    first = save_generated("tiny", None, range(4), tmp_path / "a", workers=2, on_row=seen.append)
    second = save_generated(TINY, None, range(4), tmp_path / "b")
    assert [row["seed"] for row in seen] == [0, 1, 2, 3]
    assert _files(first) == _files(second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no partial folder left


def test_save_generated_replaces_an_existing_dataset_only_with_force(tmp_path):
    out = save_generated("tiny", None, range(2), tmp_path / "hf")
    before = _files(out)
    with pytest.raises(OutputError, match="exists; pass --force"):
        save_generated("tiny", None, range(3), out)
    with pytest.raises(OutputError, match="exists; pass --force"):
        check_save_target(out)  # what `clue generate --format hf` checks before any work
    assert check_save_target(out, force=True) == out
    assert _files(out) == before
    save_generated("tiny", None, range(3), out, force=True)
    assert len(datasets.load_from_disk(str(out))) == 3
    a_file = tmp_path / "file"
    a_file.write_text("keep me")
    with pytest.raises(OutputError, match="is a file"):
        save_generated("tiny", None, range(2), a_file, force=True)
    assert a_file.read_text() == "keep me"


def test_an_interrupted_save_leaves_the_earlier_dataset_and_no_partial_folder(tmp_path):
    out = save_generated("tiny", None, range(2), tmp_path / "hf")
    before = _files(out)

    def interrupt(row):
        if row["seed"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_generated("tiny", None, range(3), out, force=True, on_row=interrupt)
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["hf"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": []}, "seeds is empty"),
        ({"seeds": [1, -2]}, "non-negative integers, got -2"),
        ({"seeds": [1.5]}, "non-negative integers, got 1.5"),
        ({"seeds": range(-3, 2)}, "non-negative"),
        ({"seeds": "012"}, "iterable of non-negative integers"),
        ({"variant": "no-such-variant"}, "no-such-variant"),
        ({"difficulty": "impossible"}, "impossible"),
    ],
)
def test_bad_arguments_are_one_clear_value_error(kwargs, message, tmp_path):
    args = {"variant": "tiny", "difficulty": None, "seeds": range(2), **kwargs}
    for make in (generated_dataset, iterable_dataset):
        with pytest.raises(ValueError, match=message):
            make(args["variant"], args["difficulty"], args["seeds"])
    with pytest.raises(ValueError, match=message):
        save_generated(args["variant"], args["difficulty"], args["seeds"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_shards_and_workers_are_value_errors():
    with pytest.raises(ValueError, match="shards must be a positive integer, got 0"):
        iterable_dataset("tiny", None, range(3), shards=0)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        iterable_dataset("tiny", None, range(3), workers=0)
    with pytest.raises(TypeError, match="variant must be a clue_env.Variant or a variant name"):
        generated_dataset(3, None, range(3))


def test_a_row_reads_back_as_its_task():
    task = generate_task(TINY, "medium", 5)
    row = row_from_task(task)
    back = task_of(row)
    assert (back.id, back.prompt, back.solution, back.options, back.num_clues) == (
        task.id,
        task.prompt,
        task.solution,
        task.options,
        task.num_clues,
    )
    assert back.record == {"variant": "tiny", "difficulty": "medium", "seed": 5}
    assert decode_solution(row["solution"]) == task.solution  # a column's value alone
    assert decode_solution(task.solution) == task.solution  # a dict instead of its JSON
    assert decode_options(row["options"]) == decode_options(task.options) == task.options
    assert decode_options(None) is None


@pytest.mark.parametrize(
    ("row", "read", "message"),
    [
        ({"solution": "{not json"}, solution_of, "'solution' is not valid JSON"),
        ({"solution": "{}"}, solution_of, "non-empty JSON object"),
        ({"solution": '{"A": 3}'}, solution_of, "label -> answer strings"),
        ({"solution": 3}, solution_of, "must be a JSON string, got int"),
        ("a row", solution_of, "expected a dataset row"),
        ({}, solution_of, "non-empty JSON object"),
        ({"options": '{"A": "Knife"}'}, options_of, "lists of strings"),
        ({"options": "[1]"}, options_of, "lists of strings"),
        ({"prompt_text": ""}, task_of, "'prompt_text' must be a non-empty string"),
        ("a row", task_of, "expected a dataset row"),
    ],
)
def test_a_bad_row_is_a_row_error(row, read, message):
    with pytest.raises(RowError, match=message):
        read(row)


def test_bad_items_are_row_errors():
    with pytest.raises(RowError, match="expected a puzzle record"):
        to_dataset([3])
    with pytest.raises(ValueError, match="'prompt' must be a non-empty string"):
        to_dataset([{"solution": {"A": "x"}}])


def test_a_missing_library_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(MissingLibraryError, match=r"pip install 'temporal-clue-gym\[hf\]'"):
        generated_dataset("tiny", None, range(2))
    assert issubclass(MissingLibraryError, ValueError)
    assert require("json", "hf") is json
