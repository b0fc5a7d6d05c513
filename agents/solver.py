"""The solver agent: answers every puzzle from its prompt text alone, with CP-SAT, and plays the investigation.

One-shot puzzles: it reads the prompt (``clue_env.prompt_parse``: this project's wording or the
original benchmark's), solves it (``clue_env.solve``) and replies with one "A. answer" line per
question. It spends no tokens (counts are 0). A prompt it cannot read, or whose clues no
night fits, gets a completion with ``error`` set and empty text; it never raises.

Investigations (``TemporalClueInvestigation-v0``): ``investigate(messages)`` (and
``SolverAgent.reply``, which ``agenerate`` calls for a conversation) takes the conversation so far (chat messages: the case's prompt,
then its own questions and the environment's answers) and returns the next action, reading
everything from the text: the prompt with ``parse_prompt``, each question with the game's
grammar, each answer back into the facts it states. Each turn, with CP-SAT on the clues and
the facts so far:

1. it looks for two nights that fit and give different answers; when there is only one answer
   set (proven: no fitting night gives others) it accuses;
2. otherwise it draws ``sample`` more fitting nights (each solve starts from a random hint, so
   they spread over the possibilities; seeded by the conversation, so the same conversation
   gets the same action) and asks the question that leaves the least uncertainty about the
   answers, expected over that sample: for each question of the grammar not yet asked that
   splits the sample, the sample is grouped by the answer it would get, and its score is the
   sum over the case's questions of the entropy of their answers within each group, weighted
   by the group's size (``CRITERIA``); ties go to the question listed first. A question that
   splits the sample rules out at least one fitting night, so it always progresses. With no
   question left it accuses with the answers most of the sample gives.

Settings (``AgentConfig.extra``, from ``--agent-arg key=value``):
- ``check_unique=true``: also check that every answer is forced (one extra CP-SAT call per
  question) and report it in ``Completion.extra["unique"]``; off by default.
- ``reading=literal``: read the original's bare "or" inclusively (default ``encoded``).
- ``sample=N``: nights weighed per question in investigations (default ``SAMPLE``);
  ``criterion=entropy|answer-sets``: how a question is scored (``CRITERIA``).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ortools.sat.python import cp_model

from clue_env.clues import Clue
from clue_env.generate import seeded_rng
from clue_env.investigation.grammar import Query, QueryError, all_queries, answer_codes, parse_query, read_answer
from clue_env.model import Lit, NightModel, new_solver
from clue_env.night import Night
from clue_env.prompt_parse import ParsedPuzzle, PromptParseError, parse_prompt
from clue_env.solve import READINGS, solve_prompt

from .base import Completion, Prompt, SamplingConfig
from .config import AgentConfig

__all__ = [
    "CRITERIA",
    "SAMPLE",
    "Conversation",
    "ConversationError",
    "Detective",
    "SolverAgent",
    "create_solver",
    "investigate",
    "is_investigation",
    "read_conversation",
]

SAMPLE = 64
"""How many fitting nights the investigator weighs each question against."""

CRITERIA = ("entropy", "answer-sets")
"""How the investigator scores a question over its sample of nights (``Detective.choose``):

- ``entropy`` (default): the expected uncertainty left about the answers, summed over the
  questions to answer -- sum over the case's questions of the conditional entropy (bits) of
  its answer given the question's answer, over the sample;
- ``answer-sets``: the expected number of different answer sets left (all questions' answers
  together) -- sum over the question's answer groups of (nights in the group) x (answer sets
  among them). It asks more questions on the temporal levels (README); kept for comparison."""

_BUDGET = re.compile(r"you may ask up to (\d+) questions?\b", re.IGNORECASE)
_STATUS = re.compile(r"\s*\((?:(\d+) questions? left|no questions left[^)]*)\)\s*$")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"solver agent: {name} must be true or false, got {value!r}")


class SolverAgent:
    """An Agent that solves puzzles exactly (see the module docstring)."""

    def __init__(
        self,
        check_unique: bool = False,
        reading: str = "encoded",
        name: str = "solver",
        cache_size: int = 1024,
        sample: int = SAMPLE,
        criterion: str = "entropy",
    ):
        if reading not in READINGS:
            raise ValueError(f"solver agent: reading must be one of {', '.join(READINGS)}, got {reading!r}")
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
            raise ValueError(f"solver agent: sample must be a whole number of nights >= 1, got {sample!r}")
        if criterion not in CRITERIA:
            raise ValueError(f"solver agent: criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
        self.name = name
        self.check_unique = check_unique
        self.reading = reading
        self._cache: OrderedDict[str, Completion] = OrderedDict()
        self._cache_size = cache_size
        # One worker: solving is CPU-bound Python plus CP-SAT, and the clue parser's caches
        # are not meant to be shared between threads. The event loop stays free meanwhile.
        self._pool: ThreadPoolExecutor | None = None
        self.sample = sample
        self.criterion = criterion

    def answer(self, prompt: str) -> Completion:
        """The completion for one prompt (cached by prompt text). Never raises."""
        if isinstance(prompt, str) and prompt in self._cache:
            self._cache.move_to_end(prompt)
            return self._cache[prompt]
        start = time.perf_counter()
        try:
            result = solve_prompt(prompt, self.reading, check_unique=self.check_unique)
        except Exception as err:  # noqa: BLE001 -- an agent reports failures, it does not raise
            error = f"solver: {type(err).__name__}: {err}"
            completion = Completion("", error=error, extra={"seconds": time.perf_counter() - start})
        else:
            extra: dict = {"seconds": result.seconds, "solves": result.solves, "format": result.parsed.format}
            if self.check_unique:
                extra["unique"] = dict(result.unique)
                extra["alternatives"] = dict(result.alternatives)
            completion = Completion(
                result.text(), prompt_tokens=0, completion_tokens=0, finish_reason="stop", extra=extra
            )
        if isinstance(prompt, str):
            self._cache[prompt] = completion
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return completion

    def respond(self, prompt: Prompt) -> Completion:
        """The completion for one prompt: a text (a one-shot puzzle) or a conversation (``reply``)."""
        if isinstance(prompt, str):
            return self.answer(prompt)
        return self.reply(prompt)  # type: ignore[arg-type]

    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` copies of the solver's answer (or next turn) for each prompt: it is deterministic."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solver")
        loop = asyncio.get_running_loop()
        out: list[list[Completion]] = []
        for prompt in prompts:
            completion = await loop.run_in_executor(self._pool, self.respond, prompt)
            out.append([completion] * sampling.n)
        return out

    def reply(self, messages: Sequence[Mapping[str, object]]) -> Completion:
        """The next turn of a conversation (chat messages): in an investigation its next
        question or its final answers, otherwise the answer to the last user message (a
        one-shot prompt). Never raises: a conversation it cannot read gets ``error`` set."""
        start = time.perf_counter()
        try:
            first = next(
                (m.get("content") for m in messages if isinstance(m, Mapping) and m.get("role") == "user"), None
            )
            if not is_investigation(first):
                last = messages[-1] if len(messages) else None
                if not isinstance(last, Mapping) or last.get("role") != "user":
                    raise ConversationError("the conversation does not end with a user message to answer")
                return self.answer(last.get("content"))  # type: ignore[arg-type]
            text, extra = next_action(messages, self.sample, self.criterion)
        except Exception as err:  # noqa: BLE001 -- an agent reports failures, it does not raise
            error = f"solver: {type(err).__name__}: {err}"
            return Completion("", error=error, extra={"seconds": time.perf_counter() - start})
        extra["seconds"] = time.perf_counter() - start
        return Completion(text, prompt_tokens=0, completion_tokens=0, finish_reason="stop", extra=extra)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._cache.clear()


def create_solver(config: AgentConfig) -> SolverAgent:
    """The ``solver`` agent: ``--agent-arg check_unique=true`` / ``reading=literal`` / ``sample=N`` tune it."""
    extra = dict(config.extra or {})
    unknown = set(extra) - {"check_unique", "reading", "sample", "criterion"}
    if unknown:
        raise ValueError(
            f"solver agent: unknown settings {sorted(unknown)}; known: check_unique, reading, sample, criterion"
        )
    sample = extra.get("sample", str(SAMPLE)).strip()
    if not sample.isdecimal() or int(sample) < 1:
        raise ValueError(f"solver agent: sample must be a whole number of nights >= 1, got {sample!r}")
    return SolverAgent(
        check_unique=_flag(extra.get("check_unique", "false"), "check_unique"),
        reading=extra.get("reading", "encoded"),
        sample=int(sample),
        criterion=extra.get("criterion", "entropy"),
    )


# --------------------------------------------------------------------------- investigations


class ConversationError(ValueError):
    """A conversation that is not an investigation the solver can read; the message says why."""


def is_investigation(prompt: object) -> bool:
    """Whether ``prompt`` is the first observation of an investigation (it states a question budget)."""
    return isinstance(prompt, str) and _BUDGET.search(prompt) is not None


@dataclass(frozen=True)
class Conversation:
    """An investigation as the solver reads it from the messages.

    Attributes:
        prompt: the case's prompt (the first user message); ``budget``: its question budget.
        exchanges: (the detective's reply, the environment's answer) for every reply answered.
        left: questions left, as the last answer says (else the budget less the replies).
    """

    prompt: str
    budget: int
    exchanges: tuple[tuple[str, str], ...]
    left: int


def read_conversation(messages: Sequence[Mapping[str, object]]) -> Conversation:
    """Read a chat transcript (``{"role", "content"}`` dicts; system messages are skipped).
    Raises ``ConversationError`` when it is no investigation or it is not the detective's turn."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise ConversationError(f"a conversation is a list of chat messages, got {type(messages).__name__}")
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ConversationError(f"message {i} is a {type(message).__name__}, not a chat message (role, content)")
        role, content = message.get("role"), message.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise ConversationError(f"message {i} needs a string 'role' and a string 'content'")
        if role != "system":
            turns.append((role, content))
    if not turns or turns[0][0] != "user":
        raise ConversationError("an investigation starts with the case's prompt as a user message")
    prompt = turns[0][1]
    budget = _BUDGET.search(prompt)
    if budget is None:
        raise ConversationError("the first user message is no investigation: it states no question budget")
    if turns[-1][0] != "user":
        raise ConversationError("the last message is the detective's own: wait for the answer to it")
    exchanges = []
    for (role, text), (next_role, reply) in zip(turns[1:], turns[2:]):
        if role == "assistant" and next_role == "user":
            exchanges.append((text, reply))
    left = int(budget.group(1)) - len(exchanges)
    if len(turns) > 1:
        status = _STATUS.search(turns[-1][1])
        if status is not None:
            left = int(status.group(1)) if status.group(1) else 0
    return Conversation(prompt, int(budget.group(1)), tuple(exchanges), max(0, left))


Sample = list[tuple[tuple[int, ...], Night]]
"""Nights with their answer sets (the option index of every question, in label order)."""


class Detective:
    """The solver's reasoning about one case: a CP-SAT model of every night with the starting
    clues and the facts learned forced true. Built afresh each turn; not thread-safe."""

    def __init__(self, parsed: ParsedPuzzle, facts: Sequence[Clue] = (), seed: int = 0):
        self.parsed = parsed
        self.case = parsed.case
        self.model = NightModel(self.case)
        for clue in (*parsed.clues, *facts):
            self.model.model.add_bool_or([self.model.literal(clue)])
        self.solver = new_solver(0)
        self.queries = all_queries(self.case)
        self.solves = 0
        self._rng = seeded_rng("solver-investigation", *parsed.clue_texts, *parsed.labels, seed)
        self._answer_lits = [
            [self.model.answer_literal(q, k) for k in range(len(q.options(self.case)))] for q in parsed.questions
        ]

    def _night(self, assumptions: Sequence[Lit] = ()) -> Night | None:
        m = self.model.model
        m.clear_assumptions()
        m.add_assumptions(list(assumptions))
        self._scatter()
        status = self.solver.solve(m)
        self.solves += 1
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"CP-SAT returned {self.solver.status_name(status)}")
        return self.model.read_night(self.solver)

    def _scatter(self) -> None:
        """Hint a random room for every piece at every time, so that successive nights spread
        over the possibilities instead of clustering around the solver's first one."""
        m, model = self.model.model, self.model
        m.clear_hints()
        for table in (*model.sus, *model.wpn, model.vic):
            for row in table:
                m.add_hint(row[int(self._rng.integers(model.n_r))], 1)

    def answers(self, night: Night) -> tuple[int, ...]:
        return tuple(q.answer_index(night) for q in self.parsed.questions)

    def candidates(self) -> Sample:
        """A fitting night, and a second one with other answers where there is one (none: the
        answers are determined; an empty list: nothing fits)."""
        first = self._night()
        if first is None:
            return []
        found = [(self.answers(first), first)]
        other = self._night([self.model.any_of([self._answer_lits[i][k].Not() for i, k in enumerate(found[0][0])])])
        if other is not None:
            found.append((self.answers(other), other))
        return found

    def sample(self, count: int) -> Sample:
        """``count`` fitting nights, each from a random starting point."""
        out: Sample = []
        for _ in range(count):
            night = self._night()
            if night is None:
                break
            out.append((self.answers(night), night))
        return out

    def choose(self, sample: Sample, asked: set[Query], criterion: str = "entropy") -> Query | None:
        """The best question over ``sample`` (each night equally likely) by ``criterion`` (see
        ``CRITERIA``; the lowest score wins, ties go to the question listed first); only
        questions that split the sample compete, None when none does."""
        codes = [answer_codes(self.case, night) for _, night in sample]
        labels = range(len(self.parsed.questions))
        best, best_score = None, None
        for i, query in enumerate(self.queries):
            if query in asked:
                continue
            groups: dict[int, list[tuple[int, ...]]] = {}
            for (answers, _), code in zip(sample, codes):
                groups.setdefault(code[i], []).append(answers)
            if len(groups) < 2:
                continue
            if criterion == "entropy":
                score = sum(
                    _entropy(Counter(a[k] for a in group)) * len(group) for group in groups.values() for k in labels
                )
            else:
                score = sum(len(group) * len(set(group)) for group in groups.values())
            if best_score is None or score < best_score - 1e-9:
                best, best_score = query, score
        return best

    def accusation(self, sample: Sample) -> str:
        """The final answers: for each question, the answer most of ``sample`` gives."""
        lines = []
        for i, (label, q) in enumerate(zip(self.parsed.labels, self.parsed.questions)):
            votes = Counter(answers[i] for answers, _ in sample)
            pick = min(votes, key=lambda k: (-votes[k], k))
            lines.append(f"{label}. {q.options(self.case)[pick]}")
        return "\n".join(lines)


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _facts_of(conversation: Conversation, case) -> tuple[list[Clue], set[Query]]:
    """The facts the environment's answers state, and the questions they answered."""
    facts: list[Clue] = []
    asked: set[Query] = set()
    for reply, answer in conversation.exchanges:
        lines = [line for line in reply.splitlines() if line.strip()]
        if not lines:
            continue
        try:
            query = parse_query(lines[-1], case)
        except QueryError:
            continue
        text = _STATUS.sub("", answer).strip()
        try:
            facts.extend(read_answer(query, text, case))
        except QueryError:
            continue  # not answered (an explanation, or the answers of another game): nothing learned
        asked.add(query)
    return facts, asked


def next_action(
    messages: Sequence[Mapping[str, object]], sample: int = SAMPLE, criterion: str = "entropy"
) -> tuple[str, dict]:
    """The solver's next action in an investigation and what it weighed (``candidates``,
    ``sample``, ``solves``, ``determined``). Worked out afresh from the conversation alone (a new
    model; the random hints seeded by the prompt and the facts), so the same conversation always
    gets the same action. Raises ``ConversationError`` for a conversation it cannot read."""
    conversation = read_conversation(messages)
    try:
        parsed = parse_prompt(conversation.prompt)
    except PromptParseError as err:
        raise ConversationError(f"cannot read the case's prompt: {err}") from None
    facts, asked = _facts_of(conversation, parsed.case)
    detective = Detective(parsed, facts, seed=len(facts))
    found = detective.candidates()
    if not found:
        raise ConversationError("no night fits the clues and the answers: they contradict each other")
    extra: dict = {"questions_left": conversation.left, "determined": len(found) == 1}
    if len(found) == 1:
        extra["solves"] = detective.solves
        return detective.accusation(found), extra
    nights = found + detective.sample(sample)
    extra["sample"] = len(nights)
    query = detective.choose(nights, asked, criterion) if conversation.left > 0 else None
    extra["solves"] = detective.solves
    if query is None:
        return detective.accusation(nights), extra
    return query.text(parsed.case), extra


def investigate(messages: Sequence[Mapping[str, object]], sample: int = SAMPLE, criterion: str = "entropy") -> str:
    """The solver's next action in an investigation: a question, or the final answers once
    they are determined (or no question is left). Raises ``ConversationError`` for a
    conversation it cannot read."""
    return next_action(messages, sample, criterion)[0]
