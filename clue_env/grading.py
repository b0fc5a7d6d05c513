"""Grading: parse a model's free-form reply into per-question answers and score them.

A puzzle asks questions labelled ``A``, ``B``, ... and the model is told to answer with
one line per question, ``A. <answer>``. :class:`Grader` finds the answer lines in any
reply (markdown, bullets, drafts followed by final answers, chain of thought, garbage),
keeps the *last* answer given for each label, and checks it against the solution:

* with ``options`` (the candidates of each question), an answer is right iff it mentions
  exactly one candidate, as whole words and case-insensitively, and that candidate is the
  solution. A candidate that only appears inside a longer mentioned candidate ("Hall" in
  "Hall of Mirrors") does not count. Naming two candidates is wrong. If the whole answer
  names several, the part before a trailing explanation (" - ", " (", ", because", ...)
  is tried alone, unless the explanation is a hedge ("or", "maybe", ...).
* without options, an answer is right iff, normalized, it equals the normalized solution
  (or its part before an explanation does).

Times match through :func:`normalize_time`, so "11 pm", "23:00" and "11.00 p.m." all name
"11:00 PM"; a bare "1:00" names whichever of 1:00 AM/PM is an option (both: ambiguous).
Titles are unified ("Colonel Mustard" is "Col. Mustard"). Besides one answer per line, a
line may hold several ("A. x B. y", labels in increasing order), a markdown table row
("| A | x |") counts, and an answer may sit on the line after a bare "A." line.

:class:`Grader` compiles everything once; calling it is cheap, never raises, and reads at
most :data:`MAX_ANSWER_CHARS` per answer line and :data:`MAX_LINES_PER_LABEL` lines per
label, so its work is linear in the reply's length.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Grade", "Grader", "grade", "normalize_time"]

MAX_ANSWER_CHARS = 2000
"""Characters of one answer line that are read; the rest of a longer line is ignored."""

MAX_LINES_PER_LABEL = 64
"""Answer lines read, per label of the solution, counted back from the end of the reply
(one shared budget of 64 x labels lines: earlier ones are never looked at)."""

_JUDGE_CACHE_SIZE = 4096

_HS = r"[^\S\n]"  # horizontal whitespace: any whitespace but a newline
_BULLET = rf"[-*•>#_+|(\[]{_HS}*+"  # one prefix character (bullet, quote, emphasis, ...)

# A time: "11 pm", "11:00PM", "11.00 p.m.", "12 midnight", "23:00", "noon". The groups:
# h/m/ap|suf a 12-hour time; H/M a bare "hh:mm" time; word a named time.
_TIME_RE = re.compile(
    r"""
    (?<![\w:.])
    (?:
        (?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?[^\S\n]*+
        (?:(?P<ap>[ap])\.?[^\S\n]?m\b\.?|(?P<suf>midnight|noon|midday)\b)
      | (?P<H>\d{1,2})[:.](?P<M>\d{2})(?!\d)
      | (?P<word>midnight|noon|midday)\b
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

_WORD_RE = re.compile(r"[^\W_]+")

# Titles written out or abbreviated name the same person: "Colonel Mustard" is "Col. Mustard".
_TITLE_ALIASES = {
    "mister": "mr",
    "missus": "mrs",
    "doctor": "dr",
    "professor": "prof",
    "colonel": "col",
    "sergeant": "sgt",
    "reverend": "rev",
    "captain": "capt",
    "lieutenant": "lt",
}

# Where a trailing explanation may start: a spaced dash, a bracket, ";", ": ", a sentence
# end, or ", because" and its kin.
_EXPLANATION_RE = re.compile(
    r"\s[-–—]+\s|[–—]|\s[(\[]|;|:\s|\.\s"
    r"|,\s*(?:because|since|as|given|due|which|who|based|according|per|not)\b"
    r"|\s(?:because|since)\b",
    re.IGNORECASE,
)
# An explanation that starts like this is a second guess, not an explanation.
_HEDGE_RE = re.compile(
    r"[\s(\[]*(?:/|(?:or|and|maybe|perhaps|possibly|probably|either|nor|alternatively"
    r"|otherwise|unless)\b)",
    re.IGNORECASE,
)
_LAST_WORD_RE = re.compile(r"[^\W\d_]+$")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "sgt", "col", "prof", "rev", "capt", "lt", "gen", "maj", "st"]
    + ["mme", "mlle", "mm", "no", "vs", "jr", "sr", "am", "pm"]
)

_STRIP_CHARS = " \t\r\f\v\u00a0*_|`~"
_TIME_STRIP_CHARS = _STRIP_CHARS + "\"'“”‘’[](),.;!?"
_NEXT_LINE_RE = re.compile(rf"[^\n]*+\n(?:{_HS}*+\n){{0,4}}(?P<line>[^\n]{{0,{MAX_ANSWER_CHARS}}})")


@dataclass(frozen=True)
class Grade:
    """The grade of one reply.

    ``reward`` is the fraction of questions answered right, in [0, 1] (0.0 for an empty
    solution); ``correct`` maps each label to whether its answer is right; ``answers`` maps
    each label to the answer text parsed for it (stripped of whitespace and markdown
    emphasis), "" when its only answer lines are empty, or None when the reply has no
    answer line for it (or the reply could not be read at all).
    """

    reward: float
    correct: dict[str, bool]
    answers: dict[str, str | None]


# --------------------------------------------------------------------------- times


def _time_readings(match: re.Match[str]) -> tuple[str, ...]:
    """The canonical times a time match can mean: one, or two for a bare "11:00"."""
    named = match.group("word") or match.group("suf")
    meridiem = None
    if named:
        meridiem = "AM" if named.lower() == "midnight" else "PM"
    if match.group("word"):
        return (f"12:00 {meridiem}",)
    if match.group("h") is not None:
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        if match.group("ap"):
            meridiem = "AM" if match.group("ap") in "aA" else "PM"
        if hour == 0 and meridiem == "AM":
            hour = 12
        if not (1 <= hour <= 12 and minute < 60):
            return ()
        return (f"{hour:02d}:{minute:02d} {meridiem}",)
    hour, minute = int(match.group("H")), int(match.group("M"))
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        return ()
    if hour % 24 == 0:
        return (f"12:{minute:02d} AM",)
    if hour > 12:
        return (f"{hour - 12:02d}:{minute:02d} PM",)
    other = "AM" if hour == 12 else "PM"
    day = "PM" if hour == 12 else "AM"
    # The 24-hour reading first; the 12-hour one without its AM/PM second.
    return (f"{hour:02d}:{minute:02d} {day}", f"{hour:02d}:{minute:02d} {other}")


def normalize_time(text: str) -> str | None:
    """The canonical form ("hh:mm AM/PM", like the puzzle's labels) of a time, or None.

    Accepts 12-hour times with or without minutes ("11 pm", "11:00PM", "11.00 p.m."),
    24-hour times ("23:00", "00:30"), and "midnight"/"noon" ("12 midnight" too). The whole
    text, less surrounding whitespace, quotes, brackets and markdown, must be the time.
    A bare "hh:mm" is read as 24-hour time ("11:00" is "11:00 AM"). Never raises.

    >>> normalize_time("11 pm"), normalize_time("23:00"), normalize_time("midnight")
    ('11:00 PM', '11:00 PM', '12:00 AM')
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    match = _TIME_RE.fullmatch(text.strip().strip(_TIME_STRIP_CHARS).strip())
    if match is None:
        return None
    readings = _time_readings(match)
    return readings[0] if readings else None


def _times_in(text: str) -> list[tuple[str, ...]]:
    """The readings of every time mentioned in ``text``."""
    return [r for r in map(_time_readings, _TIME_RE.finditer(text)) if r]


# --------------------------------------------------------------------------- words


def _tokens(text: str) -> list[str]:
    """Lower-cased words of ``text``, punctuation and markdown dropped, titles unified."""
    words = _WORD_RE.findall(text.casefold())
    if _TITLE_ALIASES.keys().isdisjoint(words):
        return words
    return [_TITLE_ALIASES.get(w, w) for w in words]


def _padded(tokens: list[str]) -> str:
    """Words joined and padded with spaces, so " x " finds the whole word x."""
    return " " + " ".join(tokens) + " "


@functools.lru_cache(maxsize=8192)
def _name_key(text: str) -> str:
    """The padded words of a name, less a leading "the": "The Lead Pipe" -> " lead pipe "."""
    tokens = _tokens(text)
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    return _padded(tokens)


def _explanation_head(answer: str) -> str | None:
    """The answer before a trailing explanation, or None if it has none (or a hedge)."""
    for match in _EXPLANATION_RE.finditer(answer):
        if match.group().startswith("."):
            word = _LAST_WORD_RE.search(answer, max(0, match.start() - 12), match.start())
            if word and (len(word.group()) == 1 or word.group().casefold() in _ABBREVIATIONS):
                continue  # "Mr. Green", "p.m. " and initials are no sentence end
        if _HEDGE_RE.match(answer, match.end()):
            return None
        head = answer[: match.start()]
        return head if head.strip(_STRIP_CHARS) else None
    return None


# --------------------------------------------------------------------------- questions


@functools.lru_cache(maxsize=8192)
def _option_time(text: str) -> str | None:
    """``normalize_time`` for option names, which repeat across puzzles."""
    return normalize_time(text)


@functools.lru_cache(maxsize=4096)
def _options_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("(?= (" + "|".join(re.escape(n) for n in names) + ") )")


class _Question:
    """How the answer to one question is judged: its candidates and its solution."""

    def __init__(self, solution: str, options: Sequence[str] | None, vocabulary_times: frozenset[str]):
        self.exact = not options
        solution_time = _option_time(solution)
        self.solution_key = f"T {solution_time}" if solution_time else _name_key(solution)
        self.solution_time = solution_time
        self.vocabulary_times = vocabulary_times
        words: dict[str, None] = {}
        times: dict[str, None] = {}
        for option in [*(options or ()), solution]:
            time = _option_time(option)
            if time is not None:
                times[time] = None
            elif (key := _name_key(option)).strip() and not self.exact:
                words[key] = None
        self.time_options = frozenset(times)
        self.word_options = frozenset(words)
        # Sorted canonically, so puzzles sharing names share one compiled pattern.
        self._word_names = tuple(sorted((w.strip() for w in words), key=lambda w: (-len(w), w)))

    @property
    def word_re(self) -> re.Pattern[str] | None:
        """At every word start, the longest option starting there (overlaps allowed).
        Compiled on first need: most answers are just an option and never need it."""
        return _options_pattern(self._word_names) if self._word_names else None

    def is_right(self, answer: str) -> bool:
        """Whether ``answer`` (already parsed out of the reply) is the solution."""
        judge = self._equals_solution if self.exact else self._names_solution
        verdict = judge(answer)
        if verdict is None:
            head = _explanation_head(answer)
            verdict = judge(head) if head is not None else None
        return bool(verdict)

    def _names_solution(self, answer: str) -> bool | None:
        """True/False when ``answer`` names exactly one option; None when it names 0 or 2+."""
        named = self._named_options(answer)
        if len(named) != 1:
            return False if not named else None
        return self.solution_key in named

    def _named_options(self, answer: str) -> set[str]:
        named: set[str] = set()
        if self._word_names:
            haystack = _name_key(answer)
            if haystack in self.word_options and not self.time_options:
                return {haystack}  # the common case: the answer is just an option
            named.update(self._named_words(haystack))
        if self.time_options:
            for readings in _times_in(answer):
                named.update(f"T {r}" for r in readings if r in self.time_options)
        return named

    def _named_words(self, haystack: str) -> set[str]:
        """Options named in the padded words ``haystack``, less those inside a longer one."""
        pattern = self.word_re
        assert pattern is not None
        spans = [(m.start(), m.end(1) + 1, m.group(1)) for m in pattern.finditer(haystack)]
        if len(spans) <= 1:
            return {f" {option} " for _, _, option in spans}
        return {
            f" {option} "
            for start, end, option in spans
            if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans)
        }

    def _equals_solution(self, answer: str) -> bool | None:
        """Exact matching (no options): True if equal, None otherwise (try the head)."""
        if self.solution_time is not None:
            match = _TIME_RE.fullmatch(answer.strip().strip(_TIME_STRIP_CHARS).strip())
            readings = _time_readings(match) if match else ()
            known = [r for r in readings if r in self.vocabulary_times] or list(readings)
            return True if known == [self.solution_time] else None
        return True if _name_key(answer) == self.solution_key else None


# --------------------------------------------------------------------------- parsing


def _clean(raw: str) -> str:
    """An answer as reported: surrounding whitespace, markdown emphasis and pipes removed."""
    return raw.strip().strip(_STRIP_CHARS).strip()


def _coerce_text(text: object) -> str:
    """Any object as text: None is empty, bytes are decoded as UTF-8, others go via str()."""
    if isinstance(text, str):
        return text
    if text is None:
        return ""
    try:
        if isinstance(text, (bytes, bytearray, memoryview)):
            return bytes(text).decode("utf-8", "replace")
        return str(text)
    except Exception:  # noqa: BLE001 - a __str__ that raises is just no text
        return ""


def _label_patterns(labels: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The answer-line pattern and the pattern of a further label inside an answer line."""
    names = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    # It starts with a literal "\n" (the reply gets one prepended) rather than "^": re then
    # jumps from newline to newline instead of trying every position, twice as fast.
    line = re.compile(
        rf"\n{_HS}*+(?:{_BULLET})*+(?:\d{{1,3}}[.)]{_HS}++)?(?:{_BULLET})*+"
        rf"(?P<label>{names})[*_\]]*+{_HS}*+(?:\.(?![^\W_])|[:)|]|[-–—](?=\s))"
        rf"(?P<rest>[^\n]{{0,{MAX_ANSWER_CHARS}}})"
    )
    inline = re.compile(rf"(?<![^\s,;|])[*_(\[]*+(?P<label>{names})[*_\]]*+[.:)](?=\s|[*_])")
    return line, inline


# --------------------------------------------------------------------------- grader


def _checked_solution(solution: Mapping[str, str]) -> dict[str, str]:
    """``solution`` as a dict, after checking that labels and answers are usable."""
    for label, value in solution.items():
        if not isinstance(label, str) or not label or not isinstance(value, str):
            raise TypeError(f"solution must map non-empty str labels to str answers, got {label!r}: {value!r}")
        if normalize_time(value) is None and not _name_key(value).strip():
            raise ValueError(f"solution[{label!r}] = {value!r} has no letters or digits to match")
    return dict(solution)


def _checked_options(options: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """``options`` with each candidate list as a tuple, after checking they hold str."""
    checked: dict[str, tuple[str, ...]] = {}
    for label, values in options.items():
        try:
            candidates = None if isinstance(values, str) else tuple(values)
        except TypeError:
            candidates = None
        if candidates is None or not all(isinstance(v, str) for v in candidates):
            raise TypeError(
                f"options[{label!r}] must be a sequence of str candidates, got {values!r}; "
                "wrap a single candidate in a list"
            )
        checked[label] = candidates
    return checked


class Grader:
    """Grades replies against one puzzle's solution; build once, call once per reply.

    ``solution`` maps each question label ("A", "B", ...) to its answer. ``options`` maps
    labels to the candidates of that question (all suspects for a "who" question, ...);
    a label without options (or ``options=None``) is graded by exact match instead. The
    solution is always one of its question's candidates, added if missing.

    Raises TypeError for a solution or options that are not str-valued mappings, and
    ValueError for a solution answer without a letter or digit.
    """

    def __init__(self, solution: Mapping[str, str], options: Mapping[str, Sequence[str]] | None = None):
        solution = _checked_solution(solution)
        candidates = _checked_options(options) if options is not None else {}
        self._labels = tuple(solution)
        self._order = {label: i for i, label in enumerate(self._labels)}
        times = frozenset(t for t in map(normalize_time, solution.values()) if t)
        self._questions = {label: _Question(answer, candidates.get(label), times) for label, answer in solution.items()}
        self._line_re, self._inline_re = _label_patterns(self._labels) if self._labels else (None, None)
        self._max_lines = MAX_LINES_PER_LABEL * max(1, len(self._labels))
        self._verdicts: dict[tuple[str, str], bool] = {}

    def __call__(self, text: object) -> Grade:
        """Grade one reply; any object is accepted and nothing is ever raised."""
        try:
            return self._grade(_coerce_text(text))
        except Exception:  # noqa: BLE001 - a grader must not take a training run down
            return self._grade_of({})

    def _grade(self, text: str) -> Grade:
        if not self._labels:
            return Grade(0.0, {}, {})
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return self._grade_of(self._parse("\n" + text))

    def _grade_of(self, found: Mapping[str, str]) -> Grade:
        answers = {label: found.get(label) for label in self._labels}
        correct = {label: bool(a) and self._is_right(label, a) for label, a in answers.items()}
        reward = sum(correct.values()) / len(self._labels) if self._labels else 0.0
        return Grade(reward, correct, answers)

    def _is_right(self, label: str, answer: str) -> bool:
        key = (label, answer)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._questions[label].is_right(answer)
            if len(self._verdicts) >= _JUDGE_CACHE_SIZE:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _parse(self, text: str) -> dict[str, str]:
        """label -> last non-empty answer; "" for a label whose answer lines are all empty.

        ``text`` starts with a newline, as the answer-line pattern wants.
        """
        assert self._line_re is not None
        lines = deque(self._line_re.finditer(text), maxlen=self._max_lines)
        found: dict[str, str] = {}
        empty: set[str] = set()
        for match in reversed(lines):
            for label, answer in reversed(self._segments(match, text)):
                if label in found:
                    continue
                if answer:
                    found[label] = answer
                else:
                    empty.add(label)
            if len(found) == len(self._labels):
                break
        for label in empty:
            found.setdefault(label, "")
        return found

    def _segments(self, match: re.Match[str], text: str) -> list[tuple[str, str]]:
        """(label, cleaned answer) pairs of one answer line, in order: "A. x  B. y" has two.

        Only a label later (in the solution's order) than the one before it starts a new
        answer inside a line, so a reference back to an earlier label is left alone.
        """
        label, rest = match.group("label"), match.group("rest")
        segments: list[tuple[str, str]] = []
        if len(self._labels) > 1 and rest:
            assert self._inline_re is not None
            start = 0
            for inner in self._inline_re.finditer(rest):
                if self._order[inner.group("label")] <= self._order[label]:
                    continue  # "C. Hall, as in B. above": only later labels start answers
                piece = rest[start : inner.start()].rstrip().rstrip(",;")
                segments.append((label, _clean(piece)))
                label, start = inner.group("label"), inner.end()
            rest = rest[start:]
        answer = _clean(rest)
        if not answer:  # "A." alone on its line: the answer is on the next one
            answer = _clean(self._next_line(text, match.end()))
        segments.append((label, answer))
        return segments

    def _next_line(self, text: str, position: int) -> str:
        """The next non-blank line after ``position`` if it is not an answer line itself."""
        assert self._line_re is not None
        following = _NEXT_LINE_RE.match(text, position)
        if following is None or self._line_re.match(text, following.start("line") - 1):
            return ""
        return following.group("line")


@functools.lru_cache(maxsize=256)
def _cached_grader(solution: tuple[tuple[str, str], ...], options: tuple | None) -> Grader:
    return Grader(dict(solution), None if options is None else dict(options))


def _frozen(solution: Mapping[str, str], options: Mapping[str, Sequence[str]] | None) -> tuple:
    frozen_options = None
    if options is not None:
        frozen_options = tuple((k, v if isinstance(v, str) else tuple(v)) for k, v in options.items())
    return tuple(solution.items()), frozen_options


def grade(text: object, solution: Mapping[str, str], options: Mapping[str, Sequence[str]] | None = None) -> Grade:
    """Grade one reply: ``Grader(solution, options)(text)``, with Graders cached.

    The Grader of each (solution, options) is kept (LRU, 256 puzzles), so grading many
    replies to one puzzle through this function costs little more than a reused Grader.
    Never raises for any ``text``; raises as :class:`Grader` does for a malformed
    solution or options.
    """
    try:
        key = _frozen(solution, options)
        hash(key)
    except TypeError:  # unhashable labels or answers: grade without the cache
        return Grader(solution, options)(text)
    return _cached_grader(*key)(text)
