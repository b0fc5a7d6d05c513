"""Episodes to samples: exactly the agent's token ids, segments, truncation, skipped completions, multi-turn."""

from __future__ import annotations

import math

import pytest

from agents.base import Completion
from trainers import (
    GRPOConfig,
    Sample,
    SampleError,
    Segment,
    compute_advantages,
    pack,
    sample_from_turns,
    samples_from_completions,
)


def completion(prompt, ids, lps=None, finish="stop", **kw):
    return Completion(
        text="",
        prompt_token_ids=tuple(prompt),
        token_ids=tuple(ids),
        logprobs=tuple(lps if lps is not None else [-0.5] * len(ids)),
        finish_reason=finish,
        **kw,
    )


def test_a_group_of_completions_becomes_samples_of_prompt_and_answer():
    cs = [completion([1, 2, 3], [4, 5], [-0.1, -0.2]), completion([1, 2, 3], [6], [-0.3], finish="length")]
    got = samples_from_completions("task-7", cs, [1.0, 0.0])
    assert got.skipped == []
    a, b = got.samples
    assert a.segments == (Segment.context([1, 2, 3]), Segment.sampled([4, 5], [-0.1, -0.2]))
    assert (a.group, a.reward, a.truncated) == ("task-7", 1.0, False)
    assert b.truncated and b.prompt == (1, 2, 3)
    assert a.token_ids == (1, 2, 3, 4, 5) and len(a) == 5
    assert a.trained_mask() == (False, False, False, True, True) and a.num_trained == 2
    assert a.sampling_logprobs() == (0.0, 0.0, 0.0, -0.1, -0.2)


def test_failed_completions_and_ones_without_ids_are_skipped_and_reported():
    cs = [
        completion([1], [2]),
        Completion(text="", error="HTTP 500"),
        Completion(text="an answer", prompt_tokens=3, completion_tokens=2),
        Completion(text="x", prompt_token_ids=(1,), token_ids=(2,)),
    ]
    got = samples_from_completions(0, cs, [1.0, 0.0, 0.5, 0.5])
    assert len(got.samples) == 1
    assert [(s.index, s.reason.split(":")[0].split(" (")[0]) for s in got.skipped] == [
        (1, "the request failed"),
        (2, "the backend returned no token ids"),
        (3, "the backend returned no logprobs for the sampled tokens"),
    ]


def test_tokens_without_a_usable_logprob_are_not_trained():
    seg = Segment.sampled([1, 2, 3, 4], [-0.1, None, math.nan, -math.inf])
    assert seg.trained() == (True, False, False, False)
    s = Sample((Segment.context([9]), seg), reward=0.0)
    assert s.num_trained == 1 and s.sampling_logprobs() == (0.0, -0.1, 0.0, 0.0, 0.0)


def test_pitfall_a_tokenization_round_trip_changes_ids_so_samples_keep_the_agents_ids():
    from tokenizers import Tokenizer, decoders, models

    tok = Tokenizer(models.BPE({"a": 0, "b": 1, "ab": 2}, [("a", "b")]))
    tok.decoder = decoders.Fuse()
    sampled = [0, 1]  # the model sampled "a" then "b"
    text = tok.decode(sampled)
    assert text == "ab" and tok.encode(text).ids == [2], "re-tokenizing the text merges them into one id"
    c = Completion(text=text, prompt_token_ids=(1,), token_ids=tuple(sampled), logprobs=(-0.7, -0.2))
    (s,) = samples_from_completions(0, [c], [1.0]).samples
    assert s.token_ids[1:] == (0, 1) and s.sampling_logprobs()[1:] == (-0.7, -0.2)
    # and the packed targets are those ids with their own logprobs
    b = pack(compute_advantages([s, Sample(s.segments, 0.0)], GRPOConfig()).scored, 8)
    assert b.target_tokens[b.loss_mask].tolist() == [0, 1, 0, 1]
    assert b.sampling_logprobs[b.loss_mask].tolist() == [-0.7, -0.2, -0.7, -0.2]


def test_a_multi_turn_episode_is_one_sample_of_alternating_segments():
    t1 = completion([1, 2], [3, 4], [-0.1, -0.2])
    t2 = completion([1, 2, 3, 4, 8, 9], [5], [-0.3], finish="length")  # env reply 8 9
    s = sample_from_turns("t", [t1, t2], reward=0.5)
    assert s.segments == (
        Segment.context([1, 2]),
        Segment.sampled([3, 4], [-0.1, -0.2]),
        Segment.context([8, 9]),
        Segment.sampled([5], [-0.3]),
    )
    assert s.truncated and s.group == "t" and s.num_trained == 3


def test_a_turn_whose_prompt_was_retokenized_is_an_error():
    t1 = completion([1, 2], [3, 4])
    with pytest.raises(SampleError, match="turn 1's prompt ids do not extend turn 0's .* differs at token 2"):
        sample_from_turns("t", [t1, completion([1, 2, 7, 8, 9], [5])], reward=0.0)
    with pytest.raises(SampleError, match="is shorter"):
        sample_from_turns("t", [t1, completion([1, 2, 3], [5])], reward=0.0)
    with pytest.raises(SampleError, match="turn 0 cannot be trained on: the request failed"):
        sample_from_turns("t", [Completion(text="", error="boom")], reward=0.0)
    with pytest.raises(SampleError, match="at least one turn"):
        sample_from_turns("t", [], reward=0.0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Segment.sampled([1, 2], [-0.1]), "2 tokens but 1 logprobs"),
        (lambda: Segment.context([1, -2]), "token id 1 is -2"),
        (lambda: Segment.context([True, False]), "token id 0 is True"),
        (lambda: Segment.context([1.5]), "token id 0 is 1.5"),
        (lambda: Segment.sampled([1], ["x"]), "a number or None"),
        (lambda: Sample((), 0.0), "at least one Segment"),
        (lambda: Sample((Segment.sampled([1], [-1.0]),), 0.0), "first segment must be its prompt"),
        (lambda: Sample((Segment.context([]),), 0.0), "first segment must be its prompt"),
        (lambda: Sample((Segment.context([1]),), math.nan), "reward must be a finite number"),
        (lambda: Sample((Segment.context([1]),), 0.0, group=[1]), "group must be hashable"),
        (lambda: samples_from_completions(0, [completion([1], [2])], []), "1 completions but 0 rewards"),
        (lambda: samples_from_completions(0, ["text"], [0.0]), "not an agents.base.Completion"),
        (lambda: samples_from_completions(0, [completion([1], [2], [-0.1, -0.2])], [0.0]), "completion 0: .*logprobs"),
    ],
)
def test_malformed_input_raises_one_line_sample_errors(make, match):
    with pytest.raises(SampleError, match=match) as e:
        make()
    assert "\n" not in str(e.value)
