"""Rollouts to the trained batch as pure code: a group's score, dynamic sampling's choice of groups
and refill size, the iteration's totals (pass rate, zero-variance shares, wasted tokens) and the
overlong penalty."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from agents.base import Completion
from clue_env.puzzle import Task
from trainers import GRPOConfig, Sample, Segment, compute_advantages
from trainers.advantages import effective_reward, overlong_penalty
from trainers.scoring import GroupResult, keep_groups, refill_size, score_group, scored_batch

TASK = Task(
    id="tiny/cpu/7",
    prompt="Who? What? Where?",
    solution={"A": "Mr. Green", "B": "Rope", "C": "Hall"},
    options={"A": ["Mr. Green", "Mrs. White"], "B": ["Rope", "Knife"], "C": ["Hall", "Study"]},
    record={"difficulty": "cpu"},
)


def answer(a: str, b: str, c: str, n_tokens: int = 3, error: str | None = None) -> Completion:
    if error:
        return Completion(text="", error=error)
    return Completion(
        text=f"A. {a}\nB. {b}\nC. {c}",
        completion_tokens=n_tokens,
        prompt_token_ids=(1, 2),
        token_ids=tuple(range(5, 5 + n_tokens)),
        logprobs=(-0.5,) * n_tokens,
        finish_reason="stop",
    )


def test_a_group_is_graded_and_knows_whether_it_can_teach():
    group = score_group(
        TASK, [answer("Mr. Green", "Rope", "Hall"), answer("Mrs. White", "Rope", "Study", 4)], GRPOConfig()
    )
    assert group.rewards == pytest.approx((1.0, 1 / 3)) and group.passed == group.rewards
    assert group.tokens == (3, 4) and group.rollout_tokens == 7 and group.failed == 0
    assert group.signal and group.difficulty == "cpu" and len(group.samples) == 2
    flat = score_group(TASK, [answer("Mr. Green", "Rope", "Hall")] * 3, GRPOConfig())
    assert not flat.signal


def test_a_failed_rollout_scores_zero_and_is_not_trained():
    group = score_group(TASK, [answer("Mr. Green", "Rope", "Hall"), answer("", "", "", error="HTTP 500")], GRPOConfig())
    assert group.rewards == (1.0, 0.0) and group.failed == 1 and len(group.samples) == 1
    assert not group.signal  # one trainable sample cannot disagree with itself


def g(name: str, signal: bool, tokens=(10, 10), passed=(0.5, 0.5)) -> GroupResult:
    return GroupResult(name, None, (), tuple(passed), tuple(passed), tuple(tokens), 0, signal)


def test_without_dynamic_sampling_every_group_is_kept():
    groups = [g("a", False), g("b", True)]
    assert keep_groups(groups, 2, dynamic=False) == groups


def test_dynamic_sampling_keeps_the_first_groups_with_signal_up_to_the_batch():
    groups = [g("a", False), g("b", True), g("c", False), g("d", True), g("e", True)]
    assert [x.task_id for x in keep_groups(groups, 2, dynamic=True)] == ["b", "d"]
    assert [x.task_id for x in keep_groups(groups, 8, dynamic=True)] == ["b", "d", "e"]


def test_refill_asks_for_what_is_missing_scaled_by_the_share_with_signal():
    assert refill_size([g("a", True)] * 4, 4, 4) == 0
    assert refill_size([g("a", True), g("b", False)], 4, 1) == 4  # 3 missing / half with signal = 6, capped at 4
    assert refill_size([g("a", True)] * 3 + [g("b", False)], 8, 3) == 7  # 5 / 0.75
    assert refill_size([g("a", False)] * 8, 8, 0) == 8  # none had signal: a quarter is assumed, capped


def test_the_batch_counts_every_round():
    rolled = [g("a", False, (10, 30), (1.0, 1.0)), g("b", True, (5, 5), (0.0, 1.0)), g("c", True, (7, 3), (0.5, 0.5))]
    kept = [rolled[1]]
    batch = scored_batch(rolled, kept, rounds=2)
    assert batch.groups_rolled == 3 and batch.groups_kept == 1 and batch.rollout_rounds == 2
    assert batch.pass_rate == pytest.approx(4 / 6) and batch.solved_rate == pytest.approx(3 / 6)
    assert batch.rollout_tokens == 60 and batch.zero_variance_tokens == 40
    assert batch.zero_variance_share == pytest.approx(1 / 3) and batch.zero_variance_token_share == pytest.approx(
        40 / 60
    )
    assert batch.wasted_rollout_tokens == 60  # these groups carry no samples: nothing was trained
    assert scored_batch([], [], 1).pass_rate != scored_batch([], [], 1).pass_rate  # NaN: nothing to read


def test_trained_tokens_are_not_wasted():
    group = score_group(
        TASK, [answer("Mr. Green", "Rope", "Hall", 3), answer("Mrs. White", "Rope", "Study", 4)], GRPOConfig()
    )
    flat = score_group(TASK, [answer("Mr. Green", "Rope", "Hall", 6)] * 2, GRPOConfig())
    batch = scored_batch([group, flat], [group, flat], rounds=1)
    assert batch.rollout_tokens == 19 and batch.wasted_rollout_tokens == 12 and batch.zero_variance_tokens == 12


def sample(reward: float, n: int, truncated: bool = False, group: str = "g") -> Sample:
    return Sample((Segment.context([1]), Segment.sampled(list(range(2, 2 + n)), [-1.0] * n)), reward, group, truncated)


def test_overlong_penalty_is_dapos_soft_ramp():
    c = GRPOConfig(max_new_tokens=20, overlong_buffer=8, overlong_penalty=1.0)
    assert [overlong_penalty(n, c) for n in (5, 12, 14, 16, 20)] == pytest.approx([0, 0, -0.25, -0.5, -1.0])
    assert overlong_penalty(20, GRPOConfig(max_new_tokens=20)) == 0.0  # off by default
    half = GRPOConfig(max_new_tokens=20, overlong_buffer=8, overlong_penalty=0.5)
    assert effective_reward(sample(1.0, 16), half) == pytest.approx(0.75)
    both = GRPOConfig(max_new_tokens=20, overlong_buffer=8, truncation="penalize")
    assert effective_reward(sample(1.0, 20, truncated=True), both) == pytest.approx(-1.0)  # 0, then the ramp's -1


def test_overlong_penalty_reaches_the_advantages_and_can_give_a_flat_group_signal():
    samples = [sample(1.0, 4), sample(1.0, 18)]
    assert compute_advantages(samples, GRPOConfig(max_new_tokens=20)).dropped_groups == 1
    adv = compute_advantages(samples, GRPOConfig(max_new_tokens=20, overlong_buffer=8))
    assert adv.dropped_groups == 0 and adv.advantages[0] > 0 > adv.advantages[1]


def test_multi_turn_overlong_counts_the_longest_turn():
    turns = (
        Segment.context([1]),
        Segment.sampled([2] * 5, [-1.0] * 5),
        Segment.context([3]),
        Segment.sampled([4] * 9, [-1.0] * 9),
    )
    s = Sample(turns, 1.0)
    assert s.longest_turn == 9 and s.num_sampled == 14


def test_a_grader_that_raises_is_one_line_naming_the_puzzle():
    from trainers.scoring import ScoringError

    broken = replace(TASK, options={"A": None, "B": ["Rope"], "C": ["Hall"]})  # what a buggy variant might make
    with pytest.raises(ScoringError, match=r"grading puzzle tiny/cpu/7 failed: \w+") as err:
        score_group(broken, [answer("Mr. Green", "Rope", "Hall")], GRPOConfig())
    assert "\n" not in str(err.value)


def test_a_reward_that_is_not_finite_skips_the_answer_and_counts_it_failed(monkeypatch):
    import clue_env.grading

    real = clue_env.grading.Grader

    class NaNForWhite(real):
        def __call__(self, text):
            grade = super().__call__(text)
            return replace(grade, reward=float("nan")) if "White" in text else grade

    monkeypatch.setattr(clue_env.grading, "Grader", NaNForWhite)
    group = score_group(
        TASK,
        [answer("Mr. Green", "Rope", "Hall"), answer("Mrs. White", "Rope", "Hall"), answer("x", "y", "z")],
        GRPOConfig(),
    )
    assert group.failed == 1 and len(group.samples) == 2
    assert group.rewards[1] == 0.0 and all(math.isfinite(r) for r in group.rewards)
    assert all(math.isfinite(s.reward) for s in group.samples)


def test_a_run_that_trains_on_nothing_is_told_so():
    from trainers.scoring import no_signal_note

    base = {"iteration": 0, "val_reward": 0.4}
    empty = [{"iteration": i, "tokens_trained": 0} for i in (1, 2, 3)]
    assert "iteration 1 trained on nothing" in no_signal_note([base, empty[0]], final=False)
    assert no_signal_note([base, *empty[:2]], final=False) is None  # said once
    final = no_signal_note([base, *empty], final=True)
    assert final.startswith("nothing was learned: none of the 3 iterations trained on a token")
    learned = [base, empty[0], {"iteration": 2, "tokens_trained": 480}]
    assert no_signal_note(learned, final=False) is None and no_signal_note(learned, final=True) is None
