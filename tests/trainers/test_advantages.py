"""Group advantages: the formula and its scalings, the tolerance filter, truncation policies."""

from __future__ import annotations

import statistics

import pytest

from trainers import GRPOConfig, Sample, Segment, compute_advantages


def s(reward, group=0, truncated=False, trained=True):
    answer = Segment.sampled([2, 3], [-1.0, -1.0]) if trained else Segment.context([2, 3])
    return Sample((Segment.context([1]), answer), reward=reward, group=group, truncated=truncated)


def test_group_scaling_is_the_population_z_score():
    adv = compute_advantages([s(0.0), s(1.0), s(1.0), s(0.0)], GRPOConfig(advantage_epsilon=0.0))
    assert adv.advantages == (-1.0, 1.0, 1.0, -1.0)
    assert [x.index for x in adv.scored] == [0, 1, 2, 3]
    assert adv.groups == 1 and adv.dropped_groups == 0 and adv.reward_mean == 0.5


def test_epsilon_is_added_to_the_std():
    adv = compute_advantages([s(0.0), s(1.0)], GRPOConfig(advantage_epsilon=0.5))
    assert adv.advantages == (-0.5, 0.5)  # (0 - 0.5) / (0.5 + 0.5)


def test_no_std_scaling_and_batch_std():
    samples = [s(0.0, "a"), s(1.0, "a"), s(0.0, "b"), s(3.0, "b")]
    none = compute_advantages(samples, GRPOConfig(advantage_scaling="none"))
    assert none.advantages == (-0.5, 0.5, -1.5, 1.5)
    batch = compute_advantages(samples, GRPOConfig(advantage_scaling="batch", advantage_epsilon=0.0))
    std = statistics.pstdev([0.0, 1.0, 0.0, 3.0])
    assert batch.advantages == pytest.approx((-0.5 / std, 0.5 / std, -1.5 / std, 1.5 / std))


def test_pitfall_a_flat_group_is_dropped_by_tolerance_not_by_float_equality():
    # Five of six questions right, summed question by question, against 5/6 computed at once.
    rewards = [sum([1 / 6] * 5), 5 / 6, 5 / 6]
    assert statistics.pstdev(rewards) != 0.0, "the pitfall is real: a float std of equal rewards is not 0"
    naive = [(r - statistics.fmean(rewards)) / statistics.pstdev(rewards) for r in rewards]
    assert max(abs(a) for a in naive) > 0.5, "and without the filter (and epsilon 0) it becomes a full-size advantage"
    samples = [s(r, "flat") for r in rewards] + [s(0.0, "live"), s(1.0, "live")]
    adv = compute_advantages(samples, GRPOConfig())
    assert adv.dropped_groups == 1 and adv.groups == 2
    assert adv.advantages[:3] == (None, None, None)
    assert [x.index for x in adv.scored] == [3, 4]


def test_tolerance_is_configurable_and_singletons_are_dropped():
    samples = [s(0.0, "a"), s(0.01, "a"), s(1.0, "b")]
    assert compute_advantages(samples, GRPOConfig(reward_tolerance=0.1)).dropped_groups == 2
    assert compute_advantages(samples, GRPOConfig(reward_tolerance=0.001)).dropped_groups == 1


def test_truncation_keep_mask_penalize():
    samples = [s(1.0, truncated=True), s(1.0), s(0.0), s(0.5)]
    keep = compute_advantages(samples, GRPOConfig(truncation="keep"))
    assert keep.truncated == 1 and len(keep.scored) == 4

    mask = compute_advantages(samples, GRPOConfig(truncation="mask"))
    assert mask.masked_truncated == 1 and [x.index for x in mask.scored] == [1, 2, 3]
    assert mask.advantages[0] is None
    assert mask.advantages[1:] == keep.advantages[1:], "a masked sample still counts in its group's statistics"

    pen = compute_advantages(samples, GRPOConfig(truncation="penalize", advantage_epsilon=0.0))
    assert pen.penalized_truncated == 1
    mean, std = 1.5 / 4, statistics.pstdev([0.0, 1.0, 0.0, 0.5])
    assert pen.advantages == pytest.approx(tuple((r - mean) / std for r in (0.0, 1.0, 0.0, 0.5)))
    custom = compute_advantages(samples, GRPOConfig(truncation="penalize", truncation_reward=-1.0))
    assert custom.reward_mean == pytest.approx((-1.0 + 1.0 + 0.0 + 0.5) / 4)


def test_samples_without_trained_tokens_count_in_statistics_but_are_not_trained():
    samples = [s(0.0, trained=False), s(1.0), s(0.0)]
    adv = compute_advantages(samples, GRPOConfig())
    assert adv.untrainable == 1 and [x.index for x in adv.scored] == [1, 2]
    with_it = compute_advantages([s(0.0), s(1.0), s(0.0)], GRPOConfig())
    assert adv.advantages[1:] == with_it.advantages[1:]


def test_empty_batch():
    adv = compute_advantages([], GRPOConfig())
    assert adv.scored == () and adv.groups == 0
