"""Traces to training samples: the token ids ``clue train`` would train on had the policy written the trace.

:func:`trace_sample` renders a :class:`~trainers.traces.Trace` the way a played episode becomes a
sample in ``clue train``: each turn's prompt through :meth:`agents.vllm.VllmAgent.render` (the
model's chat template, continuing from the earlier turns' exact ids), each reply as the engine
would have sampled it (the reply's tokens, then the end-of-turn token, the tokenizer's
``eos_token``), and the turns joined by :func:`trainers.samples.sample_from_turns`. So the
sample is a :class:`~trainers.samples.Sample` like any other: the prompt, the environment's
answers and the template's tokens are context, every reply is trained (each token's
"sampling logprob" 0.0, which an SFT loss does not read), and :func:`trainers.packing.pack`
and the masks take it as they are. A reply's ids are the tokenizer's encoding of its text: a
recorded text has no ids of its own to keep (unlike a rollout, whose ids are never re-tokenized).
A final reply cut off at ``max_tokens`` (``Trace.truncated``) ends without the end-of-turn token,
as it was sampled, and its sample is marked truncated.

:func:`as_model_text` is the one place where the solver's games are made to read as a model
would write them (part 2 of the SFT data): every question is the game's own line for it, the
final answers one ``L. answer`` line per question the game reads, nothing else. :func:`sft_samples`
applies it to the solver's traces and renders them all.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Sequence
from dataclasses import replace

from agents.base import Completion
from agents.vllm.agent import VllmAgent
from clue_env.case import Case
from trainers.samples import TRUNCATED_FINISH_REASON, Sample, SampleError, sample_from_turns
from trainers.traces import Message, Trace, TraceError

SOLVER_AGENTS = frozenset({"solver"})
"""Agent names (a record's ``agent``) whose traces :func:`sft_samples` adapts with :func:`as_model_text`."""


def end_of_turn(tokenizer) -> int:
    """The token a reply ends with when the engine stops: the tokenizer's ``eos_token``, which the chat
    template must close an assistant turn with (so a rendered conversation holds it once).
    :class:`~trainers.traces.TraceError` for a tokenizer without one, or whose template closes turns
    with another token."""
    eos, eos_id = getattr(tokenizer, "eos_token", None), getattr(tokenizer, "eos_token_id", None)
    if eos_id is None or not eos:
        raise TraceError("the tokenizer has no eos_token: a trained reply needs the end-of-turn token it stops at")
    if getattr(tokenizer, "chat_template", None):
        head = tokenizer.apply_chat_template(
            [{"role": "user", "content": "?"}], tokenize=False, add_generation_prompt=True
        )
        turn = [{"role": "user", "content": "?"}, {"role": "assistant", "content": "!"}]
        whole = tokenizer.apply_chat_template(turn, tokenize=False, add_generation_prompt=False)
        if not whole.startswith(head + "!" + eos):
            after = whole[len(head) + 1 :] if whole.startswith(head + "!") else whole
            raise TraceError(
                f"the chat template does not close an assistant turn with the eos_token {eos!r} "
                f"(it writes {after[:40]!r}); set the tokenizer's eos_token to its end-of-turn token"
            )
    return int(eos_id)


def reply_ids(tokenizer, text: str, stopped: bool = True, end: int | None = None) -> list[int]:
    """A reply's token ids as the engine samples them: its text encoded (no special tokens added), then
    the end-of-turn token ``end`` (default :func:`end_of_turn`) unless it was cut off (``stopped`` False)."""
    ids = list(tokenizer.encode(text, add_special_tokens=False))
    if stopped:
        ids.append(end_of_turn(tokenizer) if end is None else end)
    return ids


def trace_sample(trace: Trace, tokenizer, group: Hashable | None = None, end: int | None = None) -> Sample:
    """``trace`` as one training sample (see the module docstring); ``group`` defaults to its puzzle id
    (as ``clue train`` groups an episode), ``end`` to :func:`end_of_turn`. Raises
    :class:`~trainers.traces.TraceError` naming the trace's record where the chat template rewrites
    earlier turns (then no turn's ids extend the one before, and nothing exact can be trained)."""
    end = end_of_turn(tokenizer) if end is None else end
    chat = trace.chat()
    turns: list[Completion] = []
    conversation: list[dict] = []
    for k, message in enumerate(chat):
        if message["role"] != "assistant":
            conversation.append(message)
            continue
        cut = k == len(chat) - 1 and trace.truncated
        prompt_ids = VllmAgent.render(tokenizer, conversation)
        ids = reply_ids(tokenizer, message["content"], stopped=not cut, end=end)
        turn = Completion(
            message["content"],
            prompt_tokens=len(prompt_ids),
            completion_tokens=len(ids),
            token_ids=tuple(ids),
            logprobs=(0.0,) * len(ids),
            prompt_token_ids=tuple(prompt_ids),
            finish_reason=TRUNCATED_FINISH_REASON if cut else "stop",
        )
        turns.append(turn)
        conversation.append({**message, "completion": turn})
    try:
        return sample_from_turns(trace.puzzle_id if group is None else group, turns, trace.reward)
    except SampleError as err:
        raise TraceError(f"{trace.source or trace.puzzle_id}: cannot render it: {err}") from None


def sft_samples(traces: Sequence[Trace], tokenizer, solver_agents: Collection[str] = SOLVER_AGENTS) -> list[Sample]:
    """Every trace as a training sample (:func:`trace_sample`), in order; the traces of ``solver_agents``
    first made model text by :func:`as_model_text`."""
    end = end_of_turn(tokenizer)
    return [trace_sample(as_model_text(t) if t.agent in solver_agents else t, tokenizer, end=end) for t in traces]


# --------------------------------------------------------------------------- the solver's games as model text


def as_model_text(trace: Trace) -> Trace:
    """The solver's ``trace`` with its replies as a model would write them, read with the game's own parsers:

    * a question (every reply but the last) becomes exactly the grammar's line for the question its
      last line asks (``Query.text``: what ``Session.step`` reads; anything before it is dropped),
      written for the case as the conversation tells it (:func:`told_case`): the solver reads the
      case from the prompt alone, so it asks "Who was in the Gazebo?" for an outdoor place that no
      starting clue puts a piece "at", even after the environment answered "... at the Gazebo";
    * the final reply becomes one ``L. answer`` line per question whose answer the grader reads in it,
      in label order, the answer as written (what the one-shot game and the investigation grade).

    The environment's answers and the prompt are kept as they are. A reply that is neither raises
    :class:`~trainers.traces.TraceError` naming the record: the solver only asks and accuses, so
    anything else is a bug to see, not text to train on.
    """
    from clue_env.grading import Grader
    from clue_env.investigation.grammar import QueryError, parse_query
    from clue_env.prompt_parse import PromptParseError, parse_prompt

    where = trace.source or trace.puzzle_id
    try:
        parsed = parse_prompt(trace.prompt)
    except PromptParseError as err:
        raise TraceError(f"{where}: cannot read the puzzle's prompt: {err}") from None
    replies = trace.replies
    case = told_case(parsed.case, [m.content for m in trace.messages if m.role == "user"])
    texts = []
    for k, text in enumerate(replies[:-1], 1):
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            query = parse_query(lines[-1] if lines else "", case)
        except QueryError as err:
            raise TraceError(
                f"{where}: reply {k} is no question of the game's grammar ({err}): {text[:80]!r}"
            ) from None
        texts.append(query.text(case))
    solution = trace.solution or {label: parsed.options[label][0] for label in parsed.labels}
    answers = Grader(solution, parsed.options)(replies[-1]).answers
    final = [f"{label}. {' '.join(answer.split())}" for label, answer in answers.items() if answer]
    if not final:
        raise TraceError(f"{where}: the final reply holds no answer the game reads: {replies[-1][:80]!r}")
    texts.append("\n".join(final))
    it = iter(texts)
    messages = tuple(Message(m.role, next(it)) if m.role == "assistant" else m for m in trace.messages)
    return replace(trace, messages=messages)


def told_case(case: Case, texts: Sequence[str]) -> Case:
    """``case`` (as a prompt tells it) with every place that one of ``texts`` puts a piece "at" ("at the
    Gazebo") outdoors, as the game writes outdoor places (``Room.preposition``)."""
    names = sorted(case.room_names, key=len, reverse=True)
    pattern = re.compile(r"\bat the (" + "|".join(map(re.escape, names)) + r")(?![\w'])")
    at = {m.group(1) for text in texts for m in pattern.finditer(text)}
    if not names or all(room.outdoor for room in case.rooms if room.name in at):
        return case
    return replace(case, rooms=tuple(replace(r, outdoor=True) if r.name in at else r for r in case.rooms))
