"""The difficulty scale: each variant's ladder of rungs, rung numbers as levels, positions of levels."""

from __future__ import annotations

import json

import pytest

from clue_env import Difficulty, Levels, Room, Sizes, Theme, Variant, get_variant, load_tasks, variants
from clue_env.builtin_variants import CLASSIC_GAME, TEMPORAL, TINY
from clue_env.generate import generate_puzzle, generate_record
from clue_env.ladder import derive_ladder_sizes, is_difficulty_list, parse_difficulties, size_score
from clue_env.puzzle import Puzzle
from clue_env.sizes import MAIN_QUESTIONS

BUILTINS = (TINY, CLASSIC_GAME, TEMPORAL)
FAST_SCORE = 12.0
"""Rungs below this score generate in well under a second: the fast tests make one of each."""

SMALL_THEME = Theme(
    name="small",
    victim="the Baron",
    intro="The Baron was found dead.",
    suspects=("Ann", "Bob", "Cy", "Di", "Ed"),
    weapons=("Axe", "Bat", "Cord", "Dart"),
    rooms=tuple(Room(n) for n in ("Attic", "Barn", "Cellar", "Den", "Eyrie", "Forge")),
    motives=("Money", "Love", "Fear"),
)


def _plugin_like(**kwargs) -> Variant:
    """A third-party variant that lists no ladder."""
    levels = Levels(
        (
            Difficulty("easy", "", (3, 3), (3, 3), (4, 4), (2, 2), "unique"),
            Difficulty("hard", "", (5, 5), (4, 4), (6, 6), (3, 4), "unique"),
        ),
        default="easy",
    )
    return Variant(name="small", description="a small theme", theme=SMALL_THEME, levels=levels, **kwargs)


def _registered() -> list[Variant]:
    return [entry.item for entry in variants().values()]


@pytest.mark.parametrize("variant", [*BUILTINS, _plugin_like()], ids=lambda v: v.name)
def test_every_ladder_is_fixed_sizes_strictly_increasing_and_within_the_theme(variant):
    scores = []
    names = set()
    for k, rung in enumerate(variant.ladder):
        sizes = rung.fixed_or_none()
        assert sizes is not None, (variant.name, k)
        assert sizes.suspects <= len(variant.theme.suspects) and sizes.weapons <= len(variant.theme.weapons)
        assert sizes.rooms <= len(variant.theme.rooms) and sizes.motives <= len(variant.theme.motives)
        scores.append(size_score(sizes))
        names.add(rung.name)
    assert all(a < b for a, b in zip(scores, scores[1:])), scores
    assert len(names) == len(variant.ladder)
    assert variant.max_difficulty == len(variant.ladder) - 1


def test_the_registered_variants_all_have_a_ladder():
    assert {"tiny", "classic", "temporal"} <= {v.name for v in _registered()}
    for variant in _registered():
        assert variant.max_difficulty >= 1, variant.name


def test_named_levels_of_fixed_sizes_are_their_rungs():
    assert TINY.ladder[2] is TINY.levels.get("cpu")
    assert TINY.rung_index("cpu") == 2 and TINY.rung("cpu") == 2.0
    assert [CLASSIC_GAME.rung_index(n) for n in ("easy", "medium", "hard")] == [3, 9, CLASSIC_GAME.max_difficulty]
    assert TEMPORAL.ladder[-1] is TEMPORAL.levels.get("largest")
    for variant in BUILTINS:
        for level in variant.levels.levels:
            sizes = level.fixed_or_none()
            on_ladder = [r for r in variant.ladder if r.fixed_or_none() == sizes]
            if sizes is not None and on_ladder:
                assert on_ladder[0] is level
            elif sizes is None:
                assert variant.rung_index(level) is None
    others = [r.name for r in TINY.ladder if r.name != "cpu"]
    assert all(name == TINY.difficulty(name).fixed_or_none().tag() for name in others)


def test_the_tiny_ladder_starts_below_cpu_and_climbs_to_the_whole_theme():
    cpu = TINY.levels.get("cpu").fixed_or_none()
    below = [r.fixed_or_none() for r in TINY.ladder[: TINY.rung_index("cpu")]]
    assert len(below) >= 2 and all(size_score(s) < size_score(cpu) for s in below)
    assert all(s.ask == cpu.ask and s.pin == "answers" and s.times == 1 for s in below)
    sizes = [r.fixed_or_none() for r in TINY.ladder]
    assert all(s.pin == "answers" for s in sizes)
    top = sizes[-1]
    assert (top.suspects, top.weapons, top.rooms, top.times, top.motives) == (10, 8, 17, 12, 10)
    assert top.asked == MAIN_QUESTIONS and top.bonus_questions >= 1
    assert next(i for i, s in enumerate(sizes) if "when" in s.asked) < next(i for i, s in enumerate(sizes) if s.motives)


def test_small_steps_between_rungs():
    """The curriculum moves a rung at a time: no step adds more than one bonus question's worth."""
    for variant in BUILTINS:
        scores = [size_score(r.fixed_or_none()) for r in variant.ladder]
        steps = [b - a for a, b in zip(scores, scores[1:])]
        assert max(steps) <= 4.1, (variant.name, steps)


def test_rung_number_and_named_level_give_the_same_puzzle_byte_for_byte():
    for seed in (0, 7):
        named = json.dumps(generate_record(TINY, "cpu", seed))
        assert json.dumps(generate_record(TINY, 2, seed)) == named
        assert json.dumps(generate_record(TINY, "2", seed)) == named
    record = generate_record(TINY, 2, 0)
    assert record["difficulty"] == "cpu" and record["rung"] == 2 and record["id"] == "tiny/cpu/0"
    largest = CLASSIC_GAME.max_difficulty
    assert generate_record(CLASSIC_GAME, largest, 1) == generate_record(CLASSIC_GAME, "hard", 1)


def test_a_rung_named_by_its_tag_is_its_explicit_sizes_and_its_name():
    rung = TINY.ladder[0]
    sizes = rung.fixed_or_none()
    by_number = generate_record(TINY, 0, 3)
    assert generate_record(TINY, sizes, 3) == by_number
    assert generate_record(TINY, rung.name, 3) == by_number
    assert by_number["rung"] == 0 and by_number["difficulty"] == sizes.tag()
    assert by_number["sizes"] == sizes.to_dict()


def test_levels_that_are_no_rung_have_no_rung_field():
    assert "rung" not in generate_record(TINY, "easy", 0)
    cpu_sizes = TINY.levels.get("cpu").fixed_or_none()
    assert "rung" not in generate_record(TINY, cpu_sizes, 0)  # explicit sizes named by their tag, not "cpu"


@pytest.mark.parametrize("variant", BUILTINS, ids=lambda v: v.name)
def test_the_small_rungs_generate(variant):
    for k, rung in enumerate(variant.ladder):
        if size_score(rung.fixed_or_none()) >= FAST_SCORE:
            break
        puzzle = generate_puzzle(variant, k, 0)
        assert puzzle.rung == k and puzzle.sizes == rung.fixed_or_none() and puzzle.difficulty == rung.name


@pytest.mark.slow
@pytest.mark.parametrize("variant", BUILTINS, ids=lambda v: v.name)
def test_every_rung_generates(variant):
    for k, rung in enumerate(variant.ladder):
        puzzle = generate_puzzle(variant, k, 1)
        assert puzzle.rung == k and puzzle.sizes == rung.fixed_or_none()


@pytest.mark.parametrize(
    "level, message",
    [
        (25, "variant 'tiny': difficulty 25 is off its scale 0..24"),
        ("25", "variant 'tiny': difficulty 25 is off its scale 0..24"),
        (-1, "variant 'tiny': difficulty -1 is off its scale 0..24"),
        (True, "difficulty must be a level name, a rung number 0..24"),
        (2.5, "difficulty must be a level name, a rung number 0..24"),
        ("nope", "unknown difficulty 'nope'; choose one of easy, medium, cpu, or a rung 0..24"),
    ],
)
def test_off_the_scale_is_one_clear_error(level, message):
    with pytest.raises(ValueError) as err:
        TINY.difficulty(level)
    assert message in str(err.value)
    with pytest.raises(ValueError):
        generate_puzzle(TINY, level, 0)


def test_numpy_integers_are_rung_numbers():
    np = pytest.importorskip("numpy")
    assert TINY.difficulty(np.int64(2)) is TINY.levels.get("cpu")


def test_positions_of_levels_that_are_no_rung():
    for variant in BUILTINS:
        for k in range(variant.max_difficulty + 1):
            assert variant.rung(k) == float(k)
    assert TINY.rung(None) == TINY.rung("easy")
    easy, medium, hard = (TEMPORAL.rung(n) for n in ("easy", "medium", "hard"))
    assert 0 < easy < medium < hard < TEMPORAL.max_difficulty
    assert 0 < TEMPORAL.rung("benchmark") < hard
    assert TEMPORAL.rung("easy") == TEMPORAL.rung("easy")  # a fixed seed: always the same number
    assert TEMPORAL.rung(Sizes(4, 3, 4, 3, 4, 2)) == 5.0  # temporal's rung 5 given as explicit sizes
    assert TINY.rung(Sizes(3, 3, 3, ask=("who", "what", "where"), bonus_questions=0)) == 2.0  # cpu's sizes, pin night


def test_difficulties_refuses_a_level_given_twice():
    assert [d.name for d in TINY.difficulties(("cpu", 0))] == ["cpu", TINY.ladder[0].name]
    with pytest.raises(ValueError, match="level 'cpu' is asked twice"):
        TINY.difficulties(("2", "cpu"))


def test_parse_difficulties():
    assert parse_difficulties("1,3") == ("1", "3")
    assert parse_difficulties("0-3") == ("0", "1", "2", "3")
    assert parse_difficulties("cpu, 5-6") == ("cpu", "5", "6")
    assert is_difficulty_list("0-4") and is_difficulty_list("a,b") and not is_difficulty_list("b-small")
    with pytest.raises(ValueError, match="runs backwards"):
        parse_difficulties("4-2")
    with pytest.raises(ValueError, match="empty item"):
        parse_difficulties("1,,2")


def test_a_derived_ladder_is_bounded_by_the_theme_and_holds_the_fixed_named_levels():
    variant = _plugin_like()
    sizes = [r.fixed_or_none() for r in variant.ladder]
    assert sizes == list(derive_ladder_sizes(variant.theme, variant.levels))
    assert variant.ladder[variant.rung_index("easy")] is variant.levels.get("easy")
    top = sizes[-1]
    assert (top.suspects, top.weapons, top.rooms, top.times, top.motives) == (5, 4, 6, 4, 3)
    assert (sizes[0].suspects, sizes[0].weapons, sizes[0].rooms) == (2, 2, 2)
    assert 0 < variant.rung("hard") <= variant.max_difficulty
    assert generate_puzzle(variant, 1, 0).rung == 1


def test_an_explicit_ladder_must_climb_and_fit():
    small, big = Sizes(2, 2, 2), Sizes(3, 3, 3)
    assert [r.name for r in _plugin_like(ladder_sizes=(small, big)).ladder] == [small.tag(), big.tag()]
    with pytest.raises(ValueError, match="ladder rung 1 .* is not larger than rung 0"):
        _plugin_like(ladder_sizes=(big, small))
    with pytest.raises(ValueError, match="ladder rung 1: needs 9 rooms, its theme has 6"):
        _plugin_like(ladder_sizes=(small, Sizes(3, 3, 9)))


def test_records_read_back_with_and_without_a_rung(tmp_path):
    with_rung = generate_record(TINY, 2, 0)
    without = generate_record(TINY, "easy", 0)
    for record in (with_rung, without):
        assert json.loads(json.dumps(Puzzle.from_record(record).to_record())) == record
    old = dict(with_rung)
    del old["rung"]  # a file written before the scale
    assert Puzzle.from_record(old).rung is None
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (with_rung, without)))
    tasks = load_tasks(path)
    assert tasks[0].record["rung"] == 2 and "rung" not in tasks[1].record
    with pytest.raises(ValueError, match="'rung' must be an integer >= 0"):
        Puzzle.from_record({**with_rung, "rung": "2"})


def test_get_variant_gives_the_same_ladder():
    assert get_variant("tiny").ladder == TINY.ladder
