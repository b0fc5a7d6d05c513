"""The curriculum as pure code: the adaptive controller, the mix of rungs, schedules, bad settings."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from trainers.config import ConfigError, GRPOConfig
from trainers.curriculum import (
    AdaptiveSettings,
    ControllerState,
    CurriculumError,
    adapt,
    build_curriculum,
    mix,
    rungs_for,
)

S = AdaptiveSettings(target=0.5, band=0.1, step=0.5, min_iterations=2, low=0.0, high=4.0)


def run(rates, start=2.0, settings=S):
    state = ControllerState(start)
    positions = []
    for r in rates:
        state = adapt(state, r, settings)
        positions.append(state.position)
    return state, positions


def test_rises_when_every_group_is_solved():
    state, positions = run([1.0] * 6)
    assert positions == [2.0, 2.5, 2.5, 3.0, 3.0, 3.5]  # one step per min_iterations iterations
    assert state.moves == 3


def test_falls_when_none_is_solved():
    _, positions = run([0.0] * 4)
    assert positions == [2.0, 1.5, 1.5, 1.0]


def test_stays_while_the_pass_rate_is_inside_the_band():
    _, positions = run([0.41, 0.59, 0.5, 0.45, 0.55, 0.6])
    assert positions == [2.0] * 6


def test_decides_on_the_mean_of_the_window_not_one_iteration():
    _, positions = run([0.9, 0.2])  # mean 0.55: inside the band
    assert positions == [2.0, 2.0]
    _, positions = run([0.9, 0.4])  # mean 0.65: above it
    assert positions == [2.0, 2.5]


def test_waits_min_iterations_after_a_move():
    settings = AdaptiveSettings(target=0.5, band=0.1, step=1.0, min_iterations=3, low=0, high=9)
    _, positions = run([1.0] * 7, start=0.0, settings=settings)
    assert positions == [0, 0, 1, 1, 1, 2, 2]


def test_never_leaves_the_scale_and_says_so_once():
    state, positions = run([1.0] * 10, start=3.5)
    assert max(positions) == 4.0 and positions[-1] == 4.0
    assert state.at_end == "top"
    state, positions = run([0.0] * 10, start=0.5)
    assert min(positions) == 0.0 and state.at_end == "bottom"


def test_a_missing_pass_rate_moves_nothing():
    state = ControllerState(2.0, rates=(1.0,))
    assert adapt(state, float("nan"), S) == state


def test_mix_and_rungs():
    assert mix(2.0) == {2: 1.0}
    assert mix(2.25) == {2: 0.75, 3: 0.25}
    assert rungs_for(2.5, 8) == [2, 2, 2, 2, 3, 3, 3, 3]
    assert rungs_for(2.25, 8) == [2] * 6 + [3] * 2
    assert rungs_for(1.0, 3) == [1, 1, 1]
    assert rungs_for(0.5, 3) in ([0, 0, 1], [0, 1, 1])
    assert len(rungs_for(3.7, 5)) == 5 and rungs_for(3.7, 5) == rungs_for(3.7, 5)


def test_settings_are_checked():
    for bad in (dict(target=0.0), dict(target=1.0), dict(band=0.5), dict(step=0.0), dict(min_iterations=0)):
        with pytest.raises(CurriculumError):
            AdaptiveSettings(**{**dict(target=0.5, band=0.1, step=0.5, min_iterations=1, low=0, high=3), **bad})


@dataclass
class FakeVariant:
    """The two things a curriculum asks of a variant: its scale's length and a level's place on it."""

    max_difficulty: int = 6
    names: tuple = ("easy", "cpu")

    def rung(self, level):
        if level in self.names:
            return {"easy": 0.6, "cpu": 2}[level]
        if isinstance(level, str) and level.replace(".", "", 1).isdigit():
            value = float(level)
        elif isinstance(level, int | float):
            value = float(level)
        else:
            raise ValueError(f"variant 'fake': unknown difficulty {level!r}")
        if not 0 <= value <= self.max_difficulty:
            raise ValueError(f"variant 'fake': difficulty {level} is off its scale 0..{self.max_difficulty}")
        return value


def config(**kw) -> GRPOConfig:
    return GRPOConfig(tasks_per_iteration=4, samples_per_task=4, difficulty="cpu", **kw)


def test_fixed_keeps_the_named_level():
    cur = build_curriculum(config(), None)
    plan = cur.plan(0)
    assert plan.difficulties == ("cpu",) * 4 and plan.position is None
    assert cur.observe(1.0) is None and cur.state_dict() is None


def test_schedule_steps_by_iteration():
    cur = build_curriculum(
        config(curriculum="schedule", curriculum_schedule={"1": "0", "3": "cpu", "5": "4.5"}), FakeVariant()
    )
    assert [cur.plan(i).position for i in range(6)] == [0, 0, 2, 2, 4.5, 4.5]
    assert cur.plan(5).difficulties == (4, 4, 5, 5)
    later = build_curriculum(config(curriculum="schedule", curriculum_schedule={"3": "1"}), FakeVariant())
    assert later.plan(0).difficulties == ("cpu",) * 4  # before its first step: the configured level


def test_adaptive_starts_at_the_level_and_its_state_round_trips():
    cur = build_curriculum(config(curriculum="adaptive", curriculum_min_iterations=1), FakeVariant())
    assert cur.plan(0).position == 2 and cur.plan(0).difficulties == (2, 2, 2, 2)
    cur.observe(0.9)
    assert cur.plan(1).position == 2.5
    again = build_curriculum(config(curriculum="adaptive", curriculum_min_iterations=1), FakeVariant())
    again.load_state_dict(cur.state_dict())
    assert again.state == cur.state


def test_adaptive_says_once_that_it_is_at_the_end_of_the_scale():
    cur = build_curriculum(
        config(curriculum="adaptive", curriculum_start="6", curriculum_min_iterations=1), FakeVariant()
    )
    notes = [cur.observe(1.0) for _ in range(4)]
    assert notes[0] is not None and "end of the scale" in notes[0]
    assert notes[1:] == [None, None, None]
    assert cur.plan(5).position == 6


def test_off_the_scale_settings_are_one_clear_error():
    for kw, match in (
        (dict(curriculum="adaptive", curriculum_start="9"), "curriculum_start: .*off its scale 0..6"),
        (dict(curriculum="adaptive", curriculum_max="nosuch"), "curriculum_max: .*unknown difficulty"),
        (dict(curriculum="adaptive", curriculum_min="4", curriculum_max="2"), "above curriculum_max"),
        (dict(curriculum="schedule", curriculum_schedule={"1": "0", "9": "12"}), "curriculum_schedule 9=12"),
    ):
        with pytest.raises(CurriculumError, match=match):
            build_curriculum(config(**kw), FakeVariant())


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(curriculum="nosuch"), "curriculum must be one of fixed, schedule, adaptive"),
        (dict(curriculum_target=0.0), r"curriculum_target must be a number inside \(0, 1\)"),
        (dict(curriculum_target=1.5), r"curriculum_target must be a number inside \(0, 1\)"),
        (dict(curriculum_band=0.7), "curriculum_band"),
        (dict(curriculum="schedule"), "at least one step"),
        (dict(curriculum_schedule={"20": "1", "10": "2"}), "out of order: iteration 10 comes after 20"),
        (dict(curriculum_schedule={"x": "1"}), "not an iteration number"),
        (dict(curriculum="adaptive", dataset="val.json"), "needs generated puzzles"),
        (dict(overlong_buffer=30, max_new_tokens=24), "overlong_buffer"),
        (dict(dynamic_sampling_max_rounds=0), "dynamic_sampling_max_rounds"),
    ],
)
def test_bad_curriculum_settings_are_refused(kw, match):
    with pytest.raises(ConfigError, match=match):
        GRPOConfig(**kw)


def test_schedule_from_the_command_line():
    key, value = GRPOConfig.parse_override("curriculum_schedule=1:0,20:2,40:cpu")
    assert key == "curriculum_schedule" and value == {"1": "0", "20": "2", "40": "cpu"}
    assert GRPOConfig(curriculum="schedule", curriculum_schedule=value).curriculum_schedule == value


ADAPTIVE_ONLY = ("curriculum_start", "curriculum_max", "curriculum_min")


@pytest.mark.parametrize(
    "setting, fragment",
    [
        ("curriculum=nosuch", "curriculum must be one of fixed, schedule, adaptive"),
        ("curriculum_target=1.2", "curriculum_target must be a number inside (0, 1)"),
        ("curriculum_schedule=20:1,10:2", "out of order"),
        ("curriculum_start=99", "off its scale"),
        ("curriculum_max=nosuch", "curriculum_max"),
        ("val_ladder=99", "val_ladder"),
    ],
)
def test_clue_train_refuses_a_bad_curriculum_in_one_line_and_leaves_no_folder(tmp_path, capsys, setting, fragment):
    import cli

    out = tmp_path / "runs" / "tiny"
    kind = "schedule" if "schedule" in setting else "adaptive" if setting.split("=")[0] in ADAPTIVE_ONLY else None
    extra = ["--set", f"curriculum={kind}"] if kind else []
    rc = cli.main(["train", "--agent", "tiny", "--out", str(out), *extra, "--set", setting])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("clue: error: "), err
    assert fragment in lines[0], lines[0]
    assert not (tmp_path / "runs").exists()
