"""The SFT trainer's data: ``clue eval`` output read back as traces, filtered and split, and rendered
into the samples ``clue train`` builds.

- a trace renders to exactly the sample ``clue train``'s path (``evaluation.play`` +
  ``trainers.scoring.score_group``) builds for the same episode, one-shot and investigation: one
  agent (the solver, its replies as token ids of the tiny model's tokenizer, as the vllm agent
  returns them) writes a ``clue eval`` folder and plays the rollouts; the samples are equal;
- reading: folders and results files, several of them, ``--samples N``; a one-shot record's prompt
  comes from the run's puzzle file or its id; every bad source is one line naming the file (and line);
- filters (``min_reward``, ``best_of``, ``max_per_puzzle``, truncated) and the split by puzzle id,
  the same on any machine;
- the solver's games as model text: every adapted reply is read by the game's own parsers, and a
  rendered investigation parsed back asks the same questions and gives the same answers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

import cli
from agents.base import Completion, SamplingConfig
from agents.solver import SolverAgent
from clue_env.builtin_variants import TINY
from clue_env.generate import generate_record, generate_task
from clue_env.grading import Grader
from clue_env.investigation import Session, generate_case
from clue_env.investigation.grammar import parse_query
from clue_env.prompt_parse import parse_prompt
from evaluation.play import play
from evaluation.runner import RESULTS, evaluate
from trainers.config import GRPOConfig
from trainers.samples import Sample
from trainers.scoring import score_group
from trainers.sft_data import as_model_text, end_of_turn, sft_samples, told_case, trace_sample
from trainers.traces import (
    Message,
    Trace,
    TraceError,
    TraceFilter,
    TraceSet,
    held_out,
    keep,
    puzzle_hash,
    read_traces,
    select,
)

pytestmark = pytest.mark.timeout(120)
SAMPLING = SamplingConfig(temperature=1.0, max_tokens=256, seed=3)


@pytest.fixture(scope="module")
def tok():
    """The tiny model's tokenizer (the tokenizer.json and chat template vLLM loads)."""
    transformers = pytest.importorskip("transformers")
    from agents.tiny import build_tiny_model

    return transformers.PreTrainedTokenizerFast.from_pretrained(build_tiny_model())


class TokenSolver:
    """The solver, answering as a token-sampling backend does: each turn's prompt ids rendered by the
    vllm agent (continuing from the earlier turns' ids), the reply's ids + the end-of-turn token, the
    text those ids decode to; logprob 0.0 per token (what an SFT sample carries)."""

    name = "solver"

    def __init__(self, tokenizer):
        self.solver, self.tok = SolverAgent(), tokenizer

    async def agenerate(self, prompts, sampling):
        from agents.vllm import VllmAgent

        out = []
        for prompt in prompts:
            reply = self.solver.respond(prompt)
            prompt_ids = VllmAgent.render(self.tok, prompt)
            ids = [*self.tok.encode(reply.text, add_special_tokens=False), self.tok.eos_token_id]
            completion = Completion(
                self.tok.decode(ids, skip_special_tokens=True),
                prompt_tokens=len(prompt_ids),
                completion_tokens=len(ids),
                token_ids=tuple(ids),
                logprobs=(0.0,) * len(ids),
                prompt_token_ids=tuple(prompt_ids),
                finish_reason="stop",
            )
            out.append([completion] * sampling.n)
        return out

    def close(self) -> None:
        self.solver.close()


def clue_train_samples(agent, items, game: str) -> dict[str, Sample]:
    """What ``clue train`` trains on for one episode of each item: played (or answered), then scored."""
    config = GRPOConfig(game=game)
    out = {}
    for item in items:
        if game == "investigation":
            results = [asyncio.run(play(agent, item, SAMPLING))]
        else:
            results = asyncio.run(agent.agenerate([item.prompt], SAMPLING))[0]
        [sample] = score_group(item, results, config).samples
        out[item.id] = sample
    return out


# -- a trace renders to the sample clue train builds ---------------------------------------------


@pytest.mark.parametrize("game", ["puzzle", "investigation"])
def test_a_trace_renders_to_the_sample_clue_train_builds(tok, tmp_path, game):
    agent = TokenSolver(tok)
    if game == "investigation":
        items = [generate_case(TINY, "easy", s) for s in range(3)]
    else:
        items = [generate_task(TINY, "easy", s) for s in range(3)]
    evaluate(agent, items, tmp_path / "eval", SAMPLING, samples=2, meta={"agent": "solver", "game": game})
    expected = clue_train_samples(agent, items, game)
    read = read_traces(tmp_path / "eval")  # one-shot: the prompts are made again from the puzzle ids
    assert sorted((t.puzzle_id, t.sample) for t in read.traces) == sorted((i.id, s) for i in items for s in range(2))
    assert {t.game for t in read.traces} == {game}
    for trace in read.traces:
        sample = trace_sample(trace, tok)  # the rendering alone (sft_samples also adapts the solver's text)
        want = expected[trace.puzzle_id]
        assert sample == want  # every segment's ids and (0.0) logprobs, the reward, the group, truncated
        assert sample.token_ids == want.token_ids and sample.trained_mask() == want.trained_mask()
        # every reply is trained, with its end-of-turn token; the prompt and the answers are context
        replies = [tok.decode(s.token_ids) for s in sample.segments if s.is_sampled]
        assert replies == [f"{r}{tok.eos_token}" for r in trace.replies]
        assert len(sample.segments) == 2 * len(trace.replies) and not sample.segments[0].is_sampled
        assert sample.num_trained == sample.num_sampled == sum(len(s.token_ids) for s in sample.segments[1::2])
    if game == "investigation":
        assert max(len(t.replies) for t in read.traces) > 1  # multi-turn episodes were played


def test_several_sources_and_the_cli_eval_folder(tok, tmp_path):
    """Read as ``clue eval`` writes them: folders or their results.jsonl, several, ``--samples 2``."""
    level = ["--variant", "tiny", "--difficulty", "easy", "--n", "2", "--samples", "2"]
    assert cli.main(["eval", "--agent", "solver", *level, "--out", str(tmp_path / "one")]) == 0
    assert (
        cli.main(["eval", "--agent", "solver", "--game", "investigation", *level, "--out", str(tmp_path / "inv")]) == 0
    )
    read = read_traces([tmp_path / "one", tmp_path / "inv" / RESULTS])
    assert read.files == (tmp_path / "one" / RESULTS, tmp_path / "inv" / RESULTS) and read.failed == 0
    assert [t.game for t in read.traces] == ["puzzle"] * 4 + ["investigation"] * 4
    one = read.traces[0]
    assert one.prompt == generate_task(TINY, "easy", 0).prompt and one.difficulty == "easy" and one.solved
    assert one.source == f"{tmp_path / 'one' / RESULTS}:1" and one.agent == "solver" and one.questions is None
    inv = next(t for t in read.traces if t.game == "investigation")
    assert inv.prompt == generate_case(TINY, "easy", int(inv.puzzle_id[-1])).prompt and inv.questions >= 1
    assert len(inv.replies) == inv.questions + 1 and inv.reward < 1.0
    assert len(sft_samples(read.traces, tok)) == 8


def test_one_shot_prompts_from_the_runs_puzzle_file_or_given(tmp_path):
    puzzles = tmp_path / "puzzles.jsonl"
    records = [generate_record(TINY, "easy", s) for s in (4, 5)]
    puzzles.write_text("".join(json.dumps(r) + "\n" for r in records))
    from clue_env.dataset import load_tasks

    tasks = load_tasks(puzzles)
    meta = {"agent": "solver", "game": "puzzle", "dataset": str(puzzles)}
    evaluate(SolverAgent(), tasks, tmp_path / "eval", SAMPLING, meta=meta)
    read = read_traces(tmp_path / "eval")
    assert [t.prompt for t in read.traces] == [t.prompt for t in tasks]
    puzzles.unlink()  # the file is gone: the prompts can still be given
    with pytest.raises(TraceError, match="not found"):
        read_traces(tmp_path / "eval")
    given = read_traces(tmp_path / "eval", prompts={t.id: t.prompt for t in tasks})
    assert given.traces == read.traces


def test_a_puzzle_made_again_must_be_the_one_played(tmp_path):
    evaluate(SolverAgent(), [generate_task(TINY, "easy", 0)], tmp_path, SAMPLING, meta={"agent": "solver"})
    record = json.loads((tmp_path / RESULTS).read_text())
    record["solution"]["A"] = "Someone Else"
    (tmp_path / RESULTS).write_text(json.dumps(record) + "\n")
    with pytest.raises(TraceError, match="another solution than the one recorded"):
        read_traces(tmp_path)


# -- bad sources: one line naming the file --------------------------------------------------------


def episode_line(puzzle_id="tiny/easy/0", sample=0, reward=1.0, text="A. x", **more) -> str:
    record = {
        "episode": f"{puzzle_id}#{sample}",
        "puzzle_id": puzzle_id,
        "sample": sample,
        "reward": reward,
        "correct": {"A": reward == 1.0},
        "answers": {"A": "x"},
        "solution": {"A": "x"},
        "text": text,
        "agent": "model",
        **more,
    }
    return json.dumps(record) + "\n"


def conversation(*replies: str) -> list[dict]:
    turns = [{"role": "user", "content": "the case"}]
    for k, reply in enumerate(replies):
        turns += [{"role": "assistant", "content": reply}] + (
            [{"role": "user", "content": f"answer {k}"}] if k < len(replies) - 1 else []
        )
    return turns


@pytest.mark.parametrize(
    "content, where, message",
    [
        (None, "", "no such file or folder"),
        ("", "", "holds no episodes"),
        (episode_line() + "{not json\n", ":2", "not a JSON line"),
        (json.dumps(generate_record(TINY, "easy", 0)) + "\n", ":1", "not a `clue eval` episode record"),
        (episode_line().replace('"text": "A. x", ', ""), ":1", "'text' must be a string"),
        (episode_line(puzzle_id="val/3"), "", "holds no prompt and is no generated puzzle"),
        (episode_line(puzzle_id="nosuch/easy/3"), "", "cannot make puzzle nosuch/easy again"),
        (episode_line(questions=1, turns=[{"role": "user"}]), ":1", "'turns' must be a list of"),
        (episode_line(questions=1, turns=conversation("A. y")), ":1", "not the record's final reply"),
        (episode_line(questions=1, turns=conversation("Q?", "A. x")[1:]), ":1", "alternate user and assistant"),
        (episode_line(error="HTTP 500", text=""), "", "no episodes to learn from (1 episodes failed"),
    ],
)
def test_a_bad_source_is_one_line_naming_the_file(tmp_path, content, where, message):
    path = tmp_path / "run" / RESULTS
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)
    with pytest.raises(TraceError) as err:
        read_traces(path)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"{path}{where}") and message in text, text


def test_a_folder_without_results_and_no_sources(tmp_path):
    with pytest.raises(TraceError, match=f"^{tmp_path}: no {RESULTS} in this folder"):
        read_traces(tmp_path)
    with pytest.raises(TraceError, match="give at least one"):
        read_traces([])


def test_failed_episodes_are_counted_and_a_torn_last_line_ignored(tmp_path):
    path = tmp_path / RESULTS
    good = episode_line("p/1/0", questions=0, turns=conversation("A. x"))
    path.write_text(good + episode_line("p/1/0", 1, 0.0, "", error="timeout") + good[:40])
    read = read_traces(path)
    assert read.failed == 1 and [t.sample for t in read.traces] == [0] and read.traces[0].questions == 0


def test_no_trace_left_after_the_filters_names_the_files(tmp_path):
    path = tmp_path / RESULTS
    path.write_text(episode_line("p/1/0", reward=0.5, questions=0, turns=conversation("A. x")))
    with pytest.raises(TraceError) as err:
        select(read_traces(path), TraceFilter(min_reward=0.9))
    assert str(err.value).startswith(f"{path}: no trace is left to train on") and "min_reward 1" in str(err.value)


# -- filters and the split ------------------------------------------------------------------------


def trace(puzzle: str, sample: int, reward: float, truncated: bool = False) -> Trace:
    messages = (Message("user", f"puzzle {puzzle}"), Message("assistant", f"A. {sample}"))
    return Trace(puzzle, sample, reward, messages, truncated=truncated, source=f"f:{sample}")


def test_filters_keep_the_best_traces_per_puzzle():
    traces = [
        trace("a", 0, 0.5),
        trace("a", 1, 1.0),
        trace("a", 2, 0.5),
        trace("a", 3, 1.0, truncated=True),
        trace("b", 1, 0.25),
        trace("b", 0, 0.25),
        trace("b", 2, 0.0),
    ]
    kept, dropped = keep(traces, TraceFilter())
    assert kept == [t for t in traces if not t.truncated] and dropped["truncated"] == 1
    kept, dropped = keep(traces, TraceFilter(min_reward=0.5, keep_truncated=True))
    assert [(t.puzzle_id, t.sample) for t in kept] == [("a", 0), ("a", 1), ("a", 2), ("a", 3)]
    assert dropped == {"truncated": 0, "min_reward": 3, "best_of": 0, "max_per_puzzle": 0}
    # best of 2: by reward, ties to the lower sample index; the order read is kept
    kept, dropped = keep(traces, TraceFilter(best_of=2))
    assert [(t.puzzle_id, t.sample) for t in kept] == [("a", 0), ("a", 1), ("b", 1), ("b", 0)]
    assert dropped["best_of"] == 2
    kept, _ = keep(traces, TraceFilter(best_of=1, keep_truncated=True))
    assert [(t.puzzle_id, t.sample) for t in kept] == [("a", 1), ("b", 0)]
    kept, dropped = keep(traces, TraceFilter(max_per_puzzle=1))
    assert [(t.puzzle_id, t.sample) for t in kept] == [("a", 0), ("b", 0)] and dropped["max_per_puzzle"] == 4


def test_the_split_is_by_puzzle_and_the_same_on_any_machine():
    assert puzzle_hash("tiny/easy/0") == 0.6660507341426048  # SHA-256: no salted hash
    assert puzzle_hash("tiny/easy/0", seed=1) != puzzle_hash("tiny/easy/0")
    ids = [f"tiny/easy/{s}" for s in range(200)]
    val = held_out(ids, TraceFilter(val_fraction=0.25))
    assert 30 < len(val) < 70 and val == held_out(reversed(ids), TraceFilter(val_fraction=0.25))
    assert val == held_out(ids[:100], TraceFilter(val_fraction=0.25)) | held_out(
        ids[100:], TraceFilter(val_fraction=0.25)
    )
    assert held_out(ids, TraceFilter(val_fraction=0.25, split_seed=7)) != val
    five = held_out(ids, TraceFilter(val_puzzles=5))
    assert len(five) == 5 and five == set(sorted(ids, key=puzzle_hash)[:5])

    traces = [trace(pid, s, 1.0) for pid in ids[:40] for s in range(3)]
    split = select(TraceSet(tuple(traces), 0, ()), TraceFilter(val_puzzles=4, best_of=2))
    train_ids, val_ids = {t.puzzle_id for t in split.train}, {t.puzzle_id for t in split.val}
    assert val_ids == split.val_ids and len(val_ids) == 4 and not train_ids & val_ids
    assert len(split.train) == 36 * 2 and len(split.val) == 4 * 2 and split.dropped["best_of"] == 40
    # a filter never moves a puzzle across: the held-out puzzles are chosen before it
    again = select(TraceSet(tuple(traces), 0, ()), TraceFilter(val_puzzles=4, min_reward=0.0))
    assert again.val_ids == split.val_ids


@pytest.mark.parametrize(
    "settings",
    [{"best_of": 0}, {"max_per_puzzle": 1.5}, {"val_fraction": 1.0}, {"val_fraction": 0.1, "val_puzzles": 2}],
)
def test_bad_filter_settings(settings):
    with pytest.raises(ValueError):
        TraceFilter(**settings)


# -- rendering details -----------------------------------------------------------------------------


def test_a_truncated_reply_ends_without_the_end_of_turn_token(tok):
    t = trace("tiny/easy/0", 0, 0.0, truncated=True)
    sample = trace_sample(t, tok)
    assert sample.truncated and sample.segments[-1].token_ids == tuple(tok.encode("A. 0", add_special_tokens=False))
    stopped = trace_sample(replace(t, truncated=False), tok)
    assert not stopped.truncated and stopped.segments[-1].token_ids[-1] == end_of_turn(tok) == tok.eos_token_id


def test_a_template_that_does_not_close_turns_with_eos_is_refused(tok):
    transformers = pytest.importorskip("transformers")
    other = transformers.PreTrainedTokenizerFast.from_pretrained(tok.name_or_path, eos_token="<|endoftext|>")
    with pytest.raises(TraceError, match="does not close an assistant turn with the eos_token"):
        end_of_turn(other)


# -- the solver's games as model text ------------------------------------------------------------


def test_the_solvers_investigations_are_model_text_the_game_reads(tok, tmp_path):
    cases = {c.id: c for c in (generate_case(v, "easy", s) for v in ("tiny", "classic", "temporal") for s in (0, 1))}
    evaluate(SolverAgent(), list(cases.values()), tmp_path, SAMPLING, meta={"agent": "solver"})
    read = read_traces(tmp_path)
    assert len(read.traces) == len(cases)
    rewritten = 0
    for t, sample in zip(read.traces, sft_samples(read.traces, tok)):
        case = cases[t.puzzle_id]
        model = as_model_text(t)
        # today's solver writes exactly this, but for "in" where the game writes "at" an outdoor place
        assert model.replies[-1] == t.replies[-1] and model.messages[::2] == t.messages[::2]
        for raw, reply in zip(t.replies, model.replies):
            rewritten += raw != reply
            assert reply in (raw, raw.replace(" in the ", " at the "))
        told = told_case(parse_prompt(case.prompt).case, [m.content for m in t.messages[::2]])
        # played again from the adapted replies alone: the same answers, questions, grade and reward
        session = Session(case)
        for reply, answer in zip(model.replies, [m.content for m in model.messages[2::2]]):
            turn = session.step(reply)
            assert turn.kind == "question" and turn.observation == answer
            # the grammar's own line for it, as far as the conversation tells the case (a place the clues and
            # the answers never put a piece "at" reads as indoors); the real case's line where it tells all
            assert reply == parse_query(reply, told).text(told)
            if told == case.case:
                assert reply == parse_query(reply, case.case).text(case.case)
        assert session.step(model.replies[-1]).kind == "accusation" and session.reward == t.reward
        # the rendered sample parsed back: the same questions and answers
        trained = [tok.decode(s.token_ids, skip_special_tokens=True) for s in sample.segments if s.is_sampled]
        assert [parse_query(q, case.case) for q in trained[:-1]] == session.queries
        assert Grader(case.solution, case.options)(trained[-1]).answers == session.grade.answers
        assert session.grade.reward == 1.0
    assert rewritten  # temporal/easy/1 asked "Who was in the Gazebo ...?" after "... was at the Gazebo ..."


def test_a_reply_a_model_would_not_write_is_adapted_or_refused():
    case = generate_case(TINY, "easy", 0)
    asked = "Who was in the Trophy Room?"
    answer = case.witness[0].answer(case.case, case.night)
    messages = (
        Message("user", case.prompt),
        Message("assistant", "Notes: 12 nights fit.\n\n  question: who was in trophy room  \n"),
        Message("user", answer),
        Message("assistant", "Final answers (determined):\nA: colonel mustard\nB.   Candlestick\nE. Trophy Room"),
    )
    t = Trace(case.id, 0, 0.9, messages, game="investigation", agent="solver", solution=case.solution)
    model = as_model_text(t)
    assert model.replies == (asked, "A. colonel mustard\nB. Candlestick\nE. Trophy Room")
    assert model.messages[0] == t.messages[0] and model.messages[2] == t.messages[2]
    assert parse_query(model.replies[0], case.case).text(case.case) == asked
    assert Grader(case.solution, case.options)(model.replies[-1]).answers == {
        "A": "colonel mustard",
        "B": "Candlestick",
        "C": None,
        "D": None,
        "E": "Trophy Room",
    }
    for bad in (
        (messages[0], Message("assistant", "I wonder"), messages[2], messages[3]),
        (messages[0], Message("assistant", "no idea")),
    ):
        with pytest.raises(TraceError, match="no question of the game's grammar|holds no answer"):
            as_model_text(replace(t, messages=bad))
