"""Generation: valid, deterministic everywhere, sized as asked, minimal clue sets."""

import json
import os
import subprocess
import sys

import pytest

from clue_env import Sizes, generate_puzzle
from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.clues import holds
from clue_env.night import check_night
from clue_env.puzzle import Puzzle

from ..conftest import REPO


def test_puzzle_is_valid_and_its_clues_hold():
    p = generate_puzzle(TEMPORAL, "easy", 3)
    assert check_night(p.case, p.night) == []
    assert p.clues and all(holds(c, p.case, p.night) for c in p.clues)
    assert p.id == "temporal/easy/3"
    assert set(p.solution) == set(p.labels) == set(p.options)
    for label, answer in p.solution.items():
        assert answer in p.options[label]
    prompt = p.render()
    for text in p.clue_texts():
        assert f"- {text}\n" in prompt
    assert prompt.count("\n- ") == len(p.clues)


def test_record_round_trip():
    p = generate_puzzle(TEMPORAL, "medium", 8)
    record = json.loads(json.dumps(p.to_record()))
    assert Puzzle.from_record(record) == p
    assert record["prompt"] == p.render() and record["num_clues"] == len(p.clues)
    assert list(record)[:3] == ["prompt", "solution", "num_clues"]


def test_same_seed_same_puzzle_different_seed_different_puzzle():
    a = generate_puzzle(TINY, "medium", 5).to_record()
    b = generate_puzzle(TINY, "medium", 5).to_record()
    c = generate_puzzle(TINY, "medium", 6).to_record()
    assert json.dumps(a) == json.dumps(b)
    assert a["prompt"] != c["prompt"]


def _record_in_subprocess(hashseed: str) -> str:
    code = (
        "import json; from clue_env import generate_puzzle; from clue_env.builtin_variants import TEMPORAL; "
        "print(json.dumps(generate_puzzle(TEMPORAL, 'medium', 12).to_record()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO
    ).stdout


def test_deterministic_across_processes_and_hash_seeds():
    here = json.dumps(generate_puzzle(TEMPORAL, "medium", 12).to_record()) + "\n"
    assert _record_in_subprocess("0") == here
    assert _record_in_subprocess("12345") == here


def test_explicit_sizes_are_respected():
    sizes = Sizes(4, 3, 5, 3, 2, bonus_questions=3, ask=("who", "where", "when"))
    p = generate_puzzle(TEMPORAL, sizes, 0)
    c = p.case
    assert (len(c.suspects), len(c.weapons), len(c.rooms), len(c.times), len(c.motives)) == (4, 3, 5, 3, 2)
    assert not c.unique_motives and sum(c.motive_counts) == 4
    assert [q.kind for q in p.questions if not q.bonus] == ["who", "where", "when"]
    assert sum(q.bonus for q in p.questions) == 3
    assert p.difficulty == sizes.tag()


def test_single_time_puzzles_never_mention_times():
    p = generate_puzzle(CLASSIC_GAME, "easy", 1)
    prompt = p.render()
    assert " AM" not in prompt and " PM" not in prompt
    assert "together at least once" not in prompt


@pytest.mark.parametrize(
    "variant,level",
    [(TEMPORAL, "easy"), (TEMPORAL, "medium"), (CLASSIC_GAME, "easy"), (TINY, "easy"), (TINY, "medium")],
)
def test_every_level_generates(variant, level):
    for seed in range(3):
        p = generate_puzzle(variant, level, seed)
        assert all(holds(c, p.case, p.night) for c in p.clues)


def test_bad_inputs_have_clear_errors():
    with pytest.raises(ValueError, match="unknown difficulty 'nope'"):
        generate_puzzle(TEMPORAL, "nope", 0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        generate_puzzle(TEMPORAL, "easy", -1)
    with pytest.raises(ValueError, match="needs 11 suspects"):
        generate_puzzle(TEMPORAL, Sizes(11, 2, 3), 0)
    with pytest.raises(ValueError, match="rooms must be >= 2"):
        Sizes(3, 3, 1)


@pytest.mark.slow
def test_hard_and_largest_levels_generate():
    for level in ("hard", "largest"):
        p = generate_puzzle(TEMPORAL, level, 0)
        assert all(holds(c, p.case, p.night) for c in p.clues)
        assert check_night(p.case, p.night) == []


@pytest.mark.slow
def test_worker_count_does_not_change_output():
    from clue_env.generate import generate_records

    one = [json.dumps(r) for r in generate_records(TEMPORAL, "easy", list(range(6)), workers=1)]
    two = [json.dumps(r) for r in generate_records(TEMPORAL, "easy", list(range(6)), workers=2)]
    assert one == two


@pytest.mark.slow
def test_benchmark_level_reproduces_the_original_size_profile(val_json):
    """The original's 64 puzzles: prompts 1,268-10,560 chars (median 3,408), 3-100 clues
    (median 24), 4-8 questions. 64 puzzles of our "benchmark" level land in the same ranges."""
    import statistics

    lengths, clues, questions = [], [], []
    for seed in range(64):
        p = generate_puzzle(TEMPORAL, "benchmark", seed)
        lengths.append(len(p.render()))
        clues.append(len(p.clues))
        questions.append(len(p.questions))
    assert 2_800 <= statistics.median(lengths) <= 4_200
    assert 900 <= min(lengths) and max(lengths) <= 11_000
    assert 18 <= statistics.median(clues) <= 30
    assert max(clues) >= 50
    assert min(questions) >= 4 and max(questions) <= 8


def test_ctrl_c_after_generation_is_a_keyboard_interrupt():
    """CP-SAT must not take SIGINT away from Python (it would kill the process outright).

    The child starts as in a terminal, with Python's own SIGINT handler: a Python started
    with SIGINT ignored (pytest run as a background job of a script, ``cmd &``) keeps it
    ignored and would never raise. ``signal.raise_signal`` delivers the signal to the main
    thread and runs Python's handler before it returns, so nothing depends on timing.
    """
    code = (
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from clue_env import generate_puzzle\n"
        "from clue_env.builtin_variants import TINY\n"
        "generate_puzzle(TINY, None, 1)\n"
        "try:\n"
        "    signal.raise_signal(signal.SIGINT); print('no interrupt')\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted cleanly')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "interrupted cleanly", (
        proc.returncode,
        proc.stdout,
        proc.stderr,
    )
